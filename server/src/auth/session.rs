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
/// Marks a browser that signed in before (see `auth::throttle`).
pub const DEVICE_COOKIE: &str = "einblick_device";
/// Over TLS every cookie is set under this prefix: browsers then accept it only with `Secure`,
/// `Path=/` and no `Domain`, so no other host or plain-HTTP page can plant or overwrite it.
const HOST_PREFIX: &str = "__Host-";

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
    cookie_value(caller, kind.cookie_name())
}

/// The value of the caller's cookie `name` (its `__Host-` form first), if any.
pub fn cookie_value(caller: &Caller, name: &str) -> Option<String> {
    let cookies: Vec<Cookie<'_>> = caller
        .headers
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| Cookie::parse(pair.trim()).ok())
        .collect();
    let prefixed = format!("{HOST_PREFIX}{name}");
    let found = [prefixed.as_str(), name].into_iter().find_map(|wanted| {
        cookies
            .iter()
            .find(|cookie| cookie.name() == wanted)
            .map(|cookie| cookie.value().to_owned())
            .filter(|value| !value.is_empty())
    });
    found
}

/// How long sessions last: idle, and at most from sign-in on (per kind).
#[derive(Clone, Copy, Debug)]
pub struct SessionLimits {
    idle: Duration,
    customer_lifetime: Duration,
    staff_lifetime: Duration,
}

impl SessionLimits {
    pub fn of(settings: &Settings) -> Self {
        Self {
            idle: Duration::minutes(i64::from(settings.session_idle_minutes)),
            customer_lifetime: Duration::hours(i64::from(settings.customer_session_hours)),
            staff_lifetime: Duration::hours(i64::from(settings.staff_session_hours)),
        }
    }

    /// Sessions last seen before this have idled out.
    pub fn idle_cutoff(&self, now: NaiveDateTime) -> NaiveDateTime {
        now - self.idle
    }

    /// Sessions created before this are over whatever their use.
    pub fn oldest_allowed(&self, now: NaiveDateTime) -> NaiveDateTime {
        now - self.customer_lifetime.max(self.staff_lifetime)
    }
}

/// Who a session belongs to: a customer or a staff member (never both, the table checks).
#[derive(Clone, Copy, Debug)]
pub enum SessionOwner {
    Customer(CustomerId),
    Staff(StaffUserId),
}

/// The owner of the unexpired session `token`; keeps the session alive.
fn owner_of(
    conn: &mut AnyConnection,
    token: &str,
    limits: &SessionLimits,
    now: NaiveDateTime,
) -> Result<Option<(SessionOwner, session::SessionRow)>, AppError> {
    let hash = token_hash(token);
    let Some(found) = session::find_active(conn, &hash, limits.idle_cutoff(now))? else {
        return Ok(None);
    };
    let (owner, lifetime) = match (found.customer_id, found.staff_user_id) {
        (Some(customer), _) => (
            SessionOwner::Customer(CustomerId(customer)),
            limits.customer_lifetime,
        ),
        (None, Some(staff)) => (
            SessionOwner::Staff(StaffUserId(staff)),
            limits.staff_lifetime,
        ),
        (None, None) => return Ok(None),
    };
    Ok(session_still_open(conn, &hash, &found, lifetime, now)?.then_some((owner, found)))
}

/// Whether the session `found` (its token hashed to `hash`) is still within `lifetime` of its
/// sign-in; ends it when not, and refreshes its last use now and then when it is.
fn session_still_open(
    conn: &mut AnyConnection,
    hash: &str,
    found: &session::SessionRow,
    lifetime: Duration,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    // However busy, a session ends this long after sign-in: a stolen cookie does not live on.
    if found.created_at <= now - lifetime {
        session::delete(conn, hash)?;
        return Ok(false);
    }
    if (now - found.last_seen_at).num_seconds() >= TOUCH_INTERVAL_SECONDS {
        session::touch(conn, hash, now)?;
    }
    Ok(true)
}

/// The customer whose unexpired session `token` is, and the session; keeps it alive.
pub fn customer_for_token(
    conn: &mut AnyConnection,
    token: &str,
    limits: &SessionLimits,
    now: NaiveDateTime,
) -> Result<Option<(CustomerRow, session::SessionRow)>, AppError> {
    let hash = token_hash(token);
    let Some((found, customer)) =
        session::find_active_customer(conn, &hash, limits.idle_cutoff(now))?
    else {
        return Ok(None);
    };
    Ok(
        session_still_open(conn, &hash, &found, limits.customer_lifetime, now)?
            .then_some((customer, found)),
    )
}

/// The active staff member whose unexpired session `token` is; keeps the session alive.
pub fn staff_for_token(
    conn: &mut AnyConnection,
    token: &str,
    limits: &SessionLimits,
    now: NaiveDateTime,
) -> Result<Option<StaffUserRow>, AppError> {
    match owner_of(conn, token, limits, now)? {
        Some((SessionOwner::Staff(id), _)) => {
            Ok(staff_user::find(conn, id)?.filter(|staff| staff.is_active))
        }
        _ => Ok(None),
    }
}

/// Starts a session for `owner` and returns its token. The session the browser held before (if
/// any) is ended: a session id planted before sign-in is worthless. Sign-ins are rare enough to
/// carry the clean-up of sessions that are over.
pub fn open(
    conn: &mut AnyConnection,
    owner: SessionOwner,
    extras: &session::SessionExtras,
    previous: Option<&str>,
    limits: &SessionLimits,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    if let Some(previous) = previous {
        session::delete(conn, &token_hash(previous))?;
    }
    session::delete_idle(conn, limits.idle_cutoff(now))?;
    session::delete_created_before(conn, limits.oldest_allowed(now))?;
    let token = new_token();
    let hash = token_hash(&token);
    match owner {
        SessionOwner::Customer(id) => {
            session::insert_for_customer(conn, &hash, id, extras, now)?;
            customer::mark_signed_in(conn, id, now)?;
        }
        SessionOwner::Staff(id) => {
            session::insert_for_staff(conn, &hash, id, extras, now)?;
            staff_user::mark_signed_in(conn, id, now)?;
        }
    }
    Ok(token)
}

/// A cookie of ours: HttpOnly, SameSite=Lax, for the whole site; `Secure` and `__Host-` over TLS.
fn cookie(caller: &Caller, settings: &Settings, name: &str, value: String) -> Cookie<'static> {
    let secure = wants_secure_cookie(caller, settings);
    let name = if secure {
        format!("{HOST_PREFIX}{name}")
    } else {
        name.to_owned()
    };
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

/// A cookie of ours named `name` (with the same attributes as the session cookie).
pub fn named_cookie(
    caller: &Caller,
    settings: &Settings,
    name: &str,
    value: String,
) -> Cookie<'static> {
    cookie(caller, settings, name, value)
}

/// The cookie that carries a new session of `kind`.
pub fn session_cookie(
    caller: &Caller,
    settings: &Settings,
    kind: SessionKind,
    token: String,
) -> Cookie<'static> {
    cookie(caller, settings, kind.cookie_name(), token)
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

/// The device cookie (see `auth::throttle`), kept as long as the device stays trusted.
pub fn device_cookie(caller: &Caller, settings: &Settings, token: String) -> Cookie<'static> {
    let mut cookie = cookie(caller, settings, DEVICE_COOKIE, token);
    cookie.set_max_age(CookieDuration::days(super::throttle::DEVICE_TRUST_DAYS));
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
