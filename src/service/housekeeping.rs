//! Periodic removal of expired codes, captchas, tickets, counters and sessions.

use std::time::Duration;

use crate::state::AppState;
use crate::store;

/// Sweeps every ten minutes until the task is aborted. Deleting expired rows
/// is idempotent, so several nodes may sweep at once.
pub async fn sweep_forever(state: AppState) {
    let mut interval = tokio::time::interval(Duration::from_secs(600));
    loop {
        interval.tick().await;
        if let Err(err) = sweep_once(&state).await {
            tracing::warn!(%err, "housekeeping sweep failed");
        }
    }
}

/// One sweep.
pub async fn sweep_once(state: &AppState) -> Result<(), crate::error::AppError> {
    let now = state.clock.now();
    store::codes::sweep(&state.db, now).await?;
    store::captchas::sweep(&state.db, now).await?;
    store::tickets::sweep(&state.db, now).await?;
    store::counters::sweep(&state.db, now.timestamp()).await?;
    store::sessions::sweep(&state.db, now - chrono::Duration::days(7)).await?;
    Ok(())
}
