//! Feed tokens: created and revoked by an operator, shown once, stored as a hash.

use chrono::NaiveDateTime;

use crate::auth::session;
use crate::db::feed_token::{self, FeedTokenRow, NewFeedToken};
use crate::db::AnyConnection;
use crate::error::AppError;

/// Not a feed source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a feed source (a URI reference like /crm/support-console)")]
pub struct InvalidSource(String);

/// A feed source as CloudEvents writes it: a URI reference without spaces, e.g. `/crm/support-console`.
pub fn parse_source(raw: &str) -> Result<String, InvalidSource> {
    let source = raw.trim();
    if source.is_empty()
        || source.len() > 256
        || source.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(InvalidSource(raw.to_owned()));
    }
    Ok(source.to_owned())
}

/// Creates a token for `sources`; returns its id and the token, which is not stored anywhere.
pub fn create(
    conn: &mut AnyConnection,
    label: &str,
    sources: &[String],
    now: NaiveDateTime,
) -> Result<(i64, String), AppError> {
    let token = format!("ebf_{}", session::new_token());
    let id = feed_token::insert(
        conn,
        &NewFeedToken {
            token_hash: session::token_hash(&token),
            label: label.to_owned(),
            allowed_sources: sources.join("\n"),
            created_at: now,
        },
    )?;
    Ok((id, token))
}

pub fn authenticate(
    conn: &mut AnyConnection,
    presented: &str,
) -> Result<Option<FeedTokenRow>, AppError> {
    Ok(feed_token::find_active(
        conn,
        &session::token_hash(presented),
    )?)
}
