//! `loginHistory`'s types: one attempt, and its Relay connection.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};

use super::{PageInfo, cursor_with};
use crate::service::sign_ins::LoginEventPage;
use crate::store::login_events::LoginEvent as EventRow;

/// One sign-in attempt on your account: a success, or a failure with its error code.
#[derive(SimpleObject)]
pub struct LoginEvent {
    /// The attempt's id.
    pub id: ID,
    /// When the attempt was made.
    pub at: DateTime<Utc>,
    /// How it signed in: `password`, `sms`, `email`, `third_party` or `one_click`.
    pub method: String,
    /// True when it signed in.
    pub success: bool,
    /// The error code the attempt was answered with (e.g. INVALID_CREDENTIALS); null for a success.
    pub failure_code: Option<String>,
    /// The client IP address; null when unknown.
    pub ip: Option<String>,
    /// The `User-Agent` header (its first 256 characters); null when none was sent.
    pub user_agent: Option<String>,
}

/// A page of sign-in attempts, newest first.
#[derive(SimpleObject)]
pub struct LoginEventConnection {
    /// The attempts of this page, newest first, each with its cursor.
    pub edges: Vec<LoginEventEdge>,
    /// Whether older attempts follow, and the cursor to fetch them.
    pub page_info: PageInfo,
}

/// An attempt and its cursor.
#[derive(SimpleObject)]
pub struct LoginEventEdge {
    /// An opaque cursor: pass it as `after` to list the attempts before this one.
    pub cursor: String,
    /// The attempt.
    pub node: LoginEvent,
}

/// What a login-event cursor is made of.
pub const LOGIN_EVENT_CURSOR: &str = "login_event";

impl LoginEventConnection {
    /// The page as the connection; `after_given` says a previous page exists.
    pub fn from_page(page: LoginEventPage, after_given: bool) -> Self {
        let cursor = |row: &EventRow| cursor_with(LOGIN_EVENT_CURSOR, row.id);
        let start_cursor = page.events.first().map(cursor);
        let end_cursor = page.events.last().map(cursor);
        let edges = page
            .events
            .into_iter()
            .map(|row| LoginEventEdge {
                cursor: cursor(&row),
                node: LoginEvent {
                    id: ID(row.id.to_string()),
                    at: row.at,
                    method: row.method,
                    success: row.success,
                    failure_code: row.failure_code,
                    ip: row.ip,
                    user_agent: row.user_agent,
                },
            })
            .collect();
        LoginEventConnection {
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
