//! The feed event contract, parsed at the edge: raw JSON in, a checked [`AccessEvent`] or a
//! reason out.

use chrono::DateTime;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::domain::access_event::{
    AccessEvent, Action, Actor, Code, FeedText, FeedTextError, Reason, ReasonCode,
};
use crate::domain::context::{ContextError, ContextRecord, EmployeeRecord};
use crate::domain::customer_profile::ProfileFields;
use crate::domain::dispute::is_hidden_character;
use crate::domain::{CustomerProfile, CustomerRef};

pub const SPEC_VERSION: &str = "1.0";
pub const EVENT_TYPE: &str = "einblick.access.v1";
/// Describes a customer: provisioning for sign-in, and what the explanations need to know.
pub const CUSTOMER_EVENT_TYPE: &str = "einblick.customer.v1";
/// A business record that can explain accesses: a ticket, an order, …
pub const CONTEXT_EVENT_TYPE: &str = "einblick.context.v1";
/// One entry of the employee directory.
pub const EMPLOYEE_EVENT_TYPE: &str = "einblick.employee.v1";

/// One event of the feed: an access, or reference data that describes something as of
/// `described_at` (the event's `time`).
#[derive(Debug, Clone)]
pub enum FeedEvent {
    Access(AccessEvent),
    Reference(ReferenceEvent),
}

#[derive(Debug, Clone)]
pub struct ReferenceEvent {
    pub source: String,
    pub event_id: String,
    pub described_at: chrono::NaiveDateTime,
    pub description: Description,
}

#[derive(Debug, Clone)]
pub enum Description {
    Customer(CustomerProfile),
    Context(ContextRecord),
    Employee(EmployeeRecord),
}

/// Why an event was not accepted, with what could still be read of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub source: Option<String>,
    pub event_id: Option<String>,
    pub reason: String,
}

