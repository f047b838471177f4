//! Emails that tell a customer about accesses: an alert (one access or a burst of them) and the
//! weekly digest. Askama text and HTML, German and English, in the customer's language; every
//! one carries a link to the settings and a one-click unsubscribe link.

use askama::Template;

use app::i18n::Lang;

use super::RenderedEmail;
use crate::error::AppError;

/// One access as an email tells it, in the customer's words and time zone.
#[derive(Clone, Debug)]
pub struct AccessLine {
    /// "Monday, 30 November 2026, 14:05 (Europe/Berlin)".
    pub when: String,
    /// "Customer service (first level) viewed your purchase history".
    pub what: String,
    /// "Customer request: 'asked about order 1234'".
    pub reason: String,
    /// The explanation in plain language.
    pub explanation: String,
    /// `explained`, `unexplained`, `flagged`, `appropriate` or `violation`.
    pub state: String,
    /// Straight to the entry in the timeline.
    pub timeline_link: String,
    /// The dispute form with this entry chosen.
    pub dispute_link: String,
}

/// Links every notification email carries.
#[derive(Clone, Debug)]
pub struct Footer {
    pub settings_link: String,
    pub unsubscribe_link: String,
}

/// An alert about one or more accesses.
#[derive(Clone, Debug)]
pub struct AlertEmail {
    pub lang: Lang,
    pub customer_name: String,
    /// The accesses listed one by one.
    pub accesses: Vec<AccessLine>,
    /// Further accesses in the same email, counted, not listed.
    pub unlisted: usize,
    pub timeline_link: String,
    pub footer: Footer,
}

/// A count with its label ("Customer service", 3).
#[derive(Clone, Debug)]
pub struct Count {
    pub label: String,
    pub count: i64,
}

/// The week's summary.
#[derive(Clone, Debug)]
pub struct DigestEmail {
    pub lang: Lang,
    pub customer_name: String,
    /// "23 November 2026", "29 November 2026".
    pub from: String,
    pub to: String,
    pub total: i64,
    pub by_role: Vec<Count>,
    pub by_category: Vec<Count>,
    /// The unexplained or flagged accesses, at most [`DIGEST_LISTED`].
    pub unexplained: Vec<AccessLine>,
    /// How many unexplained accesses there were in all.
    pub unexplained_total: i64,
    /// The timeline for the week.
    pub week_link: String,
    pub footer: Footer,
}

/// Unexplained accesses a digest lists one by one; the rest are a link.
pub const DIGEST_LISTED: usize = 20;

struct Words {
    greeting: &'static str,
    alert_subject_one: &'static str,
    alert_subject_many: &'static str,
    alert_intro_one: &'static str,
    alert_intro_many: &'static str,
    alert_more: &'static str,
    reason_label: &'static str,
    explanation_label: &'static str,
    timeline_label: &'static str,
    dispute_label: &'static str,
    digest_subject: &'static str,
    digest_subject_quiet: &'static str,
    digest_intro: &'static str,
    digest_quiet: &'static str,
    by_role: &'static str,
    by_category: &'static str,
    unexplained_heading: &'static str,
    unexplained_none: &'static str,
    unexplained_more: &'static str,
    week_label: &'static str,
    why: &'static str,
    settings_label: &'static str,
    unsubscribe_label: &'static str,
    signature: &'static str,
}

static DE: Words = Words {
    greeting: "Guten Tag {name},",
    alert_subject_one: "Zugriff auf Ihre Daten: {category}",
    alert_subject_many: "{count} Zugriffe auf Ihre Daten",
    alert_intro_one: "ein Mitarbeiter hat auf Ihre Daten zugegriffen. Sie haben darum gebeten, davon zu erfahren.",
    alert_intro_many: "Mitarbeiter haben {count}-mal auf Ihre Daten zugegriffen. Sie haben darum gebeten, davon zu erfahren.",
    alert_more: "… und {count} weitere Zugriffe im Zugriffsprotokoll:",
    reason_label: "Angegebener Grund",
    explanation_label: "Einordnung",
    timeline_label: "Im Zugriffsprotokoll ansehen",
    dispute_label: "Diesen Zugriff beanstanden",
    digest_subject: "Ihr Wochenüberblick: {count} Zugriffe ({from} – {to})",
    digest_subject_quiet: "Ihr Wochenüberblick: keine Zugriffe ({from} – {to})",
    digest_intro: "vom {from} bis {to} wurde {count}-mal auf Ihre Daten zugegriffen.",
    digest_quiet: "vom {from} bis {to} hat niemand auf Ihre Daten zugegriffen.",
    by_role: "Nach Rolle",
    by_category: "Nach Art der Daten",
    unexplained_heading: "Zugriffe ohne Erklärung",
    unexplained_none: "Jeder Zugriff dieser Woche ist durch einen Vorgang erklärt.",
    unexplained_more: "… und {count} weitere im Zugriffsprotokoll.",
    week_label: "Die Woche im Zugriffsprotokoll",
    why: "Sie erhalten diese E-Mail, weil Sie es in Ihren Benachrichtigungseinstellungen so gewählt haben.",
    settings_label: "Einstellungen ändern",
    unsubscribe_label: "Mit einem Klick abbestellen",
    signature: "Ihr Datenschutzteam",
};

