//! The report's formats from one fixed content with hostile text in it. The HTML form is a
//! snapshot in `server/src/reports/snapshots/`; `EINBLICK_UPDATE_SNAPSHOTS=1` rewrites it after
//! a deliberate change (review the diff before committing).

use app::dto::Labelled;
use app::i18n::Lang;

use super::content::*;
use super::{csv, html, pdf, texts::report_texts, AccessReport};
use crate::canonical_json;
use crate::domain::RetentionPolicy;

const HOSTILE: &str = "<script>alert(\"x\")</script> & <b>bold</b>, \"quoted\"\r\nnext line";

fn labelled(code: &str, label: &str) -> Labelled {
    Labelled {
        code: code.into(),
        label: label.into(),
    }
}

fn report(lang: Lang) -> AccessReport {
    let texts = report_texts(lang);
    let content = ReportContent {
        format: REPORT_FORMAT,
        language: lang.code(),
        generated_at: "2026-11-27T14:53:00Z".into(),
        subject: Subject {
            customer_ref: "C-100042".into(),
            name: format!("Anna {HOSTILE}"),
        },
        period: PeriodCovered {
            from: "2026-01-01".into(),
            to: "2026-01-31".into(),
            time_zone: "Europe/Berlin".into(),
        },
        systems: vec![SystemCovered {
            code: "support-console".into(),
            label: "Support console".into(),
            covered_since: "2025-01-01".into(),
        }],
        accesses: vec![Access {
            occurred_at: "2026-01-20T14:02:11Z".into(),
            local_time: "2026-01-20 15:02".into(),
            role: labelled("cs_agent_t1", "Kundenservice"),
            role_description: "Beantwortet Anfragen".into(),
            data_category: labelled("purchase_history", "Bestellungen"),
            action: labelled("view", "angesehen"),
            reason: labelled("customer_request", "Ihre Anfrage"),
            reason_text: Some(HOSTILE.into()),
            ticket: Some("=HYPERLINK(\"http://evil\")".into()),
            system: None,
            explanation: app::dto::ExplanationView {
                state: "unexplained".into(),
                text: "Not explained".into(),
            },
        }],
        information: Information {
            purposes: vec!["Ihre Anfrage".into()],
            data_categories: vec!["Bestellungen".into()],
            recipients: vec![Recipient {
                role: "Kundenservice".into(),
                description: "Beantwortet Anfragen".into(),
            }],
            recipients_note: texts.recipients_note.into(),
            retention: format!(
                "{} {}",
                texts.retention_text,
                super::texts::log_retention(lang, RetentionPolicy::keeping_months(36))
            ),
            source: texts.source_text.into(),
            rights: texts
                .rights
                .iter()
                .map(|(title, text)| Right {
                    title: (*title).into(),
                    text: (*text).into(),
                })
                .collect(),
            supervisory_authority: texts.authority_text.into(),
        },
        disputes: vec![DisputeOutcome {
            reference: "EB-7K3M-Q9XD".into(),
            received_on: "2026-01-21".into(),
            status: labelled("upheld", "Stattgegeben"),
            answered_on: Some("2026-02-03".into()),
            answer: Some(HOSTILE.into()),
        }],
        log_checkpoint: Some(LogCheckpoint {
            origin: "einblick.example/log".into(),
            tree_size: 5123,
            root_hash: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into(),
            witnessed_by: Vec::new(),
        }),
    };
    let value = serde_json::to_value(&content).unwrap();
    let sha256 = canonical_json::sha256_hex(&value).unwrap();
    AccessReport {
        content,
        lang,
        sha256,
    }
}

fn assert_snapshot(name: &str, actual: &str) {
    crate::snapshot::assert_snapshot("reports/snapshots", name, actual);
}

#[test]
fn the_html_report_matches_its_snapshot_and_escapes_hostile_text() {
    for lang in Lang::ALL {
        let page = html::render(&report(lang)).unwrap();
        assert!(!page.contains("<script"), "hostile markup escaped");
        assert!(!page.contains("<b>bold"), "hostile markup escaped");
        assert!(page.contains("&#60;script&#62;"));
        assert_snapshot(&format!("report.{}.html", lang.code()), &page);
    }
}

#[test]
fn the_json_form_carries_a_checksum_anyone_can_recompute() {
    let report = report(Lang::En);
    let mut document: serde_json::Value = serde_json::from_str(&report.json_document()).unwrap();
    let claimed = document["content_sha256"].as_str().unwrap().to_owned();
    document.as_object_mut().unwrap().remove("content_sha256");
    assert_eq!(canonical_json::sha256_hex(&document).unwrap(), claimed);
    assert_eq!(document["accesses"][0]["reason_text"], HOSTILE);
}

#[test]
fn the_csv_form_quotes_everything_and_defuses_formulas() {
    let text = csv::render(&report(Lang::De));
    assert!(text.starts_with('\u{feff}'));
    assert!(text.contains(&format!("\"{}\"", HOSTILE.replace('"', "\"\""))));
    assert!(text.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""));
    assert!(text.contains(&report(Lang::De).sha256));
}

#[test]
fn the_pdf_form_is_a_complete_pdf() {
    let bytes = pdf::render(&report(Lang::De)).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(bytes.windows(5).any(|w| w == b"%%EOF"));
}

/// Names and reasons outside Windows-1252 print in their own letters: the text `pdftotext`
/// (poppler, installed by `.ci/setup`) reads back from the PDF is the text put in.
#[test]
fn the_pdf_form_prints_polish_and_greek_as_written() {
    let mut report = report(Lang::De);
    report.content.subject.name = "Łukasz Żółć".into();
    report.content.accesses[0].reason_text =
        Some("Ο πελάτης ζήτησε αντίγραφο της παραγγελίας".into());
    let bytes = pdf::render(&report).unwrap();
    let dir = std::env::temp_dir().join(format!("einblick-pdf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.pdf");
    std::fs::write(&file, &bytes).unwrap();
    let output = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(output.status.success());
    // Lines may break anywhere between words.
    let text = String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("Łukasz Żółć"), "{text}");
    assert!(
        text.contains("Ο πελάτης ζήτησε αντίγραφο της παραγγελίας"),
        "{text}"
    );
    assert!(!text.contains("?ukasz"), "{text}");
}