/// What is wrong with one member, named by its path (`data.reason.text`).
#[derive(Debug, thiserror::Error)]
enum MemberError {
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("{0} must be a string")]
    NotAString(&'static str),
    #[error("{0} must be an object")]
    NotAnObject(&'static str),
    #[error("{0}: {1}")]
    Malformed(&'static str, serde_json::Error),
    #[error("{0} {1}")]
    Text(&'static str, FeedTextError),
    #[error("{0} must be a code of letters, digits, '_', '-' or '.'")]
    NotACode(&'static str),
    #[error("{0}: {1}")]
    Other(&'static str, String),
    #[error("data.{0}")]
    Profile(crate::domain::customer_profile::ProfileError),
    #[error("data.{0}")]
    Context(ContextError),
}

// The members are read straight into these structs rather than into maps (a third of the
// parse time went into building and searching maps). Each member stays a JSON value until it is
// checked, so a wrong type gets our own reason, and each nested object stays raw text until it is
// known to be an object.
#[derive(Deserialize)]
struct Envelope<'a> {
    specversion: Option<Value>,
    id: Option<Value>,
    source: Option<Value>,
    #[serde(rename = "type")]
    event_type: Option<Value>,
    time: Option<Value>,
    datacontenttype: Option<Value>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    data_base64: Option<Value>,
}

#[derive(Deserialize)]
struct Data<'a> {
    customer_ref: Option<Value>,
    #[serde(borrow)]
    actor: Option<&'a RawValue>,
    data_category: Option<Value>,
    action: Option<Value>,
    #[serde(borrow)]
    reason: Option<&'a RawValue>,
    system: Option<Value>,
}

#[derive(Deserialize)]
struct CustomerData {
    customer_ref: Option<Value>,
    email: Option<Value>,
    name: Option<Value>,
    locale: Option<Value>,
    time_zone: Option<Value>,
    high_profile: Option<Value>,
    surname: Option<Value>,
    postcode: Option<Value>,
}

#[derive(Deserialize)]
struct ContextData {
    customer_ref: Option<Value>,
    kind: Option<Value>,
    reference: Option<Value>,
    opened_at: Option<Value>,
    closed_at: Option<Value>,
    assigned_team: Option<Value>,
    assigned_employee_id: Option<Value>,
}

#[derive(Deserialize)]
struct EmployeeData {
    employee_id: Option<Value>,
    surname: Option<Value>,
    postcode: Option<Value>,
    team: Option<Value>,
    shift: Option<Value>,
    active: Option<Value>,
    customer_ref: Option<Value>,
}

#[derive(Deserialize)]
struct ActorMembers {
    employee_id: Option<Value>,
    role: Option<Value>,
    team: Option<Value>,
    country: Option<Value>,
}

#[derive(Deserialize)]
struct ReasonMembers {
    code: Option<Value>,
    text: Option<Value>,
    ticket: Option<Value>,
}

/// The members of the nested object `name`, which must be there.
fn object<'a, T: Deserialize<'a>>(
    raw: Option<&'a RawValue>,
    name: &'static str,
) -> Result<T, MemberError> {
    let raw = raw.ok_or(MemberError::Missing(name))?;
    if !raw.get().starts_with('{') {
        return Err(MemberError::NotAnObject(name));
    }
    serde_json::from_str(raw.get()).map_err(|e| MemberError::Malformed(name, e))
}

/// Parses one access event's raw bytes; any other type is refused.
/// The sources of the looks Einblick logs itself; no feed may use them.
pub const RESERVED_SOURCE_PREFIX: &str = "/einblick/";

pub fn parse(raw: &[u8]) -> Result<AccessEvent, Rejection> {
    match parse_feed(raw)? {
        FeedEvent::Access(event) => Ok(event),
        FeedEvent::Reference(event) => Err(Rejection {
            source: Some(event.source),
            event_id: Some(event.event_id),
            reason: format!("type must be \"{EVENT_TYPE}\" here"),
        }),
    }
}

/// Parses one feed event's raw bytes, of either type.
pub fn parse_feed(raw: &[u8]) -> Result<FeedEvent, Rejection> {
    let mut rejection = Rejection {
        source: None,
        event_id: None,
        reason: String::new(),
    };
    let reject = |mut r: Rejection, reason: String| {
        r.reason = reason;
        r
    };
    // Checked first: serde would also read a struct from a JSON array, by position.
    if !raw.trim_ascii_start().starts_with(b"{") {
        let reason = match serde_json::from_slice::<serde::de::IgnoredAny>(raw) {
            Ok(_) => "an event must be a JSON object".to_owned(),
            Err(e) => format!("not valid JSON: {e}"),
        };
        return Err(reject(rejection, reason));
    }
    let envelope: Envelope = match serde_json::from_slice(raw) {
        Ok(envelope) => envelope,
        Err(e) if e.is_data() => return Err(reject(rejection, format!("not a CloudEvent: {e}"))),
        Err(e) => return Err(reject(rejection, format!("not valid JSON: {e}"))),
    };
    // Kept with the dead letter only when storable as they are; the raw bytes keep the rest.
    let storable = |value: &Option<Value>| {
        value
            .as_ref()
            .and_then(|v| v.as_str())
            .filter(|s| s.len() <= 256 && !s.chars().any(is_hidden_character))
            .map(str::to_owned)
    };
    rejection.event_id = storable(&envelope.id);
    rejection.source = storable(&envelope.source);
    let fail = |error: MemberError| reject(rejection.clone(), error.to_string());
    let fail_with = |reason: String| reject(rejection.clone(), reason);

    match envelope.specversion.as_ref().and_then(|v| v.as_str()) {
        Some(SPEC_VERSION) => {}
        Some(other) => {
            return Err(fail_with(format!(
                "specversion must be \"1.0\", not {other:?}"
            )))
        }
        None => return Err(fail(MemberError::Missing("specversion"))),
    }
    let event_id = required_text(envelope.id.as_ref(), "id", 256).map_err(fail)?;
    let source = required_text(envelope.source.as_ref(), "source", 256).map_err(fail)?;
    if source.as_str().chars().any(char::is_whitespace) {
        return Err(fail_with("source must not contain spaces".into()));
    }
    // Einblick's own looks (the back office, regulators) are explained by being its own; a feed
    // event that claimed such a source would escape every rule.
    if source.as_str().starts_with(RESERVED_SOURCE_PREFIX) {
        return Err(fail_with(format!(
            "sources starting with {RESERVED_SOURCE_PREFIX} are Einblick's own"
        )));
    }
    let event_type = match envelope.event_type.as_ref().and_then(|v| v.as_str()) {
        Some(
            known @ (EVENT_TYPE | CUSTOMER_EVENT_TYPE | CONTEXT_EVENT_TYPE | EMPLOYEE_EVENT_TYPE),
        ) => known,
        Some(other) => {
            return Err(fail_with(format!(
            "type must be \"{EVENT_TYPE}\", \"{CUSTOMER_EVENT_TYPE}\", \"{CONTEXT_EVENT_TYPE}\" \
                 or \"{EMPLOYEE_EVENT_TYPE}\", not {other:?}"
        )))
        }
        None => return Err(fail(MemberError::Missing("type"))),
    };
    let time = required_text(envelope.time.as_ref(), "time", 64).map_err(fail)?;
    let occurred_at = DateTime::parse_from_rfc3339(time.as_str())
        .map_err(|_| {
            fail_with(format!(
                "time must be an RFC 3339 timestamp, not {:?}",
                time.as_str()
            ))
        })?
        .naive_utc();
    if envelope.data.is_none() && envelope.data_base64.is_some() {
        return Err(fail_with(
            "data must be JSON (datacontenttype application/json): this event carries binary \
             data (data_base64, or a binary-mode body that is not JSON)"
                .into(),
        ));
    }
    if let Some(content_type) = envelope.datacontenttype.as_ref() {
        if content_type
            .as_str()
            .is_none_or(|t| !t.starts_with("application/json"))
        {
            return Err(fail_with("datacontenttype must be application/json".into()));
        }
    }
    if event_type != EVENT_TYPE {
        let description = match event_type {
            CUSTOMER_EVENT_TYPE => {
                let data: CustomerData = object(envelope.data, "data").map_err(fail)?;
                Description::Customer(customer_profile(&data).map_err(fail)?)
            }
            CONTEXT_EVENT_TYPE => {
                let data: ContextData = object(envelope.data, "data").map_err(fail)?;
                Description::Context(context_record(&data).map_err(fail)?)
            }
            _ => {
                let data: EmployeeData = object(envelope.data, "data").map_err(fail)?;
                Description::Employee(employee_record(&data).map_err(fail)?)
            }
        };
        return Ok(FeedEvent::Reference(ReferenceEvent {
            source: source.into_string(),
            event_id: event_id.into_string(),
            described_at: occurred_at,
            description,
        }));
    }
    let data: Data = object(envelope.data, "data").map_err(fail)?;

    let customer =
        required_text(data.customer_ref.as_ref(), "data.customer_ref", 64).map_err(fail)?;
    let customer = CustomerRef::parse(customer.as_str())
        .map_err(|e| fail(MemberError::Other("data.customer_ref", e.to_string())))?;
    let actor: ActorMembers = object(data.actor, "data.actor").map_err(fail)?;
    let employee_id =
        required_text(actor.employee_id.as_ref(), "data.actor.employee_id", 64).map_err(fail)?;
    let role = required_code(actor.role.as_ref(), "data.actor.role").map_err(fail)?;
    let team = optional_text(actor.team.as_ref(), "data.actor.team", 128).map_err(fail)?;
    let country = optional_text(actor.country.as_ref(), "data.actor.country", 2).map_err(fail)?;
    let office_country = match country {
        Some(country)
            if country.as_str().len() == 2
                && country.as_str().chars().all(|c| c.is_ascii_uppercase()) =>
        {
            Some(country.into_string())
        }
        Some(_) => {
            return Err(fail_with(
                "data.actor.country must be a two-letter ISO 3166 code like \"DE\"".into(),
            ))
        }
        None => None,
    };
    let data_category =
        required_code(data.data_category.as_ref(), "data.data_category").map_err(fail)?;
    let action = required_text(data.action.as_ref(), "data.action", 16).map_err(fail)?;
    let action = Action::parse(action.as_str()).map_err(|_| {
        let codes: Vec<&str> = Action::ALL.iter().map(|a| a.code()).collect();
        fail_with(format!(
            "data.action must be one of {}, not {:?}",
            codes.join(", "),
            action.as_str()
        ))
    })?;
    let reason: ReasonMembers = object(data.reason, "data.reason").map_err(fail)?;
    let reason_code = required_text(reason.code.as_ref(), "data.reason.code", 32).map_err(fail)?;
    let reason_code = ReasonCode::parse_feed(reason_code.as_str()).map_err(|_| {
        let codes: Vec<&str> = ReasonCode::FEED.iter().map(|r| r.code()).collect();
        fail_with(format!(
            "data.reason.code must be one of {}, not {:?}",
            codes.join(", "),
            reason_code.as_str()
        ))
    })?;
    let reason_text =
        optional_text(reason.text.as_ref(), "data.reason.text", 2000).map_err(fail)?;
    let ticket = optional_text(reason.ticket.as_ref(), "data.reason.ticket", 128).map_err(fail)?;
    let system = optional_text(data.system.as_ref(), "data.system", 128).map_err(fail)?;

    Ok(FeedEvent::Access(AccessEvent {
        source,
        event_id,
        occurred_at,
        customer,
        actor: Actor {
            employee_id,
            role,
            team,
            office_country,
        },
        data_category,
        action,
        reason: Reason {
            code: reason_code,
            text: reason_text,
            ticket,
        },
        system,
    }))
}

fn text_member(
    value: &Option<Value>,
    name: &'static str,
    max: usize,
) -> Result<Option<String>, MemberError> {
    optional_text(value.as_ref(), name, max).map(|t| t.map(FeedText::into_string))
}

fn flag_member(value: &Option<Value>, name: &'static str) -> Result<Option<bool>, MemberError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(*flag)),
        Some(_) => Err(MemberError::Other(name, "must be true or false".into())),
    }
}

/// The members of an `einblick.customer.v1` event's data.
fn customer_profile(data: &CustomerData) -> Result<CustomerProfile, MemberError> {
    let customer_ref = required_text(data.customer_ref.as_ref(), "data.customer_ref", 64)?;
    let email = text_member(&data.email, "data.email", 254)?;
    let name = text_member(&data.name, "data.name", 200)?;
    let locale = text_member(&data.locale, "data.locale", 35)?;
    let time_zone = text_member(&data.time_zone, "data.time_zone", 64)?;
    let surname = text_member(&data.surname, "data.surname", 200)?;
    let postcode = text_member(&data.postcode, "data.postcode", 16)?;
    CustomerProfile::parse(ProfileFields {
        customer_ref: customer_ref.as_str(),
        email: email.as_deref(),
        name: name.as_deref(),
        locale: locale.as_deref(),
        time_zone: time_zone.as_deref(),
        high_profile: flag_member(&data.high_profile, "data.high_profile")?,
        surname: surname.as_deref(),
        postcode: postcode.as_deref(),
    })
    .map_err(MemberError::Profile)
}

/// The members of an `einblick.context.v1` event's data.
fn context_record(data: &ContextData) -> Result<ContextRecord, MemberError> {
    let customer_ref = text_member(&data.customer_ref, "data.customer_ref", 64)?;
    let kind = text_member(&data.kind, "data.kind", 64)?;
    let reference = text_member(&data.reference, "data.reference", 128)?;
    let opened_at = text_member(&data.opened_at, "data.opened_at", 64)?;
    let closed_at = text_member(&data.closed_at, "data.closed_at", 64)?;
    let team = text_member(&data.assigned_team, "data.assigned_team", 128)?;
    let employee = text_member(&data.assigned_employee_id, "data.assigned_employee_id", 64)?;
    ContextRecord::parse(
        customer_ref.as_deref(),
        kind.as_deref(),
        reference.as_deref(),
        opened_at.as_deref(),
        closed_at.as_deref(),
        team.as_deref(),
        employee.as_deref(),
    )
    .map_err(MemberError::Context)
}

/// The members of an `einblick.employee.v1` event's data.
fn employee_record(data: &EmployeeData) -> Result<EmployeeRecord, MemberError> {
    let employee_id = text_member(&data.employee_id, "data.employee_id", 64)?;
    let surname = text_member(&data.surname, "data.surname", 200)?;
    let postcode = text_member(&data.postcode, "data.postcode", 16)?;
    let team = text_member(&data.team, "data.team", 128)?;
    let shift = text_member(&data.shift, "data.shift", 16)?;
    let customer_ref = text_member(&data.customer_ref, "data.customer_ref", 64)?;
    EmployeeRecord::parse(
        employee_id.as_deref(),
        surname.as_deref(),
        postcode.as_deref(),
        team.as_deref(),
        shift.as_deref(),
        flag_member(&data.active, "data.active")?,
        customer_ref.as_deref(),
    )
    .map_err(MemberError::Context)
}

fn required_text(
    value: Option<&Value>,
    name: &'static str,
    max: usize,
) -> Result<FeedText, MemberError> {
    match value {
        None | Some(Value::Null) => Err(MemberError::Missing(name)),
        Some(Value::String(s)) => FeedText::parse(s, max).map_err(|e| MemberError::Text(name, e)),
        Some(_) => Err(MemberError::NotAString(name)),
    }
}

/// Absent, `null` and blank all mean "not given".
fn optional_text(
    value: Option<&Value>,
    name: &'static str,
    max: usize,
) -> Result<Option<FeedText>, MemberError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => FeedText::parse(s, max)
            .map(Some)
            .map_err(|e| MemberError::Text(name, e)),
        Some(_) => Err(MemberError::NotAString(name)),
    }
}

