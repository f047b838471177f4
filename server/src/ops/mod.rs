//! Endpoints for the people and machines that run Einblick: health, metrics, and the published
//! contracts (OpenAPI, JSON Schemas).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use app::backend::Caller;

use crate::error::{AppError, ErrorKind};
use crate::state::AppState;
use crate::web::client::ClientInfo;
use crate::web::routes::{Access, Routes};

pub fn routes(routes: &mut Routes) {
    routes.get("/healthz", Access::Public, health);
    routes.get("/metrics", Access::Token, metrics);
    routes.get("/api/v1/openapi.json", Access::Public, openapi);
    routes.get(
        "/api/v1/schemas/access-event-data.json",
        Access::Public,
        event_data_schema,
    );
    routes.get(
        "/api/v1/schemas/reference-event-data.json",
        Access::Public,
        reference_data_schema,
    );
    routes.get(
        "/api/v1/schemas/access-report.json",
        Access::Public,
        access_report_schema,
    );
}

async fn health(state: web::Data<AppState>) -> HttpResponse {
    match state
        .db
        .run(|conn| Ok(crate::db::customer::count(conn)?))
        .await
    {
        Ok(_) => HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })),
        Err(_) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "database unavailable" })),
    }
}

/// Prometheus metrics (text exposition format 0.0.4), for `EINBLICK_METRICS_TOKEN` or the
/// addresses in `EINBLICK_METRICS_ALLOW` only: they name the feed's sources and its volume.
async fn metrics(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let settings = &state.settings;
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let token_ok = match (&settings.metrics_token, presented) {
        (Some(expected), Some(presented)) => {
            // Compared as hashes: equal length, no early exit on the secret's bytes.
            use sha2::{Digest, Sha256};
            Sha256::digest(expected.expose().as_bytes())
                == Sha256::digest(presented.trim().as_bytes())
        }
        _ => false,
    };
    let address_ok = ClientInfo::of(&Caller::of(&request), settings)
        .address
        .is_some_and(|ip| {
            settings
                .metrics_allow
                .iter()
                .any(|range| range.contains(&ip))
        });
    if !token_ok && !address_ok {
        return Err(AppError::new(ErrorKind::Unauthorized {
            message: "metrics are served to EINBLICK_METRICS_TOKEN or the addresses in \
                      EINBLICK_METRICS_ALLOW only"
                .into(),
        }));
    }
    let dead_letters = state
        .db
        .run(|conn| Ok(crate::db::dead_letter::count(conn)?))
        .await
        .unwrap_or(-1);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(dead_letters)))
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(include_str!("../../contract/openapi.json"))
}

async fn access_report_schema() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/schema+json")
        .body(include_str!("../../contract/access-report.schema.json"))
}

async fn event_data_schema() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/schema+json")
        .body(include_str!("../../contract/access-event-data.schema.json"))
}

async fn reference_data_schema() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/schema+json")
        .body(include_str!(
            "../../contract/reference-event-data.schema.json"
        ))
}
