//! What the log commits to for each access event, in one of two formats.
//!
//! **v1** (`einblick.access-leaf.v1`, events logged before v2): the canonical JSON (RFC 8785)
//! of the event with the customer number replaced by a keyed hash. It names the employee, so it
//! is never handed to a customer; it stays in the log as it was (the log is append-only).
//!
//! **v2** (`einblick.access-leaf.v2`): two canonical JSON documents. The *access* document holds
//! what happened, with the employee (and their team and country) as one keyed hash. The *leaf*
//! holds the access document's SHA-256, the customer's keyed hash and the customer's chain: the
//! running count of their entries and the index and leaf hash of their previous one. From the
//! newest leaf, the chain reaches every earlier entry of the customer by hash, so a whole
//! timeline is checked with one inclusion proof, and an entry dropped from the middle breaks it.
//! An entry held back from the timeline is shown by its leaf alone: the chain stays checkable
//! without revealing what the entry says.
//!
//! Neither format holds `visible_from`: it is the timeline's embargo, which changes after the
//! fact when a confidential case is closed, and is not part of what happened.

use chrono::{NaiveDateTime, SecondsFormat};
use sha2::{Digest, Sha256};
use tlog_tiles::record_hash;

use super::keys::LogKeys;
use crate::db::access_event::{AccessEventRow, CustomerLink, NewAccessEvent};

pub const LEAF_FORMAT_V1: &str = "einblick.access-leaf.v1";
pub const LEAF_FORMAT_V2: &str = "einblick.access-leaf.v2";
pub const ACCESS_FORMAT: &str = "einblick.access.v2";

/// The `leaf_format` column's value for each format.
pub const V1: i16 = crate::db::access_event::FIRST_LEAF_FORMAT;
pub const V2: i16 = crate::db::access_event::NEW_LEAF_FORMAT;

/// The fields of an access a leaf commits to, borrowed from a stored or a new row.
pub struct AccessFields<'a> {
    pub source: &'a str,
    pub event_id: &'a str,
    pub occurred_at: NaiveDateTime,
    pub received_at: NaiveDateTime,
    pub customer_ref: &'a str,
    pub employee_id: &'a str,
    pub role_code: &'a str,
    pub team: Option<&'a str>,
    pub office_country: Option<&'a str>,
    pub data_category: &'a str,
    pub action: &'a str,
    pub reason_code: &'a str,
    pub reason_text: Option<&'a str>,
    pub ticket_ref: Option<&'a str>,
    pub system: Option<&'a str>,
}

impl<'a> From<&'a AccessEventRow> for AccessFields<'a> {
    fn from(event: &'a AccessEventRow) -> Self {
        AccessFields {
            source: &event.source,
            event_id: &event.event_id,
            occurred_at: event.occurred_at,
            received_at: event.received_at,
            customer_ref: &event.customer_ref,
            employee_id: &event.employee_id,
            role_code: &event.role_code,
            team: event.team.as_deref(),
            office_country: event.office_country.as_deref(),
            data_category: &event.data_category,
            action: &event.action,
            reason_code: &event.reason_code,
            reason_text: event.reason_text.as_deref(),
            ticket_ref: event.ticket_ref.as_deref(),
            system: event.system.as_deref(),
        }
    }
}

impl<'a> From<&'a NewAccessEvent> for AccessFields<'a> {
    fn from(event: &'a NewAccessEvent) -> Self {
        AccessFields {
            source: &event.source,
            event_id: &event.event_id,
            occurred_at: event.occurred_at,
            received_at: event.received_at,
            customer_ref: &event.customer_ref,
            employee_id: &event.employee_id,
            role_code: &event.role_code,
            team: event.team.as_deref(),
            office_country: event.office_country.as_deref(),
            data_category: &event.data_category,
            action: &event.action,
            reason_code: &event.reason_code,
            reason_text: event.reason_text.as_deref(),
            ticket_ref: event.ticket_ref.as_deref(),
            system: event.system.as_deref(),
        }
    }
}

