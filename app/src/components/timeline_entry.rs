//! Accesses as the customer reads them — who (role), what, why, where — written as HTML.
//!
//! Written straight into one string instead of built as views: a timeline page carries fifty
//! entries, and as views (an allocation for every element and attribute) they were about a fifth
//! of what serving the page cost. Nothing in an entry needs the browser's code (links, a
//! checkbox in a GET form, `<details>`), so the pages put the string in as it is
//! (`inner_html`). Every text goes through [`Html::text`].

use crate::dto::{RenderedHtml, TimelineEntry};
use crate::i18n::Lang;

/// The entries as a list's items, without controls: what a dispute is about.
pub fn entries_html(entries: &[TimelineEntry], lang: Lang) -> RenderedHtml {
    let mut html = Html::with_capacity(entries.len() * 1_200);
    for entry in entries {
        html.entry(entry, false, lang);
    }
    html.finish()
}

/// The timeline's entries grouped by the customer's local day (they come newest first), each
/// with a checkbox to select it and links to dispute it and to download its proof.
pub fn timeline_days_html(entries: &[TimelineEntry], lang: Lang) -> RenderedHtml {
    let texts = lang.texts();
    let mut html = Html::with_capacity(entries.len() * 1_500);
    for day in entries.chunk_by(|a, b| a.local_date == b.local_date) {
        let date = day[0].local_date;
        html.raw("<li class=\"day\"><h2 class=\"day-heading\"><time datetime=\"");
        html.text(&date.to_string());
        html.raw("\">");
        html.text(&texts.long_date(date));
        html.raw("</time><span class=\"day-count\">");
        html.text(&texts.entries_on_day(day.len()));
        html.raw("</span></h2><ol class=\"entries\">");
        for entry in day {
            html.entry(entry, true, lang);
        }
        html.raw("</ol></li>");
    }
    html.finish()
}

/// HTML being written: markup put in as it is, texts escaped.
struct Html(String);

impl Html {
    fn with_capacity(capacity: usize) -> Self {
        Self(String::with_capacity(capacity))
    }

    fn raw(&mut self, markup: &'static str) {
        self.0.push_str(markup);
    }

    /// `text` escaped for an element's content and for a double-quoted attribute alike.
    fn text(&mut self, text: &str) {
        let mut written = 0;
        for (at, byte) in text.bytes().enumerate() {
            let escaped = match byte {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#39;",
                _ => continue,
            };
            // An ASCII byte is never part of a longer UTF-8 sequence: `at` is a char boundary.
            self.0.push_str(&text[written..at]);
            self.0.push_str(escaped);
            written = at + 1;
        }
        self.0.push_str(&text[written..]);
    }

    fn finish(self) -> RenderedHtml {
        RenderedHtml::from_escaping_writer(self.0)
    }

    /// One of an entry's facts: its term, and its value under the class `class`.
    fn fact(&mut self, term: &str, class: &'static str, value: &str) {
        self.raw("<div class=\"fact\"><dt>");
        self.text(term);
        self.raw("</dt><dd class=\"");
        self.raw(class);
        self.raw("\">");
        self.text(value);
        self.raw("</dd></div>");
    }

