//! `POST /api/v1/portal-sessions`: the shop's backend opens the portal for a customer it has
//! signed in, as Stripe's customer portal is opened. With a service token, body
//! `{customer_ref, email?, name?, locale?, time_zone?, return_url, path?}`; the answer
//! `{url, expires_at}` is a single-use link that works for 60 seconds. The customer record is
//! made or updated when the link is used, not here.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, SecondsFormat, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::auth::{service_token, session};
use crate::db::portal_link::{self, PortalLinkRow};
use crate::domain::customer_profile::{CustomerProfile, ProfileFields};
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;
use crate::web::local_redirect_target;

/// A link works this long after it was made.
pub const LINK_SECONDS: i64 = 60;
/// The request is a few fields; anything bigger is not one.
const MAX_BODY_BYTES: usize = 16 * 1024;
/// Where a link may lead: the customer's own pages.
const LANDING_PAGES: [&str; 3] = ["/timeline", "/disputes", "/reports"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PortalSessionRequest {
    customer_ref: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    time_zone: Option<String>,
    return_url: String,
    #[serde(default)]
    path: Option<String>,
}

#[derive(Serialize)]
struct PortalSessionCreated {
    url: String,
    expires_at: String,
}

fn bad(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::bad_request(code, message)
}

/// `return_url` must be on one of the origins the operator allowed (`EINBLICK_RETURN_ORIGINS`).
pub fn check_return_url(raw: &str, allowed: &[String]) -> Result<String, AppError> {
    let url = url::Url::parse(raw.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            bad(
                "invalid_return_url",
                "return_url must be an absolute http(s) URL",
            )
        })?;
    let origin = url.origin().ascii_serialization();
    if !allowed.contains(&origin) {
        return Err(bad(
            "return_url_not_allowed",
            format!(
                "return_url is on {origin}, which is not an allowed origin; the operator lists \
                 the shop's origins in EINBLICK_RETURN_ORIGINS"
            ),
        ));
    }
    Ok(url.to_string())
}

/// `path` must be one of the customer's pages on this site (with its query, e.g. a filter or
/// the entries of a dispute form).
pub fn check_landing_path(raw: Option<&str>) -> Result<String, AppError> {
    let Some(raw) = raw.map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(LANDING_PAGES[0].to_owned());
    };
    let path = local_redirect_target(raw)
        .filter(|p| {
            let page = p.split(['?', '#']).next().unwrap_or_default();
            // No dot segments (plain or encoded): /timeline/../staff is not a customer page.
            let lowered = page.to_ascii_lowercase();
            let dotted = page
                .split('/')
                .any(|segment| segment == "." || segment == "..")
                || lowered.contains("%2e")
                || lowered.contains('\\');
            !dotted
                && LANDING_PAGES
                    .iter()
                    .any(|allowed| page == *allowed || page.starts_with(&format!("{allowed}/")))
        })
        .ok_or_else(|| {
            bad(
                "invalid_path",
                "path must be one of the customer's pages: /timeline, /disputes, /disputes/new, \
                 /disputes/{reference} or /reports, optionally with a query",
            )
        })?;
    Ok(path)
}

pub async fn create(
    request: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    // The token first: nobody without one gets their body read.
    let token = service_token::authenticate(&state, &request).await?;
    if !state.settings.customer_sign_in.portal {
        return Err(bad(
            "portal_sessions_off",
            "portal sessions are switched off: EINBLICK_CUSTOMER_SIGN_IN does not name portal",
        ));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| bad("unreadable_body", e.to_string()))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(AppError::new(ErrorKind::PayloadTooLarge {
                code: "body_too_large",
                message: format!("a portal-session request is at most {MAX_BODY_BYTES} bytes"),
            }));
        }
        body.extend_from_slice(&chunk);
    }
    let asked: PortalSessionRequest = serde_json::from_slice(&body).map_err(|e| {
        bad(
            "invalid_json",
            format!("the body is not a portal-session request: {e}"),
        )
    })?;
    let profile = CustomerProfile::parse(ProfileFields {
        customer_ref: &asked.customer_ref,
        email: asked.email.as_deref(),
        name: asked.name.as_deref(),
        locale: asked.locale.as_deref(),
        time_zone: asked.time_zone.as_deref(),
        ..ProfileFields::default()
    })
    .map_err(|e| bad("invalid_customer", e.to_string()))?;
    let return_url = check_return_url(&asked.return_url, &state.settings.return_origins)?;
    let path = check_landing_path(asked.path.as_deref())?;

    let link_token = session::new_token();
    let now = Utc::now().naive_utc();
    let expires_at = now + Duration::seconds(LINK_SECONDS);
    let row = PortalLinkRow {
        token_hash: session::token_hash(&link_token),
        customer_ref: profile.customer_ref.as_str().to_owned(),
        email: profile.email.as_ref().map(|e| e.as_str().to_owned()),
        display_name: profile.name.clone(),
        lang: profile.lang.map(|l| l.code().to_owned()),
        time_zone: profile.time_zone.clone(),
        path,
        return_url: Some(return_url),
        created_at: now,
        expires_at,
        used_at: None,
    };
    state
        .db
        .write(move |conn| {
            portal_link::delete_before(conn, now - Duration::days(1))?;
            portal_link::insert(conn, &row)?;
            Ok(())
        })
        .await?;
    tracing::info!(
        service_token = token.id,
        "portal session opened for the shop"
    );
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(PortalSessionCreated {
            url: format!("{}/portal/enter/{link_token}", state.settings.public_url),
            expires_at: expires_at
                .and_utc()
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_urls_stay_on_allowed_origins() {
        let allowed = vec!["https://shop.example.com".to_owned()];
        assert!(check_return_url("https://shop.example.com/account?tab=privacy", &allowed).is_ok());
        for refused in [
            "https://shop.example.com.evil.example/account",
            "http://shop.example.com/account",
            "https://shop.example.com:8443/account",
            "javascript:alert(1)",
            "/account",
        ] {
            assert!(check_return_url(refused, &allowed).is_err(), "{refused}");
        }
    }

    #[test]
    fn links_land_on_the_customers_pages_only() {
        assert_eq!(check_landing_path(None).unwrap(), "/timeline");
        assert_eq!(
            check_landing_path(Some("/disputes/new?event=17")).unwrap(),
            "/disputes/new?event=17"
        );
        assert_eq!(
            check_landing_path(Some("/timeline?category=purchase_history")).unwrap(),
            "/timeline?category=purchase_history"
        );
        for refused in [
            "//evil.example",
            "/staff",
            "/timelines",
            "/timeline/../staff",
            "/timeline/%2e%2e/staff",
            "https://evil.example/timeline",
        ] {
            assert!(check_landing_path(Some(refused)).is_err(), "{refused}");
        }
    }
}
