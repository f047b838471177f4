//! Delivery over SMTP (lettre), when `EINBLICK_SMTP_URL` is set. The message is the same
//! RFC 5322 text the outbox would hold; lettre only speaks SMTP.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::{Address, SmtpTransport, Transport};

/// How long one delivery may take before the email goes to the outbox instead.
const TIMEOUT: Duration = Duration::from_secs(10);

pub fn send(url: &str, from: &str, to: &str, message: &str) -> Result<(), String> {
    let transport = SmtpTransport::from_url(url)
        .map_err(|e| e.to_string())?
        .timeout(Some(TIMEOUT))
        .build();
    let from: Address = bare_address(from)
        .parse()
        .map_err(|e| format!("sender address: {e}"))?;
    let to: Address = to.parse().map_err(|e| format!("recipient address: {e}"))?;
    let envelope = Envelope::new(Some(from), vec![to]).map_err(|e| e.to_string())?;
    transport
        .send_raw(&envelope, message.as_bytes())
        .map(|_| ())
        .map_err(|e| e.to_string())
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
    fn the_sender_address_is_taken_from_its_display_form() {
        assert_eq!(
            bare_address("Einblick <privacy@example.org>"),
            "privacy@example.org"
        );
        assert_eq!(bare_address(" privacy@example.org "), "privacy@example.org");
    }
}
