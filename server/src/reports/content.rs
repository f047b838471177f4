//! What a report says, independent of its format.

use chrono::NaiveDateTime;
use serde::Serialize;

use app::dto::Labelled;
use app::i18n::Lang;

use super::texts::{report_texts, ReportTexts};
use crate::canonical_json;
use crate::db::customer::CustomerRow;
use crate::db::{access_event, dispute, lookup, AnyConnection};
use crate::display::{timeline_entry, Labeller};
use crate::domain::time::{local_date, rfc3339_utc};
use crate::domain::{CustomerRef, ReportPeriod, RetentionPolicy};
use crate::error::AppError;
use crate::transparency::witness::witnessed::newest_witnessed;
use crate::transparency::witness::Policy;
use crate::transparency::LogKeys;

/// Names the JSON form, so readers can tell versions apart.
pub const REPORT_FORMAT: &str = "einblick.access-report.v1";

#[derive(Debug, Clone, Serialize)]
pub struct ReportContent {
    pub format: &'static str,
    pub language: &'static str,
    pub generated_at: String,
    pub subject: Subject,
    pub period: PeriodCovered,
    pub systems: Vec<SystemCovered>,
    pub accesses: Vec<Access>,
    pub information: Information,
    pub disputes: Vec<DisputeOutcome>,
    /// The signed checkpoint of the verifiable access log that holds every access listed; `None`
    /// only while the log is empty.
    pub log_checkpoint: Option<LogCheckpoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogCheckpoint {
    pub origin: String,
    pub tree_size: i64,
    /// Base64, as in the checkpoint text.
    pub root_hash: String,
    /// The witnesses (names of the witness policy) that cosigned it; empty without witnesses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub witnessed_by: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    pub customer_ref: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodCovered {
    pub from: String,
    pub to: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SystemCovered {
    pub code: String,
    pub label: String,
    pub covered_since: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Access {
    pub occurred_at: String,
    pub local_time: String,
    pub role: Labelled,
    pub role_description: String,
    pub data_category: Labelled,
    pub action: Labelled,
    pub reason: Labelled,
    pub reason_text: Option<String>,
    pub ticket: Option<String>,
    pub system: Option<String>,
    /// Why the access happened as far as the retailer's records tell, or that it is reviewed.
    pub explanation: app::dto::ExplanationView,
}

#[derive(Debug, Clone, Serialize)]
pub struct Information {
    pub purposes: Vec<String>,
    pub data_categories: Vec<String>,
    pub recipients: Vec<Recipient>,
    pub recipients_note: String,
    pub retention: String,
    pub source: String,
    pub rights: Vec<Right>,
    pub supervisory_authority: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recipient {
    pub role: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Right {
    pub title: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DisputeOutcome {
    pub reference: String,
    pub received_on: String,
    pub status: Labelled,
    pub answered_on: Option<String>,
    pub answer: Option<String>,
}

/// A report with its checksum, ready to render.
pub struct AccessReport {
    pub content: ReportContent,
    pub lang: Lang,
    /// Hex SHA-256 of the canonical JSON of `content`.
    pub sha256: String,
}

impl AccessReport {
    pub fn texts(&self) -> &'static ReportTexts {
        report_texts(self.lang)
    }

    /// The JSON form: the content plus `content_sha256`, indented for people.
    #[expect(
        clippy::expect_used,
        reason = "the content is strings, integers and lists, which always serialise"
    )]
    pub fn json_document(&self) -> String {
        let mut value = serde_json::to_value(&self.content).expect("report content serialises");
        value["content_sha256"] = serde_json::Value::String(self.sha256.clone());
        serde_json::to_string_pretty(&value).expect("report value serialises")
    }

    /// The file name offered for download, e.g. `einblick-access-report-2026-01-01-2026-11-27.pdf`.
    pub fn file_name(&self, extension: &str) -> String {
        format!(
            "einblick-access-report-{}-{}.{extension}",
            self.content.period.from, self.content.period.to
        )
    }
}

/// What a report says about the log: whose checkpoint holds the accesses (its keys and, if
/// set, the witness policy) and how long the log keeps them.
pub struct LogContext<'a> {
    pub keys: &'a LogKeys,
    pub witness_policy: Option<&'a Policy>,
    pub retention: Option<RetentionPolicy>,
}

/// Builds the report on `customer`'s accesses in `period`, as the customer can see them now
/// (embargoed entries stay out until their date).
pub fn build(
    conn: &mut AnyConnection,
    log: &LogContext<'_>,
    customer: &CustomerRow,
    period: ReportPeriod,
    lang: Lang,
    now: NaiveDateTime,
) -> Result<AccessReport, AppError> {
    let (log_keys, policy) = (log.keys, log.witness_policy);
    let zone = customer.time_zone();
    let texts = report_texts(lang);
    let customer_ref = CustomerRef::parse(&customer.customer_ref)
        .map_err(|e| AppError::internal(format!("stored customer reference is invalid: {e}")))?;
    let (start, end) = period.utc_bounds(zone);
    let rows = access_event::for_report(conn, &customer_ref, start, end, now)?;
    let lookups = lookup::load_all(conn)?;
    let labels = Labeller::new(&lookups, lang);

    let mut explanations =
        crate::explain::text::views_for(conn, &rows, lang, zone, &lookups.kinds)?;
    let accesses: Vec<Access> = rows
        .iter()
        .map(|row| {
            let entry = timeline_entry(row, &labels, zone);
            let explanation = explanations
                .remove(&row.id)
                .unwrap_or_else(|| crate::explain::text::view(row, None, None, lang, zone));
            Access {
                local_time: format!("{} {}", entry.local_date, entry.local_time),
                occurred_at: entry.occurred_at,
                role: entry.role,
                role_description: entry.role_description,
                data_category: entry.data_category,
                action: entry.action,
                reason: entry.reason,
                reason_text: entry.reason_text,
                ticket: entry.ticket,
                system: entry.system,
                explanation,
            }
        })
        .collect();

    let distinct = |mut items: Vec<String>| {
        items.sort_by_key(|item| item.to_lowercase());
        items.dedup();
        items
    };
    let mut recipients: Vec<Recipient> = accesses
        .iter()
        .map(|a| Recipient {
            role: a.role.label.clone(),
            description: a.role_description.clone(),
        })
        .collect();
    recipients.sort_by_key(|r| r.role.to_lowercase());
    recipients.dedup_by(|a, b| a.role == b.role);

    let information = Information {
        purposes: distinct(accesses.iter().map(|a| a.reason.label.clone()).collect()),
        data_categories: distinct(
            accesses
                .iter()
                .map(|a| a.data_category.label.clone())
                .collect(),
        ),
        recipients,
        recipients_note: texts.recipients_note.to_owned(),
        retention: format!(
            "{} {}",
            texts.retention_text,
            super::texts::log_retention(lang, log.retention)
        ),
        source: texts.source_text.to_owned(),
        rights: texts
            .rights
            .iter()
            .map(|(title, text)| Right {
                title: (*title).to_owned(),
                text: (*text).to_owned(),
            })
            .collect(),
        supervisory_authority: texts.authority_text.to_owned(),
    };

    let disputes = dispute::list_for_customer(conn, customer.id())?
        .into_iter()
        .rev()
        .map(|row| DisputeOutcome {
            reference: row.reference.clone(),
            received_on: local_date(row.received_at, zone).to_string(),
            status: Labelled {
                code: row.status.code().to_owned(),
                label: lang.disputes().status_label(row.status.code()).to_owned(),
            },
            answered_on: row.decided_at.map(|at| local_date(at, zone).to_string()),
            answer: row.decision_explanation.clone(),
        })
        .collect();

    let content = ReportContent {
        format: REPORT_FORMAT,
        language: lang.code(),
        generated_at: rfc3339_utc(now),
        subject: Subject {
            customer_ref: customer.customer_ref.clone(),
            name: customer.display_name.clone(),
        },
        period: PeriodCovered {
            from: period.from.to_string(),
            to: period.to.to_string(),
            time_zone: zone.name().to_owned(),
        },
        systems: lookups
            .systems
            .iter()
            .map(|s| SystemCovered {
                code: s.code.clone(),
                label: s.label.clone(),
                covered_since: local_date(s.covered_since, zone).to_string(),
            })
            .collect(),
        accesses,
        information,
        disputes,
        log_checkpoint: covering_checkpoint(conn, log_keys, &customer_ref, now, policy)?,
    };
    let value = serde_json::to_value(&content)
        .map_err(|e| AppError::internal(format!("report content: {e}")))?;
    let sha256 = canonical_json::sha256_hex(&value)
        .map_err(|e| AppError::context("the report's checksum", e))?;
    Ok(AccessReport {
        content,
        lang,
        sha256,
    })
}

/// With a witness policy, the newest witnessed checkpoint that holds the customer's newest
/// access, if there is one yet. Else the latest checkpoint, signed first if events arrived since:
/// it then holds every access the report lists.
fn covering_checkpoint(
    conn: &mut AnyConnection,
    log_keys: &LogKeys,
    customer: &CustomerRef,
    now: NaiveDateTime,
    policy: Option<&Policy>,
) -> Result<Option<LogCheckpoint>, AppError> {
    use crate::db::log;
    if let Some(policy) = policy {
        let newest = access_event::newest_leaf_of_customer(conn, customer)?.unwrap_or(-1);
        if let Some((checkpoint, witnessed)) = newest_witnessed(conn, policy, newest)? {
            return Ok(Some(LogCheckpoint {
                witnessed_by: witnessed.by,
                ..log_checkpoint(log_keys, &checkpoint)
            }));
        }
    }
    let latest = log::latest_checkpoint(conn)?;
    let latest = if latest.as_ref().map_or(0, |c| c.tree_size) < log::leaf_count(conn)? {
        crate::transparency::checkpoint::issue(conn, log_keys, now)?;
        log::latest_checkpoint(conn)?
    } else {
        latest
    };
    Ok(latest.map(|checkpoint| log_checkpoint(log_keys, &checkpoint)))
}

fn log_checkpoint(log_keys: &LogKeys, checkpoint: &crate::db::log::CheckpointRow) -> LogCheckpoint {
    use base64::Engine;
    LogCheckpoint {
        origin: log_keys.origin().to_owned(),
        tree_size: checkpoint.tree_size,
        root_hash: base64::engine::general_purpose::STANDARD.encode(&checkpoint.root_hash),
        witnessed_by: Vec::new(),
    }
}
