//! CloudEvents binary content mode (HTTP and NATS protocol bindings): the attributes travel as
//! `ce-*` headers and the body is the event's data. It is turned into the structured form here,
//! so one parser, one set of checks and one dead-letter format serve every mode; the structured
//! text keeps every header and the body, so nothing is lost when it is dead-lettered.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};

/// The header prefix of an attribute in binary mode.
const PREFIX: &str = "ce-";

/// Whether these headers carry an event in binary mode (the binding's test: `ce-specversion`).
pub fn is_binary<'a>(mut names: impl Iterator<Item = &'a str>) -> bool {
    names.any(|name| name.eq_ignore_ascii_case("ce-specversion"))
}

/// The structured-mode JSON of a binary-mode event: every `ce-*` header as an attribute
/// (percent-decoded, as the HTTP binding says), the content type as `datacontenttype`, and the
/// body as `data` when it is JSON, else as `data_base64` (which the parser then refuses with a
/// reason, keeping the bytes).
pub fn to_structured<'a>(
    headers: impl Iterator<Item = (&'a str, &'a [u8])>,
    content_type: Option<&str>,
    body: &[u8],
) -> Vec<u8> {
    let mut attributes = Map::new();
    for (name, value) in headers {
        let Some(attribute) = name
            .get(..PREFIX.len())
            .filter(|prefix| prefix.eq_ignore_ascii_case(PREFIX))
            .map(|_| name[PREFIX.len()..].to_ascii_lowercase())
        else {
            continue;
        };
        // An attribute named twice stays visible as two values: the parser refuses a doubled
        // member, and so the event, rather than pick one.
        let value = Value::String(percent_decode(value));
        match attributes.get_mut(&attribute) {
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.clone(), value]),
            None => {
                attributes.insert(attribute, value);
            }
        }
    }
    if let Some(content_type) = content_type.filter(|t| !t.trim().is_empty()) {
        attributes.insert("datacontenttype".into(), Value::String(content_type.into()));
    }
    let is_json = content_type
        .map(|t| {
            let media = t
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            media == "application/json" || media.ends_with("+json")
        })
        // The HTTP binding lets a binary event omit Content-Type; JSON is then tried.
        .unwrap_or(true);
    let data = std::str::from_utf8(body)
        .ok()
        .filter(|_| is_json)
        .filter(|text| serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok());
    // Attributes first, then the body verbatim: `{…attributes…,"data":<body>}`.
    let mut structured = Value::Object(attributes).to_string().into_bytes();
    structured.pop();
    if structured.len() > 1 {
        structured.push(b',');
    }
    match data {
        Some(json) => {
            structured.extend_from_slice(b"\"data\":");
            structured.extend_from_slice(json.trim().as_bytes());
        }
        None => {
            structured.extend_from_slice(b"\"data_base64\":");
            structured
                .extend_from_slice(Value::String(STANDARD.encode(body)).to_string().as_bytes());
        }
    }
    structured.push(b'}');
    structured
}

/// `%XX` sequences decoded as UTF-8; anything that is not a valid escape stays as it is.
fn percent_decode(raw: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut index = 0;
    while index < raw.len() {
        let escaped = (raw[index] == b'%')
            .then(|| raw.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                bytes.push(byte);
                index += 3;
            }
            None => {
                bytes.push(raw[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static [u8])> {
        pairs.iter().map(|(k, v)| (*k, v.as_bytes())).collect()
    }

    #[test]
    fn headers_become_attributes_and_the_body_data() {
        let structured = to_structured(
            headers(&[
                ("ce-specversion", "1.0"),
                ("CE-ID", "evt-1"),
                ("ce-source", "/crm/support-console"),
                ("ce-type", "einblick.access.v1"),
                ("ce-time", "2026-11-20T14:02:11Z"),
                ("ce-comment", "Gr%C3%BC%C3%9Fe%20and%20100%25"),
                ("content-length", "12"),
            ])
            .into_iter(),
            Some("application/json; charset=utf-8"),
            b" {\"a\": [1, 2]} ",
        );
        let value: Value = serde_json::from_slice(&structured).unwrap();
        assert_eq!(value["id"], "evt-1");
        assert_eq!(value["source"], "/crm/support-console");
        assert_eq!(value["comment"], "Grüße and 100%");
        assert_eq!(value["datacontenttype"], "application/json; charset=utf-8");
        assert_eq!(value["data"]["a"][1], 2);
        assert!(value.get("content-length").is_none());
        assert!(String::from_utf8(structured)
            .unwrap()
            .ends_with("\"data\":{\"a\": [1, 2]}}"));
    }

    #[test]
    fn a_body_that_is_not_json_is_kept_as_base64() {
        let structured = to_structured(
            headers(&[("ce-specversion", "1.0"), ("ce-id", "x")]).into_iter(),
            Some("text/plain"),
            b"not json",
        );
        let value: Value = serde_json::from_slice(&structured).unwrap();
        assert!(value.get("data").is_none());
        assert_eq!(value["data_base64"], STANDARD.encode("not json"));
        let broken = to_structured(
            headers(&[("ce-specversion", "1.0")]).into_iter(),
            Some("application/json"),
            b"{\"unclosed\": ",
        );
        let value: Value = serde_json::from_slice(&broken).unwrap();
        assert!(value.get("data_base64").is_some());
    }

    #[test]
    fn binary_mode_is_told_by_ce_specversion() {
        assert!(is_binary(["Content-Type", "Ce-Specversion"].into_iter()));
        assert!(!is_binary(["content-type", "ce-id"].into_iter()));
    }

    #[test]
    fn a_doubled_attribute_is_not_silently_reduced_to_one() {
        let structured = to_structured(
            headers(&[("ce-id", "a"), ("ce-id", "b")]).into_iter(),
            None,
            b"{}",
        );
        let value: Value = serde_json::from_slice(&structured).unwrap();
        assert_eq!(value["id"], serde_json::json!(["a", "b"]));
    }
}
