//! Who sees what of an account: decided here once, for every front door.

use crate::domain::User;

/// Who is looking at an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The account's own user.
    Owner,
    /// An administrator looking at someone else.
    Admin,
    /// Anyone else, signed in or not.
    Other,
}

impl Audience {
    /// How `viewer` (none: signed out) stands to `user`.
    pub fn of(viewer: Option<&User>, user: &User) -> Self {
        match viewer {
            Some(v) if v.id == user.id => Audience::Owner,
            Some(v) if v.is_admin() => Audience::Admin,
            _ => Audience::Other,
        }
    }

    /// Mobile and email whole, rather than masked.
    pub fn sees_contact_details(self) -> bool {
        self != Audience::Other
    }

    /// Owner-only details: sign-up IP, whether a password is set.
    pub fn is_owner(self) -> bool {
        self == Audience::Owner
    }
}

/// The mobile as `audience` may see it: whole (national form for mainland
/// numbers) or masked (`131****0001`).
pub fn visible_mobile(audience: Audience, user: &User) -> Option<String> {
    let mobile = user.mobile.as_ref()?;
    Some(if audience.sees_contact_details() {
        mobile.national().to_string()
    } else {
        mobile.masked()
    })
}

/// The email as `audience` may see it: whole, or `a***@example.cn`.
pub fn visible_email(audience: Audience, user: &User) -> Option<String> {
    let email = user.email.as_ref()?.as_str();
    if audience.sees_contact_details() {
        return Some(email.to_string());
    }
    let (local, domain) = email.split_once('@')?;
    let head: String = local.chars().take(1).collect();
    Some(format!("{head}***@{domain}"))
}
