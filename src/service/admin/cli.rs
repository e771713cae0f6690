//! `zhanghao admin disable|enable|grant|revoke-sessions <who>`: the same
//! actions as the API, by id, username or mobile, audited with no actor.

use super::{Actor, Admin};
use crate::domain::{Mobile, Role, User};
use crate::error::AppError;
use crate::store;

/// The command line: no user, no IP.
const OPERATOR: Actor = Actor { id: None, ip: None };

impl Admin {
    /// The user `who` names: an id, a mobile (any spelling) or a username.
    pub async fn find(&self, who: &str) -> Result<User, AppError> {
        let who = who.trim();
        if let Ok(id) = who.parse::<i64>()
            && let Some(user) = store::users::by_id(&self.db, id).await?
        {
            return Ok(user);
        }
        if let Some(mobile) = Mobile::parse(who, self.rules.region)
            && let Some(user) = store::users::by_mobile(&self.db, mobile.as_str()).await?
        {
            return Ok(user);
        }
        store::users::by_username_key(&self.db, &who.to_lowercase())
            .await?
            .ok_or(AppError::NotFound)
    }

    /// `zhanghao admin disable <who> [--reason …]`.
    pub async fn disable_named(&self, who: &str, reason: Option<&str>) -> Result<User, AppError> {
        let user = self.find(who).await?;
        self.disable(&OPERATOR, user.id, reason, None).await
    }

    /// `zhanghao admin enable <who>`.
    pub async fn enable_named(&self, who: &str) -> Result<User, AppError> {
        let user = self.find(who).await?;
        self.enable(&OPERATOR, user.id).await
    }

    /// `zhanghao admin grant <who>`: makes them an ADMIN.
    pub async fn grant_named(&self, who: &str) -> Result<User, AppError> {
        let user = self.find(who).await?;
        self.change_role(&OPERATOR, user.id, Role::Admin).await
    }

    /// `zhanghao admin revoke-sessions <who>`.
    pub async fn revoke_named(&self, who: &str) -> Result<User, AppError> {
        let user = self.find(who).await?;
        self.revoke(&OPERATOR, user.id).await
    }
}
