//! Periodic removal of expired codes, captchas, tickets, OAuth states, counters and
//! sessions, and of login history past its retention.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::error::AppError;
use crate::store::{self, Db};

/// The sweeper of expired rows.
#[derive(Clone)]
pub struct Housekeeping {
    db: Db,
    clock: Arc<dyn Clock>,
    /// How long login history is kept (`ZHANGHAO_LOGIN_HISTORY_DAYS`).
    login_history: chrono::Duration,
}

impl Housekeeping {
    /// Sweeps `db` by `clock`.
    pub fn new(db: Db, clock: Arc<dyn Clock>, login_history: chrono::Duration) -> Self {
        Housekeeping {
            db,
            clock,
            login_history,
        }
    }

    /// Sweeps every 30 seconds (DESIGN §10: pruning at least that often)
    /// until the task is aborted. Each sweep is a few indexed deletes, and
    /// deleting expired rows is idempotent, so several nodes may sweep at once.
    pub async fn sweep_forever(self) {
        let mut interval = tokio::time::interval(Duration::from_secs(30));
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
        store::login_events::sweep(&self.db, now - self.login_history).await?;
        Ok(())
    }
}
