//! Newtypes that parse at the edge: once a value has one of these types it is
//! known to be well formed, so the service layer never re-checks it.

mod code;
mod email;
mod mobile;
mod password;
mod platform;
mod profile;
mod user;
mod username;

pub use code::{Code, CodeDigits};
pub use email::Email;
pub use mobile::{Mobile, mask_mobile};
pub use password::{PasswordPolicy, PayPassword, PlainPassword};
pub use platform::{Platform, UnknownPlatform};
pub use profile::{AVATAR_MAX_CHARS, Avatar, Gender, parse_birthday};
pub use user::{Role, User, UserStatus};
pub use username::Username;

/// What a sign-in `account` string names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Account {
    Username(Username),
    Mobile(Mobile),
    Email(Email),
}

impl Account {
    /// An `@` means email, a valid phone number means mobile, else a username.
    /// Usernames that look like phone numbers are refused at registration, so
    /// the reading is never ambiguous.
    pub fn parse(raw: &str, region: phonenumber::country::Id) -> Option<Self> {
        let raw = raw.trim();
        if raw.contains('@') {
            return Email::parse(raw).map(Account::Email);
        }
        match Mobile::parse(raw, region) {
            Some(mobile) => Some(Account::Mobile(mobile)),
            None => Username::parse_not_mobile(raw).map(Account::Username),
        }
    }
}
