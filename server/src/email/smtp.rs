//! Delivery over SMTP (lettre), when `EINBLICK_SMTP_URL` is set. The message is the same
//! RFC 5322 text the outbox would hold; lettre only speaks SMTP.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::{Address, SmtpTransport, Transport};

/// How long one delivery may take before the email goes to the outbox instead.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why an email was not delivered: the transport's words, with every address reduced to its
/// domain (see [`without_local_parts`]).
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct SendError {
    reason: String,
    /// The server refused for good (a 5xx reply, an address that cannot be one): trying again
    /// changes nothing.
    pub permanent: bool,
}

impl SendError {
    fn new(what: impl std::fmt::Display) -> Self {
        Self {
            reason: without_local_parts(&what.to_string()),
            permanent: false,
        }
    }

    fn permanent(what: impl std::fmt::Display) -> Self {
        Self {
            permanent: true,
            ..Self::new(what)
        }
    }

    fn of_transport(error: lettre::transport::smtp::Error) -> Self {
        if error.is_permanent() {
            Self::permanent(error)
        } else {
            Self::new(error)
        }
    }
}

pub fn send(url: &str, from: &str, to: &str, message: &str) -> Result<(), SendError> {
    let transport = SmtpTransport::from_url(url)
        .map_err(SendError::new)?
        .timeout(Some(TIMEOUT))
        .build();
    let from: Address = bare_address(from)
        .parse()
        .map_err(|e| SendError::new(format!("sender address: {e}")))?;
    let to: Address = to
        .parse()
        .map_err(|e| SendError::permanent(format!("recipient address: {e}")))?;
    let envelope = Envelope::new(Some(from), vec![to]).map_err(SendError::new)?;
    transport
        .send_raw(&envelope, message.as_bytes())
        .map(|_| ())
        // A server's reply often quotes the recipient ("550 <anna@example.com> unknown"): the
        // log keeps the domain only.
        .map_err(SendError::of_transport)
}

/// `text` with the part before the `@` of every email address in it replaced by `…`.
pub fn without_local_parts(text: &str) -> String {
    let is_local = |c: char| c.is_alphanumeric() || "._%+-!#$&'*/=?^`{|}~".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut pending = String::new();
    for c in text.chars() {
        if is_local(c) {
            pending.push(c);
            continue;
        }
        if c == '@' && !pending.is_empty() {
            out.push('…');
        } else {
            out.push_str(&pending);
        }
        pending.clear();
        out.push(c);
    }
    out.push_str(&pending);
    out
}

/// `Einblick <privacy@example.org>` → `privacy@example.org`.
fn bare_address(from: &str) -> &str {
    match (from.find('<'), from.rfind('>')) {
        (Some(start), Some(end)) if start < end => &from[start + 1..end],
        _ => from.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_servers_reply_keeps_only_the_domains_of_addresses() {
        assert_eq!(
            without_local_parts("550 5.1.1 <anna.schmidt+x@example.com>: Recipient unknown"),
            "550 5.1.1 <…@example.com>: Recipient unknown"
        );
        assert_eq!(
            without_local_parts("to anna@example.com and ben@mail.example.org failed"),
            "to …@example.com and …@mail.example.org failed"
        );
        assert_eq!(without_local_parts("no address here"), "no address here");
    }

    #[test]
    fn the_sender_address_is_taken_from_its_display_form() {
        assert_eq!(
            bare_address("Einblick <privacy@example.org>"),
            "privacy@example.org"
        );
        assert_eq!(bare_address(" privacy@example.org "), "privacy@example.org");
    }
}
