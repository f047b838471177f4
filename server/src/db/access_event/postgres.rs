//! The duplicate check and the bulk insert on PostgreSQL.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::PgConnection;

use super::{
    link_rows, CustomerHead, CustomerLink, LeafHasher, NewAccessEvent, FIRST_LEAF_FORMAT,
    NEW_LEAF_FORMAT,
};
use crate::db::schema::access_events;

/// [`existing_hashes`] on PostgreSQL, for the keys as two arrays, in `feed_event_keys` (the
/// partitioned event table cannot hold a unique index without the month in it). One lookup in
/// its primary key per key, whatever plan PostgreSQL caches and however stale its statistics:
/// the `LIMIT 1` keeps the lateral subquery from being flattened into a join, which a planner
/// that thinks the table is small (a fresh database filling fast, not analysed yet) makes a hash
/// join over every row, slower with every row stored.
pub const EXISTING_HASHES_POSTGRES: &str = "SELECT k.source, k.event_id, e.content_sha256 \
     FROM unnest($1::text[], $2::text[]) AS k(source, event_id) \
     CROSS JOIN LATERAL (SELECT content_sha256 FROM feed_event_keys \
         WHERE source = k.source AND event_id = k.event_id LIMIT 1) AS e";

/// The stored content hash of each of these keys that exists, looked up in one statement.
pub(super) fn existing_hashes(
    conn: &mut PgConnection,
    keys: &[(String, String)],
) -> QueryResult<HashMap<(String, String), String>> {
    #[derive(QueryableByName)]
    struct Stored {
        #[diesel(sql_type = diesel::sql_types::Text)]
        source: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        event_id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        content_sha256: String,
    }
    use diesel::sql_types::{Array, Text};
    let (sources, event_ids): (Vec<&str>, Vec<&str>) = keys
        .iter()
        .map(|(source, id)| (source.as_str(), id.as_str()))
        .unzip();
    let rows: Vec<Stored> = diesel::sql_query(EXISTING_HASHES_POSTGRES)
        .bind::<Array<Text>, _>(sources)
        .bind::<Array<Text>, _>(event_ids)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| ((row.source, row.event_id), row.content_sha256))
        .collect())
}

/// Callers have checked that these keys are new, so COPY takes them fastest. A writer that
/// committed before we took the leaf lock may have stored some meanwhile: then the savepoint
/// rolls back, and we copy the rest.
pub(super) fn insert_from_leaf(
    conn: &mut PgConnection,
    rows: &[NewAccessEvent],
    first_leaf: i64,
    heads: &mut HashMap<String, CustomerHead>,
    hasher: LeafHasher<'_>,
) -> QueryResult<usize> {
    use diesel::result::{DatabaseErrorKind, Error};
    let mut linked = heads.clone();
    let links = link_rows(rows, first_leaf, &mut linked, hasher);
    match conn.transaction(|c| copy_rows(c, rows, Some(&links), first_leaf)) {
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
        Ok(stored) => {
            *heads = linked;
            store_heads(conn, rows, heads)?;
            return Ok(stored);
        }
        Err(e) => return Err(e),
    }
    // Holding the leaf lock, no other writer can add keys now: what is not stored is new.
    let keys: Vec<(String, String)> = rows
        .iter()
        .map(|row| (row.source.clone(), row.event_id.clone()))
        .collect();
    let stored = existing_hashes(conn, &keys)?;
    let fresh: Vec<NewAccessEvent> = rows
        .iter()
        .filter(|row| !stored.contains_key(&(row.source.clone(), row.event_id.clone())))
        .cloned()
        .collect();
    let links = link_rows(&fresh, first_leaf, heads, hasher);
    let stored = copy_rows(conn, &fresh, Some(&links), first_leaf)?;
    store_heads(conn, &fresh, heads)?;
    Ok(stored)
}

/// Writes the chain heads of the customers of `rows` into `log_customer_heads`, one statement
/// for the batch.
fn store_heads(
    conn: &mut PgConnection,
    rows: &[NewAccessEvent],
    heads: &HashMap<String, CustomerHead>,
) -> QueryResult<()> {
    use diesel::sql_types::{Array, BigInt, Binary, Text};
    let mut customers: Vec<&str> = rows.iter().map(|row| row.customer_ref.as_str()).collect();
    customers.sort_unstable();
    customers.dedup();
    let (mut leaves, mut hashes, mut entries) = (Vec::new(), Vec::new(), Vec::new());
    let customers: Vec<&str> = customers
        .into_iter()
        .filter_map(|customer| {
            let head = heads.get(customer)?;
            leaves.push(head.last_leaf);
            hashes.push(head.last_leaf_hash.to_vec());
            entries.push(head.entries);
            Some(customer)
        })
        .collect();
    if customers.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO log_customer_heads (customer_ref, last_leaf, last_leaf_hash, entries) \
         SELECT * FROM unnest($1::text[], $2::int8[], $3::bytea[], $4::int8[]) \
         ON CONFLICT (customer_ref) DO UPDATE SET last_leaf = excluded.last_leaf, \
             last_leaf_hash = excluded.last_leaf_hash, entries = excluded.entries",
    )
    .bind::<Array<Text>, _>(customers)
    .bind::<Array<BigInt>, _>(leaves)
    .bind::<Array<Binary>, _>(hashes)
    .bind::<Array<BigInt>, _>(entries)
    .execute(conn)?;
    Ok(())
}

