//! What a customer's new password must be, after current OWASP guidance (ASVS 5, section 6.2):
//! long enough, not too long to hash, any characters (spaces too), no composition rules, and not
//! one of the passwords attackers try first or the customer's own identifiers.

/// The shortest password accepted.
pub const MIN_CHARS: usize = 12;
/// The longest: enough for passphrases, bounded so hashing stays cheap.
pub const MAX_CHARS: usize = 128;

/// Why a password is refused; the code is the set-password form's `?error=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    Mismatch,
    Common,
    Personal,
}

impl PasswordProblem {
    pub fn code(self) -> &'static str {
        match self {
            Self::TooShort => "short",
            Self::TooLong => "long",
            Self::Mismatch => "mismatch",
            Self::Common => "common",
            Self::Personal => "personal",
        }
    }
}

/// Passwords of 12 characters or more that lead the published lists of leaked passwords; a
/// short local list (the issue allows an offline check), compared case-insensitively.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789abc",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwertzuiop12",
    "qwertzuiop123",
    "asdfghjkl123",
    "password1234",
    "password12345",
    "passwort1234",
    "passwort12345",
    "iloveyou1234",
    "letmein12345",
    "welcome12345",
    "willkommen12",
    "willkommen123",
    "administrator",
    "hallo1234567",
    "abcdefghijkl",
    "aaaaaaaaaaaa",
    "000000000000",
    "111111111111",
    "123123123123",
    "qwerty123456",
    "einblick1234",
    "einblick12345",
];

/// Checks `password` (and its confirmation) against the rules. `identifiers` are the customer's
/// email address and customer number, which must not be the password.
pub fn check(
    password: &str,
    confirmation: &str,
    identifiers: &[&str],
) -> Result<(), PasswordProblem> {
    let length = password.chars().count();
    if length < MIN_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if length > MAX_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    if password != confirmation {
        return Err(PasswordProblem::Mismatch);
    }
    let folded = password.to_lowercase();
    let one_character_repeated = folded.chars().all(|c| folded.starts_with(c));
    if COMMON.contains(&folded.as_str()) || one_character_repeated {
        return Err(PasswordProblem::Common);
    }
    if identifiers
        .iter()
        .any(|id| !id.is_empty() && folded.contains(&id.to_lowercase()))
    {
        return Err(PasswordProblem::Personal);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_and_confirmation() {
        assert_eq!(check("short", "short", &[]), Err(PasswordProblem::TooShort));
        let long = "x".repeat(129);
        assert_eq!(check(&long, &long, &[]), Err(PasswordProblem::TooLong));
        assert_eq!(
            check("correct horse battery", "correct horse batterY", &[]),
            Err(PasswordProblem::Mismatch)
        );
        assert_eq!(
            check("correct horse battery", "correct horse battery", &[]),
            Ok(())
        );
        // Any characters count, spaces and umlauts too; no composition rules.
        assert_eq!(check("über alle gipfel", "über alle gipfel", &[]), Ok(()));
    }

    #[test]
    fn common_and_personal_passwords_are_refused() {
        assert_eq!(
            check("Password1234", "Password1234", &[]),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check("zzzzzzzzzzzzzz", "zzzzzzzzzzzzzz", &[]),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check(
                "my C-100042 secret",
                "my C-100042 secret",
                &["anna@example.com", "C-100042"]
            ),
            Err(PasswordProblem::Personal)
        );
    }
}
