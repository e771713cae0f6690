//! `auditLog`'s types: one event, and its Relay connection.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};

use super::{PageInfo, cursor_with};
use crate::service::admin::AuditPage;
use crate::store::audit_events::AuditEvent as EventRow;

/// One admin action or security event.
#[derive(SimpleObject)]
pub struct AuditEvent {
    /// The event's id.
    pub id: ID,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it: the ADMIN, or the user themself for a security event; null for the command line.
    pub actor_id: Option<ID>,
    /// `user.disabled`, `user.enabled`, `user.role_changed`, `user.sessions_revoked`, `user.password_reset`,
    /// `user.password_changed`, `user.mobile_rebound`, `user.deletion_requested` or `user.deleted`.
    pub action: String,
    /// The user it was done to.
    pub target_user_id: Option<ID>,
    /// The client IP of the request; null for the command line.
    pub ip: Option<String>,
    /// The operator's words (a disable reason) or the change (`USER -> ADMIN`); null when none.
    pub detail: Option<String>,
}

/// A page of audit events, newest first.
#[derive(SimpleObject)]
pub struct AuditEventConnection {
    /// The events of this page, newest first, each with its cursor.
    pub edges: Vec<AuditEventEdge>,
    /// Whether older events follow, and the cursor to fetch them.
    pub page_info: PageInfo,
}

/// An event and its cursor.
#[derive(SimpleObject)]
pub struct AuditEventEdge {
    /// An opaque cursor: pass it as `after` to list the events before this one.
    pub cursor: String,
    /// The event.
    pub node: AuditEvent,
}

/// What an audit-event cursor is made of.
pub const AUDIT_EVENT_CURSOR: &str = "audit_event";

impl AuditEventConnection {
    /// The page as the connection; `after_given` says a previous page exists.
    pub fn from_page(page: AuditPage, after_given: bool) -> Self {
        let cursor = |row: &EventRow| cursor_with(AUDIT_EVENT_CURSOR, row.id);
        let start_cursor = page.events.first().map(cursor);
        let end_cursor = page.events.last().map(cursor);
        let id = |id: i64| ID(id.to_string());
        let edges = page
            .events
            .into_iter()
            .map(|row| AuditEventEdge {
                cursor: cursor(&row),
                node: AuditEvent {
                    id: id(row.id),
                    at: row.at,
                    actor_id: row.actor_id.map(id),
                    action: row.action,
                    target_user_id: row.target_user_id.map(id),
                    ip: row.ip,
                    detail: row.detail,
                },
            })
            .collect();
        AuditEventConnection {
            edges,
            page_info: PageInfo {
                has_next_page: page.has_next_page,
                has_previous_page: after_given,
                start_cursor,
                end_cursor,
            },
        }
    }
}
