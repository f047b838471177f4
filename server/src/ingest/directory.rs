//! `einblick directory import FILE`: the employee directory from HR, as CSV with a header row
//! (`employee_id,surname,postcode,team,shift,active,customer_ref`) or NDJSON with the same
//! members. Safe to re-run. Surnames and postcodes are kept only as keyed hashes; the accesses
//! of each changed employee are judged again.

use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::{Duration, Utc};
use serde::Deserialize;

use crate::db::employee::{self, EmployeeRow};
use crate::db::{explanation, Database};
use crate::domain::context::{normalise_postcode, normalise_surname, EmployeeRecord};
use crate::domain::csv::csv_fields;
use crate::error::AppError;
use crate::transparency::LogKeys;

#[derive(Debug, Default)]
pub struct DirectoryImport {
    pub stored: usize,
    pub unchanged: usize,
    /// Line number (1-based) and why it was not imported.
    pub rejected: Vec<(usize, String)>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Line {
    employee_id: Option<String>,
    surname: Option<String>,
    postcode: Option<String>,
    team: Option<String>,
    shift: Option<String>,
    active: Option<bool>,
    customer_ref: Option<String>,
}

fn line_from_csv(header: &[String], text: &str) -> Result<Line, String> {
    let fields = csv_fields(text);
    if fields.len() != header.len() {
        return Err(format!(
            "has {} fields, the header names {}",
            fields.len(),
            header.len()
        ));
    }
    let mut line = Line::default();
    for (name, value) in header.iter().zip(fields) {
        let value = Some(value).filter(|v| !v.trim().is_empty());
        match name.as_str() {
            "employee_id" => line.employee_id = value,
            "surname" => line.surname = value,
            "postcode" => line.postcode = value,
            "team" => line.team = value,
            "shift" => line.shift = value,
            "customer_ref" => line.customer_ref = value,
            "active" => {
                line.active = match value.as_deref().map(|v| v.trim().to_ascii_lowercase()) {
                    None => None,
                    Some(v) if matches!(v.as_str(), "true" | "yes" | "1") => Some(true),
                    Some(v) if matches!(v.as_str(), "false" | "no" | "0") => Some(false),
                    Some(v) => return Err(format!("active must be true or false, not {v:?}")),
                }
            }
            other => return Err(format!("unknown column {other:?}")),
        }
    }
    Ok(line)
}

pub fn import(db: &Database, path: &Path, keys: &LogKeys) -> Result<DirectoryImport, AppError> {
    let file = std::fs::File::open(path)
        .map_err(|e| AppError::context(format!("opening {}", path.display()), e))?;
    let mut report = DirectoryImport::default();
    let mut records = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let mut format_known = false;
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let number = index + 1;
        let line = line.map_err(|e| AppError::context(format!("reading line {number}"), e))?;
        let text = line.trim().trim_start_matches('\u{feff}');
        if text.is_empty() {
            continue;
        }
        if !format_known {
            format_known = true;
            if !text.starts_with('{') {
                header = Some(
                    csv_fields(text)
                        .into_iter()
                        .map(|h| h.trim().to_owned())
                        .collect(),
                );
                continue;
            }
        }
        let parsed = match &header {
            Some(header) => line_from_csv(header, text),
            None => serde_json::from_str::<Line>(text).map_err(|e| format!("not an employee: {e}")),
        }
        .and_then(|l| {
            EmployeeRecord::parse(
                l.employee_id.as_deref(),
                l.surname.as_deref(),
                l.postcode.as_deref(),
                l.team.as_deref(),
                l.shift.as_deref(),
                l.active,
                l.customer_ref.as_deref(),
            )
            .map_err(|e| e.to_string())
        });
        match parsed {
            Ok(record) => records.push(record),
            Err(reason) => report.rejected.push((number, reason)),
        }
    }
    let mut conn = db.get()?;
    let now = Utc::now().naive_utc();
    crate::db::write_transaction(&mut conn, |conn| {
        let mut changed = Vec::new();
        for record in &records {
            let hash = |purpose: &str, value: &Option<String>, normalise: fn(&str) -> String| {
                value
                    .as_deref()
                    .map(|v| keys.matching_hash(purpose, &normalise(v)))
            };
            let row = EmployeeRow {
                employee_id: record.employee_id.clone(),
                surname_hash: hash("surname", &record.surname, normalise_surname),
                postcode_hash: hash("postcode", &record.postcode, normalise_postcode),
                team: record.team.clone(),
                shift_start: record.shift.map(|s| i16::from(s.start)),
                shift_end: record.shift.map(|s| i16::from(s.end)),
                active: record.active,
                customer_ref: record.customer.as_ref().map(|c| c.as_str().to_owned()),
                described_at: now,
            };
            let before = employee::find(conn, &record.employee_id)?;
            let same = before.as_ref().is_some_and(|b| {
                (
                    &b.surname_hash,
                    &b.postcode_hash,
                    &b.team,
                    b.shift_start,
                    b.shift_end,
                    b.active,
                    &b.customer_ref,
                ) == (
                    &row.surname_hash,
                    &row.postcode_hash,
                    &row.team,
                    row.shift_start,
                    row.shift_end,
                    row.active,
                    &row.customer_ref,
                )
            });
            if same {
                report.unchanged += 1;
                continue;
            }
            employee::upsert(conn, &row)?;
            changed.push(&record.employee_id);
            report.stored += 1;
        }
        // As for the feed's descriptions: write first, then take turns with the judge to mark
        // (see ingest::store; the same order everywhere, so the two never wait for each other).
        explanation::lock_progress(conn)?;
        for employee_id in changed {
            explanation::mark_employee_since(conn, employee_id, now - Duration::days(90))?;
        }
        Ok(())
    })?;
    Ok(report)
}
