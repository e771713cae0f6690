//! The rules every flow shares: who may sign in, whether sign-up is open,
//! and how raw inputs become domain values.

use std::sync::Arc;

use crate::clock::Clock;
use crate::domain::User;
use chrono::{DateTime, Duration, Utc};
use phonenumber::country::Id as Region;

use crate::domain::{Code, Mobile, PasswordPolicy};
use crate::error::{AppError, Field, InputProblem};

/// The account settings the flows consult.
#[derive(Clone)]
pub struct AccountRules {
    /// New accounts may be created (REGISTRATION_CLOSED otherwise).
    pub registration_open: bool,
    /// How national numbers without `+` are read.
    pub region: Region,
    pub password: PasswordPolicy,
    /// When a ban with an end is over.
    pub clock: Arc<dyn Clock>,
}

/// Who a sign-in is about to enter: an existing account, or one it creates.
#[derive(Debug, Clone, Copy)]
pub enum Entering<'a> {
    Existing(&'a User),
    NewAccount,
}

impl AccountRules {
    /// The one sign-in gate: a banned account never signs in, and no
    /// account is created while registration is closed.
    pub fn admit(&self, entering: Entering<'_>) -> Result<(), AppError> {
        match entering {
            Entering::Existing(user) => ensure_active(user, self.clock.now()),
            Entering::NewAccount if !self.registration_open => Err(AppError::RegistrationClosed),
            Entering::NewAccount => Ok(()),
        }
    }

    /// Parses the `mobile` input, or BAD_USER_INPUT naming it.
    pub fn parse_mobile(&self, raw: Option<&str>) -> Result<Mobile, AppError> {
        let raw = raw
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .ok_or(AppError::bad(Field::Mobile, InputProblem::Missing))?;
        Mobile::parse(raw, self.region).ok_or(AppError::bad(Field::Mobile, InputProblem::Malformed))
    }
}

/// How long a VERIFY code (SMS or email) keeps its window open.
const VERIFY_WINDOW_SECONDS: i64 = 600;

/// The window VERIFY opens (for REBIND and `setPassword`): ten minutes, and
/// only to the session that passed VERIFY, so another token of the same user
/// (a stolen one, say) cannot use the window the owner just opened. Closed,
/// it is BAD_USER_INPUT NeedsVerify on `field`.
pub fn ensure_verify_window(
    me: &User,
    session: Option<&str>,
    now: DateTime<Utc>,
    field: Field,
) -> Result<(), AppError> {
    let same_session = me.mobile_verified_session.is_some() && me.mobile_verified_session.as_deref() == session;
    match me.mobile_verified_at {
        Some(at) if same_session && now - at <= Duration::seconds(VERIFY_WINDOW_SECONDS) && at <= now => Ok(()),
        _ => Err(AppError::bad(field, InputProblem::NeedsVerify)),
    }
}

/// ACCOUNT_DISABLED for users banned at `now` (a ban whose end has passed is over)
/// and for deleted accounts; an account waiting for its deletion still signs in.
pub fn ensure_active(user: &User, now: DateTime<Utc>) -> Result<(), AppError> {
    if user.may_sign_in_at(now) {
        Ok(())
    } else {
        Err(AppError::AccountDisabled)
    }
}

/// Parses the `code` input of a code flow.
pub fn parse_code(raw: &str) -> Result<Code, AppError> {
    if raw.trim().is_empty() {
        return Err(AppError::bad(Field::Code, InputProblem::Missing));
    }
    Code::parse(raw).ok_or(AppError::bad(Field::Code, InputProblem::Malformed))
}

/// The mobile an account has, for flows that act on it.
pub fn own_mobile(me: &User) -> Result<Mobile, AppError> {
    me.mobile
        .clone()
        .ok_or(AppError::bad(Field::Mobile, InputProblem::Missing))
}
