//! Anonymising accounts whose deletion grace is over (DESIGN §10): every node
//! runs it with the housekeeping sweep, and the database decides who does
//! each account (`store::users::erase` claims it with a conditional update,
//! first in the transaction), so one node does it, once. Everything lands in
//! that one transaction, so a node killed halfway leaves the account pending
//! for the next sweep, never half anonymised. Once it has committed, the
//! authorisations kept with the bindings are revoked at the platform (Sign
//! in with Apple's `/auth/revoke`, which Apple asks of apps that delete accounts).

use std::sync::Arc;

use serde_json::json;

use super::audit::{Audit, AuditAction, AuditEntry};
use super::events::{EventType, Events};
use crate::clock::Clock;
use crate::error::AppError;
use crate::platforms::{Platform, PlatformClients};
use crate::store::{self, Db, erasure::Traces};

/// Accounts anonymised per sweep; the rest wait for the next one.
const PER_SWEEP: u64 = 100;

/// The anonymiser.
#[derive(Clone)]
pub struct Erasure {
    db: Db,
    clock: Arc<dyn Clock>,
    events: Events,
    /// Where authorisations kept with bindings are revoked (Apple).
    platforms: Arc<PlatformClients>,
}

impl Erasure {
    /// Erases in `db`, telling `events` and revoking at `platforms`.
    pub fn new(db: Db, clock: Arc<dyn Clock>, events: Events, platforms: Arc<PlatformClients>) -> Self {
        Erasure {
            db,
            clock,
            events,
            platforms,
        }
    }

    /// Erases what is due every 30 seconds (DESIGN §10) until the task is aborted.
    pub async fn erase_forever(self) {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            interval.tick().await;
            if let Err(err) = self.erase_due().await {
                tracing::warn!(err = err.describe(), "account anonymisation round failed");
            }
        }
    }

    /// Anonymises the accounts whose grace is over; answers how many this node did.
    pub async fn erase_due(&self) -> Result<usize, AppError> {
        let due = store::users::due_for_erasure(&self.db, self.clock.now(), PER_SWEEP).await?;
        let mut erased = 0;
        for id in due {
            erased += usize::from(self.erase(id).await?);
        }
        Ok(erased)
    }

    /// Anonymises one account if it is due and nobody else is doing it.
    pub async fn erase(&self, id: i64) -> Result<bool, AppError> {
        let now = self.clock.now();
        let txn = store::begin(&self.db).await?;
        let Some(before) = store::users::erase(&txn, id, now).await? else {
            // Cancelled, or another node got it first: nothing to do.
            return Ok(false);
        };
        let traces = Traces {
            user_id: id,
            mobile: before.mobile.map(|m| m.as_str().to_string()),
            email: before.email.map(|e| e.as_str().to_string()),
            username_key: before.username_key,
        };
        // Read before the bindings go; revoked once the erasure has committed.
        let revocations: Vec<(String, String)> = store::bindings::for_user(&txn, id)
            .await?
            .into_iter()
            .filter_map(|b| Some((b.platform, b.revocation?)))
            .collect();
        store::erasure::erase_traces(&txn, &traces).await?;
        self.events.record(&txn, id, EventType::Deleted, json!({})).await?;
        // The server did it (the grace ended), so no actor and no address.
        let entry = AuditEntry {
            at: now,
            actor_id: None,
            action: AuditAction::Deleted,
            target_user_id: Some(id),
            ip: None,
            detail: None,
        };
        Audit::record(&txn, entry).await?;
        store::commit(txn).await?;
        tracing::info!(user_id = id, "account anonymised");
        self.revoke(id, revocations).await;
        Ok(true)
    }

    /// Tells the platforms (Apple: `/auth/revoke`) that the user's
    /// authorisation of this app ends. Best effort: the account is already
    /// gone, so a failure is logged for the operator, never retried forever.
    async fn revoke(&self, id: i64, revocations: Vec<(String, String)>) {
        for (platform, sealed) in revocations {
            let Ok(platform) = platform.parse::<Platform>() else {
                continue;
            };
            match self.platforms.revoke(platform, &sealed).await {
                Ok(()) => tracing::info!(user_id = id, %platform, "platform authorisation revoked"),
                Err(err) => tracing::warn!(user_id = id, %platform, %err, "platform authorisation not revoked"),
            }
        }
    }
}
