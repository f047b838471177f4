//! NATS JetStream consumer: a durable pull consumer, started with `serve` when
//! `EINBLICK_NATS_URL` is set. A message is acknowledged only after its batch is committed; a
//! poison message is kept in the dead-letter store and terminated, so it is never redelivered.
//! A crash between commit and ack means a redelivery, which the store counts as a duplicate.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull, consumer::AckPolicy, AckKind};
use futures_util::StreamExt;

use super::binary;
use super::store::{self, RawEvent, SourcePolicy, Transport};
use crate::config::{redact_url, NatsSettings};
use crate::state::AppState;

const BATCH: usize = 500;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Runs for the life of the server; reconnects after any failure.
pub async fn run(state: AppState, nats: NatsSettings) {
    loop {
        if let Err(e) = consume(&state, &nats).await {
            // The client's errors may quote the URL, and the URL may hold a password.
            let error = redact_url(&e.to_string(), nats.url.expose());
            tracing::warn!(error = %error, stream = %nats.stream, "NATS consumer interrupted; retrying in 2 s");
        }
        actix_web::rt::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn consume(state: &AppState, nats: &NatsSettings) -> Result<(), Failure> {
    let client = async_nats::connect(nats.url.expose()).await?;
    let context = jetstream::new(client.clone());
    let stream = context
        .get_or_create_stream(jetstream::stream::Config {
            name: nats.stream.clone(),
            subjects: vec![nats.subject.clone()],
            ..Default::default()
        })
        .await?;
    let consumer: jetstream::consumer::PullConsumer = stream
        .get_or_create_consumer(
            &nats.consumer,
            pull::Config {
                durable_name: Some(nats.consumer.clone()),
                ack_policy: AckPolicy::Explicit,
                ack_wait: Duration::from_secs(30),
                ..Default::default()
            },
        )
        .await?;
    tracing::info!(stream = %nats.stream, consumer = %nats.consumer, "consuming access events from NATS JetStream");
    loop {
        let mut fetched = consumer
            .fetch()
            .max_messages(BATCH)
            .expires(Duration::from_secs(1))
            .messages()
            .await?;
        let mut messages = Vec::with_capacity(BATCH);
        while let Some(message) = fetched.next().await {
            messages.push(message?);
        }
        if messages.is_empty() {
            continue;
        }
        // Messages are judged by the sources their subject is bound to; a batch usually holds
        // one subject, so it is stored in one go per subject.
        let mut by_subject: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (position, message) in messages.iter().enumerate() {
            by_subject
                .entry(message.subject.to_string())
                .or_default()
                .push(position);
        }
        let groups: Vec<(SourcePolicy, Vec<usize>, Vec<Vec<u8>>)> = by_subject
            .into_iter()
            .map(|(subject, positions)| {
                let payloads = positions
                    .iter()
                    .map(|p| event_bytes(&messages[*p]))
                    .collect();
                (policy_for(nats, &subject), positions, payloads)
            })
            .collect();
        let reference = store::SourcePolicy::reference(&state.settings);
        let keys = state.log_keys.clone();
        let outcome = state
            .db
            .run(move |conn| {
                let now = chrono::Utc::now().naive_utc();
                let mut report = store::IngestReport::default();
                let rules = store::IngestRules {
                    reference_sources: &reference,
                    keys: &keys,
                };
                for (policy, positions, payloads) in &groups {
                    let raw: Vec<RawEvent<'_>> = positions
                        .iter()
                        .zip(payloads)
                        .map(|(position, bytes)| RawEvent {
                            position: *position,
                            bytes,
                        })
                        .collect();
                    report.add(store::store_batch(
                        conn,
                        &raw,
                        Transport::Nats,
                        policy,
                        &rules,
                        now,
                    )?);
                }
                Ok(report)
            })
            .await;
        match outcome {
            Ok(report) => {
                state.metrics.record_ingest(&report.counts(Transport::Nats));
                state.explainer.nudge();
                let poison: HashSet<usize> = report.rejections.iter().map(|r| r.position).collect();
                for (position, message) in messages.iter().enumerate() {
                    let kind = if poison.contains(&position) {
                        AckKind::Term
                    } else {
                        AckKind::Ack
                    };
                    message.ack_with(kind).await?;
                }
                client.flush().await?;
            }
            Err(e) => {
                tracing::error!(error = %e, "storing a NATS batch failed; it will be redelivered");
                for message in &messages {
                    message
                        .ack_with(AckKind::Nak(Some(Duration::from_secs(5))))
                        .await?;
                }
            }
        }
    }
}

/// The event a message carries: its payload in structured mode, or, in binary mode (the NATS
/// binding's `ce-*` headers), the structured form of headers and payload.
fn event_bytes(message: &jetstream::Message) -> Vec<u8> {
    let Some(headers) = message
        .headers
        .as_ref()
        .filter(|h| binary::is_binary(h.iter().map(|(name, _)| name.as_ref())))
    else {
        return message.payload.to_vec();
    };
    let pairs: Vec<(&str, &[u8])> = headers
        .iter()
        .flat_map(|(name, values)| {
            values
                .iter()
                .map(move |value| (name.as_ref(), value.as_str().as_bytes()))
        })
        .collect();
    let content_type = headers
        .iter()
        .find(|(name, _)| AsRef::<str>::as_ref(name).eq_ignore_ascii_case("content-type"))
        .and_then(|(_, values)| values.first())
        .map(|value| value.as_str());
    binary::to_structured(pairs.into_iter(), content_type, &message.payload)
}

/// The sources a message on `subject` may carry: every binding whose subject covers it. None
/// bound: nothing may arrive there.
fn policy_for(nats: &NatsSettings, subject: &str) -> SourcePolicy {
    SourcePolicy::Only(
        nats.sources
            .iter()
            .filter(|binding| binding.covers(subject))
            .map(|binding| binding.source.clone())
            .collect(),
    )
}
