//! Witnesses' cosignatures of the log's checkpoints and the size each witness last cosigned.
//! A witness is identified by its key (`name+keyid`), not by what a policy calls it, so
//! renaming a witness in the policy keeps its history.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{log_cosignatures, log_witness_sizes};
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = log_cosignatures)]
pub struct CosignatureRow {
    pub tree_size: i64,
    /// The witness's key, `name+keyid`.
    pub witness: String,
    /// The note signature line it returned, `— name base64`.
    pub signature_line: String,
    pub cosigned_at: NaiveDateTime,
}

pub fn store_cosignature(conn: &mut AnyConnection, row: &CosignatureRow) -> QueryResult<()> {
    use log_cosignatures::dsl as lc;
    crate::with_backend!(conn, |c| diesel::insert_into(log_cosignatures::table)
        .values(row)
        .on_conflict((lc::tree_size, lc::witness))
        .do_update()
        .set((
            lc::signature_line.eq(&row.signature_line),
            lc::cosigned_at.eq(row.cosigned_at),
        ))
        .execute(c))?;
    Ok(())
}

pub fn cosignatures_of(
    conn: &mut AnyConnection,
    tree_size: i64,
) -> QueryResult<Vec<CosignatureRow>> {
    use log_cosignatures::dsl as lc;
    lc::log_cosignatures
        .filter(lc::tree_size.eq(tree_size))
        .order(lc::witness)
        .select(CosignatureRow::as_select())
        .load(conn)
}

/// Tree sizes above `above` that at least `fewest` of `witnesses` cosigned, newest first, at
/// most `limit`.
pub fn cosigned_sizes(
    conn: &mut AnyConnection,
    above: i64,
    witnesses: &[String],
    fewest: i64,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    use diesel::dsl::count_star;
    use log_cosignatures::dsl as lc;
    lc::log_cosignatures
        .filter(lc::tree_size.gt(above))
        .filter(lc::witness.eq_any(witnesses))
        .group_by(lc::tree_size)
        .having(count_star().ge(fewest))
        .select(lc::tree_size)
        .order(lc::tree_size.desc())
        .limit(limit)
        .load(conn)
}

/// The size `witness` last cosigned (0: never).
pub fn cosigned_size(conn: &mut AnyConnection, witness: &str) -> QueryResult<i64> {
    use log_witness_sizes::dsl as lw;
    Ok(lw::log_witness_sizes
        .filter(lw::witness.eq(witness))
        .select(lw::cosigned_size)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Records that `witness` cosigned `size`; a smaller size never replaces a larger one, even
/// when two servers record at once.
pub fn raise_cosigned_size(conn: &mut AnyConnection, witness: &str, size: i64) -> QueryResult<()> {
    use diesel::sql_types::{BigInt, Text};
    let statement = match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(_) => {
            "INSERT INTO log_witness_sizes (witness, cosigned_size) VALUES ($1, $2) \
             ON CONFLICT (witness) DO UPDATE \
             SET cosigned_size = GREATEST(log_witness_sizes.cosigned_size, excluded.cosigned_size)"
        }
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(_) => {
            "INSERT INTO log_witness_sizes (witness, cosigned_size) VALUES (?, ?) \
             ON CONFLICT (witness) DO UPDATE \
             SET cosigned_size = MAX(log_witness_sizes.cosigned_size, excluded.cosigned_size)"
        }
    };
    diesel::sql_query(statement)
        .bind::<Text, _>(witness)
        .bind::<BigInt, _>(size)
        .execute(conn)?;
    Ok(())
}
