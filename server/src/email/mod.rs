//! Emails to customers about their disputes: askama templates (text and HTML), German and
//! English, written to the outbox directory as `.eml` files.

pub mod account;
pub mod alert;
pub mod smtp;
pub mod texts;

use std::io::Write;
use std::path::Path;

use askama::Template;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::NaiveDate;

use app::i18n::Lang;

use crate::error::AppError;

/// Why a customer is written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    Received,
    ReviewStarted,
    InfoRequested,
    Message,
    Extended,
    Upheld,
    Rejected,
    Withdrawn,
}

impl Notice {
    pub const ALL: [Notice; 8] = [
        Self::Received,
        Self::ReviewStarted,
        Self::InfoRequested,
        Self::Message,
        Self::Extended,
        Self::Upheld,
        Self::Rejected,
        Self::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::ReviewStarted => "review_started",
            Self::InfoRequested => "info_requested",
            Self::Message => "message",
            Self::Extended => "extended",
            Self::Upheld => "upheld",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }
}

/// Everything an email about a case needs; rendered once the transaction has committed.
#[derive(Clone, Debug)]
pub struct CaseEmail {
    pub notice: Notice,
    pub lang: Lang,
    pub to: String,
    pub customer_name: String,
    pub reference: String,
    pub due_on: NaiveDate,
    /// What the privacy team (or the customer) wrote, quoted verbatim.
    pub quote: Option<String>,
}

/// A rendered email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Template)]
#[template(path = "email/notice.txt", escape = "none")]
struct NoticeText<'a> {
    greeting: &'a str,
    paragraphs: &'a [String],
    quote: Option<&'a str>,
    quote_label: &'a str,
    reference_label: &'a str,
    reference: &'a str,
    due_label: &'a str,
    due: &'a str,
    link_label: &'a str,
    link: &'a str,
    signature: &'a str,
}

#[derive(Template)]
#[template(path = "email/notice.html")]
struct NoticeHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: &'a str,
    paragraphs: &'a [String],
    quote: Option<&'a str>,
    quote_label: &'a str,
    reference_label: &'a str,
    reference: &'a str,
    due_label: &'a str,
    due: &'a str,
    link_label: &'a str,
    link: &'a str,
    signature: &'a str,
}

impl CaseEmail {
    pub fn render(&self, public_url: &str) -> Result<RenderedEmail, AppError> {
        let texts = texts::for_lang(self.lang);
        let notice = texts.notice(self.notice);
        let due = self.lang.texts().long_date(self.due_on);
        let fill = |s: &str| {
            s.replace("{reference}", &self.reference)
                .replace("{due}", &due)
        };
        let subject = fill(notice.subject);
        let paragraphs: Vec<String> = notice.paragraphs.iter().map(|p| fill(p)).collect();
        let greeting = texts.greeting.replace("{name}", &self.customer_name);
        let link = format!("{public_url}/disputes/{}", self.reference);
        let quote = self.quote.as_deref();
        let text = NoticeText {
            greeting: &greeting,
            paragraphs: &paragraphs,
            quote,
            quote_label: notice.quote_label,
            reference_label: texts.reference_label,
            reference: &self.reference,
            due_label: texts.due_label,
            due: &due,
            link_label: texts.link_label,
            link: &link,
            signature: texts.signature,
        }
        .render()
        .map_err(|e| AppError::internal(format!("email text template: {e}")))?;
        let html = NoticeHtml {
            lang: self.lang.code(),
            subject: &subject,
            greeting: &greeting,
            paragraphs: &paragraphs,
            quote,
            quote_label: notice.quote_label,
            reference_label: texts.reference_label,
            reference: &self.reference,
            due_label: texts.due_label,
            due: &due,
            link_label: texts.link_label,
            link: &link,
            signature: texts.signature,
        }
        .render()
        .map_err(|e| AppError::internal(format!("email HTML template: {e}")))?;
        Ok(RenderedEmail {
            subject,
            text,
            html,
        })
    }
}

