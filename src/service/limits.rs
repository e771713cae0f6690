//! Counters with limits: request rates and failures per account. Every count
//! lives in the database, so all nodes enforce one limit together.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::User;

use crate::clock::Clock;
use crate::domain::Account;
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::store::counters::{StreakTry, StreakTryUpsert};
use crate::store::{self, Db, Txn, Writes};

/// The counters behind every limit: sliding windows, password lockouts, the SMS budget.
#[derive(Clone)]
pub struct Limits {
    db: Db,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    settings: LimitSettings,
}

/// How much of each thing is allowed.
#[derive(Debug, Clone)]
pub struct LimitSettings {
    /// Wrong passwords per identifier per hour before its password sign-in locks.
    pub account_failures_hourly: u32,
    /// How long a password or pay-password lockout lasts.
    pub lockout: Duration,
    pub sms_budget_hourly: u32,
    pub sms_budget_daily: u32,
}

impl Limits {
    /// The counters of `db`, read against `clock`.
    pub fn new(db: Db, clock: Arc<dyn Clock>, metrics: Arc<Metrics>, settings: LimitSettings) -> Self {
        Limits {
            db,
            clock,
            metrics,
            settings,
        }
    }

    /// Counts one event under `key` against `limit` per `window_seconds`,
    /// sliding: the previous window's count weighs in by how much of it still
    /// overlaps the last `window_seconds`, so a burst at :59 and another at :00
    /// cannot both pass. A refused event does not count. The increment comes
    /// first, so concurrent requests never get more through than the limit.
    pub async fn hit(&self, key: &str, window_seconds: i64, limit: u32) -> Result<(), AppError> {
        let now = self.clock.now().timestamp();
        let window_start = now - now.rem_euclid(window_seconds);
        // Kept one window longer than it counts, to weigh into the next one.
        let keep_until = window_start + 2 * window_seconds;
        let current = store::counters::increment(&self.db, key, window_start, keep_until).await?;
        let previous = store::counters::get(&self.db, key, window_start - window_seconds).await?;
        let limit = i64::from(limit);
        let overlap = window_seconds - (now - window_start);
        // previous × overlap / window + current > limit, in integers.
        if previous * overlap + current * window_seconds <= limit * window_seconds {
            return Ok(());
        }
        store::counters::decrement(&self.db, key, window_start).await?;
        self.metrics.rate_limited(limit_name(key));
        Err(AppError::RateLimited {
            retry_after: sliding_wait(previous, current - 1, limit, window_seconds, overlap),
        })
    }

    /// Holds the counters of one try of a guessable secret under each of
    /// `keys` (distinct; each with its limit per `window_seconds`, sliding as
    /// in [`hit`]) inside `txn` until it ends, or refuses it (RATE_LIMITED)
    /// when one more try would pass a limit. Tries of the same keys wait for
    /// each other, so the secret may be compared now and the try counted
    /// only if it was wrong ([`count_try`]): parallel guesses never get more
    /// comparisons than the limit, and a right one leaves no count behind.
    pub async fn hold_tries(
        &self,
        txn: &Txn,
        keys: Vec<(String, u32)>,
        window_seconds: i64,
    ) -> Result<HeldTry, AppError> {
        let now = self.clock.now().timestamp();
        let window_start = now - now.rem_euclid(window_seconds);
        let names: Vec<&str> = keys.iter().map(|(key, _)| key.as_str()).collect();
        let held = store::counters::hold(txn, &names, window_start, window_seconds).await?;
        let overlap = window_seconds - (now - window_start);
        for ((key, limit), counts) in keys.iter().zip(&held) {
            let limit = i64::from(*limit);
            if counts.previous * overlap + (counts.current + 1) * window_seconds > limit * window_seconds {
                self.metrics.rate_limited(limit_name(key));
                return Err(AppError::RateLimited {
                    retry_after: sliding_wait(counts.previous, counts.current, limit, window_seconds, overlap),
                });
            }
        }
        Ok(HeldTry { keys, window_start })
    }

