//! The verifiable access log's tables: the leaf sequence, the hash tiles and the signed
//! checkpoints. What they mean is in `crate::transparency`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{access_events, log_checkpoints, log_customer_heads, log_sequence, log_tiles};
use super::AnyConnection;
use crate::db::access_event::{AccessEventRow, CustomerHead};

/// Reads the next free leaf index and locks it until the surrounding transaction ends, so
/// concurrent writers take leaf indices one after the other, in commit order.
pub fn lock_next_leaf(conn: &mut AnyConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Sequence {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        next_leaf: i64,
    }
    // SQLite has a single writer (see `write_transaction`); PostgreSQL needs the row lock.
    let sql = match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(_) => {
            "SELECT next_leaf FROM log_sequence WHERE id = 1 FOR UPDATE"
        }
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(_) => "SELECT next_leaf FROM log_sequence WHERE id = 1",
    };
    let row: Sequence = crate::with_backend!(conn, |c| diesel::sql_query(sql).get_result(c))?;
    Ok(row.next_leaf)
}

pub fn set_next_leaf(conn: &mut AnyConnection, next_leaf: i64) -> QueryResult<()> {
    use log_sequence::dsl as ls;
    diesel::update(ls::log_sequence.filter(ls::id.eq(1)))
        .set(ls::next_leaf.eq(next_leaf))
        .execute(conn)?;
    Ok(())
}

/// How many leaves the log holds (committed events), whether or not a checkpoint covers them.
pub fn leaf_count(conn: &mut AnyConnection) -> QueryResult<i64> {
    use log_sequence::dsl as ls;
    ls::log_sequence
        .filter(ls::id.eq(1))
        .select(ls::next_leaf)
        .get_result(conn)
}

/// The leaf hashes stored at insert (v2 leaves; `None` where there is none), by leaf index,
/// `from` inclusive, `to` exclusive, in log order.
pub fn stored_leaf_hashes(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> QueryResult<Vec<(i64, Option<Vec<u8>>)>> {
    use access_events::dsl as ae;
    ae::access_events
        .filter(ae::leaf_index.ge(from))
        .filter(ae::leaf_index.lt(to))
        .order(ae::leaf_index)
        .select((ae::leaf_index, ae::leaf_hash))
        .load(conn)
}

/// Events by leaf index, `from` inclusive, `to` exclusive, in log order.
pub fn events_by_leaf(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> QueryResult<Vec<AccessEventRow>> {
    use access_events::dsl as ae;
    ae::access_events
        .filter(ae::leaf_index.ge(from))
        .filter(ae::leaf_index.lt(to))
        .order(ae::leaf_index)
        .select(AccessEventRow::as_select())
        .load(conn)
}

/// The stored tiles among these (level, index) coordinates, as (level, index, hashes), in one
/// query.
pub fn tiles_at(
    conn: &mut AnyConnection,
    wanted: &[(i16, i64)],
) -> QueryResult<Vec<(i16, i64, Vec<u8>)>> {
    use log_tiles::dsl as lt;
    let levels: Vec<i16> = wanted.iter().map(|(level, _)| *level).collect();
    let indexes: Vec<i64> = wanted.iter().map(|(_, index)| *index).collect();
    // Both lists as one filter, then the exact pairs: a few extra rows at most.
    let rows: Vec<(i16, i64, Vec<u8>)> = lt::log_tiles
        .filter(lt::level.eq_any(levels))
        .filter(lt::tile_index.eq_any(indexes))
        .select((lt::level, lt::tile_index, lt::hashes))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(level, index, _)| wanted.contains(&(*level, *index)))
        .collect())
}

pub fn tile(conn: &mut AnyConnection, level: i16, index: i64) -> QueryResult<Option<Vec<u8>>> {
    use log_tiles::dsl as lt;
    lt::log_tiles
        .filter(lt::level.eq(level))
        .filter(lt::tile_index.eq(index))
        .select(lt::hashes)
        .first(conn)
        .optional()
}

/// Writes a tile, replacing a shorter version of it (the rightmost tile of a level grows).
pub fn store_tile(
    conn: &mut AnyConnection,
    level: i16,
    index: i64,
    hashes: &[u8],
) -> QueryResult<()> {
    use log_tiles::dsl as lt;
    crate::with_backend!(conn, |c| diesel::insert_into(lt::log_tiles)
        .values((
            lt::level.eq(level),
            lt::tile_index.eq(index),
            lt::hashes.eq(hashes)
        ))
        .on_conflict((lt::level, lt::tile_index))
        .do_update()
        .set(lt::hashes.eq(hashes))
        .execute(c))?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = log_checkpoints)]
