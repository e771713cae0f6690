use std::collections::HashSet;
use std::sync::OnceLock;

use secrecy::{ExposeSecret, SecretString};

use crate::error::{AppError, Field, InputProblem};

/// A password as typed, accepted by the policy. Never printed.
pub struct PlainPassword(SecretString);

impl PlainPassword {
    /// The secret, for hashing only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// A password that still has to be checked against a stored hash; no policy
/// applies, since old accounts may predate the current rules.
pub fn candidate(raw: &str) -> PlainPassword {
    PlainPassword(SecretString::from(raw.to_string()))
}

/// Length bounds and the common-password list (NIST SP 800-63B §3.1.1.2).
#[derive(Debug, Clone, Copy)]
pub struct PasswordPolicy {
    pub min_chars: usize,
    pub max_chars: usize,
}

impl PasswordPolicy {
    /// Parses a new password for `field`; the error says which rule failed.
    pub fn parse_new(&self, raw: &str, field: Field) -> Result<PlainPassword, AppError> {
        let chars = raw.chars().count();
        if chars == 0 {
            return Err(AppError::bad(field, InputProblem::Missing));
        }
        if chars < self.min_chars {
            return Err(AppError::bad(field, InputProblem::TooShort(self.min_chars)));
        }
        if chars > self.max_chars {
            return Err(AppError::bad(field, InputProblem::TooLong(self.max_chars)));
        }
        if is_common(raw) {
            return Err(AppError::bad(field, InputProblem::TooCommon));
        }
        Ok(candidate(raw))
    }
}

/// The embedded list (most common leaked passwords, Chinese leaks included),
/// plus any single repeated character.
fn is_common(raw: &str) -> bool {
    static COMMON: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let list = COMMON.get_or_init(|| {
        include_str!("common_passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect()
    });
    let lower = raw.to_lowercase();
    let mut chars = lower.chars();
    let first = chars.next();
    let one_repeated_char = first.is_some_and(|c| chars.all(|other| other == c));
    one_repeated_char || list.contains(lower.as_str())
}

/// A payment password: exactly six digits.
pub struct PayPassword(SecretString);

impl PayPassword {
    /// Six ASCII digits, or BAD_USER_INPUT on `field`.
    pub fn parse(raw: &str, field: Field) -> Result<Self, AppError> {
        if raw.is_empty() {
            return Err(AppError::bad(field, InputProblem::Missing));
        }
        if raw.len() != 6 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::bad(field, InputProblem::NotSixDigits));
        }
        Ok(PayPassword(SecretString::from(raw.to_string())))
    }

    /// The secret, for hashing only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: PasswordPolicy = PasswordPolicy {
        min_chars: 8,
        max_chars: 128,
    };

    #[test]
    fn refuses_short_long_and_common() {
        assert!(POLICY.parse_new("s3cure-enough", Field::Password).is_ok());
        let err = |raw: &str| POLICY.parse_new(raw, Field::Password).err();
        assert_eq!(
            err("short"),
            Some(AppError::bad(Field::Password, InputProblem::TooShort(8)))
        );
        assert_eq!(
            err(&"x".repeat(129)),
            Some(AppError::bad(Field::Password, InputProblem::TooLong(128)))
        );
        assert_eq!(
            err("Password1"),
            Some(AppError::bad(Field::Password, InputProblem::TooCommon))
        );
        assert_eq!(
            err("12345678"),
            Some(AppError::bad(Field::Password, InputProblem::TooCommon))
        );
        assert_eq!(
            err("zzzzzzzzzz"),
            Some(AppError::bad(Field::Password, InputProblem::TooCommon))
        );
    }

    #[test]
    fn counts_characters_not_bytes() {
        // Eight Chinese characters are eight characters, though 24 bytes.
        assert!(POLICY.parse_new("我的密码很长很好", Field::Password).is_ok());
    }
}
