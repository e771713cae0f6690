//! Spending a presented code: checked through the pool, taken inside the
//! transaction of the write it authorises; review numbers' fixed codes.

use super::{Codes, Purpose};
use crate::crypto::constant_time_eq;
use crate::domain::Code;
use crate::error::AppError;
use crate::service::limits;
use crate::store::{self, Txn};

/// A code a caller presented: [`check`]ed first, then taken by [`take_in`]
/// inside the transaction of the write it authorises, so if that write
/// fails the code stays usable.
#[derive(Clone, Copy)]
pub struct PresentedCode<'a> {
    pub target: &'a str,
    pub purpose: Purpose,
    pub code: &'a Code,
    /// Who presents it: review numbers' fixed codes are limited per client.
    pub client: Option<std::net::IpAddr>,
}

/// A presented code found right, not yet taken: [`take_in`] takes it
/// inside the transaction of the write it authorises.
#[derive(Debug)]
#[must_use = "a checked code is only spent by take_in"]
pub struct CheckedCode {
    /// The row to delete, and the HMAC it must still hold.
    row: (i64, String),
}

/// Wrong guesses at a review account's fixed code a client IP may make in
/// 15 minutes, and all clients together: a fixed, reusable code must not be
/// guessable, and one stranger must not be able to lock the reviewers out.
const FIXED_CODE_MISSES_PER_CLIENT: u32 = 5;
const FIXED_CODE_MISSES_ALL: u32 = 50;
const FIXED_CODE_WINDOW_SECONDS: i64 = 900;

impl Codes {
    /// Opens the transaction of a write that rests on `spend` (when there is
    /// a code to spend): the code is checked through the pool first, then
    /// taken as the transaction's first write, so if the write fails the code
    /// stays usable. A review number's fixed code is checked inside the
    /// transaction, as its first write.
    pub async fn begin_spending(&self, spend: Option<PresentedCode<'_>>) -> Result<Txn, AppError> {
        let Some(presented) = spend else {
            return store::begin(&self.db).await;
        };
        if let Some(fixed) = self.fixed_code(presented.target) {
            return self.begin_with_fixed(presented, fixed).await;
        }
        let checked = self.check(presented).await?;
        let txn = store::begin(&self.db).await?;
        self.take_in(&txn, &checked).await?;
        Ok(txn)
    }

    /// Spends the code of `target` and `purpose` if `code` is right. Wrong tries
    /// count against the code only (the factor that failed); the fifth burns it.
    pub async fn consume(&self, presented: PresentedCode<'_>) -> Result<(), AppError> {
        let txn = self.begin_spending(Some(presented)).await?;
        store::commit(txn).await
    }

    /// Checks a presented code through the pool, before any transaction is
    /// open (a request must never hold a transaction and wait for a second
    /// pooled connection). A wrong try is counted here and sticks; the fifth
    /// burns the code.
    async fn check(&self, presented: PresentedCode<'_>) -> Result<CheckedCode, AppError> {
        let PresentedCode {
            target, purpose, code, ..
        } = presented;
        let now = self.clock.now();
        let max = self.settings.max_attempts;
        match store::codes::find(&self.db, target, purpose.as_str()).await? {
            Some(row) if row.expires_at > now && row.attempts < max => {
                let expected = self.code_hmac(target, purpose, code.as_str());
                if constant_time_eq(expected.as_bytes(), row.code_hmac.as_bytes()) {
                    Ok(CheckedCode {
                        row: (row.id, row.code_hmac),
                    })
                } else if store::codes::record_wrong_try(&self.db, row.id, max).await? {
                    Err(AppError::CodeBurned)
                } else {
                    Err(AppError::CodeInvalid)
                }
            }
            _ => Err(AppError::CodeExpired),
        }
    }

    /// Takes a checked code inside `txn`: it is gone only if
    /// that transaction commits, and of concurrent takers exactly one wins.
    /// The delete is the transaction's first write, so SQLite takes its write
    /// lock at once, with no read snapshot to upgrade.
    async fn take_in(&self, txn: &Txn, checked: &CheckedCode) -> Result<(), AppError> {
        let (id, hmac) = &checked.row;
        let now = self.clock.now();
        if store::codes::take_matching(txn, *id, hmac, self.settings.max_attempts, now).await? {
            Ok(())
        } else {
            Err(AppError::CodeExpired)
        }
    }

    /// Opens the transaction of a write that rests on a review number's
    /// fixed code. Its tries are held first (per target, and per client IP),
    /// so parallel guesses are compared one at a time and never more than
    /// the limits allow; a wrong guess commits its count at once, a right
    /// one counts nothing and goes on in the same transaction.
    async fn begin_with_fixed(&self, presented: PresentedCode<'_>, fixed: &str) -> Result<Txn, AppError> {
        let target = presented.target;
        let mut keys = vec![(format!("fixed-code:miss:{target}"), FIXED_CODE_MISSES_ALL)];
        if let Some(ip) = presented.client {
            keys.push((
                format!("fixed-code:miss:{target}:{}", limits::ip_key(ip)),
                FIXED_CODE_MISSES_PER_CLIENT,
            ));
        }
        let txn = store::begin(&self.db).await?;
        let held = match self.limits.hold_tries(&txn, keys, FIXED_CODE_WINDOW_SECONDS).await {
            Ok(held) => held,
            Err(AppError::RateLimited { retry_after }) => return Err(AppError::TooManyAttempts { retry_after }),
            Err(other) => return Err(other),
        };
        if constant_time_eq(fixed.as_bytes(), presented.code.as_str().as_bytes()) {
            return Ok(txn);
        }
        self.limits.count_try(&txn, held).await?;
        store::commit(txn).await?;
        Err(AppError::CodeInvalid)
    }
}
