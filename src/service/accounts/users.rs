//! The user queries (`user`, `users`) and `zhanghao admin grant`.

use super::Accounts;
use crate::domain::{Mobile, Role, User};
use crate::error::{AppError, Field, InputProblem};
use crate::service::auth::Viewer;
use crate::store;

/// A page of `users` (ADMIN only).
pub struct UserPage {
    pub users: Vec<User>,
    pub has_next_page: bool,
    pub total_count: u64,
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
        search: Option<&str>,
    ) -> Result<UserPage, AppError> {
        let me = viewer.require()?;
        if !me.is_admin() {
            return Err(AppError::Forbidden);
        }
        if !(1..=100).contains(&first) {
            return Err(AppError::bad(Field::First, InputProblem::Malformed));
        }
        let first = first as u64;
        let (mut users, total_count) = store::users::page(&self.db, first, after, search).await?;
        let has_next_page = users.len() as u64 > first;
        users.truncate(first as usize);
        Ok(UserPage {
            users,
            has_next_page,
            total_count,
        })
    }

    /// `zhanghao admin grant`: makes the user named by id, username or mobile an ADMIN.
    pub async fn grant_admin(&self, who: &str) -> Result<User, AppError> {
        let who = who.trim();
        let region = self.rules.region;
        let mut user = match who.parse::<i64>() {
            Ok(id) => store::users::by_id(&self.db, id).await?,
            Err(_) => None,
        };
        if user.is_none()
            && let Some(mobile) = Mobile::parse(who, region)
        {
            user = store::users::by_mobile(&self.db, mobile.as_str()).await?;
        }
        if user.is_none() {
            user = store::users::by_username_key(&self.db, &who.to_lowercase()).await?;
        }
        let user = user.ok_or(AppError::NotFound)?;
        store::users::set_role(&self.db, user.id, Role::Admin, self.clock.now()).await?;
        store::users::by_id(&self.db, user.id).await?.ok_or(AppError::NotFound)
    }
}
