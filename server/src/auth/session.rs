//! Session tokens and cookies, and looking up whose session a token is.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, NaiveDateTime};
use rand::RngCore;
use sha2::{Digest, Sha256};

use app::backend::Caller;

use crate::config::Settings;
use crate::db::customer::{self, CustomerRow};
use crate::db::staff_user::{self, StaffUserRow};
use crate::db::{session, AnyConnection};
use crate::domain::{CustomerId, StaffUserId};
use crate::error::AppError;
use crate::web::client::wants_secure_cookie;

/// The customer's session cookie.
pub const CUSTOMER_COOKIE: &str = "einblick_session";
/// The back office's own session cookie (a staff member may also be a customer).
pub const STAFF_COOKIE: &str = "einblick_staff_session";

/// Refreshing `last_seen_at` on every request would turn every read into a write.
const TOUCH_INTERVAL_SECONDS: i64 = 60;

/// Which of the two kinds of session a cookie holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Customer,
    Staff,
}

impl SessionKind {
    pub fn cookie_name(self) -> &'static str {
        match self {
            Self::Customer => CUSTOMER_COOKIE,
            Self::Staff => STAFF_COOKIE,
        }
    }

    /// Where a person without this session is sent to sign in.
    pub fn sign_in_path(self) -> &'static str {
        match self {
            Self::Customer => "/login",
            Self::Staff => "/staff/login",
        }
    }
}

/// A fresh random token (256 bits), for cookies and one-time links.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database stores in place of the token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The session token the caller's cookie holds, if any.
pub fn token_of(caller: &Caller, kind: SessionKind) -> Option<String> {
    caller
        .headers
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| Cookie::parse(pair.trim()).ok())
        .find(|cookie| cookie.name() == kind.cookie_name())
        .map(|cookie| cookie.value().to_owned())
        .filter(|value| !value.is_empty())
}

/// Who a session belongs to: a customer or a staff member (never both, the table checks).
enum SessionOwner {
    Customer(CustomerId),
    Staff(StaffUserId),
}

/// The owner of the unexpired session `token`; keeps the session alive.
fn owner_of(
    conn: &mut AnyConnection,
    token: &str,
    idle_minutes: u32,
    now: NaiveDateTime,
) -> Result<Option<SessionOwner>, AppError> {
    let hash = token_hash(token);
    let idle_cutoff = now - Duration::minutes(i64::from(idle_minutes));
    let Some(found) = session::find_active(conn, &hash, idle_cutoff)? else {
        return Ok(None);
    };
    if (now - found.last_seen_at).num_seconds() >= TOUCH_INTERVAL_SECONDS {
        session::touch(conn, &hash, now)?;
    }
    Ok(match (found.customer_id, found.staff_user_id) {
        (Some(customer), _) => Some(SessionOwner::Customer(CustomerId(customer))),
        (None, Some(staff)) => Some(SessionOwner::Staff(StaffUserId(staff))),
        (None, None) => None,
    })
}

/// The customer whose unexpired session `token` is; keeps the session alive.
pub fn customer_for_token(
    conn: &mut AnyConnection,
    token: &str,
    idle_minutes: u32,
    now: NaiveDateTime,
) -> Result<Option<CustomerRow>, AppError> {
    match owner_of(conn, token, idle_minutes, now)? {
        Some(SessionOwner::Customer(id)) => Ok(customer::find(conn, id)?),
        _ => Ok(None),
    }
}

/// The active staff member whose unexpired session `token` is; keeps the session alive.
pub fn staff_for_token(
    conn: &mut AnyConnection,
    token: &str,
    idle_minutes: u32,
    now: NaiveDateTime,
) -> Result<Option<StaffUserRow>, AppError> {
    match owner_of(conn, token, idle_minutes, now)? {
        Some(SessionOwner::Staff(id)) => {
            Ok(staff_user::find(conn, id)?.filter(|staff| staff.is_active))
        }
        _ => Ok(None),
    }
}

/// The cookie that carries a new session of `kind`.
pub fn session_cookie(
    caller: &Caller,
    settings: &Settings,
    kind: SessionKind,
    token: String,
) -> Cookie<'static> {
    Cookie::build(kind.cookie_name(), token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(wants_secure_cookie(caller, settings))
        .finish()
}

/// The cookie that ends a session of `kind` in the browser.
pub fn expired_session_cookie(
    caller: &Caller,
    settings: &Settings,
    kind: SessionKind,
) -> Cookie<'static> {
    let mut cookie = session_cookie(caller, settings, kind, String::new());
    cookie.set_max_age(CookieDuration::ZERO);
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hashes_hide_them() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }
}
