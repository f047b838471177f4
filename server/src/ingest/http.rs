//! `POST /api/v1/feed/events`: CloudEvents in structured mode (one event or a batch), in binary
//! mode (`ce-*` headers, the data as the body) and as NDJSON, from internal systems, each
//! authenticated with a feed token bound to the sources it may send.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use super::store::{self, RawEvent, SourcePolicy, Transport};
use super::{binary, token};
use crate::db::dead_letter::{self, NewDeadLetter};
use crate::db::feed_token::FeedTokenRow;
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Most events in one request.
pub const MAX_EVENTS_PER_REQUEST: usize = 10_000;

const SINGLE: &str = "application/cloudevents+json";
const BATCH: &str = "application/cloudevents-batch+json";
const NDJSON: &str = "application/x-ndjson";

/// How the body carries events, told apart as the CloudEvents HTTP binding says: a
/// `application/cloudevents…` content type is structured or batched mode; otherwise
/// `ce-specversion` among the headers is binary mode. NDJSON is Einblick's own addition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Structured,
    Batched,
    Binary,
    Ndjson,
}

fn mode_of(request: &HttpRequest, media_type: &str) -> Result<Mode, AppError> {
    let unsupported = || {
        AppError::new(ErrorKind::UnsupportedMediaType {
            message: format!(
                "send CloudEvents in structured mode (Content-Type: {SINGLE}), batched mode \
                 (Content-Type: {BATCH}) or binary mode (the attributes as ce-* headers, the data \
                 as an application/json body), or as NDJSON (Content-Type: {NDJSON})"
            ),
        })
    };
    match media_type {
        SINGLE => Ok(Mode::Structured),
        BATCH => Ok(Mode::Batched),
        NDJSON => Ok(Mode::Ndjson),
        other if other.starts_with("application/cloudevents") => Err(unsupported()),
        _ if binary::is_binary(request.headers().keys().map(|name| name.as_str())) => {
            Ok(Mode::Binary)
        }
        _ => Err(unsupported()),
    }
}

fn too_large(code: &'static str, message: String) -> AppError {
    AppError::new(ErrorKind::PayloadTooLarge { code, message })
}

fn unauthorized(message: &str) -> AppError {
    AppError::new(ErrorKind::Unauthorized {
        message: message.to_owned(),
    })
}

pub async fn receive(
    request: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Some(presented) = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
    else {
        return Err(unauthorized(
            "send the feed token as `Authorization: Bearer <token>`",
        ));
    };
    // The token is checked before a single byte of the body is read: an unauthenticated sender
    // cannot make the server buffer 10 MiB.
    let token = state
        .db
        .run(move |conn| token::authenticate(conn, &presented))
        .await?
        .ok_or_else(|| unauthorized("the feed token is unknown or revoked"))?;
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
    let mode = mode_of(&request, &media_type)?;
    let body_too_large = || {
        too_large(
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
        return Err(body_too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return Err(AppError::bad_request(
                "bad_body",
                "the request body could not be read",
            ));
        };
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(body_too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();

    let structured_binary;
    let events: Vec<&[u8]> = match mode {
        Mode::Structured => vec![&body[..]],
        Mode::Binary => {
            let content_type = request
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            structured_binary = binary::to_structured(
                request
                    .headers()
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.as_bytes())),
                content_type,
                &body,
            );
            vec![&structured_binary[..]]
        }
        Mode::Batched => match serde_json::from_slice::<Vec<&serde_json::value::RawValue>>(&body) {
            Ok(items) => items.into_iter().map(|raw| raw.get().as_bytes()).collect(),
            Err(e) => {
                let reason = format!("the batch is not a JSON array of events: {e}");
                keep_unreadable_body(&state, &body, &reason, &token_policy(&token)).await;
                return Err(AppError::bad_request("bad_batch", reason));
            }
        },
        Mode::Ndjson => body
            .split(|b| *b == b'\n')
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
            .collect(),
    };
    if events.len() > MAX_EVENTS_PER_REQUEST {
        return Err(too_large(
            "too_many_events",
            format!(
                "at most {MAX_EVENTS_PER_REQUEST} events per request, got {}",
                events.len()
            ),
        ));
    }
    let owned: Vec<Vec<u8>> = events.into_iter().map(<[u8]>::to_vec).collect();
    let policy = token_policy(&token);
    let reference = SourcePolicy::reference(&state.settings);
    let keys = state.log_keys.clone();
    let retention = state.settings.retention;
    let report = state
        .db
        .run(move |conn| {
            let raw: Vec<RawEvent<'_>> = owned
                .iter()
                .enumerate()
                .map(|(position, bytes)| RawEvent { position, bytes })
                .collect();
            let rules = store::IngestRules {
                reference_sources: &reference,
                keys: &keys,
                retention,
            };
            store::store_batch(
                conn,
                &raw,
                Transport::Http,
                &policy,
                &rules,
                chrono::Utc::now().naive_utc(),
            )
        })
        .await?;
    state.metrics.record_ingest(&report.counts(Transport::Http));
    state.explainer.nudge();
    Ok(HttpResponse::Ok().json(report))
}

fn token_policy(token: &FeedTokenRow) -> SourcePolicy {
    SourcePolicy::Only(token.sources().into_iter().map(str::to_owned).collect())
}

/// A body that cannot even be split into events is kept whole.
async fn keep_unreadable_body(state: &AppState, body: &[u8], reason: &str, policy: &SourcePolicy) {
    use base64::Engine;
    let letter = NewDeadLetter {
        received_at: chrono::Utc::now().naive_utc(),
        transport: "http".into(),
        source: None,
        event_id: None,
        reason: reason.to_owned(),
        raw_base64: base64::engine::general_purpose::STANDARD.encode(body),
        allowed_sources: policy.stored(),
    };
    if let Err(e) = state
        .db
        .run(move |conn| Ok(dead_letter::insert_many(conn, &[letter])?))
        .await
    {
        tracing::error!(error = %e, "could not keep an unreadable feed body");
    }
}
