//! Endpoints for the people and machines that run Einblick: health, metrics, and the published
//! contracts (OpenAPI, JSON Schemas).

use actix_web::{web, HttpResponse};

use crate::state::AppState;
use crate::web::routes::{Access, Routes};

pub fn routes(routes: &mut Routes) {
    routes.get("/healthz", Access::Public, health);
    routes.get("/metrics", Access::Public, metrics);
    routes.get("/api/v1/openapi.json", Access::Public, openapi);
    routes.get(
        "/api/v1/schemas/access-event-data.json",
        Access::Public,
        event_data_schema,
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

/// Prometheus metrics (text exposition format 0.0.4).
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let dead_letters = state
        .db
        .run(|conn| Ok(crate::db::dead_letter::count(conn)?))
        .await
        .unwrap_or(-1);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(dead_letters))
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
