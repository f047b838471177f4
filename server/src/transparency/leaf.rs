//! What the log commits to for each access event: the canonical JSON (RFC 8785) of the event,
//! with the customer number replaced by a keyed hash so nothing published names a customer.
//! `visible_from` is left out: it is the timeline's embargo, which changes after the fact when a
//! confidential case is closed, and is not part of what happened.

use chrono::{NaiveDateTime, SecondsFormat};
use serde_json::{json, Map, Value};

use super::keys::LogKeys;
use crate::db::access_event::AccessEventRow;

pub const LEAF_FORMAT: &str = "einblick.access-leaf.v1";

/// The leaf's bytes: what RFC 6962 hashes as `SHA-256(0x00 ‖ leaf)`.
pub fn leaf_bytes(keys: &LogKeys, event: &AccessEventRow) -> Vec<u8> {
    let mut actor = Map::new();
    actor.insert("employee_id".into(), json!(event.employee_id));
    actor.insert("role".into(), json!(event.role_code));
    insert_some(&mut actor, "team", &event.team);
    insert_some(&mut actor, "country", &event.office_country);
    let mut reason = Map::new();
    reason.insert("code".into(), json!(event.reason_code));
    insert_some(&mut reason, "text", &event.reason_text);
    insert_some(&mut reason, "ticket", &event.ticket_ref);
    let mut data = Map::new();
    data.insert(
        "customer".into(),
        json!(format!(
            "hmac-sha256:{}",
            keys.customer_hash(&event.customer_ref)
        )),
    );
    data.insert("actor".into(), Value::Object(actor));
    data.insert("data_category".into(), json!(event.data_category));
    data.insert("action".into(), json!(event.action));
    data.insert("reason".into(), Value::Object(reason));
    insert_some(&mut data, "system", &event.system);
    let leaf = json!({
        "format": LEAF_FORMAT,
        "source": event.source,
        "id": event.event_id,
        "time": utc(event.occurred_at),
        "received_at": utc(event.received_at),
        "data": Value::Object(data),
    });
    crate::canonical_json::to_canonical_string(&leaf)
        .expect("a leaf holds strings and objects only")
        .into_bytes()
}

fn insert_some(map: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        map.insert(key.into(), json!(value));
    }
}

fn utc(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true)
}
