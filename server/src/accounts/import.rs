//! `einblick customers import FILE`: customers from the retailer's records, for sign-in with an
//! Einblick password. NDJSON (one `{customer_ref, email, name, locale, time_zone, high_profile}`
//! object per line) or CSV with a header row naming the same columns. Safe to re-run: a customer
//! is made once and updated after; with `--invite`, each customer with an email address and no
//! password who was never invited gets one invitation.

use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::Utc;
use serde::Deserialize;

use super::password_links;
use crate::db::{customer, password_link, AnyConnection, Database};
use crate::domain::csv::csv_fields;
use crate::domain::customer_profile::{CustomerProfile, ProfileFields};
use crate::email::account::AccountEmail;
use crate::error::AppError;

/// Lines written in one transaction.
const CHUNK: usize = 500;

#[derive(Debug, Default)]
pub struct CustomerImport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Line number (1-based) and why the line was not imported.
    pub rejected: Vec<(usize, String)>,
    pub invited: usize,
    /// Invitations of the chunk being stored, sent once it is committed.
    invitations: Vec<AccountEmail>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    customer_ref: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    time_zone: Option<String>,
    #[serde(default)]
    high_profile: Option<bool>,
}

impl Line {
    fn profile(&self) -> Result<CustomerProfile, String> {
        CustomerProfile::parse(ProfileFields {
            customer_ref: &self.customer_ref,
            email: self.email.as_deref(),
            name: self.name.as_deref(),
            locale: self.locale.as_deref(),
            time_zone: self.time_zone.as_deref(),
            high_profile: self.high_profile,
            ..ProfileFields::default()
        })
        .map_err(|e| e.to_string())
    }
}

/// Reads `path` and stores its customers. With `invite`, each chunk's invitations go to
/// `send` as soon as the chunk is committed: a later failure never leaves a link made and not
/// sent.
pub fn import(
    db: &Database,
    path: &Path,
    invite: bool,
    public_url: &str,
    mut send: impl FnMut(AccountEmail),
) -> Result<CustomerImport, AppError> {
    let file = std::fs::File::open(path)
        .map_err(|e| AppError::context(format!("opening {}", path.display()), e))?;
    let lines = BufReader::new(file).lines().enumerate();
    let mut report = CustomerImport::default();
    let mut parsed: Vec<(usize, CustomerProfile)> = Vec::new();
    let mut csv_header: Option<Vec<String>> = None;
    let mut format_known = false;
    for (index, line) in lines {
        let number = index + 1;
        let line = line.map_err(|e| AppError::context(format!("reading line {number}"), e))?;
        let text = line.trim().trim_start_matches('\u{feff}');
        if text.is_empty() {
            continue;
        }
        if !format_known {
            format_known = true;
            if !text.starts_with('{') {
                csv_header = Some(
                    csv_fields(text)
                        .into_iter()
                        .map(|h| h.trim().to_owned())
                        .collect(),
                );
                continue;
            }
        }
        let row = match &csv_header {
            Some(header) => line_from_csv(header, text),
            None => serde_json::from_str::<Line>(text).map_err(|e| format!("not a customer: {e}")),
        };
        match row.and_then(|row| row.profile()) {
            Ok(profile) => parsed.push((number, profile)),
            Err(reason) => report.rejected.push((number, reason)),
        }
    }
    let mut conn = db.get()?;
    for chunk in parsed.chunks(CHUNK) {
        let stored = crate::db::write_transaction(&mut conn, |conn| {
            store_chunk(conn, chunk, invite, public_url)
        });
        match stored {
            Ok(part) => merge(&mut report, part, &mut send),
            // One line the database refuses must not keep the others out.
            Err(error) if error.is_refusal_of_data() => {
                for one in chunk {
                    match crate::db::write_transaction(&mut conn, |conn| {
                        store_chunk(conn, std::slice::from_ref(one), invite, public_url)
                    }) {
                        Ok(part) => merge(&mut report, part, &mut send),
                        Err(error) if error.is_refusal_of_data() => report
                            .rejected
                            .push((one.0, "the database refused this customer".into())),
                        Err(error) => return Err(error),
                    }
                }
            }
            Err(error) => return Err(error),
        }
    }
    report.rejected.sort_by_key(|(line, _)| *line);
    Ok(report)
}

fn merge(report: &mut CustomerImport, part: CustomerImport, send: &mut impl FnMut(AccountEmail)) {
    report.created += part.created;
    report.updated += part.updated;
    report.unchanged += part.unchanged;
    report.invited += part.invitations.len();
    for invitation in part.invitations {
        send(invitation);
    }
}

fn store_chunk(
    conn: &mut AnyConnection,
    chunk: &[(usize, CustomerProfile)],
    invite: bool,
    public_url: &str,
) -> Result<CustomerImport, AppError> {
    let mut part = CustomerImport::default();
    let now = Utc::now().naive_utc();
    for (_, profile) in chunk {
        let before = customer::find_by_ref(conn, profile.customer_ref.as_str())?;
        let (after, provisioned) = customer::upsert_profile(conn, profile, Some(now), now)?;
        match (provisioned, before) {
            (customer::Provisioned::Created, _) => part.created += 1,
            (_, Some(before)) if same_profile(&before, &after) => part.unchanged += 1,
            _ => part.updated += 1,
        }
        if invite
            && after.password_hash.is_none()
            && after.email.is_some()
            && !password_link::any_for(conn, after.id())?
        {
            if let Some(mail) = password_links::issue(
                conn,
                &after,
                password_links::LinkPurpose::Invitation,
                public_url,
                now,
            )? {
                part.invitations.push(mail);
            }
        }
    }
    Ok(part)
}

fn same_profile(a: &customer::CustomerRow, b: &customer::CustomerRow) -> bool {
    (&a.email, &a.display_name, &a.lang, &a.time_zone, a.is_vip)
        == (&b.email, &b.display_name, &b.lang, &b.time_zone, b.is_vip)
}

fn line_from_csv(header: &[String], text: &str) -> Result<Line, String> {
    let fields = csv_fields(text);
    if fields.len() != header.len() {
        return Err(format!(
            "has {} fields, the header names {}",
            fields.len(),
            header.len()
        ));
    }
    let mut object = serde_json::Map::new();
    for (name, value) in header.iter().zip(fields) {
        let value = match name.as_str() {
            "high_profile" => match value.trim().to_ascii_lowercase().as_str() {
                "" => serde_json::Value::Null,
                "true" | "yes" | "1" => serde_json::Value::Bool(true),
                "false" | "no" | "0" => serde_json::Value::Bool(false),
                other => return Err(format!("high_profile must be true or false, not {other:?}")),
            },
            _ => serde_json::Value::String(value),
        };
        object.insert(name.clone(), value);
    }
    serde_json::from_value(serde_json::Value::Object(object))
        .map_err(|e| format!("not a customer: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_become_customers() {
        let header: Vec<String> = ["customer_ref", "email", "name", "high_profile"]
            .map(String::from)
            .to_vec();
        let line = line_from_csv(&header, "C-7,anna@example.com,\"Muster, Anna\",yes").unwrap();
        let profile = line.profile().unwrap();
        assert_eq!(profile.name.as_deref(), Some("Muster, Anna"));
        assert_eq!(profile.high_profile, Some(true));
        assert!(line_from_csv(&header, "C-7,anna@example.com").is_err());
    }
}