/// Renders and delivers emails after the change they report is committed: over SMTP when
/// `EINBLICK_SMTP_URL` is set, else (and whenever SMTP fails) into the outbox directory, so no
/// email is lost. A failed delivery never undoes the change: the case history holds everything
/// the email says.
pub async fn deliver_all(
    settings: std::sync::Arc<crate::config::Settings>,
    emails: Vec<CaseEmail>,
) {
    let outgoing = emails
        .iter()
        .filter_map(|email| match email.render(&settings.public_url) {
            Ok(rendered) => Some(Outgoing {
                to: email.to.clone(),
                notice: email.notice.code(),
                reference: email.reference.clone(),
                rendered,
            }),
            Err(e) => {
                tracing::error!(notice = email.notice.code(), error = %e, "email could not be rendered");
                None
            }
        })
        .collect();
    send_all(settings, outgoing).await;
}

/// Delivers an email about the customer's account (see [`deliver_all`]).
pub async fn deliver_account(
    settings: std::sync::Arc<crate::config::Settings>,
    email: account::AccountEmail,
) {
    if let Some(outgoing) = account_outgoing(email) {
        send_all(settings, vec![outgoing]).await;
    }
}

/// [`deliver_account`] for the command line, on the calling thread.
pub fn deliver_account_now(settings: &crate::config::Settings, email: account::AccountEmail) {
    if let Some(outgoing) = account_outgoing(email) {
        deliver(settings, &outgoing);
    }
}

fn account_outgoing(email: account::AccountEmail) -> Option<Outgoing> {
    match email.render() {
        Ok(rendered) => Some(Outgoing {
            to: email.to,
            notice: email.notice.code(),
            reference: "account".to_owned(),
            rendered,
        }),
        Err(e) => {
            tracing::error!(notice = email.notice.code(), error = %e, "email could not be rendered");
            None
        }
    }
}

/// A rendered email on its way, with what names it in the headers and the outbox.
struct Outgoing {
    to: String,
    notice: &'static str,
    reference: String,
    rendered: RenderedEmail,
}

async fn send_all(settings: std::sync::Arc<crate::config::Settings>, emails: Vec<Outgoing>) {
    if emails.is_empty() {
        return;
    }
    let delivered = actix_web::rt::task::spawn_blocking(move || {
        for email in &emails {
            deliver(&settings, email);
        }
    })
    .await;
    if let Err(e) = delivered {
        tracing::error!(error = %e, "email delivery task failed");
    }
}

fn deliver(settings: &crate::config::Settings, email: &Outgoing) {
    let domain = email.to.rsplit('@').next().unwrap_or("");
    let message = rfc5322_message(&settings.mail_from, email, "");
    if let Some(smtp_url) = &settings.smtp_url {
        match smtp::send(smtp_url.expose(), &settings.mail_from, &email.to, &message) {
            Ok(()) => {
                tracing::info!(
                    notice = email.notice,
                    recipient_domain = domain,
                    "email sent over SMTP"
                );
                return;
            }
            Err(e) => tracing::warn!(
                notice = email.notice,
                recipient_domain = domain,
                error = %e,
                "SMTP delivery failed; the email goes to the outbox"
            ),
        }
    }
    let name = format!(
        "{}-{}-{}-{}.eml",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
        email.reference,
        email.notice,
        &crate::auth::session::new_token()[..6]
    );
    match write_to_outbox(&settings.outbox_dir, &name, &message) {
        Ok(()) => tracing::info!(
            notice = email.notice,
            recipient_domain = domain,
            "email written to outbox"
        ),
        Err(e) => tracing::error!(
            notice = email.notice,
            recipient_domain = domain,
            error = %e,
            "email could not be delivered"
        ),
    }
}

