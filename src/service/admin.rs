//! What operators do to accounts (DESIGN §11): disable and enable, roles,
//! revoking every session; the audit log and the users export (`reads.rs`);
//! the same actions by id, username or mobile for the command line (`cli.rs`).
//!
//! Each action changes the user, revokes what it must, and writes its audit
//! row and its webhook event in one transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::audit::{Audit, AuditAction, AuditEntry};
use super::auth::Viewer;
use super::events::EventType;
use super::rules::AccountRules;
use super::{Events, RequestMeta, Tokens};
use crate::clock::Clock;
use crate::domain::{Role, User};
use crate::error::{AppError, Field, InputProblem};
use crate::store::{self, Db, Txn};

mod cli;
mod reads;
pub use reads::{AuditPage, UserExport};

/// The longest disable reason, in characters.
const REASON_MAX_CHARS: usize = 200;

/// Admin actions, the audit log and the export.
#[derive(Clone)]
pub struct Admin {
    db: Db,
    clock: Arc<dyn Clock>,
    tokens: Tokens,
    events: Events,
    rules: AccountRules,
}

/// Who performs an action: an ADMIN through the API, or the command line.
#[derive(Debug, Clone)]
struct Actor {
    id: Option<i64>,
    ip: Option<String>,
}

impl Actor {
    fn entry(&self, at: DateTime<Utc>, action: AuditAction, target: i64, detail: Option<String>) -> AuditEntry {
        AuditEntry {
            at,
            actor_id: self.id,
            action,
            target_user_id: Some(target),
            ip: self.ip.clone(),
            detail,
        }
    }
}

/// The ADMIN a request comes from, or UNAUTHENTICATED / FORBIDDEN.
pub fn require_admin(viewer: &Viewer) -> Result<&User, AppError> {
    let me = viewer.require()?;
    if me.is_admin() {
        Ok(me)
    } else {
        Err(AppError::Forbidden)
    }
}

fn api_actor(viewer: &Viewer, meta: &RequestMeta) -> Result<(i64, Actor), AppError> {
    let me = require_admin(viewer)?;
    Ok((
        me.id,
        Actor {
            id: Some(me.id),
            ip: meta.ip_text(),
        },
    ))
}

/// A disable reason: trimmed, at most 200 characters, no control characters; blank is none.
fn parse_reason(raw: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(reason) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if reason.chars().count() > REASON_MAX_CHARS {
        return Err(AppError::bad(Field::Reason, InputProblem::TooLong(REASON_MAX_CHARS)));
    }
    if reason.chars().any(char::is_control) {
        return Err(AppError::bad(Field::Reason, InputProblem::Malformed));
    }
    Ok(Some(reason.to_string()))
}

impl Admin {
    /// Admin actions over `db`; `tokens` revokes, `events` tells the webhook.
    pub fn new(db: Db, clock: Arc<dyn Clock>, tokens: Tokens, events: Events, rules: AccountRules) -> Self {
        Admin {
            db,
            clock,
            tokens,
            events,
            rules,
        }
    }

    /// `disableUser`: an ADMIN disables someone else (not themself: that
    /// would lock them out), revoking every session of the user at once.
    pub async fn disable_user(
        &self,
        viewer: &Viewer,
        meta: &RequestMeta,
        id: i64,
        reason: Option<&str>,
        until: Option<DateTime<Utc>>,
    ) -> Result<User, AppError> {
        let (me, actor) = api_actor(viewer, meta)?;
        if me == id {
            return Err(AppError::bad(Field::Id, InputProblem::LastAdmin));
        }
        self.disable(&actor, id, reason, until).await
    }

