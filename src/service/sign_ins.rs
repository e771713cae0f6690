//! Every sign-in ends here once: counted for `/metrics`; when it failed,
//! logged at `info` with the account masked and the reason code, so an
//! operator can follow an attack or a user's complaint without the log ever
//! holding a full mobile, an email or a secret; and written to the login
//! history (`loginHistory`) of the account it named.
//!
//! A success is written by [`SignIns::succeeded`] inside the transaction
//! that issues the session: the history shows a sign-in exactly when there is
//! a session of it (the insert has no constraint of its own to break, so it
//! fails only when the session's own writes would). A failure has no
//! transaction to join; [`SignIns::record`] writes it afterwards and a fault
//! there is logged, never answered: history must not turn a refusal into an
//! INTERNAL or a sign-in into a failure.

use std::sync::Arc;

use phonenumber::country::Id as Region;

use super::RequestMeta;
use super::auth::Viewer;
use super::events::{EventType, Events};
use crate::clock::Clock;
use crate::domain::{Account, Email, Mobile, mask_mobile};
use crate::error::{AppError, Field, InputProblem};
use crate::messaging::mask_email;
use crate::metrics::{Metrics, SignInMethod};
use crate::store::login_events::{LoginEvent, NewLoginEvent};
use crate::store::{self, Db, Writes};

/// The login history and the sign-in counts.
#[derive(Clone)]
pub struct SignIns {
    db: Db,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    /// How national mobiles in a failed attempt are read.
    region: Region,
    /// Each success is a `user.signed_in` event too.
    events: Events,
}

/// A page of `loginHistory`, newest first.
pub struct LoginEventPage {
    pub events: Vec<LoginEvent>,
    pub has_next_page: bool,
}

impl SignIns {
    /// Sign-ins counted on `metrics` and written to `db`.
    pub fn new(db: Db, clock: Arc<dyn Clock>, metrics: Arc<Metrics>, region: Region, events: Events) -> Self {
        SignIns {
            db,
            clock,
            metrics,
            region,
            events,
        }
    }

    /// Queues a successful sign-in of `user_id` with the writes of its session.
    pub fn succeeded(&self, writes: &mut Writes, method: SignInMethod, user_id: i64, meta: &RequestMeta) {
        store::login_events::queue(writes, event(method, user_id, None, meta), self.clock.now());
        let data = serde_json::json!({ "method": method.as_str() });
        self.events.record_to(writes, user_id, EventType::SignedIn, data);
    }

    /// Ends one sign-in: counts it, and when it failed logs it and writes
    /// it to the history of the existing account `account` (what the caller
    /// typed, read as the method reads it) names.
    pub async fn record<T>(
        &self,
        method: SignInMethod,
        account: Option<&str>,
        meta: &RequestMeta,
        result: &Result<T, AppError>,
    ) {
        count(&self.metrics, method, account, result);
        let Err(err) = result else {
            return;
        };
        let Some(account) = account.and_then(|raw| self.named(method, raw)) else {
            return;
        };
        if throttled(err) {
            return;
        }
        if let Err(fault) = self.write_failure(&account, method, err, meta).await {
            tracing::warn!(
                err = fault.describe(),
                method = method.as_str(),
                "a failed sign-in could not be written to the login history"
            );
        }
    }

    async fn write_failure(
        &self,
        account: &Account,
        method: SignInMethod,
        err: &AppError,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        let Some(user) = store::users::by_account(&self.db, account).await? else {
            return Ok(());
        };
        let failed = event(method, user.id, Some(err.code()), meta);
        store::login_events::insert(&self.db, failed, self.clock.now()).await
    }

    /// The account a failed attempt named, as its method reads the input.
    fn named(&self, method: SignInMethod, raw: &str) -> Option<Account> {
        match method {
            SignInMethod::Password => Account::parse(raw, self.region),
            SignInMethod::Sms | SignInMethod::ThirdParty | SignInMethod::OneClick => {
                Mobile::parse(raw, self.region).map(Account::Mobile)
            }
            SignInMethod::Email => Email::parse(raw).map(Account::Email),
            // Refreshing a session is not a sign-in of the history.
            SignInMethod::Refresh => None,
        }
    }

    /// `loginHistory`: the caller's own attempts, newest first; `after` is
    /// the id of the last attempt seen.
    pub async fn history(&self, viewer: &Viewer, first: i64, after: Option<i64>) -> Result<LoginEventPage, AppError> {
        let me = viewer.require()?;
        self.history_of(viewer, me.id, first, after).await
    }

    /// `User.loginHistory`: the attempts on `user_id`'s account, for that
    /// user or an ADMIN (FORBIDDEN to anyone else).
    pub async fn history_of(
        &self,
        viewer: &Viewer,
        user_id: i64,
        first: i64,
        after: Option<i64>,
    ) -> Result<LoginEventPage, AppError> {
        let me = viewer.require()?;
        if me.id != user_id && !me.is_admin() {
            return Err(AppError::Forbidden);
        }
        if !(1..=100).contains(&first) {
            return Err(AppError::bad(Field::First, InputProblem::Malformed));
        }
        let first = first as usize;
        let mut events = store::login_events::page(&self.db, user_id, first as u64, after).await?;
        let has_next_page = events.len() > first;
        events.truncate(first);
        Ok(LoginEventPage { events, has_next_page })
    }
}

/// Attempts refused by a lock or a rate limit before anything was checked
/// are counted and logged but kept out of the history: the attempt that set
/// the lock is there, and a locked account's history cannot be flooded.
fn throttled(err: &AppError) -> bool {
    matches!(err, AppError::TooManyAttempts { .. } | AppError::RateLimited { .. })
}

fn event(method: SignInMethod, user_id: i64, failure_code: Option<&'static str>, meta: &RequestMeta) -> NewLoginEvent {
    NewLoginEvent {
        user_id,
        method: method.as_str(),
        failure_code,
        ip: meta.ip_text(),
        user_agent: meta.user_agent.clone(),
    }
}

/// Counts and (on failure) logs one sign-in; `account` is what the caller
/// typed, if the method has one. Refreshes end here alone.
pub(crate) fn count<T>(metrics: &Metrics, method: SignInMethod, account: Option<&str>, result: &Result<T, AppError>) {
    metrics.sign_in(method, result.as_ref().map(|_| ()));
    if let Err(err) = result {
        tracing::info!(
            method = method.as_str(),
            account = account.map(masked_account).as_deref().unwrap_or("-"),
            reason = err.code(),
            "sign-in failed"
        );
    }
}

/// Enough of an account identifier to match a complaint, never all of it:
/// `138****0000`, `a***@example.cn`, `al***` (a username's first two letters).
pub(crate) fn masked_account(raw: &str) -> String {
    let raw = raw.trim();
    if raw.contains('@') {
        return mask_email(raw);
    }
    let is_number = !raw.is_empty() && raw.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-'));
    if is_number {
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        return mask_mobile(&digits);
    }
    let head: String = raw.chars().take(2).collect();
    format!("{head}***")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_masked_in_every_shape() {
        assert_eq!(masked_account("13800138000"), "138****8000");
        assert_eq!(masked_account("+86 138 0013 8000"), "861****8000");
        assert_eq!(masked_account("alice@example.cn"), "a***@example.cn");
        assert_eq!(masked_account("alice_wang"), "al***");
        assert_eq!(masked_account("张三丰"), "张三***");
        assert_eq!(masked_account(""), "***");
    }
}