/// A notification (alert or digest) as the durable outbox keeps it: the whole message, with
/// the one-click unsubscribe headers of RFC 8058 and a Message-ID that lets a receiver drop the
/// copy a crash between sending and marking it sent could cause.
pub fn notification_message(
    settings: &crate::config::Settings,
    to: &str,
    kind: &'static str,
    rendered: RenderedEmail,
    unsubscribe_link: &str,
) -> String {
    let host = settings
        .public_url
        .split("://")
        .nth(1)
        .unwrap_or("einblick.invalid")
        .split(['/', ':'])
        .next()
        .unwrap_or("einblick.invalid");
    let headers = format!(
        "Message-ID: <{kind}.{token}@{host}>\r\nList-Unsubscribe: <{link}>\r\n\
         List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\
         Auto-Submitted: auto-generated\r\n",
        token = crate::auth::session::new_token(),
        link = unsubscribe_link.replace(['\r', '\n', '>'], ""),
    );
    let outgoing = Outgoing {
        to: to.to_owned(),
        notice: kind,
        reference: kind.to_owned(),
        rendered,
    };
    rfc5322_message(&settings.mail_from, &outgoing, &headers)
}

/// Why a queued message was not delivered (addresses reduced to their domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    pub reason: String,
    /// Trying again changes nothing (the SMTP server refused for good).
    pub permanent: bool,
}

/// Delivers a message from the durable outbox: over SMTP when configured (an error is returned
/// for a later retry), else as `{name}.eml` in the outbox directory, written whole or not at all
/// (the same name again after a crash replaces the file, it does not add a second).
pub fn deliver_queued(
    settings: &crate::config::Settings,
    to: &str,
    name: &str,
    message: &str,
) -> Result<(), DeliveryError> {
    match &settings.smtp_url {
        Some(url) => {
            smtp::send(url.expose(), &settings.mail_from, to, message).map_err(|e| DeliveryError {
                permanent: e.permanent,
                reason: e.to_string(),
            })
        }
        None => {
            write_to_outbox(&settings.outbox_dir, &format!("{name}.eml"), message).map_err(|e| {
                DeliveryError {
                    reason: e.to_string(),
                    permanent: false,
                }
            })
        }
    }
}

/// One RFC 5322 message, text and HTML as alternatives; `extra_headers` are whole lines.
fn rfc5322_message(from: &str, email: &Outgoing, extra_headers: &str) -> String {
    let now = chrono::Utc::now();
    let boundary = format!("einblick-{}", crate::auth::session::new_token());
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\nMIME-Version: 1.0\r\n{extra_headers}\
         X-Einblick-Notice: {notice}\r\nX-Einblick-Reference: {reference}\r\n\
         Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n\
         --{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{text}\r\n\
         --{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{html}\r\n\
         --{boundary}--\r\n",
        to = email.to.replace(['\r', '\n'], ""),
        subject = encode_header(&email.rendered.subject),
        date = now.to_rfc2822(),
        notice = email.notice,
        reference = email.reference,
        text = wrapped_base64(email.rendered.text.as_bytes()),
        html = wrapped_base64(email.rendered.html.as_bytes()),
    )
}

/// One message per `.eml` file, readable with any mail client.
fn write_to_outbox(dir: &Path, name: &str, message: &str) -> Result<(), AppError> {
    let io = |e: std::io::Error| AppError::internal(format!("outbox {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let partial = dir.join(format!(".{name}.partial"));
    let mut file = std::fs::File::create(&partial).map_err(io)?;
    file.write_all(message.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    // A relay watching the directory never sees half a message.
    std::fs::rename(&partial, dir.join(name)).map_err(io)?;
    Ok(())
}

/// RFC 2047 for non-ASCII subjects.
fn encode_header(value: &str) -> String {
    let clean = value.replace(['\r', '\n'], " ");
    if clean.is_ascii() {
        clean
    } else {
        format!("=?UTF-8?B?{}?=", STANDARD.encode(clean.as_bytes()))
    }
}

fn wrapped_base64(bytes: &[u8]) -> String {
    let encoded = STANDARD.encode(bytes);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|line| std::str::from_utf8(line).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[cfg(test)]
mod tests;
