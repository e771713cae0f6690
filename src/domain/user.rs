//! The account as the service layer and the front doors see it: no password
//! hashes, only whether they exist.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Email, Gender, Mobile};

pub use entity::user::{Role, UserStatus};

/// One account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    /// As the user typed it.
    pub username: Option<String>,
    /// Lower-cased username: what identifies the account.
    pub username_key: Option<String>,
    pub nickname: Option<String>,
    pub mobile: Option<Mobile>,
    pub email: Option<Email>,
    pub avatar: Option<String>,
    pub gender: Gender,
    pub birthday: Option<NaiveDate>,
    /// PENDING_DELETION: when the account is anonymised.
    pub deletion_scheduled_at: Option<DateTime<Utc>>,
    pub role: Role,
    pub status: UserStatus,
    pub has_password: bool,
    pub has_pay_password: bool,
    /// Bumped to revoke every access token issued before.
    pub token_version: i32,
    pub referrer_id: Option<i64>,
    /// When a VERIFY code proved the mobile, and the session that did it:
    /// together they open the REBIND window.
    pub mobile_verified_at: Option<DateTime<Utc>>,
    pub mobile_verified_session: Option<String>,
    pub register_ip: Option<String>,
    pub last_login_ip: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// The operator's words when disabling the account.
    pub disabled_reason: Option<String>,
    /// A disabled account is active again from this time on; `None`: until enabled.
    pub disabled_until: Option<DateTime<Utc>>,
}

impl User {
    /// True for administrators.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// True when the account may sign in: active, or waiting for its
    /// deletion (so that its owner can still cancel it).
    pub fn may_sign_in(&self) -> bool {
        matches!(self.status, UserStatus::Active | UserStatus::PendingDeletion)
    }

    /// [`User::may_sign_in`] at `now`: a ban whose end has passed is over.
    pub fn may_sign_in_at(&self, now: DateTime<Utc>) -> bool {
        matches!(self.status_at(now), UserStatus::Active | UserStatus::PendingDeletion)
    }

    /// True unless the account is banned at `now`: a ban with an end is over
    /// once the end has passed, without anyone writing the row.
    pub fn is_active_at(&self, now: DateTime<Utc>) -> bool {
        self.status_at(now) == UserStatus::Active
    }

    /// The status as of `now`, a passed `disabled_until` read as ACTIVE.
    pub fn status_at(&self, now: DateTime<Utc>) -> UserStatus {
        match (self.status, self.disabled_until) {
            (UserStatus::Disabled, Some(until)) if until <= now => UserStatus::Active,
            (status, _) => status,
        }
    }
}
