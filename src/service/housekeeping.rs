//! Periodic removal of expired codes, captchas, tickets, OAuth states, counters and sessions.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::error::AppError;
use crate::store::{self, Db};

/// The sweeper of expired codes, captchas, tickets, counters and sessions.
#[derive(Clone)]
pub struct Housekeeping {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl Housekeeping {
    /// Sweeps `db` by `clock`.
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Housekeeping { db, clock }
    }

    /// Sweeps every ten minutes until the task is aborted. Deleting expired
    /// rows is idempotent, so several nodes may sweep at once.
    pub async fn sweep_forever(self) {
        let mut interval = tokio::time::interval(Duration::from_secs(600));
        loop {
            interval.tick().await;
            if let Err(err) = self.sweep_once().await {
                tracing::warn!(err = err.describe(), "housekeeping sweep failed");
            }
        }
    }

    /// One sweep; sessions are kept a week past their expiry.
    pub async fn sweep_once(&self) -> Result<(), AppError> {
        let now = self.clock.now();
        store::codes::sweep(&self.db, now).await?;
        store::captchas::sweep(&self.db, now).await?;
        store::tickets::sweep(&self.db, now).await?;
        store::oauth_states::sweep(&self.db, now).await?;
        store::counters::sweep(&self.db, now.timestamp()).await?;
        store::sessions::sweep(&self.db, now - chrono::Duration::days(7)).await?;
        Ok(())
    }
}