/// The leaf's bytes: what RFC 6962 hashes as `SHA-256(0x00 ‖ leaf)`, in the event's format.
/// Every stored event passes through here when a checkpoint is signed, so it must be cheap:
/// written directly in canonical form (members in RFC 8785 order, strings escaped as
/// `canonical_json` does).
pub fn leaf_bytes(keys: &LogKeys, event: &AccessEventRow) -> Vec<u8> {
    if event.leaf_format == V1 {
        return leaf_v1(keys, &AccessFields::from(event));
    }
    let link = CustomerLink {
        entry: event.customer_entry.unwrap_or_default(),
        previous: event.customer_previous_leaf.map(|index| {
            let hash = event
                .customer_previous_hash
                .as_deref()
                .and_then(|bytes| bytes.try_into().ok())
                .unwrap_or_default();
            (index, hash)
        }),
    };
    leaf_v2(
        &keys.customer_hash(&event.customer_ref),
        &access_document(keys, &AccessFields::from(event)),
        &link,
    )
}

/// The v2 leaf hash of a new event at this place in its customer's chain: what the next entry of
/// the customer links to. Given to `access_event::insert_new`.
pub fn chain_hasher(keys: &LogKeys) -> impl Fn(&NewAccessEvent, &CustomerLink) -> [u8; 32] + '_ {
    move |event, link| {
        let access = access_document(keys, &AccessFields::from(event));
        record_hash(&leaf_v2(
            &keys.customer_hash(&event.customer_ref),
            &access,
            link,
        ))
        .0
    }
}

