//! What the ingest benchmarks share: the feed they send (60 employees, one access every 2 s
//! between them, for 50,000 customers), how they put it on a JetStream stream, and how they
//! read a process's CPU time from /proc.

use std::path::Path;

pub(crate) const NATS_URL: &str = "nats://127.0.0.1:4222";

/// Event `n` of the feed, as one CloudEvent in structured JSON. Each employee makes about one
/// access every two minutes, as a support agent works.
pub(crate) fn event_json(n: usize) -> String {
    let time = chrono::DateTime::parse_from_rfc3339("2026-11-20T06:00:00Z").unwrap()
        + chrono::Duration::seconds(2 * n as i64);
    serde_json::json!({
        "specversion": "1.0", "id": format!("bench-{n:08}"), "source": "/bench/feed", "type": "einblick.access.v1",
        "time": time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "datacontenttype": "application/json",
        "data": {
            "customer_ref": format!("C-5{:05}", n % 50_000),
            "actor": { "employee_id": format!("E-{}", 1000 + n % 60), "role": "cs_agent_t1", "team": "Support Berlin", "country": "DE" },
            "data_category": "purchase_history", "action": "view",
            "reason": { "code": "customer_request", "text": "Asked about a delayed parcel", "ticket": format!("T-{}", 40_000 + n) },
            "system": "support-console"
        }
    })
    .to_string()
}

/// Puts `lines` on `stream` (created if missing) under `<subject>.feed`, one event a message.
pub(crate) fn publish(
    stream: &str,
    subject: &str,
    lines: &[String],
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (stream, subject, lines) = (stream.to_owned(), subject.to_owned(), lines.to_vec());
    actix_web::rt::System::new().block_on(async move {
        let client = async_nats::connect(NATS_URL).await?;
        let context = async_nats::jetstream::new(client);
        context
            .get_or_create_stream(async_nats::jetstream::stream::Config {
                name: stream,
                subjects: vec![format!("{subject}.>")],
                ..Default::default()
            })
            .await?;
        // Acks are awaited in windows: the client limits how many may be in flight.
        for window in lines.chunks(500) {
            let mut acks = Vec::with_capacity(window.len());
            for line in window {
                acks.push(
                    context
                        .publish(format!("{subject}.feed"), line.clone().into())
                        .await?,
                );
            }
            for ack in acks {
                ack.await?;
            }
        }
        Ok(())
    })
}

pub(crate) fn delete_stream(stream: &str) {
    let stream = stream.to_owned();
    let _ = actix_web::rt::System::new().block_on(async move {
        let client = async_nats::connect(NATS_URL).await?;
        async_nats::jetstream::new(client)
            .delete_stream(&stream)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string().into())
            as Result<(), Box<dyn std::error::Error + Send + Sync>>
    });
}

/// Clock ticks per second in /proc (Linux's USER_HZ, on every architecture Rust targets).
pub(crate) const TICKS_PER_SECOND: f64 = 100.0;

/// A process's name and its user + system clock ticks (with its exited children's, if asked)
/// from its `/proc/<pid>/stat`.
pub(crate) fn process_ticks(stat: impl AsRef<Path>, with_children: bool) -> Option<(String, u64)> {
    let stat = std::fs::read_to_string(stat).ok()?;
    let (head, tail) = stat.rsplit_once(") ")?;
    let name = head.split_once(" (")?.1.to_owned();
    // Fields after the command name: utime is field 14, stime 15, cutime 16, cstime 17.
    let fields: Vec<u64> = tail
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let children = if with_children {
        fields.get(2)? + fields.get(3)?
    } else {
        0
    };
    Some((name, fields.first()? + fields.get(1)? + children))
}
