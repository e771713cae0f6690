//! The signed-in user's own account: profile, username, pay password, password, sessions, deletion.

use async_graphql::{Context, ErrorExtensions, ID, Object, Result};

use super::parts;
use crate::graphql::inputs::UpdateProfileInput;
use crate::graphql::types::{AuthPayload, User};

#[derive(Default)]
pub struct AccountMutation;

/// The account page: what a signed-in user changes about their own account.
#[Object]
impl AccountMutation {
    /// Changes your nickname, avatar, gender or birthday: fields left out stay, null removes one.
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields to change.")] input: UpdateProfileInput,
    ) -> Result<User> {
        let (state, viewer, _) = parts(ctx)?;
        let user = state
            .services
            .accounts
            .update_profile(viewer, input.into())
            .await
            .map_err(|e| e.extend())?;
        Ok(User::owned(user))
    }

    /// Sets or changes your username. One another account has in any letter case is ACCOUNT_EXISTS; your
    /// own in another letter case changes its case.
    async fn change_username(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "2 to 18 letters, digits or underscores, not a phone number.")] username: String,
    ) -> Result<User> {
        let (state, viewer, _) = parts(ctx)?;
        let user = state
            .services
            .accounts
            .change_username(viewer, &username)
            .await
            .map_err(|e| e.extend())?;
        Ok(User::owned(user))
    }

    /// Gives an account without a password (made by SMS, email or a platform) its first one, within 10
    /// minutes of a VERIFY code (`verifySms` or `verifyEmail`) in this session; outside that window, or
    /// when the account has a password already (use `changePassword`), BAD_USER_INPUT on `password`.
    async fn set_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The password, under the same rules as at sign-up.")] password: String,
    ) -> Result<User> {
        let (state, viewer, meta) = parts(ctx)?;
        let user = state
            .services
            .accounts
            .set_password(viewer, &password, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(User::owned(user))
    }

    /// Checks your pay password before a payment: true when right, false when wrong; five wrong tries lock it
    /// (TOO_MANY_ATTEMPTS), and NOT_FOUND means no pay password is set.
    async fn verify_pay_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pay password to check, exactly 6 digits.")] pay_password: String,
    ) -> Result<bool> {
        let (state, viewer, _) = parts(ctx)?;
        state
            .services
            .verification
            .check_pay_password(viewer, &pay_password)
            .await
            .map_err(|e| e.extend())
    }

    /// Replaces your password: the current one proves it is you (wrong tries lock this check as they
    /// lock sign-in). This session stays signed in with the fresh tokens returned; every other session
    /// of yours ends at once.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Your password now.")] current_password: String,
        #[graphql(desc = "The new password, under the same rules as at sign-up.")] new_password: String,
    ) -> Result<AuthPayload> {
        let (state, viewer, meta) = parts(ctx)?;
        let outcome = state
            .services
            .accounts
            .change_password(viewer, &current_password, &new_password, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(outcome.into())
    }

    /// Ends one of your sessions by its `sessions { id }` (a device you signed in on): its refresh
    /// token stops working at once. An id that is not one of your live sessions is NOT_FOUND.
    async fn revoke_session(&self, ctx: &Context<'_>, #[graphql(desc = "The session's id.")] id: ID) -> Result<bool> {
        let (state, viewer, _) = parts(ctx)?;
        state
            .services
            .tokens
            .revoke_session(viewer, &id)
            .await
            .map_err(|e| e.extend())
    }

    /// Deletes your account (注销) after a grace of `ZHANGHAO_DELETION_GRACE_DAYS` (15 by default): prove it is
    /// you with your password or a VERIFY code (sent to your mobile, or to your email when the account has no
    /// mobile). The account becomes PENDING_DELETION until `deletionScheduledAt`, every other session ends at
    /// once, and signing in still works so you can `cancelAccountDeletion`. Then everything personal is removed
    /// and only the id stays, DELETED; the mobile, email and username can be registered again.
    async fn request_account_deletion(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Your password; or give `code` instead.")] password: Option<String>,
        #[graphql(desc = "A VERIFY code sent to your mobile (or email); or give `password` instead.")] code: Option<
            String,
        >,
    ) -> Result<User> {
        let (state, viewer, meta) = parts(ctx)?;
        let user = state
            .services
            .accounts
            .request_deletion(viewer, password.as_deref(), code.as_deref(), meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(User::owned(user))
    }

    /// Keeps your account: ends a pending deletion while its grace lasts (FORBIDDEN once it is over, NOT_FOUND
    /// when no deletion is pending).
    async fn cancel_account_deletion(&self, ctx: &Context<'_>) -> Result<User> {
        let (state, viewer, _) = parts(ctx)?;
        let user = state
            .services
            .accounts
            .cancel_deletion(viewer)
            .await
            .map_err(|e| e.extend())?;
        Ok(User::owned(user))
    }
}
