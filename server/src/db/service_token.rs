//! `service_tokens`: the shop backend's credentials for opening portal sessions. Only a hash of
//! each token is stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::service_tokens;
use super::AnyConnection;
use crate::domain::ServiceTokenId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = service_tokens)]
pub struct ServiceTokenRow {
    pub id: i64,
    pub token_hash: String,
    pub label: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert(
    conn: &mut AnyConnection,
    token_hash: &str,
    label: &str,
    now: NaiveDateTime,
) -> QueryResult<ServiceTokenId> {
    diesel::insert_into(service_tokens::table)
        .values((
            service_tokens::token_hash.eq(token_hash),
            service_tokens::label.eq(label),
            service_tokens::created_at.eq(now),
        ))
        .returning(service_tokens::id)
        .get_result(conn)
        .map(ServiceTokenId)
}

pub fn find_active(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> QueryResult<Option<ServiceTokenRow>> {
    service_tokens::table
        .filter(service_tokens::token_hash.eq(token_hash))
        .filter(service_tokens::revoked_at.is_null())
        .select(ServiceTokenRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<ServiceTokenRow>> {
    service_tokens::table
        .order(service_tokens::id)
        .select(ServiceTokenRow::as_select())
        .load(conn)
}

pub fn revoke(
    conn: &mut AnyConnection,
    id: ServiceTokenId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        service_tokens::table
            .find(id.0)
            .filter(service_tokens::revoked_at.is_null()),
    )
    .set(service_tokens::revoked_at.eq(now))
    .execute(conn)
}