static EN: Words = Words {
    greeting: "Hello {name},",
    alert_subject_one: "An access to your data: {category}",
    alert_subject_many: "{count} accesses to your data",
    alert_intro_one: "an employee accessed your data. You asked to be told.",
    alert_intro_many: "employees accessed your data {count} times. You asked to be told.",
    alert_more: "… and {count} more accesses in your access log:",
    reason_label: "Reason given",
    explanation_label: "What we know",
    timeline_label: "See it in your access log",
    dispute_label: "Dispute this access",
    digest_subject: "Your week: {count} accesses ({from} – {to})",
    digest_subject_quiet: "Your week: no accesses ({from} – {to})",
    digest_intro: "from {from} to {to}, your data was accessed {count} times.",
    digest_quiet: "from {from} to {to}, nobody accessed your data.",
    by_role: "By role",
    by_category: "By kind of data",
    unexplained_heading: "Accesses without an explanation",
    unexplained_none: "Every access this week is explained by a business record.",
    unexplained_more: "… and {count} more in your access log.",
    week_label: "The week in your access log",
    why: "You get this email because you chose it in your notification settings.",
    settings_label: "Change settings",
    unsubscribe_label: "Unsubscribe with one click",
    signature: "Your privacy team",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

#[derive(Template)]
#[template(path = "email/alert.txt", escape = "none")]
struct AlertText<'a> {
    w: &'a Words,
    greeting: &'a str,
    intro: &'a str,
    accesses: &'a [AccessLine],
    more: Option<String>,
    timeline_link: &'a str,
    footer: &'a Footer,
}

#[derive(Template)]
#[template(path = "email/alert.html")]
struct AlertHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    w: &'a Words,
    greeting: &'a str,
    intro: &'a str,
    accesses: &'a [AccessLine],
    more: Option<String>,
    timeline_link: &'a str,
    footer: &'a Footer,
}

#[derive(Template)]
#[template(path = "email/digest.txt", escape = "none")]
struct DigestText<'a> {
    w: &'a Words,
    greeting: &'a str,
    intro: &'a str,
    digest: &'a DigestEmail,
    more: Option<String>,
}

#[derive(Template)]
#[template(path = "email/digest.html")]
struct DigestHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    w: &'a Words,
    greeting: &'a str,
    intro: &'a str,
    digest: &'a DigestEmail,
    more: Option<String>,
}

fn template_error(what: &str) -> impl Fn(askama::Error) -> AppError + '_ {
    move |e| AppError::internal(format!("{what} template: {e}"))
}

impl AlertEmail {
    /// `category` names the data of a single access in the subject.
    pub fn render(&self, category: &str) -> Result<RenderedEmail, AppError> {
        let w = words(self.lang);
        let total = self.accesses.len() + self.unlisted;
        let count = total.to_string();
        let more = (self.unlisted > 0)
            .then(|| w.alert_more.replace("{count}", &self.unlisted.to_string()));
        let (subject, intro) = if total == 1 {
            (
                w.alert_subject_one.replace("{category}", category),
                w.alert_intro_one.to_owned(),
            )
        } else {
            (
                w.alert_subject_many.replace("{count}", &count),
                w.alert_intro_many.replace("{count}", &count),
            )
        };
        let greeting = w.greeting.replace("{name}", &self.customer_name);
        let text = AlertText {
            w,
            greeting: &greeting,
            intro: &intro,
            accesses: &self.accesses,
            more: more.clone(),
            timeline_link: &self.timeline_link,
            footer: &self.footer,
        }
        .render()
        .map_err(template_error("alert text"))?;
        let html = AlertHtml {
            lang: self.lang.code(),
            subject: &subject,
            w,
            greeting: &greeting,
            intro: &intro,
            accesses: &self.accesses,
            more,
            timeline_link: &self.timeline_link,
            footer: &self.footer,
        }
        .render()
        .map_err(template_error("alert HTML"))?;
        Ok(RenderedEmail {
            subject,
            text,
            html,
        })
    }
}

impl DigestEmail {
    pub fn render(&self) -> Result<RenderedEmail, AppError> {
        let w = words(self.lang);
        let fill = |s: &str| {
            s.replace("{from}", &self.from)
                .replace("{to}", &self.to)
                .replace("{count}", &self.total.to_string())
        };
        let (subject, intro) = if self.total == 0 {
            (fill(w.digest_subject_quiet), fill(w.digest_quiet))
        } else {
            (fill(w.digest_subject), fill(w.digest_intro))
        };
        let hidden = self.unexplained_total - self.unexplained.len() as i64;
        let more = (hidden > 0).then(|| w.unexplained_more.replace("{count}", &hidden.to_string()));
        let greeting = w.greeting.replace("{name}", &self.customer_name);
        let text = DigestText {
            w,
            greeting: &greeting,
            intro: &intro,
            digest: self,
            more: more.clone(),
        }
        .render()
        .map_err(template_error("digest text"))?;
        let html = DigestHtml {
            lang: self.lang.code(),
            subject: &subject,
            w,
            greeting: &greeting,
            intro: &intro,
            digest: self,
            more,
        }
        .render()
        .map_err(template_error("digest HTML"))?;
        Ok(RenderedEmail {
            subject,
            text,
            html,
        })
    }
}