/// Format-1 rows as they were stored before v2: a leaf index, no chain, no stored hash. Only
/// the ingest bench writes them (`v1_leaf_comparison`); it sends no duplicates.
#[cfg(feature = "v1-leaf-comparison")]
pub(super) fn insert_v1_from_leaf(
    conn: &mut PgConnection,
    rows: &[NewAccessEvent],
    first_leaf: i64,
) -> QueryResult<usize> {
    copy_rows(conn, rows, None, first_leaf)
}

/// The rows' keys into `feed_event_keys`, then `COPY access_events (…) FROM STDIN (FORMAT
/// csv)`: every column but the id; leaf indices from `first_leaf` on. Without links, format-1
/// rows (the v1 leaf comparison).
fn copy_rows(
    conn: &mut diesel::PgConnection,
    rows: &[NewAccessEvent],
    links: Option<&[(CustomerLink, [u8; 32])]>,
    first_leaf: i64,
) -> QueryResult<usize> {
    use access_events::dsl as ae;
    use diesel::sql_types::{Array, Text};
    if rows.is_empty() {
        return Ok(0);
    }
    // The keys first: a key stored meanwhile fails the batch before its rows are copied.
    diesel::sql_query(
        "INSERT INTO feed_event_keys (source, event_id, content_sha256) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[])",
    )
    .bind::<Array<Text>, _>(
        rows.iter()
            .map(|row| row.source.as_str())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(
        rows.iter()
            .map(|row| row.event_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(
        rows.iter()
            .map(|row| row.content_sha256.as_str())
            .collect::<Vec<_>>(),
    )
    .execute(conn)?;
    diesel::copy_from(access_events::table)
        .from_raw_data(
            (
                ae::source,
                ae::event_id,
                ae::occurred_at,
                ae::received_at,
                ae::customer_ref,
                ae::employee_id,
                ae::role_code,
                ae::team,
                ae::office_country,
                ae::data_category,
                ae::action,
                ae::reason_code,
                ae::reason_text,
                ae::ticket_ref,
                ae::system,
                ae::content_sha256,
                ae::visible_from,
                ae::leaf_index,
                ae::leaf_format,
                ae::customer_previous_leaf,
                ae::customer_previous_hash,
                ae::customer_entry,
                ae::leaf_hash,
            ),
            |out| {
                let mut line = String::with_capacity(512);
                let links: Box<dyn Iterator<Item = _>> = match links {
                    Some(links) => Box::new(links.iter().map(Some)),
                    None => Box::new(std::iter::repeat(None)),
                };
                for ((leaf_index, row), link) in (first_leaf..).zip(rows).zip(links) {
                    line.clear();
                    csv_row(&mut line, row, leaf_index, link);
                    out.write_all(line.as_bytes())
                        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
                }
                QueryResult::Ok(())
            },
        )
        .with_format(diesel::pg::CopyFormat::Csv)
        .execute(conn)
}

/// One CSV line in the column order of [`copy_rows`]: text quoted, NULL as an empty field.
fn csv_row(
    line: &mut String,
    row: &NewAccessEvent,
    leaf_index: i64,
    link: Option<&(CustomerLink, [u8; 32])>,
) {
    use std::fmt::Write;
    fn text(line: &mut String, value: &str) {
        line.push('"');
        for c in value.chars() {
            if c == '"' {
                line.push('"');
            }
            line.push(c);
        }
        line.push('"');
    }
    let optional = |line: &mut String, value: &Option<String>| {
        if let Some(value) = value {
            text(line, value);
        }
    };
    text(line, &row.source);
    line.push(',');
    text(line, &row.event_id);
    let _ = write!(line, ",{},{},", row.occurred_at, row.received_at);
    text(line, &row.customer_ref);
    line.push(',');
    text(line, &row.employee_id);
    line.push(',');
    text(line, &row.role_code);
    line.push(',');
    optional(line, &row.team);
    line.push(',');
    optional(line, &row.office_country);
    line.push(',');
    text(line, &row.data_category);
    line.push(',');
    text(line, &row.action);
    line.push(',');
    text(line, &row.reason_code);
    line.push(',');
    optional(line, &row.reason_text);
    line.push(',');
    optional(line, &row.ticket_ref);
    line.push(',');
    optional(line, &row.system);
    line.push(',');
    text(line, &row.content_sha256);
    line.push(',');
    if let Some(visible_from) = row.visible_from {
        let _ = write!(line, "{visible_from}");
    }
    let Some((link, leaf_hash)) = link else {
        // Format 1: no previous leaf, previous hash, entry count or stored leaf hash.
        let _ = writeln!(line, ",{leaf_index},{FIRST_LEAF_FORMAT},,,,");
        return;
    };
    let _ = write!(line, ",{leaf_index},{NEW_LEAF_FORMAT},");
    // bytea in hex input form: `\x…`, quoted.
    let bytea = |line: &mut String, hash: &[u8; 32]| {
        let _ = write!(line, "\"\\x{}\"", hex::encode(hash));
    };
    if let Some((index, hash)) = &link.previous {
        let _ = write!(line, "{index},");
        bytea(line, hash);
    } else {
        line.push(',');
    }
    let _ = write!(line, ",{},", link.entry);
    bytea(line, leaf_hash);
    line.push('\n');
}