    /// Counts the try [`hold_tries`] held (it was wrong) under each of its
    /// keys; it sticks if `txn` commits.
    pub async fn count_try(&self, txn: &Txn, held: HeldTry) -> Result<(), AppError> {
        let names: Vec<&str> = held.keys.iter().map(|(key, _)| key.as_str()).collect();
        store::counters::count_held(txn, &names, held.window_start).await
    }

    /// How many events [`hit`] would see under `key` now (the previous window
    /// weighted by its overlap), without counting one.
    pub async fn sliding_count(&self, key: &str, window_seconds: i64) -> Result<i64, AppError> {
        let now = self.clock.now().timestamp();
        let window_start = now - now.rem_euclid(window_seconds);
        let current = store::counters::get(&self.db, key, window_start).await?;
        let previous = store::counters::get(&self.db, key, window_start - window_seconds).await?;
        let overlap = window_seconds - (now - window_start);
        Ok(current + previous * overlap / window_seconds)
    }

    /// Gives back one event counted by [`hit`] in the current window (the
    /// action it paid for was refused further on).
    pub async fn refund(&self, key: &str, window_seconds: i64) -> Result<(), AppError> {
        let now = self.clock.now().timestamp();
        store::counters::decrement(&self.db, key, now - now.rem_euclid(window_seconds)).await
    }

    /// Spends one SMS of the global budgets (hourly and daily, all nodes
    /// together). Past either, SMS_BUDGET_SPENT until its window ends; the
    /// first refusal of a window logs a warning for the operator.
    pub async fn spend_sms_budget(&self) -> Result<(), AppError> {
        let budgets = [
            ("hour", HOUR, self.settings.sms_budget_hourly),
            ("day", 24 * HOUR, self.settings.sms_budget_daily),
        ];
        let now = self.clock.now().timestamp();
        for (name, window, budget) in budgets {
            let window_start = now - now.rem_euclid(window);
            let window_end = window_start + window;
            let key = format!("sms:budget:{name}");
            let used = store::counters::increment(&self.db, &key, window_start, window_end).await?;
            let ratio = used as f64 / f64::from(budget.max(1));
            self.metrics.sms_budget_used(name, ratio);
            if used > i64::from(budget) {
                if used == i64::from(budget) + 1 {
                    tracing::warn!(
                        window = name,
                        budget,
                        "the SMS budget is spent: SMS codes are refused until the window ends"
                    );
                }
                self.metrics.rate_limited("sms:budget");
                return Err(AppError::SmsBudgetSpent {
                    retry_after: (window_end - now).max(1) as u64,
                });
            }
        }
        Ok(())
    }

    /// Reserves one password check for `factor` before the hash is compared:
    /// the reservation is the count, in one atomic statement, so N + k parallel
    /// wrong passwords get at most N checks (N = `ZHANGHAO_ACCOUNT_FAILURES_HOURLY`)
    /// and the rest TOO_MANY_ATTEMPTS until the lock ends. The lock grows:
    /// `ZHANGHAO_LOCKOUT` the first time, doubling with each further lock of
    /// the factor within a day (up to a day), until the owner signs in.
    pub async fn reserve_password_try(&self, factor: &PasswordFactor) -> Result<(), AppError> {
        let password_try = self.password_try(factor);
        let counted = password_try.upsert().send(&self.db).await?;
        self.settle_password_try(password_try, counted).await
    }

