//! `einblick import FILE`: bulk import of NDJSON (plain or gzip, `-` for stdin). Safe to re-run:
//! what is stored already counts as a duplicate.

use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::Path;
use std::time::Instant;

use super::store::{self, IngestReport, RawEvent, SourcePolicy, Transport};
use crate::db::Database;
use crate::error::AppError;

const BATCH_LINES: usize = 1000;

fn open(path: &Path) -> Result<Box<dyn BufRead>, AppError> {
    let reader: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(path)
                .map_err(|e| AppError::internal(format!("cannot open {}: {e}", path.display())))?,
        )
    };
    let mut buffered = BufReader::with_capacity(1 << 20, reader);
    let gzip = buffered
        .fill_buf()
        .map(|b| b.starts_with(&[0x1f, 0x8b]))
        .unwrap_or(false);
    Ok(if gzip {
        Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(
            buffered,
        )))
    } else {
        Box::new(buffered)
    })
}

/// Imports every line; prints progress to stderr. Returns the summed report.
/// An operator's own file may carry any source and reference data; `keys` hash the directory's
/// surnames and postcodes. Events older than `retention` keeps are refused.
pub fn import(
    db: &Database,
    path: &Path,
    keys: &crate::transparency::LogKeys,
    retention: Option<crate::domain::RetentionPolicy>,
) -> Result<IngestReport, AppError> {
    let mut lines = open(path)?;
    let started = Instant::now();
    let mut total = IngestReport::default();
    let mut position = 0usize;
    let mut batch: Vec<(usize, Vec<u8>)> = Vec::with_capacity(BATCH_LINES);
    let interactive = std::io::stderr().is_terminal();
    loop {
        let mut line = Vec::new();
        let read = lines
            .read_until(b'\n', &mut line)
            .map_err(|e| AppError::internal(format!("cannot read {}: {e}", path.display())))?;
        if read > 0 && !line.iter().all(u8::is_ascii_whitespace) {
            while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                line.pop();
            }
            batch.push((position, line));
        }
        if read > 0 {
            position += 1;
        }
        if batch.len() == BATCH_LINES || (read == 0 && !batch.is_empty()) {
            let mut conn = db.get()?;
            let raw: Vec<RawEvent<'_>> = batch
                .iter()
                .map(|(p, b)| RawEvent {
                    position: *p,
                    bytes: b,
                })
                .collect();
            total.add(store::store_batch(
                &mut conn,
                &raw,
                Transport::Import,
                &SourcePolicy::Any,
                &store::IngestRules {
                    reference_sources: &SourcePolicy::Any,
                    keys,
                    retention,
                },
                chrono::Utc::now().naive_utc(),
            )?);
            batch.clear();
            let rate = position as f64 / started.elapsed().as_secs_f64().max(0.001);
            let progress = format!(
                "{position} lines: {} accepted, {} duplicates, {} rejected ({rate:.0} lines/s)",
                total.accepted, total.duplicates, total.rejected
            );
            if interactive {
                eprint!("\r{progress}   ");
            } else {
                eprintln!("{progress}");
            }
            let _ = std::io::stderr().flush();
        }
        if read == 0 {
            break;
        }
    }
    if interactive {
        eprintln!();
    }
    Ok(total)
}
