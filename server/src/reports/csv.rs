//! The CSV form (RFC 4180, UTF-8 with BOM so spreadsheet programs pick the right encoding):
//! a short preamble of `field,value` rows saying what the file is, an empty row, then one row
//! per access with a header row.

use super::AccessReport;

pub fn render(report: &AccessReport) -> String {
    let texts = report.texts();
    let content = &report.content;
    let mut out = String::from("\u{feff}");
    let systems = content
        .systems
        .iter()
        .map(|s| format!("{} ({} {})", s.label, texts.covered_since, s.covered_since))
        .collect::<Vec<_>>()
        .join("; ");
    let preamble = [
        ("report", texts.title.to_owned()),
        ("generated_at", content.generated_at.clone()),
        ("customer_ref", content.subject.customer_ref.clone()),
        (
            "period",
            format!("{} – {}", content.period.from, content.period.to),
        ),
        ("time_zone", content.period.time_zone.clone()),
        ("systems", systems),
        ("accesses", content.accesses.len().to_string()),
        ("content_sha256", report.sha256.clone()),
        (
            "log_checkpoint",
            texts
                .log_line(content.log_checkpoint.as_ref())
                .unwrap_or_default(),
        ),
    ];
    for (field, value) in preamble {
        push_row(&mut out, &[field, &value]);
    }
    out.push_str("\r\n");
    push_row(
        &mut out,
        &[
            "occurred_at_utc",
            "local_time",
            "role",
            "role_description",
            "data_category",
            "action",
            "reason",
            "reason_text",
            "ticket",
            "system",
            "explanation",
            "explanation_text",
        ],
    );
    for access in &content.accesses {
        push_row(
            &mut out,
            &[
                &access.occurred_at,
                &access.local_time,
                &access.role.label,
                &access.role_description,
                &access.data_category.label,
                &access.action.label,
                &access.reason.label,
                access.reason_text.as_deref().unwrap_or(""),
                access.ticket.as_deref().unwrap_or(""),
                access.system.as_deref().unwrap_or(""),
                &access.explanation.state,
                &access.explanation.text,
            ],
        );
    }
    out
}

pub fn push_row(out: &mut String, fields: &[&str]) {
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&quoted(field));
    }
    out.push_str("\r\n");
}

/// Every field is quoted. A field a spreadsheet would run as a formula gets a leading `'`
/// (OWASP's advice): reason texts come from other systems and must never execute.
fn quoted(field: &str) -> String {
    let neutral = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    format!("\"{}\"", neutral.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn quotes_are_doubled_and_formulas_neutralised() {
        assert_eq!(quoted("a \"b\", c\nd"), "\"a \"\"b\"\", c\nd\"");
        assert_eq!(quoted("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(quoted("2026-11-20"), "\"2026-11-20\"");
    }
}
