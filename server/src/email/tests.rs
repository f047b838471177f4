//! Snapshot tests of every email: the rendered subject, text and HTML are compared with files
//! in `server/src/email/snapshots/`. `EINBLICK_UPDATE_SNAPSHOTS=1` rewrites them after a
//! deliberate change (review the diff before committing).

use chrono::NaiveDate;

use super::*;

const HOSTILE: &str = "<script>alert(\"x\")</script> & <b>bold</b>\n> quoted\r\n=?UTF-8?B?x?=";

fn email(notice: Notice, lang: Lang, name: &str, quote: Option<&str>) -> CaseEmail {
    CaseEmail {
        notice,
        lang,
        to: "anna@example.org".into(),
        customer_name: name.into(),
        reference: "EB-7K3M-Q9XD".into(),
        due_on: NaiveDate::from_ymd_opt(2027, 2, 28).unwrap(),
        quote: quote.map(str::to_owned),
    }
}

fn check_snapshot(name: &str, rendered: &RenderedEmail) {
    let actual = format!(
        "Subject: {}\n\n----- text -----\n{}\n----- html -----\n{}",
        rendered.subject, rendered.text, rendered.html
    );
    crate::snapshot::assert_snapshot("email/snapshots", &format!("{name}.snap"), &actual);
}

#[test]
fn every_email_in_both_languages_matches_its_snapshot() {
    for notice in Notice::ALL {
        for lang in Lang::ALL {
            let quote = match notice {
                Notice::Received => Some("I never called support in March."),
                Notice::ReviewStarted | Notice::Withdrawn => None,
                _ => Some("Line one of our text.\nLine two."),
            };
            let rendered = email(notice, lang, "Anna Schmidt", quote)
                .render("https://einblick.example")
                .unwrap();
            check_snapshot(&format!("{}_{}", notice.code(), lang.code()), &rendered);
        }
    }
}

#[test]
fn hostile_names_and_messages_are_escaped_in_html() {
    let rendered = email(Notice::Message, Lang::En, HOSTILE, Some(HOSTILE))
        .render("https://einblick.example")
        .unwrap();
    assert!(!rendered.html.contains("<script>"));
    assert!(!rendered.html.contains("<b>bold</b>"));
    assert!(
        rendered.html.contains("&#60;script&#62;"),
        "{}",
        rendered.html
    );
    check_snapshot("hostile_message_en", &rendered);
}

#[test]
fn a_written_email_hides_header_injection_and_encodes_umlauts() {
    let dir = std::env::temp_dir().join(format!("einblick-outbox-{}", std::process::id()));
    let mut hostile = email(Notice::InfoRequested, Lang::De, "Zoë", Some("Bitte?"));
    hostile.to = "anna@example.org\r\nBcc: evil@example.org".into();
    let outgoing = Outgoing {
        to: hostile.to.clone(),
        notice: hostile.notice.code(),
        reference: hostile.reference.clone(),
        rendered: hostile.render("https://einblick.example").unwrap(),
    };
    let message = rfc5322_message("Einblick <privacy@example.org>", &outgoing, "");
    write_to_outbox(&dir, "hostile.eml", &message).unwrap();
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "eml"))
        .unwrap();
    let message = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!message.contains("\r\nBcc:"), "{message}");
    assert!(message.contains("Subject: =?UTF-8?B?"), "{message}");
}

fn access_line(reason: &str) -> alert::AccessLine {
    alert::AccessLine {
        when: "Montag, 30. November 2026, 14:05 (Europe/Berlin)".into(),
        what: "Kundenservice · angesehen · Bestellhistorie".into(),
        reason: reason.into(),
        explanation: "Kein Vorgang erklärt diesen Zugriff.".into(),
        state: "unexplained".into(),
        timeline_link: "https://einblick.example/timeline?from=2026-11-30&to=2026-11-30#entry-7"
            .into(),
        dispute_link: "https://einblick.example/disputes/new?event=7".into(),
    }
}

fn footer() -> alert::Footer {
    alert::Footer {
        settings_link: "https://einblick.example/settings/notifications".into(),
        unsubscribe_link: "https://einblick.example/unsubscribe?token=42.1.abc".into(),
    }
}

#[test]
fn alerts_and_digests_in_both_languages_match_their_snapshots() {
    for lang in Lang::ALL {
        let one = alert::AlertEmail {
            lang,
            customer_name: "Anna Schmidt".into(),
            accesses: vec![access_line(
                "Ihre Anfrage an uns – „Rückfrage zu Bestellung 1234“",
            )],
            unlisted: 0,
            timeline_link: "https://einblick.example/timeline".into(),
            footer: footer(),
        };
        check_snapshot(
            &format!("alert_one_{}", lang.code()),
            &one.render("Bestellhistorie").unwrap(),
        );
        let burst = alert::AlertEmail {
            accesses: vec![access_line("Ihre Anfrage an uns"); 3],
            unlisted: 120,
            ..one
        };
        check_snapshot(
            &format!("alert_burst_{}", lang.code()),
            &burst.render("Bestellhistorie").unwrap(),
        );
        let digest = alert::DigestEmail {
            lang,
            customer_name: "Anna Schmidt".into(),
            from: "23. November 2026".into(),
            to: "29. November 2026".into(),
            total: 25,
            by_role: vec![
                alert::Count {
                    label: "Kundenservice".into(),
                    count: 20,
                },
                alert::Count {
                    label: "Betrugsprävention".into(),
                    count: 5,
                },
            ],
            by_category: vec![alert::Count {
                label: "Bestellhistorie".into(),
                count: 25,
            }],
            unexplained: vec![access_line("Kein Grund angegeben")],
            unexplained_total: 22,
            week_link: "https://einblick.example/timeline?from=2026-11-23&to=2026-11-29".into(),
            footer: footer(),
        };
        check_snapshot(
            &format!("digest_{}", lang.code()),
            &digest.render().unwrap(),
        );
        let quiet = alert::DigestEmail {
            total: 0,
            by_role: Vec::new(),
            by_category: Vec::new(),
            unexplained: Vec::new(),
            unexplained_total: 0,
            ..digest
        };
        check_snapshot(
            &format!("digest_quiet_{}", lang.code()),
            &quiet.render().unwrap(),
        );
    }
}

#[test]
fn an_alert_escapes_what_an_employee_typed() {
    let rendered = alert::AlertEmail {
        lang: Lang::En,
        customer_name: HOSTILE.into(),
        accesses: vec![access_line(HOSTILE)],
        unlisted: 0,
        timeline_link: "https://einblick.example/timeline".into(),
        footer: footer(),
    }
    .render(HOSTILE)
    .unwrap();
    assert!(!rendered.html.contains("<script>"), "{}", rendered.html);
    assert!(
        rendered.html.contains("&#60;script&#62;"),
        "{}",
        rendered.html
    );
    check_snapshot("alert_hostile_en", &rendered);
}