fn required_code(value: Option<&Value>, name: &'static str) -> Result<Code, MemberError> {
    let text = required_text(value, name, 64)?;
    Code::parse(text.as_str()).map_err(|_| MemberError::NotACode(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> serde_json::Value {
        serde_json::json!({
            "specversion": "1.0", "id": "evt-000001", "source": "/crm/support-console",
            "type": "einblick.access.v1", "time": "2026-11-20T14:02:11Z",
            "datacontenttype": "application/json",
            "data": {
                "customer_ref": "C-100042",
                "actor": { "employee_id": "E-7781", "role": "cs_agent_t1", "team": "Support Berlin", "country": "DE" },
                "data_category": "purchase_history", "action": "view",
                "reason": { "code": "customer_request", "text": "Asked about a delayed parcel", "ticket": "T-48213" },
                "system": "support-console"
            }
        })
    }

    #[test]
    fn the_contracts_example_event_is_accepted() {
        let event = parse(valid().to_string().as_bytes()).unwrap();
        assert_eq!(event.event_id.as_str(), "evt-000001");
        assert_eq!(event.occurred_at.to_string(), "2026-11-20 14:02:11");
        assert_eq!(
            event.reason.ticket.as_ref().map(FeedText::as_str),
            Some("T-48213")
        );
        assert_eq!(event.action, Action::View);
        assert_eq!(event.reason.code, ReasonCode::CustomerRequest);
    }

    #[test]
    fn only_the_required_fields_are_enough() {
        let mut minimal = valid();
        let data = minimal["data"].as_object_mut().unwrap();
        data.remove("system");
        data["actor"] = serde_json::json!({ "employee_id": "E-1", "role": "x" });
        data["reason"] = serde_json::json!({ "code": "none" });
        minimal.as_object_mut().unwrap().remove("datacontenttype");
        assert!(parse(minimal.to_string().as_bytes()).is_ok());
    }

    #[test]
    fn a_bad_event_is_rejected_with_its_id_and_a_reason() {
        let mut bad = valid();
        bad["data"]["action"] = "peek".into();
        let rejection = parse(bad.to_string().as_bytes()).unwrap_err();
        assert_eq!(rejection.event_id.as_deref(), Some("evt-000001"));
        assert!(
            rejection.reason.contains("data.action"),
            "{}",
            rejection.reason
        );
    }

    /// The published JSON Schema and the parser must agree on what is required and allowed.
    #[test]
    fn the_published_schema_matches_the_parser() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../contract/access-event-data.schema.json"))
                .unwrap();
        let required = |node: &serde_json::Value| -> Vec<String> {
            node["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        let mut paths: Vec<Vec<String>> = required(&schema).into_iter().map(|f| vec![f]).collect();
        for parent in ["actor", "reason"] {
            for field in required(&schema["properties"][parent]) {
                paths.push(vec![parent.to_owned(), field]);
            }
        }
        assert_eq!(paths.len(), 8);
        for path in paths {
            let mut event = valid();
            let mut node = &mut event["data"];
            for step in &path[..path.len() - 1] {
                node = &mut node[step.as_str()];
            }
            node.as_object_mut().unwrap().remove(path.last().unwrap());
            let rejection = parse(event.to_string().as_bytes()).unwrap_err();
            assert!(
                rejection.reason.contains(path.last().unwrap().as_str()),
                "{path:?}: {}",
                rejection.reason
            );
        }
        let listed = |node: &serde_json::Value| -> Vec<String> {
            node["enum"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        let actions: Vec<&str> = Action::ALL.iter().map(|a| a.code()).collect();
        assert_eq!(listed(&schema["properties"]["action"]), actions);
        let reasons: Vec<&str> = ReasonCode::FEED.iter().map(|r| r.code()).collect();
        assert_eq!(
            listed(&schema["properties"]["reason"]["properties"]["code"]),
            reasons
        );
    }

    #[test]
    fn each_shape_error_is_named() {
        let reason = |raw: &str| parse(raw.as_bytes()).unwrap_err().reason;
        assert!(reason("[1, 2]").contains("must be a JSON object"));
        assert!(reason("\"text\"").contains("must be a JSON object"));
        assert!(reason("{\"id\": ").starts_with("not valid JSON"));
        assert!(reason("[1, 2").starts_with("not valid JSON"));
        for (member, wrong) in [
            ("data", "[]"),
            ("data.actor", "\"E-1\""),
            ("data.reason", "7"),
        ] {
            let mut event = valid();
            let path: Vec<&str> = member.split('.').collect();
            match path[..] {
                [top] => event[top] = serde_json::from_str(wrong).unwrap(),
                [_, nested] => event["data"][nested] = serde_json::from_str(wrong).unwrap(),
                _ => unreachable!(),
            }
            assert_eq!(
                reason(&event.to_string()),
                format!("{member} must be an object")
            );
        }
        // Two values for one member would let two readers of the same event disagree.
        let doubled =
            valid()
                .to_string()
                .replacen("\"id\":\"evt-000001\"", "\"id\":\"a\",\"id\":\"b\"", 1);
        assert!(
            reason(&doubled).contains("duplicate field `id`"),
            "{doubled}"
        );
    }

    #[test]
    fn layout_and_null_optional_members_do_not_matter() {
        let mut event = valid();
        event["data"]["system"] = Value::Null;
        event["data"]["actor"]["team"] = Value::Null;
        let pretty = format!("  \n{}", serde_json::to_string_pretty(&event).unwrap());
        let parsed = parse(pretty.as_bytes()).unwrap();
        assert_eq!((parsed.system, parsed.actor.team), (None, None));
        assert_eq!(parsed.actor.employee_id.as_str(), "E-7781");
    }

    #[test]
    fn hidden_characters_are_refused_in_every_text_field() {
        let fields: [&[&str]; 10] = [
            &["id"],
            &["source"],
            &["data", "customer_ref"],
            &["data", "actor", "employee_id"],
            &["data", "actor", "role"],
            &["data", "actor", "team"],
            &["data", "data_category"],
            &["data", "reason", "text"],
            &["data", "reason", "ticket"],
            &["data", "system"],
        ];
        for path in fields {
            for hidden in ["\u{0}", "\u{7}", "\u{1b}", "\u{202e}", "\u{2066}"] {
                let mut event = valid();
                let mut node = &mut event;
                for step in &path[..path.len() - 1] {
                    node = &mut node[*step];
                }
                node[*path.last().unwrap()] = format!("E-1{hidden}x").into();
                let rejection = parse(event.to_string().as_bytes()).unwrap_err();
                assert!(
                    rejection.reason.contains("control characters")
                        || rejection.reason.contains("a code of letters")
                        || rejection.reason.contains("printable ASCII")
                        || rejection.reason.contains("spaces"),
                    "{path:?} with {hidden:?}: {}",
                    rejection.reason
                );
                for kept in [&rejection.event_id, &rejection.source] {
                    assert!(
                        kept.as_deref()
                            .is_none_or(|k| !k.chars().any(is_hidden_character)),
                        "{kept:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn unknown_role_and_category_codes_are_accepted() {
        let mut event = valid();
        event["data"]["actor"]["role"] = "brand_new_role".into();
        event["data"]["data_category"] = "voice_recordings".into();
        assert!(parse(event.to_string().as_bytes()).is_ok());
    }

    /// The reference types' schema names what the parser requires and every member it reads.
    #[test]
    fn the_reference_schema_matches_the_parser() {
        let schema: serde_json::Value = serde_json::from_str(include_str!(
            "../../contract/reference-event-data.schema.json"
        ))
        .unwrap();
        let full = |kind: &str| -> serde_json::Value {
            match kind {
                "context" => serde_json::json!({
                    "customer_ref": "C-1", "kind": "support_ticket", "reference": "T-1",
                    "opened_at": "2026-03-03T09:00:00Z", "closed_at": "2026-03-04T09:00:00Z",
                    "assigned_team": "Support Berlin", "assigned_employee_id": "E-1"
                }),
                "employee" => serde_json::json!({
                    "employee_id": "E-1", "surname": "Weber", "postcode": "10115",
                    "team": "Support Berlin", "shift": "08-17", "active": true,
                    "customer_ref": "C-9"
                }),
                _ => serde_json::json!({
                    "customer_ref": "C-1", "email": "a@example.com", "name": "A",
                    "locale": "de", "time_zone": "Europe/Berlin", "high_profile": false,
                    "surname": "Weber", "postcode": "10115"
                }),
            }
        };
        for kind in ["context", "employee", "customer"] {
            let definition = &schema["$defs"][kind];
            let event = |data: serde_json::Value| {
                serde_json::json!({
                    "specversion": "1.0", "id": "ref-1", "source": "/shop",
                    "type": format!("einblick.{kind}.v1"), "time": "2026-03-03T09:00:00Z",
                    "data": data
                })
                .to_string()
            };
            let members: Vec<&String> = definition["properties"]
                .as_object()
                .unwrap()
                .keys()
                .collect();
            let example = full(kind);
            let mut example_members: Vec<&String> = example.as_object().unwrap().keys().collect();
            example_members.sort();
            let mut sorted = members.clone();
            sorted.sort();
            assert_eq!(sorted, example_members, "{kind}: schema members");
            assert!(
                parse_feed(event(example.clone()).as_bytes()).is_ok(),
                "{kind}: every member"
            );
            let required: Vec<&str> = definition["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            for member in &members {
                let mut data = example.clone();
                data.as_object_mut().unwrap().remove(member.as_str());
                let outcome = parse_feed(event(data).as_bytes());
                assert_eq!(
                    outcome.is_err(),
                    required.contains(&member.as_str()),
                    "{kind}: without {member}: {:?}",
                    outcome.err()
                );
            }
        }
    }

    #[test]
    fn einblicks_own_sources_are_refused() {
        for source in [
            "/einblick/back-office",
            "/einblick/regulator",
            "/einblick/x",
        ] {
            let mut event = valid();
            event["source"] = source.into();
            let rejection = parse(event.to_string().as_bytes()).unwrap_err();
            assert!(rejection.reason.contains("Einblick's own"), "{rejection:?}");
        }
        let mut event = valid();
        event["source"] = "/einblicker/feed".into();
        assert!(parse(event.to_string().as_bytes()).is_ok());
    }
}