    /// A password try for `factor` now, to be counted (its
    /// [`PasswordTry::upsert`] sent, alone or beside the read of the account)
    /// and then settled by [`Limits::settle_password_try`] before the hash is
    /// compared.
    pub fn password_try<'a>(&self, factor: &'a PasswordFactor) -> PasswordTry<'a> {
        PasswordTry {
            factor,
            now: self.clock.now().timestamp(),
            limit: self.settings.account_failures_hourly.max(1),
            first_lock: self.settings.lockout.as_secs() as i64,
        }
    }

    /// Refuses a counted try over the limit (TOO_MANY_ATTEMPTS); the try that
    /// set the lock first lengthens it by the factor's earlier locks.
    pub async fn settle_password_try(
        &self,
        password_try: PasswordTry<'_>,
        mut counted: StreakTry,
    ) -> Result<(), AppError> {
        let PasswordTry {
            factor,
            now,
            limit,
            first_lock,
        } = password_try;
        if counted.count == i64::from(limit) {
            // This try set the lock (one upsert decides, so exactly one try
            // does): it alone reads and counts the earlier locks, keeping the
            // extra round trips off every other sign-in. Tries refused in
            // between hear the first lock's length, an understatement.
            let earlier = store::counters::streak_count(&self.db, &factor.lock_key, now).await?;
            store::counters::reserve_streak_try(&self.db, &factor.lock_key, now, u32::MAX, DAY, 0).await?;
            if earlier > 0 {
                counted.ends_at = now + progressive_lock(first_lock, earlier);
                store::counters::set_streak_end(&self.db, &factor.key, counted.ends_at).await?;
            }
        }
        if counted.count > i64::from(limit) {
            if counted.count == i64::from(limit) + 1 {
                tracing::warn!("too many wrong passwords for one identifier; its password sign-in is locked");
            }
            self.metrics.rate_limited("password");
            return Err(AppError::TooManyAttempts {
                retry_after: (counted.ends_at - now).max(1) as u64,
            });
        }
        Ok(())
    }
}

/// One password try being counted: the moment and the limits it is judged by.
pub struct PasswordTry<'a> {
    factor: &'a PasswordFactor,
    now: i64,
    limit: u32,
    first_lock: i64,
}

impl PasswordTry<'_> {
    /// The upsert that counts this try in its factor's streak.
    pub fn upsert(&self) -> StreakTryUpsert {
        store::counters::streak_try_upsert(&self.factor.key, self.now, self.limit, HOUR, self.first_lock)
    }
}

/// Seconds until one more event fits, given the counts without the refused
/// one: the previous window's weight must fall far enough, or, when the
/// current window alone is full, it must end and then weigh less.
fn sliding_wait(previous: i64, current: i64, limit: i64, window: i64, overlap: i64) -> u64 {
    let room = limit - 1 - current; // weight the previous window may still have
    let wait = if room >= 0 {
        // previous × overlap' ≤ room × window
        overlap - room * window / previous.max(1)
    } else {
        // Next window: current × overlap'' ≤ (limit − 1) × window.
        overlap + window - (limit - 1).max(0) * window / current.max(1)
    };
    wait.clamp(1, 2 * window) as u64
}

/// The limit a counter key belongs to, for `/metrics`: keys read
/// `<what>:<scope>:<who>`, and the first two parts name the limit, so the
/// label never carries a mobile or an address.
fn limit_name(key: &str) -> &str {
    match key.match_indices(':').nth(1) {
        Some((end, _)) => &key[..end],
        None => key,
    }
}

