//! The duplicate check and the bulk insert on SQLite.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::SqliteConnection;

use super::NewAccessEvent;
use crate::db::schema::access_events;

/// The stored content hash of each of these keys that exists. Chunks keep the `IN` lists inside
/// SQLite's parameter limit.
pub(super) fn existing_hashes(
    conn: &mut SqliteConnection,
    keys: &[(String, String)],
) -> QueryResult<HashMap<(String, String), String>> {
    use access_events::dsl as ae;
    let mut found = HashMap::new();
    for chunk in keys.chunks(400) {
        let wanted: HashSet<&(String, String)> = chunk.iter().collect();
        let event_ids: Vec<&str> = chunk.iter().map(|(_, id)| id.as_str()).collect();
        let mut sources: Vec<&str> = chunk.iter().map(|(source, _)| source.as_str()).collect();
        sources.sort_unstable();
        sources.dedup();
        // Both columns, source first: the (source, event_id) unique index answers this.
        let rows: Vec<(String, String, String)> = ae::access_events
            .filter(ae::source.eq_any(sources))
            .filter(ae::event_id.eq_any(event_ids))
            .select((ae::source, ae::event_id, ae::content_sha256))
            .load(conn)?;
        for (source, event_id, hash) in rows {
            let key = (source, event_id);
            if wanted.contains(&key) {
                found.insert(key, hash);
            }
        }
    }
    Ok(found)
}

/// diesel has no multi-row upsert for SQLite; single rows in one transaction are fast there.
pub(super) fn insert_from_leaf(
    conn: &mut SqliteConnection,
    rows: &[NewAccessEvent],
    first_leaf: i64,
) -> QueryResult<usize> {
    let mut next_leaf = first_leaf;
    for row in rows {
        next_leaf += diesel::insert_into(access_events::table)
            .values((row, access_events::leaf_index.eq(next_leaf)))
            .on_conflict((access_events::source, access_events::event_id))
            .do_nothing()
            .execute(conn)? as i64;
    }
    Ok((next_leaf - first_leaf) as usize)
}
