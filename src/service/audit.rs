//! The audit log (DESIGN §11): every admin action and every security event,
//! written into the transaction of the change it tells about, so the log
//! has neither a change without its row nor a row without its change.
//!
//! This module imports no other service: any service (and the account
//! deletion) can call [`Audit::record`] without an import circle.

use chrono::{DateTime, Utc};

use crate::error::AppError;
use crate::store::Txn;
use crate::store::audit_events::{self, NewAuditEvent};

/// What happened, by its wire name (`AuditEvent.action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    Disabled,
    Enabled,
    RoleChanged,
    SessionsRevoked,
    PasswordReset,
    PasswordChanged,
    MobileRebound,
    DeletionRequested,
    Deleted,
}

impl AuditAction {
    /// Every action, for `auditLog(action:)`'s check and the docs.
    pub const ALL: [AuditAction; 9] = [
        AuditAction::Disabled,
        AuditAction::Enabled,
        AuditAction::RoleChanged,
        AuditAction::SessionsRevoked,
        AuditAction::PasswordReset,
        AuditAction::PasswordChanged,
        AuditAction::MobileRebound,
        AuditAction::DeletionRequested,
        AuditAction::Deleted,
    ];

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Disabled => "user.disabled",
            AuditAction::Enabled => "user.enabled",
            AuditAction::RoleChanged => "user.role_changed",
            AuditAction::SessionsRevoked => "user.sessions_revoked",
            AuditAction::PasswordReset => "user.password_reset",
            AuditAction::PasswordChanged => "user.password_changed",
            AuditAction::MobileRebound => "user.mobile_rebound",
            AuditAction::DeletionRequested => "user.deletion_requested",
            AuditAction::Deleted => "user.deleted",
        }
    }

    /// The action named `wire`, if any.
    pub fn parse(wire: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|action| action.as_str() == wire)
    }
}

/// One event to write.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// When the change happened (the caller's clock).
    pub at: DateTime<Utc>,
    /// Who did it: the user themself for a security event, the ADMIN for an
    /// admin action, `None` for the command line or the server itself.
    pub actor_id: Option<i64>,
    pub action: AuditAction,
    pub target_user_id: Option<i64>,
    /// The client IP of the request, as stored on sessions.
    pub ip: Option<String>,
    /// Operator words (a disable reason, `USER -> ADMIN`); never a secret or a personal value.
    pub detail: Option<String>,
}

impl AuditEntry {
    /// `actor` did `action` to themself (a password change, a rebind), from `ip`.
    pub fn by_user(at: DateTime<Utc>, actor: i64, action: AuditAction, ip: Option<String>) -> Self {
        AuditEntry {
            at,
            actor_id: Some(actor),
            action,
            target_user_id: Some(actor),
            ip,
            detail: None,
        }
    }
}

/// Writes audit events.
pub struct Audit;

impl Audit {
    /// Writes `entry` into `txn`, the transaction of the change itself.
    pub async fn record(txn: &Txn, entry: AuditEntry) -> Result<(), AppError> {
        let row = NewAuditEvent {
            at: entry.at,
            actor_id: entry.actor_id,
            action: entry.action.as_str(),
            target_user_id: entry.target_user_id,
            ip: entry.ip,
            detail: entry.detail,
        };
        audit_events::insert(txn, row).await
    }
}
