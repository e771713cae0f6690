//! The user queries (`user`, `users`).

use chrono::{DateTime, Utc};

use super::Accounts;
use crate::domain::{Mobile, User, UserStatus};
use crate::error::{AppError, Field, InputProblem};
use crate::service::auth::Viewer;
use crate::store::{self, users::UserFilter};

/// A page of `users` (ADMIN only).
pub struct UserPage {
    pub users: Vec<User>,
    pub has_next_page: bool,
    pub total_count: u64,
}

/// What `users` is asked to match.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// An id, or text in the username, nickname, mobile (any spelling) or email.
    pub search: Option<String>,
    pub status: Option<UserStatus>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

impl Accounts {
    /// `user(id)`: yourself, or anyone for an ADMIN.
    pub async fn user_by_id(&self, viewer: &Viewer, id: i64) -> Result<Option<User>, AppError> {
        let me = viewer.require()?;
        if me.id == id {
            return Ok(Some(me.clone()));
        }
        if !me.is_admin() {
            return Err(AppError::Forbidden);
        }
        store::users::by_id(&self.db, id).await
    }

    /// Lists users in id order; `after` is the id of the last user seen.
    pub async fn list_users(
        &self,
        viewer: &Viewer,
        first: i64,
        after: Option<i64>,
        query: &UserQuery,
    ) -> Result<UserPage, AppError> {
        let me = viewer.require()?;
        if !me.is_admin() {
            return Err(AppError::Forbidden);
        }
        if !(1..=100).contains(&first) {
            return Err(AppError::bad(Field::First, InputProblem::Malformed));
        }
        let first = first as u64;
        let filter = self.user_filter(query);
        let (mut users, total_count) = store::users::page(&self.db, first, after, &filter).await?;
        let has_next_page = users.len() as u64 > first;
        users.truncate(first as usize);
        Ok(UserPage {
            users,
            has_next_page,
            total_count,
        })
    }

    /// The search read every way it can be meant: as text, as an id, as a
    /// whole mobile in any spelling (`+86 138 0013 8000`), and as the digits
    /// of part of one (`138-0013`).
    fn user_filter(&self, query: &UserQuery) -> UserFilter {
        let term = query.search.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let looks_numeric = term.is_some_and(|t| {
            t.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'))
        });
        UserFilter {
            text: term.map(str::to_string),
            mobile_digits: term
                .filter(|_| looks_numeric)
                .map(|t| t.chars().filter(char::is_ascii_digit).collect()),
            mobile: term
                .and_then(|t| Mobile::parse(t, self.rules.region))
                .map(|m| m.as_str().to_string()),
            id: term.and_then(|t| t.parse::<i64>().ok()),
            status: query.status.map(|status| (status, self.clock.now())),
            created_after: query.created_after,
            created_before: query.created_before,
        }
    }
}
