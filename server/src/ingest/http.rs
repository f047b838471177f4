//! `POST /api/v1/feed/events`: single events, batches and NDJSON from internal systems, each
//! authenticated with a feed token bound to the sources it may send.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use super::store::{self, RawEvent, SourcePolicy, Transport};
use super::token;
use crate::db::dead_letter::{self, NewDeadLetter};
use crate::http::AppState;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Most events in one request.
pub const MAX_EVENTS_PER_REQUEST: usize = 10_000;

const SINGLE: &str = "application/cloudevents+json";
const BATCH: &str = "application/cloudevents-batch+json";
const NDJSON: &str = "application/x-ndjson";

fn problem(status: actix_web::http::StatusCode, code: &str, message: String) -> HttpResponse {
    HttpResponse::build(status)
        .json(serde_json::json!({ "error": { "code": code, "message": message } }))
}

pub async fn receive(
    request: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    use actix_web::http::StatusCode;

    let Some(presented) = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
    else {
        return unauthorized("send the feed token as `Authorization: Bearer <token>`");
    };
    let media_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if ![SINGLE, BATCH, NDJSON].contains(&media_type.as_str()) {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("Content-Type must be {SINGLE}, {BATCH} or {NDJSON}"),
        );
    }
    let too_large = || {
        problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the body is larger than {MAX_BODY_BYTES} bytes; split it into smaller batches"
            ),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return too_large();
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return problem(
                StatusCode::BAD_REQUEST,
                "bad_body",
                "the request body could not be read".into(),
            );
        };
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return too_large();
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();

    let token_state = state.clone();
    let token = match token_state
        .db
        .run(move |conn| token::authenticate(conn, &presented))
        .await
    {
        Ok(Some(token)) => token,
        Ok(None) => return unauthorized("the feed token is unknown or revoked"),
        Err(e) => return actix_web::ResponseError::error_response(&e),
    };

    let events: Vec<&[u8]> = match media_type.as_str() {
        SINGLE => vec![&body[..]],
        BATCH => match serde_json::from_slice::<Vec<&serde_json::value::RawValue>>(&body) {
            Ok(items) => items.into_iter().map(|raw| raw.get().as_bytes()).collect(),
            Err(e) => {
                let reason = format!("the batch is not a JSON array of events: {e}");
                keep_unreadable_body(&state, &body, &reason).await;
                return problem(StatusCode::BAD_REQUEST, "bad_batch", reason);
            }
        },
        _ => body
            .split(|b| *b == b'\n')
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
            .collect(),
    };
    if events.len() > MAX_EVENTS_PER_REQUEST {
        return problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_events",
            format!(
                "at most {MAX_EVENTS_PER_REQUEST} events per request, got {}",
                events.len()
            ),
        );
    }
    let owned: Vec<Vec<u8>> = events.into_iter().map(<[u8]>::to_vec).collect();
    let outcome = state
        .db
        .run(move |conn| {
            let raw: Vec<RawEvent<'_>> = owned
                .iter()
                .enumerate()
                .map(|(position, bytes)| RawEvent { position, bytes })
                .collect();
            let sources = token.sources();
            store::store_batch(
                conn,
                &raw,
                Transport::Http,
                &SourcePolicy::Only(&sources),
                chrono::Utc::now().naive_utc(),
            )
        })
        .await;
    match outcome {
        Ok(report) => {
            state.metrics.record_ingest(Transport::Http, &report);
            HttpResponse::Ok().json(report)
        }
        Err(e) => actix_web::ResponseError::error_response(&e),
    }
}

fn unauthorized(message: &str) -> HttpResponse {
    let mut response = problem(
        actix_web::http::StatusCode::UNAUTHORIZED,
        "unauthorized",
        message.to_owned(),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}

/// A body that cannot even be split into events is kept whole.
async fn keep_unreadable_body(state: &AppState, body: &[u8], reason: &str) {
    use base64::Engine;
    let letter = NewDeadLetter {
        received_at: chrono::Utc::now().naive_utc(),
        transport: "http".into(),
        source: None,
        event_id: None,
        reason: reason.to_owned(),
        raw_base64: base64::engine::general_purpose::STANDARD.encode(body),
    };
    if let Err(e) = state
        .db
        .run(move |conn| Ok(dead_letter::insert_many(conn, &[letter])?))
        .await
    {
        tracing::error!(error = %e, "could not keep an unreadable feed body");
    }
}
