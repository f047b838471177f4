//! Leases (`worker_leases`): one process at a time does a job, across servers, on either
//! backend. A holder renews its lease while working; a process that dies loses it when it
//! expires.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::worker_leases;
use super::AnyConnection;

/// Takes (or renews) the lease `name` for `holder` until `until`; `false` when another holder
/// has it and it has not expired.
pub fn take(
    conn: &mut AnyConnection,
    name: &str,
    holder: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let renewed = diesel::update(
        worker_leases::table.find(name).filter(
            worker_leases::holder
                .eq(holder)
                .or(worker_leases::expires_at.lt(now)),
        ),
    )
    .set((
        worker_leases::holder.eq(holder),
        worker_leases::expires_at.eq(until),
    ))
    .execute(conn)?;
    if renewed == 1 {
        return Ok(true);
    }
    let created = crate::with_backend!(conn, |c| {
        diesel::insert_into(worker_leases::table)
            .values((
                worker_leases::name.eq(name),
                worker_leases::holder.eq(holder),
                worker_leases::expires_at.eq(until),
            ))
            .on_conflict(worker_leases::name)
            .do_nothing()
            .execute(c)
    })?;
    Ok(created == 1)
}

/// Gives the lease up, so another process need not wait for it to expire.
pub fn release(conn: &mut AnyConnection, name: &str, holder: &str) -> QueryResult<usize> {
    diesel::delete(
        worker_leases::table
            .find(name)
            .filter(worker_leases::holder.eq(holder)),
    )
    .execute(conn)
}
