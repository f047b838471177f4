//! The feed the ingest benchmarks send: 60 employees, one access every 2 s between them, for
//! 50,000 customers.

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