/// The key a client IP is limited under: IPv4 addresses one by one, IPv6 by
/// /64, since one subscriber is routinely handed a whole /64.
pub fn ip_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The password sign-in of one account identifier (a username, a mobile, an
/// email, or whatever was typed): the factor that wrong passwords lock.
/// Unknown identifiers lock exactly like known ones, so the lock says
/// nothing about whether an account exists, and only password sign-in is
/// locked: a code sent to the phone still signs the owner in.
pub struct PasswordFactor {
    /// The failure streak of the identifier.
    key: String,
    /// How many times its streak locked in the last day.
    lock_key: String,
}

impl PasswordFactor {
    /// The factor of a parsed sign-in identifier; `raw` names it when the
    /// input parsed as nothing.
    pub fn of(account: Option<&Account>, raw: &str) -> Self {
        let canonical = match account {
            Some(Account::Username(name)) => format!("u:{}", name.key()),
            Some(Account::Mobile(mobile)) => format!("m:{}", mobile.as_str()),
            Some(Account::Email(email)) => format!("e:{}", email.as_str()),
            None => format!("raw:{}", raw.trim().to_lowercase()),
        };
        PasswordFactor::canonical(&canonical)
    }

    /// The factor of a signed-in user's own password check (`changePassword`):
    /// wrong current passwords lock it as wrong sign-in passwords lock theirs.
    pub fn of_user(user: &User) -> Self {
        PasswordFactor::canonical(&format!("id:{}", user.id))
    }

    fn canonical(canonical: &str) -> Self {
        PasswordFactor {
            key: streak_key("pwfail", canonical),
            lock_key: streak_key("pwlocks", canonical),
        }
    }

    /// The streak and lock-count keys of every identifier a user signs in
    /// with by password.
    fn all_of(user: &User) -> Vec<String> {
        let mut canonical = Vec::new();
        if let Some(name) = &user.username_key {
            canonical.push(format!("u:{name}"));
        }
        if let Some(mobile) = &user.mobile {
            canonical.push(format!("m:{}", mobile.as_str()));
        }
        if let Some(email) = &user.email {
            canonical.push(format!("e:{}", email.as_str()));
        }
        canonical
            .iter()
            .map(|c| PasswordFactor::canonical(c))
            .flat_map(|f| [f.key, f.lock_key])
            .collect()
    }
}

/// Counters hold a digest, not the mobile or email itself.
fn streak_key(kind: &str, canonical: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(canonical.as_bytes());
    format!("{kind}:{}", hex::encode(&digest[..16]))
}

/// The longest a password lock lasts.
const MAX_LOCK_SECONDS: i64 = 86_400;

/// The length of the next lock after `earlier` locks in the last day:
/// `first`, doubling each time, at most a day.
fn progressive_lock(first: i64, earlier: i64) -> i64 {
    let doublings = u32::try_from(earlier.clamp(0, 16)).unwrap_or(16);
    first.saturating_mul(1i64 << doublings).min(MAX_LOCK_SECONDS.max(first))
}

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// Ends the password failure streaks of every identifier of `user` (a
/// password reset, inside its transaction).
pub async fn clear_failures(txn: &Txn, user: &User) -> Result<(), AppError> {
    let mut writes = Writes::new(txn);
    clear_failures_to(&mut writes, user);
    writes.run(txn).await
}

/// Queues the end of `user`'s password failure streaks (a successful sign-in).
pub fn clear_failures_to(writes: &mut Writes, user: &User) {
    store::counters::clear_streaks(writes, &PasswordFactor::all_of(user));
}

/// One try [`Limits::hold_tries`] let through: its keys and their window.
pub struct HeldTry {
    keys: Vec<(String, u32)>,
    window_start: i64,
}

#[cfg(test)]
mod tests {
    use super::sliding_wait;

    #[test]
    fn locks_double_up_to_a_day() {
        assert_eq!(super::progressive_lock(900, 0), 900);
        assert_eq!(super::progressive_lock(900, 1), 1800);
        assert_eq!(super::progressive_lock(900, 3), 7200);
        assert_eq!(super::progressive_lock(900, 10), 86_400);
        assert_eq!(super::progressive_lock(900, 1_000), 86_400);
        // A first lock configured longer than a day is kept.
        assert_eq!(super::progressive_lock(200_000, 2), 200_000);
    }

    #[test]
    fn the_wait_is_until_one_more_event_fits() {
        // 20 an hour; 20 in the previous window, none now, 10 s into the hour:
        // one more fits once the previous weighs ≤ 19/20, i.e. 180 s in.
        assert_eq!(sliding_wait(20, 0, 20, 3600, 3590), 170);
        // The current window alone is full (20), 100 s left in it.
        assert_eq!(sliding_wait(0, 20, 20, 3600, 100), 100 + 3600 - 19 * 3600 / 20);
        assert!(sliding_wait(5, 3, 20, 3600, 3600) >= 1);
    }
}
