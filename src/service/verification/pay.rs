//! The pay password check before a payment, with its own lockout.

use chrono::Duration;

use super::{PAY_PASSWORD_MAX_FAILURES, Verification};
use crate::domain::PayPassword;
use crate::error::{AppError, Field};
use crate::service::auth::Viewer;
use crate::store;

impl Verification {
    /// Checks a pay password before a payment; five wrong tries lock it for the
    /// lockout period.
    pub async fn check_pay_password(&self, viewer: &Viewer, raw: &str) -> Result<bool, AppError> {
        let me = viewer.require()?;
        let pay = PayPassword::parse(raw, Field::PayPassword)?;
        let Some(hash) = store::users::pay_password(&self.db, me.id).await?.and_then(|p| p.hash) else {
            return Err(AppError::NotFound);
        };
        let lockout = self.pay_lockout.as_secs();
        // The try is counted before the hash is checked: of any number of
        // concurrent guesses, only as many as tries remain are checked at all.
        let now = self.clock.now();
        if !store::users::reserve_pay_password_try(&self.db, me.id, PAY_PASSWORD_MAX_FAILURES, now).await? {
            let current = store::users::pay_password(&self.db, me.id).await?;
            let retry_after = current
                .and_then(|p| p.locked_until)
                .filter(|until| *until > now)
                .map_or(lockout, |until| (until - now).num_seconds().max(1) as u64);
            return Err(AppError::TooManyAttempts { retry_after });
        }
        if self.passwords.verify(Some(&hash), pay.expose()).await? {
            store::users::set_pay_password_failures(&self.db, me.id, 0, None).await?;
            return Ok(true);
        }
        let failures = store::users::pay_password(&self.db, me.id)
            .await?
            .map_or(PAY_PASSWORD_MAX_FAILURES, |p| p.failures);
        if failures >= PAY_PASSWORD_MAX_FAILURES {
            let until = self.clock.now() + Duration::seconds(lockout as i64);
            store::users::set_pay_password_failures(&self.db, me.id, 0, Some(until)).await?;
            return Err(AppError::TooManyAttempts { retry_after: lockout });
        }
        Ok(false)
    }
}
