//! A safety net: answers a page request that has not started its response after
//! `EINBLICK_PAGE_TIMEOUT_SECONDS` (default 30; 0 switches it off) with a 503 "please reload" page
//! instead of leaving the browser waiting forever, and logs it as an error.
//!
//! Why it was added: the test suite, run with 12 tests at once, used to hit page requests that
//! never started their response: the page's future pending with nothing left to wake it. The
//! cause was leptos-rs/leptos#4773: while `generate_route_list` runs, a process-global flag keeps
//! resources from loading, so a page another test server of the same process rendered at that
//! moment waited forever. The route list is now made once per process, before any server serves
//! (`http::page_routes`), and the pinned Leptos (0.8.23, with reactive_graph 0.2.16) has the
//! Suspense wake-up fixes of leptos-rs/leptos#4853. With the guard off, repeated runs of the suite
//! with 12 threads no longer hang (see the README); the guard stays for what nobody has found.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError};

use crate::state::AppState;

/// Marks the 503 so clients (and the test suite) can tell a stall from other unavailability.
pub const STALLED_HEADER: &str = "x-einblick-stalled";

pub async fn guard_against_stalls(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let limit = request
        .app_data::<actix_web::web::Data<AppState>>()
        .map_or(0, |state| state.settings.page_timeout_seconds);
    if request.method() != Method::GET || limit == 0 {
        return next.call(request).await;
    }
    let path = request.path().to_owned();
    let lang = app::lang_of_request(request.request());
    let limit = Duration::from_secs(u64::from(limit));
    match actix_web::rt::time::timeout(limit, next.call(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!(path = %path, "page rendering stalled; answered 503 so the browser can retry");
            Err(Stalled { lang }.into())
        }
    }
}

#[derive(Debug)]
struct Stalled {
    lang: app::i18n::Lang,
}

impl std::fmt::Display for Stalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("page rendering stalled")
    }
}

impl ResponseError for Stalled {
    fn status_code(&self) -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }

    fn error_response(&self) -> HttpResponse {
        let (lang, title, body, again) = match self.lang {
            app::i18n::Lang::De => (
                "de",
                "Das hat zu lange gedauert",
                "Die Seite konnte nicht fertig geladen werden. Bitte laden Sie sie neu.",
                "Neu laden",
            ),
            app::i18n::Lang::En => (
                "en",
                "That took too long",
                "The page could not finish loading. Please reload it.",
                "Reload",
            ),
        };
        HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, "1"))
            .insert_header((STALLED_HEADER, "1"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'none'; frame-ancestors 'none'",
            ))
            .content_type("text/html; charset=utf-8")
            .body(format!(
                "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
                 <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
                 <title>{title}</title><link rel=\"stylesheet\" href=\"/pkg/einblick.css\"></head>\
                 <body><main id=\"main\" class=\"page narrow\"><h1>{title}</h1><p>{body}</p>\
                 <p><a class=\"button\" href=\"\">{again}</a></p></main></body></html>"
            ))
    }
}