/// The v2 access document: what happened, with the employee as a keyed hash.
pub fn access_document(keys: &LogKeys, event: &AccessFields<'_>) -> Vec<u8> {
    // Times to the microsecond, as PostgreSQL stores them: the hash computed at ingest, from the
    // event as received, must be the one computed later from the stored row.
    let event = &AccessFields {
        occurred_at: to_microseconds(event.occurred_at),
        received_at: to_microseconds(event.received_at),
        ..*event
    };
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(br#"{"data":{"action":"#);
    string(&mut out, event.action);
    out.extend_from_slice(br#","actor":{"employee":"hmac-sha256:"#);
    out.extend_from_slice(
        keys.employee_hash(event.employee_id, event.team, event.office_country)
            .as_bytes(),
    );
    out.extend_from_slice(br#"","role":"#);
    string(&mut out, event.role_code);
    out.extend_from_slice(br#"},"data_category":"#);
    reason_and_rest(&mut out, event);
    out.extend_from_slice(br#","format":"#);
    string(&mut out, ACCESS_FORMAT);
    event_identity(&mut out, event);
    out
}

fn leaf_v2(customer_hash: &str, access: &[u8], link: &CustomerLink) -> Vec<u8> {
    let mut out = Vec::with_capacity(320);
    out.extend_from_slice(br#"{"access":"sha256:"#);
    out.extend_from_slice(hex::encode(Sha256::digest(access)).as_bytes());
    out.extend_from_slice(br#"","customer":"hmac-sha256:"#);
    out.extend_from_slice(customer_hash.as_bytes());
    out.extend_from_slice(br#"","customer_entry":"#);
    out.extend_from_slice(link.entry.to_string().as_bytes());
    if let Some((index, hash)) = &link.previous {
        out.extend_from_slice(br#","customer_previous":{"index":"#);
        out.extend_from_slice(index.to_string().as_bytes());
        out.extend_from_slice(br#","leaf_hash":""#);
        out.extend_from_slice(hex::encode(hash).as_bytes());
        out.extend_from_slice(br#""}"#);
    }
    out.extend_from_slice(br#","format":"#);
    string(&mut out, LEAF_FORMAT_V2);
    out.push(b'}');
    out
}

fn leaf_v1(keys: &LogKeys, event: &AccessFields<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(br#"{"data":{"action":"#);
    string(&mut out, event.action);
    out.extend_from_slice(br#","actor":{"#);
    let mut first = true;
    optional(&mut out, &mut first, "country", event.office_country);
    member(&mut out, &mut first, "employee_id", event.employee_id);
    member(&mut out, &mut first, "role", event.role_code);
    optional(&mut out, &mut first, "team", event.team);
    out.extend_from_slice(br#"},"customer":"hmac-sha256:"#);
    out.extend_from_slice(keys.customer_hash(event.customer_ref).as_bytes());
    out.extend_from_slice(br#"","data_category":"#);
    reason_and_rest(&mut out, event);
    out.extend_from_slice(br#","format":"#);
    string(&mut out, LEAF_FORMAT_V1);
    event_identity(&mut out, event);
    out
}

/// From the data category's value to the end of `data`: shared by both formats.
fn reason_and_rest(out: &mut Vec<u8>, event: &AccessFields<'_>) {
    string(out, event.data_category);
    out.extend_from_slice(br#","reason":{"code":"#);
    string(out, event.reason_code);
    let mut first = false;
    optional(out, &mut first, "text", event.reason_text);
    optional(out, &mut first, "ticket", event.ticket_ref);
    out.push(b'}');
    optional(out, &mut first, "system", event.system);
    out.push(b'}');
}

/// `"id"`, `"received_at"`, `"source"`, `"time"` and the closing brace: shared by both formats.
fn event_identity(out: &mut Vec<u8>, event: &AccessFields<'_>) {
    out.extend_from_slice(br#","id":"#);
    string(out, event.event_id);
    out.extend_from_slice(br#","received_at":"#);
    string(out, &utc(event.received_at));
    out.extend_from_slice(br#","source":"#);
    string(out, event.source);
    out.extend_from_slice(br#","time":"#);
    string(out, &utc(event.occurred_at));
    out.push(b'}');
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

fn optional(out: &mut Vec<u8>, first: &mut bool, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        member(out, first, name, value);
    }
}

fn to_microseconds(at: NaiveDateTime) -> NaiveDateTime {
    use chrono::Timelike;
    at.with_nanosecond(at.nanosecond() / 1_000 * 1_000)
        .unwrap_or(at)
}

fn utc(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map, Value};

    use super::*;

    /// The same v1 leaf built as a JSON value and serialised by `canonical_json`: the reference
    /// the fast writer is tested against.
    fn leaf_v1_value(keys: &LogKeys, event: &AccessEventRow) -> Value {
        let mut actor = Map::new();
        actor.insert("employee_id".into(), json!(event.employee_id));
        actor.insert("role".into(), json!(event.role_code));
        insert_some(&mut actor, "team", &event.team);
        insert_some(&mut actor, "country", &event.office_country);
        let mut data = data_value(event);
        data.insert(
            "customer".into(),
            json!(format!(
                "hmac-sha256:{}",
                keys.customer_hash(&event.customer_ref)
            )),
        );
        data.insert("actor".into(), Value::Object(actor));
        json!({
            "format": LEAF_FORMAT_V1,
            "source": event.source,
            "id": event.event_id,
            "time": utc(event.occurred_at),
            "received_at": utc(event.received_at),
            "data": Value::Object(data),
        })
    }

    fn access_value(keys: &LogKeys, event: &AccessEventRow) -> Value {
        let mut data = data_value(event);
        let employee = keys.employee_hash(
            &event.employee_id,
            event.team.as_deref(),
            event.office_country.as_deref(),
        );
        data.insert(
            "actor".into(),
            json!({"employee": format!("hmac-sha256:{employee}"), "role": event.role_code}),
        );
        json!({
            "format": ACCESS_FORMAT,
            "source": event.source,
            "id": event.event_id,
            "time": utc(event.occurred_at),
            "received_at": utc(event.received_at),
            "data": Value::Object(data),
        })
    }

    fn data_value(event: &AccessEventRow) -> Map<String, Value> {
        let mut reason = Map::new();
        reason.insert("code".into(), json!(event.reason_code));
        insert_some(&mut reason, "text", &event.reason_text);
        insert_some(&mut reason, "ticket", &event.ticket_ref);
        let mut data = Map::new();
        data.insert("data_category".into(), json!(event.data_category));
        data.insert("action".into(), json!(event.action));
        data.insert("reason".into(), Value::Object(reason));
        insert_some(&mut data, "system", &event.system);
        data
    }

    fn insert_some(map: &mut Map<String, Value>, key: &str, value: &Option<String>) {
        if let Some(value) = value {
            map.insert(key.into(), json!(value));
        }
    }

    fn event(optional: bool, text: &str, format: i16) -> AccessEventRow {
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
            leaf_format: format,
            customer_previous_leaf: optional.then_some(3),
            customer_previous_hash: optional.then(|| vec![0xab; 32]),
            customer_entry: (format == V2).then_some(if optional { 2 } else { 1 }),
        }
    }

    const TEXTS: [&str; 3] = [
        "Asked about a delayed parcel",
        "Zurück \"zur\" Bestellung \\ 🚚 \u{1}\u{1f}\n\t</script>",
        "\u{2028}\u{7f}é",
    ];

    #[test]
    fn the_fast_v1_leaf_is_the_canonical_json_of_the_leaf() {
        let dir = std::env::temp_dir().join(format!("einblick-leaf-{}", rand::random::<u64>()));
        let keys = LogKeys::load_or_create(&dir, "example.test/log").unwrap();
        for text in TEXTS {
            for optional in [true, false] {
                let event = event(optional, text, V1);
                let fast = String::from_utf8(leaf_bytes(&keys, &event)).unwrap();
                let reference =
                    crate::canonical_json::to_canonical_string(&leaf_v1_value(&keys, &event))
                        .unwrap();
                assert_eq!(fast, reference);
                assert!(!fast.contains("C-100042"));
            }
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_v2_leaf_chains_the_customer_and_names_no_employee() {
        let dir = std::env::temp_dir().join(format!("einblick-leaf-{}", rand::random::<u64>()));
        let keys = LogKeys::load_or_create(&dir, "example.test/log").unwrap();
        for text in TEXTS {
            for optional in [true, false] {
                let event = event(optional, text, V2);
                let access = access_document(&keys, &AccessFields::from(&event));
                let reference =
                    crate::canonical_json::to_canonical_string(&access_value(&keys, &event))
                        .unwrap();
                assert_eq!(String::from_utf8(access.clone()).unwrap(), reference);
                let leaf = String::from_utf8(leaf_bytes(&keys, &event)).unwrap();
                let parsed: Value = serde_json::from_str(&leaf).unwrap();
                assert_eq!(
                    crate::canonical_json::to_canonical_string(&parsed).unwrap(),
                    leaf
                );
                assert_eq!(
                    parsed["access"],
                    json!(format!("sha256:{}", hex::encode(Sha256::digest(&access))))
                );
                assert_eq!(
                    parsed["customer_entry"],
                    json!(if optional { 2 } else { 1 })
                );
                if optional {
                    assert_eq!(parsed["customer_previous"]["index"], json!(3));
                    assert_eq!(
                        parsed["customer_previous"]["leaf_hash"],
                        json!(hex::encode([0xab; 32]))
                    );
                } else {
                    assert!(parsed.get("customer_previous").is_none());
                }
                for document in [&leaf, &reference] {
                    for secret in ["C-100042", "E-7781", "Support Berlin", "\"DE\""] {
                        assert!(!document.contains(secret), "{secret} in {document}");
                    }
                }
            }
        }
        // The same employee in another team is another hash: the hash commits to both.
        assert_ne!(
            keys.employee_hash("E-7781", Some("Support Berlin"), Some("DE")),
            keys.employee_hash("E-7781", Some("Support Hamburg"), Some("DE"))
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
