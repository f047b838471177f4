//! `feed_tokens`: bearer credentials of the systems that send events, each bound to sources.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::feed_tokens;
use super::AnyConnection;
use crate::domain::FeedTokenId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = feed_tokens)]
pub struct FeedTokenRow {
    pub id: i64,
    pub token_hash: String,
    pub label: String,
    pub allowed_sources: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

impl FeedTokenRow {
    pub fn allows_source(&self, source: &str) -> bool {
        self.allowed_sources
            .lines()
            .any(|allowed| allowed == source)
    }

    pub fn sources(&self) -> Vec<&str> {
        self.allowed_sources.lines().collect()
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = feed_tokens)]
pub struct NewFeedToken {
    pub token_hash: String,
    pub label: String,
    pub allowed_sources: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, token: &NewFeedToken) -> QueryResult<i64> {
    diesel::insert_into(feed_tokens::table)
        .values(token)
        .execute(conn)?;
    feed_tokens::table
        .filter(feed_tokens::token_hash.eq(&token.token_hash))
        .select(feed_tokens::id)
        .first(conn)
}

/// The unrevoked token with this hash.
pub fn find_active(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> QueryResult<Option<FeedTokenRow>> {
    feed_tokens::table
        .filter(feed_tokens::token_hash.eq(token_hash))
        .filter(feed_tokens::revoked_at.is_null())
        .select(FeedTokenRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<FeedTokenRow>> {
    feed_tokens::table
        .order(feed_tokens::id)
        .select(FeedTokenRow::as_select())
        .load(conn)
}

pub fn revoke(conn: &mut AnyConnection, id: FeedTokenId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        feed_tokens::table
            .find(id.0)
            .filter(feed_tokens::revoked_at.is_null()),
    )
    .set(feed_tokens::revoked_at.eq(now))
    .execute(conn)
}