pub struct CheckpointRow {
    pub tree_size: i64,
    pub root_hash: Vec<u8>,
    /// The signed note, exactly as served.
    pub note: String,
    pub issued_at: NaiveDateTime,
}

pub fn latest_checkpoint(conn: &mut AnyConnection) -> QueryResult<Option<CheckpointRow>> {
    use log_checkpoints::dsl as lc;
    lc::log_checkpoints
        .order(lc::tree_size.desc())
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()
}

pub fn checkpoint_of_size(
    conn: &mut AnyConnection,
    tree_size: i64,
) -> QueryResult<Option<CheckpointRow>> {
    use log_checkpoints::dsl as lc;
    lc::log_checkpoints
        .filter(lc::tree_size.eq(tree_size))
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()
}

/// Every checkpoint, oldest first: what `einblick audit` checks.
pub fn all_checkpoints(conn: &mut AnyConnection) -> QueryResult<Vec<CheckpointRow>> {
    use log_checkpoints::dsl as lc;
    lc::log_checkpoints
        .order(lc::tree_size)
        .select(CheckpointRow::as_select())
        .load(conn)
}

pub fn insert_checkpoint(conn: &mut AnyConnection, row: &CheckpointRow) -> QueryResult<()> {
    diesel::insert_into(log_checkpoints::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Only one checkpoint is built at a time, even with several servers on one database. Must be
/// the transaction's first statement; held until the transaction ends.
pub fn lock_checkpointing(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(c) => {
            // 6962: the RFC the log follows; any constant shared by all servers would do.
            diesel::sql_query("SELECT pg_advisory_xact_lock(6962)").execute(c)?;
        }
        // SQLite: take the write lock before reading anything. A transaction that reads first
        // fails at once ("database is locked") when another connection commits before its first
        // write; one that writes first waits its turn (busy_timeout) and reads what is current.
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => {
            diesel::sql_query("UPDATE log_sequence SET next_leaf = next_leaf WHERE id = 1")
                .execute(c)?;
        }
    }
    Ok(())
}

/// The chain heads of these customers that have one (`log_customer_heads`).
pub fn customer_heads(
    conn: &mut AnyConnection,
    customers: &[&str],
) -> QueryResult<HashMap<String, CustomerHead>> {
    use log_customer_heads::dsl as lh;
    let mut heads = HashMap::with_capacity(customers.len());
    // Chunks keep SQLite's `IN` list inside its parameter limit; PostgreSQL binds one array.
    for chunk in customers.chunks(10_000) {
        let rows: Vec<(String, i64, Vec<u8>, i64)> = lh::log_customer_heads
            .filter(lh::customer_ref.eq_any(chunk))
            .select((
                lh::customer_ref,
                lh::last_leaf,
                lh::last_leaf_hash,
                lh::entries,
            ))
            .load(conn)?;
        for (customer, last_leaf, hash, entries) in rows {
            let last_leaf_hash = hash.try_into().map_err(|_| {
                diesel::result::Error::DeserializationError(
                    "a chain head's leaf hash is not 32 bytes".into(),
                )
            })?;
            heads.insert(
                customer,
                CustomerHead {
                    last_leaf,
                    last_leaf_hash,
                    entries,
                },
            );
        }
    }
    Ok(heads)
}

/// Writes the new chain heads of these customers.
pub fn store_customer_heads(
    conn: &mut AnyConnection,
    heads: &[(&String, &CustomerHead)],
) -> QueryResult<()> {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(pg) => {
            use diesel::sql_types::{Array, BigInt, Binary, Text};
            if heads.is_empty() {
                return Ok(());
            }
            let customers: Vec<&str> = heads.iter().map(|(c, _)| c.as_str()).collect();
            let leaves: Vec<i64> = heads.iter().map(|(_, h)| h.last_leaf).collect();
            let hashes: Vec<&[u8]> = heads.iter().map(|(_, h)| &h.last_leaf_hash[..]).collect();
            let entries: Vec<i64> = heads.iter().map(|(_, h)| h.entries).collect();
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
            .execute(pg)?;
        }
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => {
            use log_customer_heads::dsl as lh;
            for (customer, head) in heads {
                let values = (
                    lh::customer_ref.eq(customer.as_str()),
                    lh::last_leaf.eq(head.last_leaf),
                    lh::last_leaf_hash.eq(&head.last_leaf_hash[..]),
                    lh::entries.eq(head.entries),
                );
                diesel::insert_into(lh::log_customer_heads)
                    .values(values)
                    .on_conflict(lh::customer_ref)
                    .do_update()
                    .set((
                        lh::last_leaf.eq(head.last_leaf),
                        lh::last_leaf_hash.eq(&head.last_leaf_hash[..]),
                        lh::entries.eq(head.entries),
                    ))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}
