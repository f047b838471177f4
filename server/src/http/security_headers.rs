//! Headers every response carries. HTML pages set their own Content-Security-Policy with the
//! per-response script nonce (see `app::shell`); everything else gets a strict default.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::Error;

use crate::state::AppState;
use crate::web::client::ClientInfo;

const DEFAULT_CSP: &str = "default-src 'self'; script-src 'none'; object-src 'none'; \
                           base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn add_security_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let is_static_asset = request.path().starts_with("/pkg/");
    let over_https = request
        .app_data::<actix_web::web::Data<AppState>>()
        .map(|state| {
            ClientInfo::resolve(
                request.headers(),
                request.peer_addr().map(|a| a.ip()),
                request.app_config().secure(),
                &state.settings.trusted_proxies,
            )
            .https
        })
        .unwrap_or(false);
    // The verifiable log's checkpoints, key, tiles and proofs are public and name nobody:
    // caches and monitors on other sites may keep and fetch them.
    let is_public_log = request.path().starts_with("/log/");
    let mut response = next.call(request).await?;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    // Only over HTTPS: a browser ignores it on plain HTTP, and it must not pin a plain-HTTP
    // development setup to HTTPS.
    if over_https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        );
    }
    // Pages and API answers hold personal data: no shared or back-button cache may keep them.
    if is_public_log {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    let keeps_own_caching = is_public_log && headers.contains_key(header::CACHE_CONTROL);
    if !is_static_asset && !keeps_own_caching {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    // A site file under its plain name may change with the next release: revalidate on use. The
    // ones named by their hash say so themselves (`site_assets`).
    if is_static_asset && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    Ok(response)
}
