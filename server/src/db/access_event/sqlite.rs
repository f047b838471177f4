//! The duplicate check and the bulk insert on SQLite.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::SqliteConnection;

use super::{next_link, CustomerHead, LeafHasher, NewAccessEvent, NEW_LEAF_FORMAT};
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
    heads: &mut HashMap<String, CustomerHead>,
    hasher: LeafHasher<'_>,
) -> QueryResult<usize> {
    use access_events::dsl as ae;
    let mut next_leaf = first_leaf;
    for row in rows {
        let link = next_link(heads.get(&row.customer_ref));
        let leaf_hash = hasher(row, &link);
        let (previous_leaf, previous_hash) = link.previous.map_or((None, None), |(index, hash)| {
            (Some(index), Some(hash.to_vec()))
        });
        let stored = diesel::insert_into(access_events::table)
            .values((
                row,
                ae::leaf_index.eq(next_leaf),
                ae::leaf_format.eq(NEW_LEAF_FORMAT),
                ae::customer_previous_leaf.eq(previous_leaf),
                ae::customer_previous_hash.eq(previous_hash),
                ae::customer_entry.eq(link.entry),
                ae::leaf_hash.eq(leaf_hash.as_slice()),
            ))
            .on_conflict((ae::source, ae::event_id))
            .do_nothing()
            .execute(conn)?;
        if stored == 1 {
            let head = CustomerHead {
                last_leaf: next_leaf,
                last_leaf_hash: leaf_hash,
                entries: link.entry,
            };
            heads.insert(row.customer_ref.clone(), head);
            next_leaf += 1;
        }
    }
    Ok((next_leaf - first_leaf) as usize)
}
