//! What `updateProfile` accepts besides the nickname: an avatar URL, a gender
//! and a birthday, each checked here once.

use chrono::{Datelike, NaiveDate};

pub use entity::user::Gender;

use crate::error::InputProblem;

/// The longest avatar URL kept.
pub const AVATAR_MAX_CHARS: usize = 512;

/// An `https://` URL with a host, at most [`AVATAR_MAX_CHARS`] characters.
/// Anything a browser could run or fetch in the clear (`http:`,
/// `javascript:`, `data:`) is refused: apps put this straight into `<img src>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avatar(String);

impl Avatar {
    /// Parses with the `url` crate and keeps its serialisation, so what is
    /// stored has no stray whitespace or unescaped characters.
    pub fn parse(raw: &str) -> Result<Self, InputProblem> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(InputProblem::Missing);
        }
        if raw.chars().count() > AVATAR_MAX_CHARS {
            return Err(InputProblem::TooLong(AVATAR_MAX_CHARS));
        }
        let url = url::Url::parse(raw).map_err(|_| InputProblem::Malformed)?;
        let has_host = url.host_str().is_some_and(|host| !host.is_empty());
        if url.scheme() != "https" || !has_host || !url.username().is_empty() || url.password().is_some() {
            return Err(InputProblem::Malformed);
        }
        let text = String::from(url);
        if text.chars().count() > AVATAR_MAX_CHARS {
            return Err(InputProblem::TooLong(AVATAR_MAX_CHARS));
        }
        Ok(Avatar(text))
    }

    /// The URL as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The earliest birth year accepted.
const FIRST_YEAR: i32 = 1900;

/// A birthday: from 1900 on and not after `today` (the caller's latest
/// calendar date, so nobody east of UTC is refused on their birthday).
pub fn parse_birthday(date: NaiveDate, today: NaiveDate) -> Result<NaiveDate, InputProblem> {
    if date.year() < FIRST_YEAR || date > today {
        return Err(InputProblem::Malformed);
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avatars_are_https_urls_of_bounded_length() {
        let ok = Avatar::parse(" https://cdn.example.cn/a/b.png?x=1 ").expect("valid");
        assert_eq!(ok.as_str(), "https://cdn.example.cn/a/b.png?x=1");
        for bad in [
            "http://cdn.example.cn/a.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "https://",
            "https://user:pw@example.cn/a.png",
            "cdn.example.cn/a.png",
            "ftp://example.cn/a.png",
        ] {
            assert_eq!(Avatar::parse(bad), Err(InputProblem::Malformed), "{bad}");
        }
        assert_eq!(Avatar::parse("  "), Err(InputProblem::Missing));
        let long = format!("https://example.cn/{}", "a".repeat(AVATAR_MAX_CHARS));
        assert_eq!(Avatar::parse(&long), Err(InputProblem::TooLong(AVATAR_MAX_CHARS)));
        let exact = format!("https://example.cn/{}", "a".repeat(AVATAR_MAX_CHARS - 19));
        assert_eq!(exact.len(), AVATAR_MAX_CHARS);
        assert!(Avatar::parse(&exact).is_ok());
    }

    #[test]
    fn birthdays_are_from_1900_to_today() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        let today = day(2026, 12, 2);
        assert!(parse_birthday(day(1990, 5, 17), today).is_ok());
        assert!(parse_birthday(today, today).is_ok());
        assert!(parse_birthday(day(1900, 1, 1), today).is_ok());
        assert!(parse_birthday(day(1899, 12, 31), today).is_err());
        assert!(parse_birthday(day(2026, 12, 3), today).is_err());
    }
}
