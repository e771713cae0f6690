//! Counters with limits: request rates and failures per account. Every count
//! lives in the database, so all nodes enforce one limit together.

use chrono::Duration;
use entity::user::Model as User;

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

/// Refuses sign-in to a locked account.
pub fn ensure_unlocked(state: &AppState, user: &User) -> Result<(), AppError> {
    let now = state.clock.now();
    match user.locked_until {
        Some(until) if until > now => Err(AppError::TooManyAttempts {
            retry_after: (until - now).num_seconds().max(1) as u64,
        }),
        _ => Ok(()),
    }
}

fn failure_key(user_id: i64) -> String {
    format!("fail:user:{user_id}")
}

const HOUR: i64 = 3600;

/// Counts a wrong code or password against the account; at the hourly limit
/// the account is locked for the lockout period.
pub async fn record_failure(state: &AppState, user_id: i64) -> Result<(), AppError> {
    let now = state.clock.now();
    let now_unix = now.timestamp();
    let window_start = now_unix - now_unix.rem_euclid(HOUR);
    let key = failure_key(user_id);
    let count = store::counters::increment(&state.db, &key, window_start, window_start + HOUR).await?;
    if count >= i64::from(state.config.account_failures_hourly) {
        let until = now + Duration::seconds(state.config.lockout.as_secs() as i64);
        tracing::warn!(user_id, "too many failures; account locked");
        store::users::lock_until(&state.db, user_id, until).await?;
        // The window is not cleared: once the lock ends, the next failure in
        // the same hour locks again, so an hour never allows more than the limit.
    }
    Ok(())
}

/// Forgets past failures after a successful sign-in (inside its transaction).
pub async fn clear_failures<C: store::Conn>(conn: &C, user_id: i64) -> Result<(), AppError> {
    store::counters::clear(conn, &failure_key(user_id)).await
}