    async fn disable(
        &self,
        actor: &Actor,
        id: i64,
        reason: Option<&str>,
        until: Option<DateTime<Utc>>,
    ) -> Result<User, AppError> {
        let reason = parse_reason(reason)?;
        let now = self.clock.now();
        if until.is_some_and(|until| until <= now) {
            return Err(AppError::bad(Field::Until, InputProblem::NotInFuture));
        }
        let txn = self.existing(id).await?;
        store::users::disable(&txn, id, reason.as_deref(), until, now).await?;
        self.tokens.revoke_everything(&txn, id).await?;
        Audit::record(&txn, actor.entry(now, AuditAction::Disabled, id, reason)).await?;
        let until = until.map(|u| u.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        self.events
            .record(&txn, id, EventType::Disabled, json!({ "until": until }))
            .await?;
        self.finish(txn, id).await
    }

    /// `enableUser`: the user may sign in again (their old sessions stay revoked).
    pub async fn enable_user(&self, viewer: &Viewer, meta: &RequestMeta, id: i64) -> Result<User, AppError> {
        let (_, actor) = api_actor(viewer, meta)?;
        self.enable(&actor, id).await
    }

    async fn enable(&self, actor: &Actor, id: i64) -> Result<User, AppError> {
        let now = self.clock.now();
        let txn = self.existing(id).await?;
        store::users::enable(&txn, id, now).await?;
        Audit::record(&txn, actor.entry(now, AuditAction::Enabled, id, None)).await?;
        self.events.record(&txn, id, EventType::Enabled, json!({})).await?;
        self.finish(txn, id).await
    }

    /// `setUserRole`. The last ADMIN cannot make themself a USER: the
    /// check runs after the change, inside its transaction, so two ADMINs
    /// demoting each other at once do not both succeed on SQLite's single
    /// writer, and on PostgreSQL the later one sees the earlier's commit.
    pub async fn set_role(&self, viewer: &Viewer, meta: &RequestMeta, id: i64, role: Role) -> Result<User, AppError> {
        let (_, actor) = api_actor(viewer, meta)?;
        self.change_role(&actor, id, role).await
    }

    async fn change_role(&self, actor: &Actor, id: i64, role: Role) -> Result<User, AppError> {
        let now = self.clock.now();
        let txn = self.existing(id).await?;
        let before = store::users::by_id(&txn, id).await?.ok_or(AppError::NotFound)?;
        if before.role == role {
            return Ok(before);
        }
        store::users::set_role(&txn, id, role, now).await?;
        if store::users::admin_count(&txn).await? == 0 {
            return Err(AppError::bad(Field::Role, InputProblem::LastAdmin));
        }
        let detail = format!("{} -> {}", role_name(before.role), role_name(role));
        Audit::record(&txn, actor.entry(now, AuditAction::RoleChanged, id, Some(detail))).await?;
        self.finish(txn, id).await
    }

    /// `revokeUserSessions`: every refresh and access token of the user stops working.
    pub async fn revoke_sessions(&self, viewer: &Viewer, meta: &RequestMeta, id: i64) -> Result<bool, AppError> {
        let (_, actor) = api_actor(viewer, meta)?;
        self.revoke(&actor, id).await?;
        Ok(true)
    }

    async fn revoke(&self, actor: &Actor, id: i64) -> Result<User, AppError> {
        let now = self.clock.now();
        let txn = self.existing(id).await?;
        self.tokens.revoke_everything(&txn, id).await?;
        Audit::record(&txn, actor.entry(now, AuditAction::SessionsRevoked, id, None)).await?;
        self.finish(txn, id).await
    }

    /// A transaction in which user `id` exists, or NOT_FOUND.
    async fn existing(&self, id: i64) -> Result<Txn, AppError> {
        let txn = store::begin(&self.db).await?;
        if store::users::by_id(&txn, id).await?.is_none() {
            return Err(AppError::NotFound);
        }
        Ok(txn)
    }

    /// Reads the user as the change left them and commits.
    async fn finish(&self, txn: Txn, id: i64) -> Result<User, AppError> {
        let user = store::users::by_id(&txn, id).await?.ok_or(AppError::NotFound)?;
        store::commit(txn).await?;
        Ok(user)
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "ADMIN",
        Role::User => "USER",
    }
}
