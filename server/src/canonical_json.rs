//! JSON in the canonical form of RFC 8785 (JCS), so that a hash over a document can be checked
//! by anyone who parses it and serialises it again.
//!
//! Our documents hold strings, integers, booleans, nulls, arrays and objects only; for those,
//! JCS is: object members sorted by key (UTF-16 code units), no whitespace, and strings escaped
//! as `serde_json` escapes them. Floating-point numbers are refused rather than mis-serialised.

use serde_json::Value;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum CanonicalJsonError {
    #[error("{0} is not an integer; canonical JSON here holds integers only")]
    NotAnInteger(serde_json::Number),
    #[error("cannot serialise a string: {0}")]
    Serialise(#[from] serde_json::Error),
}

/// The canonical serialisation of `value`.
pub fn to_canonical_string(value: &Value) -> Result<String, CanonicalJsonError> {
    let mut out = String::new();
    write_value(value, &mut out)?;
    Ok(out)
}

/// Hex SHA-256 of the canonical serialisation of `value`.
pub fn sha256_hex(value: &Value) -> Result<String, CanonicalJsonError> {
    let canonical = to_canonical_string(value)?;
    Ok(hex::encode(Sha256::digest(canonical.as_bytes())))
}

fn write_value(value: &Value, out: &mut String) -> Result<(), CanonicalJsonError> {
    match value {
        Value::Null | Value::Bool(_) | Value::String(_) => {
            out.push_str(&serde_json::to_string(value)?);
        }
        Value::Number(number) => {
            if number.is_f64() {
                return Err(CanonicalJsonError::NotAnInteger(number.clone()));
            }
            out.push_str(&number.to_string());
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(item, out)?;
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (index, (key, item)) in sorted.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key)?);
                out.push(':');
                write_value(item, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_are_sorted_and_whitespace_dropped() {
        let value = json!({ "b": [1, { "z": null, "a": true }], "a": "ä\n\"", "€": 1, "é": 2 });
        assert_eq!(
            to_canonical_string(&value).unwrap(),
            r#"{"a":"ä\n\"","b":[1,{"a":true,"z":null}],"é":2,"€":1}"#
        );
    }

    #[test]
    fn floats_are_refused() {
        assert!(to_canonical_string(&json!({ "x": 1.5 })).is_err());
    }
}
