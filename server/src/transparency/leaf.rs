//! What the log commits to for each access event: the canonical JSON (RFC 8785) of the event,
//! with the customer number replaced by a keyed hash so nothing published names a customer.
//! `visible_from` is left out: it is the timeline's embargo, which changes after the fact when a
//! confidential case is closed, and is not part of what happened.

use chrono::{NaiveDateTime, SecondsFormat};

use super::keys::LogKeys;
use crate::db::access_event::AccessEventRow;

pub const LEAF_FORMAT: &str = "einblick.access-leaf.v1";

/// The leaf's bytes: what RFC 6962 hashes as `SHA-256(0x00 ‖ leaf)`. Written directly in
/// canonical form (members in RFC 8785 order, strings escaped as `canonical_json` does): every
/// stored event passes through here when a checkpoint is signed, so it must be cheap.
pub fn leaf_bytes(keys: &LogKeys, event: &AccessEventRow) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(br#"{"data":{"action":"#);
    string(&mut out, &event.action);
    out.extend_from_slice(br#","actor":{"#);
    let mut first = true;
    optional(&mut out, &mut first, "country", &event.office_country);
    member(&mut out, &mut first, "employee_id", &event.employee_id);
    member(&mut out, &mut first, "role", &event.role_code);
    optional(&mut out, &mut first, "team", &event.team);
    out.extend_from_slice(br#"},"customer":"hmac-sha256:"#);
    out.extend_from_slice(keys.customer_hash(&event.customer_ref).as_bytes());
    out.extend_from_slice(br#"","data_category":"#);
    string(&mut out, &event.data_category);
    out.extend_from_slice(br#","reason":{"code":"#);
    string(&mut out, &event.reason_code);
    let mut first = false;
    optional(&mut out, &mut first, "text", &event.reason_text);
    optional(&mut out, &mut first, "ticket", &event.ticket_ref);
    out.push(b'}');
    optional(&mut out, &mut first, "system", &event.system);
    out.extend_from_slice(br#"},"format":"#);
    string(&mut out, LEAF_FORMAT);
    out.extend_from_slice(br#","id":"#);
    string(&mut out, &event.event_id);
    out.extend_from_slice(br#","received_at":"#);
    string(&mut out, &utc(event.received_at));
    out.extend_from_slice(br#","source":"#);
    string(&mut out, &event.source);
    out.extend_from_slice(br#","time":"#);
    string(&mut out, &utc(event.occurred_at));
    out.push(b'}');
    out
}

/// A JSON string, escaped as `serde_json` (and so `canonical_json`) escapes it.
#[expect(
    clippy::expect_used,
    reason = "serialising a string into a Vec cannot fail"
)]
fn string(out: &mut Vec<u8>, value: &str) {
    serde_json::to_writer(&mut *out, value).expect("writing to a Vec cannot fail");
}

/// `"name":"value"`, after a comma unless it is the object's first member.
fn member(out: &mut Vec<u8>, first: &mut bool, name: &str, value: &str) {
    if !std::mem::take(first) {
        out.push(b',');
    }
    string(out, name);
    out.push(b':');
    string(out, value);
}

fn optional(out: &mut Vec<u8>, first: &mut bool, name: &str, value: &Option<String>) {
    if let Some(value) = value {
        member(out, first, name, value);
    }
}

fn utc(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map, Value};

    use super::*;

    /// The same leaf built as a JSON value and serialised by `canonical_json`: the reference
    /// [`leaf_bytes`] is tested against.
    fn leaf_value(keys: &LogKeys, event: &AccessEventRow) -> Value {
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
        json!({
            "format": LEAF_FORMAT,
            "source": event.source,
            "id": event.event_id,
            "time": utc(event.occurred_at),
            "received_at": utc(event.received_at),
            "data": Value::Object(data),
        })
    }

    fn insert_some(map: &mut Map<String, Value>, key: &str, value: &Option<String>) {
        if let Some(value) = value {
            map.insert(key.into(), json!(value));
        }
    }

    fn event(optional: bool, text: &str) -> AccessEventRow {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
            .unwrap()
            .and_hms_micro_opt(14, 2, 11, 250_000)
            .unwrap();
        let some = |value: &str| optional.then(|| value.to_owned());
        AccessEventRow {
            id: 7,
            source: "/crm/support-console".into(),
            event_id: format!("evt-{text}"),
            occurred_at: at,
            received_at: at + chrono::Duration::seconds(3),
            customer_ref: "C-100042".into(),
            employee_id: "E-7781".into(),
            role_code: "cs_agent_t1".into(),
            team: some("Support Berlin"),
            office_country: some("DE"),
            data_category: "purchase_history".into(),
            action: "view".into(),
            reason_code: "customer_request".into(),
            reason_text: some(text),
            ticket_ref: some("T-48213"),
            system: some("support-console"),
            content_sha256: String::new(),
            visible_from: None,
            leaf_index: 0,
        }
    }

    #[test]
    fn the_fast_leaf_is_the_canonical_json_of_the_leaf() {
        let dir = std::env::temp_dir().join(format!("einblick-leaf-{}", rand::random::<u64>()));
        let keys = LogKeys::load_or_create(&dir, "example.test/log").unwrap();
        for text in [
            "Asked about a delayed parcel",
            "Zurück \"zur\" Bestellung \\ 🚚 \u{1}\u{1f}\n\t</script>",
            "\u{2028}\u{7f}é",
        ] {
            for optional in [true, false] {
                let event = event(optional, text);
                let fast = String::from_utf8(leaf_bytes(&keys, &event)).unwrap();
                let reference =
                    crate::canonical_json::to_canonical_string(&leaf_value(&keys, &event)).unwrap();
                assert_eq!(fast, reference);
                assert!(!fast.contains("C-100042"));
            }
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
