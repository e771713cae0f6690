//! A user's sessions and the pages of `users`.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};

use super::User;

/// One signed-in device (a refresh-token family).
#[derive(SimpleObject)]
pub struct Session {
    /// The session's id, unchanged when its tokens are refreshed.
    pub id: ID,
    /// When the sign-in that started the session happened.
    pub created_at: DateTime<Utc>,
    /// When the session's current refresh token was issued (its sign-in or latest refresh).
    pub last_used_at: DateTime<Utc>,
    /// When the session ends unless its refresh token is used before then.
    pub expires_at: DateTime<Utc>,
    /// The client IP address seen when the current refresh token was issued; null when unknown.
    pub ip: Option<String>,
    /// The `User-Agent` header seen when the current refresh token was issued; null when none was sent.
    pub user_agent: Option<String>,
}

/// A page of users.
#[derive(SimpleObject)]
pub struct UserConnection {
    /// The users of this page, in id order, each with its cursor.
    pub edges: Vec<UserEdge>,
    /// Whether more pages follow, and the cursors to fetch them.
    pub page_info: PageInfo,
    /// How many users match `search` across all pages.
    pub total_count: i64,
}

/// A user and its cursor.
#[derive(SimpleObject)]
pub struct UserEdge {
    /// An opaque cursor: pass it as `after` to list the users that follow this one.
    pub cursor: String,
    /// The user.
    pub node: User,
}

/// Where a page starts and ends (Relay cursor connections).
#[derive(SimpleObject)]
pub struct PageInfo {
    /// True when more items follow this page (pass `endCursor` as `after`).
    pub has_next_page: bool,
    /// True when items come before this page (the request gave `after`).
    pub has_previous_page: bool,
    /// The cursor of the first item of the page, null when it is empty.
    pub start_cursor: Option<String>,
    /// The cursor of the last item of the page, null when it is empty.
    pub end_cursor: Option<String>,
}