    /// One access. `selectable` (on the timeline): a checkbox to select it and links to dispute
    /// it and to download its proof.
    fn entry(&mut self, entry: &TimelineEntry, selectable: bool, lang: Lang) {
        let texts = lang.texts();
        let disputes = lang.disputes();
        let no_reason = entry.reason.code == "none";
        self.raw(if no_reason {
            "<li class=\"entry entry-no-reason\" id=\"entry-"
        } else {
            "<li class=\"entry\" id=\"entry-"
        });
        self.text(&entry.id);
        self.raw("\" data-entry-id=\"");
        self.text(&entry.id);
        self.raw("\"><time class=\"entry-time\" datetime=\"");
        self.text(&entry.occurred_at);
        self.raw("\">");
        self.text(&entry.local_time);
        self.raw("</time>");
        if selectable {
            self.raw("<input class=\"entry-select\" type=\"checkbox\" name=\"event\" value=\"");
            self.text(&entry.id);
            self.raw("\" aria-label=\"");
            self.text(disputes.select_entry);
            self.raw(": ");
            self.text(&entry.local_time);
            self.raw(" ");
            self.text(&entry.role.label);
            self.raw("\">");
        }
        self.raw("<div class=\"entry-body\"><details class=\"entry-role\"><summary><span class=\"role-label\">");
        self.text(&entry.role.label);
        self.raw("</span><span class=\"role-more\">");
        self.text(texts.role_more);
        self.raw("</span></summary><p class=\"role-description\">");
        self.text(&entry.role_description);
        self.raw("</p></details><p class=\"entry-what\"><span class=\"entry-action\">");
        self.text(&entry.action.label);
        self.raw("</span>: <span class=\"entry-category\">");
        self.text(&entry.data_category.label);
        self.raw("</span></p>");
        if let Some(explanation) = &entry.explanation {
            self.raw("<p class=\"entry-explanation explanation-");
            self.text(&explanation.state);
            self.raw("\" data-explanation=\"");
            self.text(&explanation.state);
            self.raw("\">");
            self.text(&explanation.text);
            self.raw("</p>");
        }
        self.raw("<dl class=\"entry-facts\"><div class=\"fact\"><dt>");
        self.text(texts.entry_reason);
        self.raw("</dt><dd class=\"entry-reason\">");
        self.text(if no_reason {
            texts.no_reason_given
        } else {
            &entry.reason.label
        });
        if let Some(reason_text) = &entry.reason_text {
            self.raw("<q class=\"reason-text\">");
            self.text(reason_text);
            self.raw("</q>");
        }
        self.raw("</dd></div>");
        if let Some(ticket) = &entry.ticket {
            self.fact(texts.entry_ticket, "entry-ticket", ticket);
        }
        if let Some(system) = &entry.system {
            self.fact(texts.entry_system, "entry-system", system);
        }
        self.raw("</dl>");
        if selectable {
            self.raw(
                "<p class=\"entry-links\"><a class=\"entry-dispute\" href=\"/disputes/new?event=",
            );
            self.text(&entry.id);
            self.raw("\">");
            self.text(disputes.dispute_this);
            // A download, not a page: the router must leave it to the browser.
            self.raw("</a><a class=\"entry-verify\" href=\"/timeline/");
            self.text(&entry.id);
            // The page says once what the proof is (`proof-hint`), for every entry's link.
            self.raw("/proof\" aria-describedby=\"proof-hint\" rel=\"external nofollow\" download=\"einblick-proof-");
            self.text(&entry.id);
            self.raw(".json\">");
            self.text(texts.verify_entry);
            self.raw("</a></p>");
        }
        self.raw("</div></li>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::{ExplanationView, Labelled};
    use chrono::NaiveDate;

    fn labelled(code: &str, label: &str) -> Labelled {
        Labelled {
            code: code.into(),
            label: label.into(),
        }
    }

    fn entry(id: &str, day: u32) -> TimelineEntry {
        TimelineEntry {
            id: id.into(),
            occurred_at: format!("2026-11-{day:02}T09:30:00Z"),
            local_date: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
            local_time: "10:30".into(),
            role: labelled("support", "Support <agent>"),
            role_description: "Answers \"questions\" & more".into(),
            data_category: labelled("orders", "Orders"),
            action: labelled("view", "Viewed"),
            reason: labelled("ticket", "Support ticket"),
            reason_text: Some("<script>alert('x')</script>".into()),
            ticket: Some("T-1".into()),
            system: None,
            explanation: Some(ExplanationView {
                state: "explained".into(),
                text: "Your ticket T-1".into(),
            }),
        }
    }

    #[test]
    fn every_text_is_escaped_in_content_and_attributes() {
        let mut hostile = entry("7\" onmouseover=\"x", 3);
        hostile.local_time = "<b>".into();
        let html = timeline_days_html(&[hostile], Lang::En).into_string();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(html.contains("Support &lt;agent&gt;"));
        assert!(html.contains("Answers &quot;questions&quot; &amp; more"));
        assert!(html.contains("data-entry-id=\"7&quot; onmouseover=&quot;x\""));
        assert!(!html.contains("<b>"), "{html}");
        assert!(!html.contains("onmouseover=\"x"), "{html}");
    }

    #[test]
    fn the_timeline_groups_days_and_offers_selection_while_a_dispute_does_not() {
        let entries = [entry("3", 5), entry("2", 5), entry("1", 4)];
        let days = timeline_days_html(&entries, Lang::De).into_string();
        assert_eq!(days.matches("<li class=\"day\">").count(), 2);
        assert_eq!(days.matches("class=\"entry-select\"").count(), 3);
        assert!(days.contains("<time datetime=\"2026-11-05\">"));
        assert!(days.contains("href=\"/timeline/3/proof\""));
        assert!(days.contains("data-explanation=\"explained\""));
        assert!(!days.contains("entry-system"));

        let disputed = entries_html(&entries, Lang::En).into_string();
        assert!(!disputed.contains("class=\"day\""));
        assert!(!disputed.contains("entry-select"));
        assert!(!disputed.contains("entry-dispute"));
        assert_eq!(disputed.matches("<li class=\"entry\"").count(), 3);
    }

    #[test]
    fn an_access_without_a_reason_says_so() {
        let mut silent = entry("9", 1);
        silent.reason = labelled("none", "none");
        let html = entries_html(&[silent], Lang::En).into_string();
        assert!(html.contains("<li class=\"entry entry-no-reason\""));
        assert!(html.contains(Lang::En.texts().no_reason_given));
    }
}
