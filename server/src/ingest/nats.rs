//! NATS JetStream consumer: a durable pull consumer, started with `serve` when
//! `EINBLICK_NATS_URL` is set; several processes share it (JetStream hands each message to one
//! of them). A message is acknowledged only after its batch is committed; a poison message is
//! kept in the dead-letter store and terminated, so it is never redelivered. A crash between
//! commit and ack means a redelivery, which the store counts as a duplicate.
//!
//! The next batch is fetched while the current one is stored, and the batch size follows the
//! backlog: it doubles while fetches come back full and halves while they come back mostly
//! empty. On shutdown the batch being stored is finished and acknowledged; a fetched one not yet
//! stored is handed back to the stream at once (NAK) for the other processes.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull, consumer::AckPolicy, AckKind};
use futures_util::StreamExt;

use super::binary;
use super::store::{self, RawEvent, SourcePolicy, Transport};
use crate::config::{redact_url, NatsSettings};
use crate::state::AppState;

/// Batch sizes the consumer moves between.
const MIN_BATCH: usize = 100;
const FIRST_BATCH: usize = 500;
const MAX_BATCH: usize = 2_000;
/// Unacknowledged messages the durable consumer allows across all processes: room for two
/// full batches in each of ten.
const MAX_ACK_PENDING: i64 = 20 * MAX_BATCH as i64;
/// How long a fetch waits for messages: also how soon the fetcher notices a shutdown.
const FETCH_WAIT: Duration = Duration::from_secs(1);

type Failure = Box<dyn std::error::Error + Send + Sync>;
type Fetched = Result<Vec<jetstream::Message>, Failure>;

/// Runs for the life of the server; reconnects after any failure, and returns once a shutdown
/// has begun and the batch in hand is stored and acknowledged.
pub async fn run(state: AppState, nats: NatsSettings) {
    while !state.shutdown.has_begun() {
        if let Err(e) = consume(&state, &nats).await {
            // The client's errors may quote the URL, and the URL may hold a password.
            let error = redact_url(&e.to_string(), nats.url.expose());
            tracing::warn!(error = %error, stream = %nats.stream, "NATS consumer interrupted; retrying in 2 s");
            actix_web::rt::time::sleep(Duration::from_secs(2)).await;
        }
    }
    tracing::info!(stream = %nats.stream, "NATS consumer stopped");
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
                // Every process holds up to two batches unacknowledged (one being stored, one
                // fetched); NATS's default of 1,000 would cap batches below MAX_BATCH.
                max_ack_pending: MAX_ACK_PENDING,
                ..Default::default()
            },
        )
        .await?;
    tracing::info!(stream = %nats.stream, consumer = %nats.consumer, "consuming access events from NATS JetStream");
    // One batch waits in the channel while the next is being fetched and the last is stored.
    let (batches, mut fetched) = tokio::sync::mpsc::channel::<Fetched>(1);
    let fetcher = actix_web::rt::spawn(fetch_batches(consumer, batches, state.clone()));
    let mut outcome = Ok(());
    while let Some(batch) = fetched.recv().await {
        let stored = match batch {
            Ok(messages) => store_and_acknowledge(state, nats, &client, messages).await,
            Err(e) => Err(e),
        };
        if let Err(e) = stored {
            outcome = Err(e);
            break;
        }
        if state.shutdown.has_begun() {
            break;
        }
    }
    // What was fetched but will not be stored here goes back to the stream now rather than
    // after the acknowledgement deadline: the batch waiting in the channel here, and the one
    // the fetcher may still be fetching (it hands that back itself once the channel is closed).
    fetched.close();
    while let Some(batch) = fetched.recv().await {
        if let Ok(messages) = batch {
            hand_back(&messages).await;
        }
    }
    let _ = fetcher.await;
    let _ = client.flush().await;
    outcome
}

/// Returns messages to the stream for redelivery, to this process or another.
async fn hand_back(messages: &[jetstream::Message]) {
    for message in messages {
        let _ = message
            .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
            .await;
    }
}

/// Fetches batches until a shutdown begins or the consumer stops taking them, sizing each by
/// how full the last came back.
async fn fetch_batches(
    consumer: jetstream::consumer::PullConsumer,
    batches: tokio::sync::mpsc::Sender<Fetched>,
    state: AppState,
) {
    let mut size = FIRST_BATCH;
    while !state.shutdown.has_begun() && !batches.is_closed() {
        let batch = fetch(&consumer, size).await;
        if let Ok(messages) = &batch {
            if messages.is_empty() {
                size = next_batch_size(size, 0);
                continue;
            }
            size = next_batch_size(size, messages.len());
        }
        let failed = batch.is_err();
        if let Err(refused) = batches.send(batch).await {
            // The consumer stopped taking batches (shutdown or a failed store).
            if let Ok(messages) = refused.0 {
                hand_back(&messages).await;
            }
            return;
        }
        if failed {
            return;
        }
    }
}

async fn fetch(consumer: &jetstream::consumer::PullConsumer, size: usize) -> Fetched {
    let mut fetched = consumer
        .fetch()
        .max_messages(size)
        .expires(FETCH_WAIT)
        .messages()
        .await?;
    let mut messages = Vec::with_capacity(size);
    while let Some(message) = fetched.next().await {
        messages.push(message?);
    }
    Ok(messages)
}

/// Larger batches while the stream has a backlog (fewer commits per event), smaller ones when
/// it trickles (a batch is never held back waiting to fill).
fn next_batch_size(size: usize, received: usize) -> usize {
    if received >= size {
        (size * 2).min(MAX_BATCH)
    } else if received < size / 4 {
        (size / 2).max(MIN_BATCH)
    } else {
        size
    }
}

async fn store_and_acknowledge(
    state: &AppState,
    nats: &NatsSettings,
    client: &async_nats::Client,
    messages: Vec<jetstream::Message>,
) -> Result<(), Failure> {
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
    let retention = state.settings.retention;
    let outcome = state
        .db
        .run(move |conn| {
            let now = chrono::Utc::now().naive_utc();
            let mut report = store::IngestReport::default();
            let rules = store::IngestRules {
                reference_sources: &reference,
                keys: &keys,
                retention,
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
            // Each acknowledgement is one publish on the connection; one flush sends them all.
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
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_grow_with_a_backlog_and_shrink_when_it_trickles() {
        assert_eq!(next_batch_size(500, 500), 1_000);
        assert_eq!(next_batch_size(1_000, 1_000), 2_000);
        assert_eq!(next_batch_size(2_000, 2_000), MAX_BATCH);
        assert_eq!(next_batch_size(2_000, 1_200), 2_000);
        assert_eq!(next_batch_size(2_000, 10), 1_000);
        assert_eq!(next_batch_size(200, 3), MIN_BATCH);
        assert_eq!(next_batch_size(MIN_BATCH, 1), MIN_BATCH);
    }
}
