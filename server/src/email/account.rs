//! Emails about the customer's account itself: the invitation to set a first password and the
//! link to reset it. Each carries a single-use link that expires.

use askama::Template;

use app::i18n::Lang;

use super::{texts, RenderedEmail};
use crate::error::AppError;

/// Why the customer gets a set-password link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountNotice {
    Invitation,
    Reset,
    /// The privacy team found that an access to the customer's data was not justified.
    AccessViolation,
}

impl AccountNotice {
    pub fn code(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::Reset => "password_reset",
            Self::AccessViolation => "access_violation",
        }
    }
}

/// An email with a set-password link.
#[derive(Clone, Debug)]
pub struct AccountEmail {
    pub notice: AccountNotice,
    pub lang: Lang,
    pub to: String,
    pub customer_name: String,
    /// The whole link, with its token.
    pub link: String,
    /// How long the link works, in hours.
    pub valid_hours: i64,
}

#[derive(Template)]
#[template(path = "email/account.txt", escape = "none")]
struct AccountText<'a> {
    greeting: &'a str,
    paragraphs: &'a [String],
    link_label: &'a str,
    link: &'a str,
    signature: &'a str,
}

#[derive(Template)]
#[template(path = "email/account.html")]
struct AccountHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: &'a str,
    paragraphs: &'a [String],
    link_label: &'a str,
    link: &'a str,
    signature: &'a str,
}

struct Words {
    subject: &'static str,
    paragraphs: &'static [&'static str],
    link_label: &'static str,
}

fn words(notice: AccountNotice, lang: Lang) -> Words {
    match (notice, lang) {
        (AccountNotice::Invitation, Lang::De) => Words {
            subject: "Ihr Zugang zu Einblick: Wer hat Ihre Daten gesehen?",
            paragraphs: &[
                "in Einblick sehen Sie, wann Mitarbeitende auf Ihre Daten zugegriffen haben und warum. Sie können jeden Zugriff beanstanden.",
                "Legen Sie über den Link Ihr Passwort fest. Der Link gilt {hours} Stunden und nur einmal.",
            ],
            link_label: "Passwort festlegen",
        },
        (AccountNotice::Invitation, Lang::En) => Words {
            subject: "Your access to Einblick: who has seen your data?",
            paragraphs: &[
                "Einblick shows you when employees accessed your data, and why. You can dispute any access.",
                "Choose your password with the link below. It works once, for {hours} hours.",
            ],
            link_label: "Choose password",
        },
        (AccountNotice::Reset, Lang::De) => Words {
            subject: "Ihr neues Passwort für Einblick",
            paragraphs: &[
                "Sie haben einen Link angefordert, um Ihr Passwort für Einblick festzulegen.",
                "Der Link gilt {hours} Stunde(n) und nur einmal. Wenn Sie ihn nicht angefordert haben, müssen Sie nichts tun: Ihr Passwort bleibt, wie es ist.",
            ],
            link_label: "Neues Passwort festlegen",
        },
        (AccountNotice::AccessViolation, Lang::De) => Words {
            subject: "Ein Zugriff auf Ihre Daten war nicht gerechtfertigt",
            paragraphs: &[
                "unser Datenschutzteam hat Zugriffe von Mitarbeitenden auf Kundendaten geprüft. Dabei hat es festgestellt, dass mindestens ein Zugriff auf Ihre Daten nicht gerechtfertigt war.",
                "Wir haben den Vorfall dokumentiert und ziehen Konsequenzen. In Ihrer Zugriffsübersicht sind die betroffenen Einträge gekennzeichnet; Sie können sie dort auch beanstanden.",
            ],
            link_label: "Betroffene Einträge ansehen",
        },
        (AccountNotice::AccessViolation, Lang::En) => Words {
            subject: "An access to your data was not justified",
            paragraphs: &[
                "Our privacy team reviewed employees' accesses to customer data and found that at least one access to your data was not justified.",
                "We have recorded the incident and are acting on it. The entries concerned are marked in your access log, where you can also dispute them.",
            ],
            link_label: "See the entries concerned",
        },
        (AccountNotice::Reset, Lang::En) => Words {
            subject: "Your new Einblick password",
            paragraphs: &[
                "You asked for a link to set your Einblick password.",
                "The link works once, for {hours} hour(s). If you did not ask for it, there is nothing to do: your password stays as it is.",
            ],
            link_label: "Choose a new password",
        },
    }
}

impl AccountEmail {
    pub fn render(&self) -> Result<RenderedEmail, AppError> {
        let common = texts::for_lang(self.lang);
        let words = words(self.notice, self.lang);
        let greeting = common.greeting.replace("{name}", &self.customer_name);
        let hours = self.valid_hours.to_string();
        let paragraphs: Vec<String> = words
            .paragraphs
            .iter()
            .map(|p| p.replace("{hours}", &hours))
            .collect();
        let text = AccountText {
            greeting: &greeting,
            paragraphs: &paragraphs,
            link_label: words.link_label,
            link: &self.link,
            signature: common.signature,
        }
        .render()
        .map_err(|e| AppError::internal(format!("account email text template: {e}")))?;
        let html = AccountHtml {
            lang: self.lang.code(),
            subject: words.subject,
            greeting: &greeting,
            paragraphs: &paragraphs,
            link_label: words.link_label,
            link: &self.link,
            signature: common.signature,
        }
        .render()
        .map_err(|e| AppError::internal(format!("account email HTML template: {e}")))?;
        Ok(RenderedEmail {
            subject: words.subject.to_owned(),
            text,
            html,
        })
    }
}
