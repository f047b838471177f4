//! Session tokens, cookies and resolving the signed-in customer of a request.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, NaiveDateTime};
use rand::RngCore;
use sha2::{Digest, Sha256};

use app::dto::{SESSION_COOKIE, STAFF_SESSION_COOKIE};

use crate::config::{CookieSecurity, Settings};
use crate::db::customer::{self, CustomerRow};
use crate::db::staff_user::{self, StaffUserRow};
use crate::db::{session, AnyConnection};
use crate::error::AppError;

/// Refreshing `last_seen_at` on every request would turn every read into a write.
const TOUCH_INTERVAL_SECONDS: i64 = 60;

/// A fresh random session token (256 bits) for the cookie.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database stores in place of the token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Who a session belongs to: a customer or a staff member (never both, the table checks).
enum SessionOwner {
    Customer(i64),
    Staff(i64),
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
        (Some(customer), _) => Some(SessionOwner::Customer(customer)),
        (None, Some(staff)) => Some(SessionOwner::Staff(staff)),
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
        Some(SessionOwner::Customer(id)) => {
            Ok(customer::find(conn, crate::domain::CustomerId(id))?)
        }
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
            Ok(staff_user::find(conn, crate::domain::StaffUserId(id))?
                .filter(|staff| staff.is_active == 1))
        }
        _ => Ok(None),
    }
}

pub fn session_cookie(
    request: &HttpRequest,
    settings: &Settings,
    token: String,
) -> Cookie<'static> {
    named_session_cookie(SESSION_COOKIE, request, settings, token)
}

/// The back office has its own cookie: signing in as staff never replaces a customer session.
pub fn staff_session_cookie(
    request: &HttpRequest,
    settings: &Settings,
    token: String,
) -> Cookie<'static> {
    named_session_cookie(STAFF_SESSION_COOKIE, request, settings, token)
}

fn named_session_cookie(
    name: &'static str,
    request: &HttpRequest,
    settings: &Settings,
    token: String,
) -> Cookie<'static> {
    Cookie::build(name, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(wants_secure_cookie(request, settings))
        .finish()
}

pub fn expired_session_cookie(request: &HttpRequest, settings: &Settings) -> Cookie<'static> {
    let mut cookie = session_cookie(request, settings, String::new());
    cookie.set_max_age(CookieDuration::ZERO);
    cookie
}

pub fn expired_staff_session_cookie(request: &HttpRequest, settings: &Settings) -> Cookie<'static> {
    let mut cookie = staff_session_cookie(request, settings, String::new());
    cookie.set_max_age(CookieDuration::ZERO);
    cookie
}

pub fn wants_secure_cookie(request: &HttpRequest, settings: &Settings) -> bool {
    match settings.cookie_security {
        CookieSecurity::Always => true,
        CookieSecurity::Never => false,
        CookieSecurity::Auto => request.connection_info().scheme() == "https",
    }
}

pub fn token_of(request: &HttpRequest) -> Option<String> {
    cookie_value(request, SESSION_COOKIE)
}

pub fn staff_token_of(request: &HttpRequest) -> Option<String> {
    cookie_value(request, STAFF_SESSION_COOKIE)
}

fn cookie_value(request: &HttpRequest, name: &str) -> Option<String> {
    request
        .cookie(name)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
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
