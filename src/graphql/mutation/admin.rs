//! Operators' writes (ADMIN only): disable, enable, roles, revoking sessions.

use async_graphql::{Context, ErrorExtensions, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::parts;
use crate::graphql::types::{Role, User, parse_user_id};

#[derive(Default)]
pub struct AdminMutation;

/// What an ADMIN does to other accounts; each action is in the audit log.
#[Object]
impl AdminMutation {
    /// Disables the user and revokes every session at once: their sign-ins answer ACCOUNT_DISABLED until
    /// `enableUser` or `until`. An admin cannot disable themself.
    async fn disable_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's `id`.")] id: ID,
        #[graphql(desc = "Why, up to 200 characters: shown to the user and in the audit log.")] reason: Option<String>,
        #[graphql(desc = "Enabled again from this time on (in the future); omit to disable until `enableUser`.")]
        until: Option<DateTime<Utc>>,
    ) -> Result<User> {
        let (state, viewer, meta) = parts(ctx)?;
        let id = parse_user_id(&id).map_err(|e| e.extend())?;
        let user = state
            .services
            .admin
            .disable_user(viewer, meta, id, reason.as_deref(), until)
            .await
            .map_err(|e| e.extend())?;
        Ok(User::seen_by(user, viewer.user()))
    }

    /// Lets a disabled user sign in again (the sessions the ban revoked stay revoked).
    async fn enable_user(&self, ctx: &Context<'_>, #[graphql(desc = "The user's `id`.")] id: ID) -> Result<User> {
        let (state, viewer, meta) = parts(ctx)?;
        let id = parse_user_id(&id).map_err(|e| e.extend())?;
        let user = state
            .services
            .admin
            .enable_user(viewer, meta, id)
            .await
            .map_err(|e| e.extend())?;
        Ok(User::seen_by(user, viewer.user()))
    }

    /// Makes the user an ADMIN or a USER. The last ADMIN cannot make themself a USER.
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's `id`.")] id: ID,
        #[graphql(desc = "The new role.")] role: Role,
    ) -> Result<User> {
        let (state, viewer, meta) = parts(ctx)?;
        let id = parse_user_id(&id).map_err(|e| e.extend())?;
        let user = state
            .services
            .admin
            .set_role(viewer, meta, id, role.into())
            .await
            .map_err(|e| e.extend())?;
        Ok(User::seen_by(user, viewer.user()))
    }

    /// Signs the user out everywhere: every refresh and access token they hold stops working at once.
    async fn revoke_user_sessions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's `id`.")] id: ID,
    ) -> Result<bool> {
        let (state, viewer, meta) = parts(ctx)?;
        let id = parse_user_id(&id).map_err(|e| e.extend())?;
        state
            .services
            .admin
            .revoke_sessions(viewer, meta, id)
            .await
            .map_err(|e| e.extend())
    }
}
