//! Endpoints for the people and machines that run Einblick: health, metrics, and the published
//! contracts (OpenAPI, JSON Schemas).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use app::backend::Caller;

use crate::db::MigrationStatus;
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;
use crate::web::client::ClientInfo;
use crate::web::routes::{Access, Routes};

pub fn routes(routes: &mut Routes) {
    routes.get("/healthz", Access::Public, health);
    routes.get("/readyz", Access::Public, ready);
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

/// Whether this process should get traffic from a load balancer: the database answers, its
/// migrations are exactly the ones this binary embeds (none missing, none from a newer release),
/// and the log's keys this process loaded are the ones the log is kept with
/// (`transparency::identity`). Names no secret: each check says `ok` or what is wrong.
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let keys = state.log_keys.clone();
    let checked = state
        .db
        .run(move |conn| {
            let migrations = crate::db::migration_status(conn)?;
            let keys_ours = crate::transparency::identity::still_ours(conn, &keys)?;
            Ok((migrations, keys_ours))
        })
        .await;
    let checks = match checked {
        Ok((migrations, keys_ours)) => ReadinessChecks {
            database: None,
            migrations: match migrations {
                MigrationStatus { not_applied: 0, unknown: 0 } => None,
                MigrationStatus { not_applied: 0, unknown } => Some(format!(
                    "the database has {unknown} migration(s) this binary does not know: it is older than the database"
                )),
                MigrationStatus { not_applied, .. } => {
                    Some(format!("{not_applied} migration(s) not applied"))
                }
            },
            log_keys: (!keys_ours)
                .then(|| "the log is kept with other keys than this process loaded".to_owned()),
        },
        Err(_) => ReadinessChecks {
            database: Some("unavailable".to_owned()),
            migrations: Some("unknown".to_owned()),
            log_keys: Some("unknown".to_owned()),
        },
    };
    let ready =
        checks.database.is_none() && checks.migrations.is_none() && checks.log_keys.is_none();
    let shown = |problem: &Option<String>| problem.clone().unwrap_or_else(|| "ok".to_owned());
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not ready" },
        "checks": {
            "database": shown(&checks.database),
            "migrations": shown(&checks.migrations),
            "log_keys": shown(&checks.log_keys),
        },
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// What is wrong with each thing readiness checks; `None` when it is fine.
struct ReadinessChecks {
    database: Option<String>,
    migrations: Option<String>,
    log_keys: Option<String>,
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
