//! Session tokens, cookies and resolving the signed-in customer of a request.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, NaiveDateTime};
use rand::RngCore;
use sha2::{Digest, Sha256};

use app::dto::SESSION_COOKIE;

use crate::config::{CookieSecurity, Settings};
use crate::db::customer::{self, CustomerRow};
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

/// The customer whose unexpired session `token` is; keeps the session alive.
pub fn customer_for_token(
    conn: &mut AnyConnection,
    token: &str,
    idle_minutes: u32,
    now: NaiveDateTime,
) -> Result<Option<CustomerRow>, AppError> {
    let hash = token_hash(token);
    let idle_cutoff = now - Duration::minutes(i64::from(idle_minutes));
    let Some(found) = session::find_active(conn, &hash, idle_cutoff)? else {
        return Ok(None);
    };
    let Some(customer_id) = found.customer_id else {
        return Ok(None);
    };
    if (now - found.last_seen_at).num_seconds() >= TOUCH_INTERVAL_SECONDS {
        session::touch(conn, &hash, now)?;
    }
    Ok(customer::find(
        conn,
        crate::domain::CustomerId(customer_id),
    )?)
}

pub fn session_cookie(
    request: &HttpRequest,
    settings: &Settings,
    token: String,
) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
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

pub fn wants_secure_cookie(request: &HttpRequest, settings: &Settings) -> bool {
    match settings.cookie_security {
        CookieSecurity::Always => true,
        CookieSecurity::Never => false,
        CookieSecurity::Auto => request.connection_info().scheme() == "https",
    }
}

pub fn token_of(request: &HttpRequest) -> Option<String> {
    request
        .cookie(SESSION_COOKIE)
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
