//! Counters with limits: request rates and failures per account. Every count
//! lives in the database, so all nodes enforce one limit together.

use entity::user::Model as User;

use crate::domain::Account;
use crate::error::AppError;
use crate::state::AppState;
use crate::store;

/// Counts one event under `key` in a fixed window of `window_seconds`; past
/// `limit` events the caller is refused until the window ends.
pub async fn hit(state: &AppState, key: &str, window_seconds: i64, limit: u32) -> Result<(), AppError> {
    let now = state.clock.now().timestamp();
    let window_start = now - now.rem_euclid(window_seconds);
    let window_end = window_start + window_seconds;
    let count = store::counters::increment(&state.db, key, window_start, window_end).await?;
    if count > i64::from(limit) {
        return Err(AppError::RateLimited {
            retry_after: (window_end - now).max(1) as u64,
        });
    }
    Ok(())
}

/// Spends one SMS of the global budgets (hourly and daily, all nodes
/// together). Past either, SMS_BUDGET_SPENT until its window ends; the
/// first refusal of a window logs a warning for the operator.
pub async fn spend_sms_budget(state: &AppState) -> Result<(), AppError> {
    let budgets = [
        ("hour", HOUR, state.config.sms_budget_hourly),
        ("day", 24 * HOUR, state.config.sms_budget_daily),
    ];
    let now = state.clock.now().timestamp();
    for (name, window, budget) in budgets {
        let window_start = now - now.rem_euclid(window);
        let window_end = window_start + window;
        let key = format!("sms:budget:{name}");
        let used = store::counters::increment(&state.db, &key, window_start, window_end).await?;
        let ratio = used as f64 / f64::from(budget.max(1));
        metrics::gauge!("zhanghao_sms_budget_used_ratio", "window" => name).set(ratio.min(1.0));
        if used > i64::from(budget) {
            if used == i64::from(budget) + 1 {
                tracing::warn!(
                    window = name,
                    budget,
                    "the SMS budget is spent: SMS codes are refused until the window ends"
                );
            }
            return Err(AppError::SmsBudgetSpent {
                retry_after: (window_end - now).max(1) as u64,
            });
        }
    }
    Ok(())
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
    key: String,
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
        PasswordFactor {
            key: streak_key(&canonical),
        }
    }

    /// Every identifier a user signs in with by password.
    fn all_of(user: &User) -> Vec<String> {
        let mut keys = Vec::new();
        if let Some(name) = &user.username_key {
            keys.push(streak_key(&format!("u:{name}")));
        }
        if let Some(mobile) = &user.mobile {
            keys.push(streak_key(&format!("m:{mobile}")));
        }
        if let Some(email) = &user.email {
            keys.push(streak_key(&format!("e:{email}")));
        }
        keys
    }
}

/// Counters hold a digest, not the mobile or email itself.
fn streak_key(canonical: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(canonical.as_bytes());
    format!("pwfail:{}", hex::encode(&digest[..16]))
}

const HOUR: i64 = 3600;

/// Reserves one password check for `factor` before the hash is compared:
/// the reservation is the count, in one atomic statement, so N + k parallel
/// wrong passwords get at most N checks (N = `ZHANGHAO_ACCOUNT_FAILURES_HOURLY`)
/// and the rest TOO_MANY_ATTEMPTS until the lock (`ZHANGHAO_LOCKOUT`) ends.
pub async fn reserve_password_try(state: &AppState, factor: &PasswordFactor) -> Result<(), AppError> {
    let now = state.clock.now().timestamp();
    let limit = state.config.account_failures_hourly.max(1);
    let lock = state.config.lockout.as_secs() as i64;
    let reserved = store::counters::reserve_streak_try(&state.db, &factor.key, now, limit, HOUR, lock).await?;
    if reserved.count > i64::from(limit) {
        if reserved.count == i64::from(limit) + 1 {
            tracing::warn!("too many wrong passwords for one identifier; its password sign-in is locked");
        }
        return Err(AppError::TooManyAttempts {
            retry_after: (reserved.ends_at - now).max(1) as u64,
        });
    }
    Ok(())
}

/// Ends the password failure streaks of every identifier of `user` (a
/// successful sign-in or a password reset, inside its transaction).
pub async fn clear_failures<C: store::Conn>(conn: &C, user: &User) -> Result<(), AppError> {
    store::counters::clear_streaks(conn, &PasswordFactor::all_of(user)).await
}
