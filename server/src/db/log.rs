//! The verifiable access log's tables: the leaf sequence, the hash tiles and the signed
//! checkpoints. What they mean is in `crate::transparency`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{access_events, log_checkpoints, log_next_leaf, log_tiles};
use super::AnyConnection;
use crate::db::access_event::{AccessEventRow, CustomerHead};

/// Takes the leaf lock on PostgreSQL: whoever holds it is the only one storing events. Also
/// taken by what must not run beside a store (`db::partition`).
#[cfg(feature = "postgres")]
pub const LEAF_LOCK_POSTGRES: &str = "SELECT next_leaf FROM log_next_leaf WHERE id = 1 FOR UPDATE";

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
        AnyConnection::Postgresql(_) => LEAF_LOCK_POSTGRES,
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(_) => "SELECT next_leaf FROM log_next_leaf WHERE id = 1",
    };
    let row: Sequence = crate::with_backend!(conn, |c| diesel::sql_query(sql).get_result(c))?;
    Ok(row.next_leaf)
}

pub fn set_next_leaf(conn: &mut AnyConnection, next_leaf: i64) -> QueryResult<()> {
    use log_next_leaf::dsl as ls;
    diesel::update(ls::log_next_leaf.filter(ls::id.eq(1)))
        .set(ls::next_leaf.eq(next_leaf))
        .execute(conn)?;
    Ok(())
}

/// How many leaves the log holds (committed events), whether or not a checkpoint covers them.
pub fn leaf_count(conn: &mut AnyConnection) -> QueryResult<i64> {
    use log_next_leaf::dsl as ls;
    ls::log_next_leaf
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

/// The newest event whose leaf hash was stored at insert: what tells which customer-hash key the
/// log was written with.
pub fn newest_with_stored_leaf_hash(
    conn: &mut AnyConnection,
) -> QueryResult<Option<(AccessEventRow, Vec<u8>)>> {
    use access_events::dsl as ae;
    ae::access_events
        .filter(ae::leaf_hash.is_not_null())
        .order(ae::leaf_index.desc())
        .select((AccessEventRow::as_select(), ae::leaf_hash.assume_not_null()))
        .first(conn)
        .optional()
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
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => take_sqlite_write_lock(c)?,
    }
    Ok(())
}

/// Takes SQLite's write lock before anything is read: a transaction that reads first fails at
/// once ("database is locked") when another process commits before its first write; one that
/// writes first waits its turn (busy_timeout) and reads what is current.
#[cfg(feature = "sqlite")]
pub fn take_sqlite_write_lock(conn: &mut diesel::SqliteConnection) -> QueryResult<()> {
    diesel::sql_query("UPDATE log_next_leaf SET next_leaf = next_leaf WHERE id = 1")
        .execute(conn)?;
    Ok(())
}

/// The rows that chain (SQLite's partial index `access_events_customer_chain`).
#[cfg(feature = "sqlite")]
const CHAINED_ROWS: &str = "leaf_format = 2";
const _: () = assert!(
    crate::db::access_event::NEW_LEAF_FORMAT == 2,
    "the chain index's predicate"
);

/// A customer's newest v2 row, as read: what [`CustomerHead`] is made of.
#[derive(QueryableByName)]
struct StoredHead {
    #[diesel(sql_type = diesel::sql_types::Text)]
    customer_ref: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    leaf_index: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Binary>)]
    leaf_hash: Option<Vec<u8>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    customer_entry: Option<i64>,
}

/// The chain heads of these customers that have one: each one's newest v2 row. PostgreSQL keeps
/// them in `log_customer_heads` (written with each batch: an index over the monthly partitions
/// would take one descent per partition and customer); SQLite finds the newest row through the
/// `access_events_customer_chain` index (one index descent per customer).
pub fn customer_heads(
    conn: &mut AnyConnection,
    customers: &[&str],
) -> QueryResult<HashMap<String, CustomerHead>> {
    let rows: Vec<StoredHead> = match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(pg) => {
            if customers.is_empty() {
                return Ok(HashMap::new());
            }
            diesel::sql_query(
                "SELECT customer_ref, last_leaf AS leaf_index, last_leaf_hash AS leaf_hash, \
                 entries AS customer_entry FROM log_customer_heads WHERE customer_ref = ANY($1)",
            )
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(customers)
            .load(pg)?
        }
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => {
            use access_events::dsl as ae;
            let mut heads = Vec::with_capacity(customers.len());
            for customer in customers {
                let head: Option<(i64, Option<Vec<u8>>, Option<i64>)> = ae::access_events
                    .filter(ae::customer_ref.eq(customer))
                    // A literal, as in the index's predicate: SQLite uses a partial index only
                    // for a condition it can see at prepare time, not a bound value.
                    .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(CHAINED_ROWS))
                    .order(ae::leaf_index.desc())
                    .select((ae::leaf_index, ae::leaf_hash, ae::customer_entry))
                    .first(c)
                    .optional()?;
                if let Some((leaf_index, leaf_hash, customer_entry)) = head {
                    heads.push(StoredHead {
                        customer_ref: customer.to_string(),
                        leaf_index,
                        leaf_hash,
                        customer_entry,
                    });
                }
            }
            heads
        }
    };
    rows.into_iter()
        .map(|row| {
            let last_leaf = row.leaf_index;
            let broken = |what: &str| {
                diesel::result::Error::DeserializationError(
                    format!("the chain head of leaf {last_leaf} has {what}").into(),
                )
            };
            let last_leaf_hash = row
                .leaf_hash
                .ok_or_else(|| broken("no stored leaf hash"))?
                .try_into()
                .map_err(|_| broken("a leaf hash that is not 32 bytes"))?;
            let entries = row.customer_entry.ok_or_else(|| broken("no entry count"))?;
            let head = CustomerHead {
                last_leaf,
                last_leaf_hash,
                entries,
            };
            Ok((row.customer_ref, head))
        })
        .collect()
}
