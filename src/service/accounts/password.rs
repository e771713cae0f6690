//! `changePassword`: the signed-in user replaces their password.

use super::{Accounts, AuthOutcome};
use crate::error::{AppError, Field, InputProblem};
use crate::service::RequestMeta;
use crate::service::auth::Viewer;
use crate::service::limits::PasswordFactor;
use crate::service::notices::Notice;
use crate::store;

impl Accounts {
    /// Replaces the caller's password after checking the current one. Wrong
    /// current passwords count towards a lock of this check, as wrong
    /// sign-in passwords do. The session that asks stays signed in with a
    /// fresh pair; every other session ends at once (DESIGN §8), and the
    /// owner is told on their mobile and email.
    pub async fn change_password(
        &self,
        viewer: &Viewer,
        current: &str,
        new: &str,
        meta: &RequestMeta,
    ) -> Result<AuthOutcome, AppError> {
        let me = viewer.require()?;
        if current.is_empty() {
            return Err(AppError::bad(Field::CurrentPassword, InputProblem::Missing));
        }
        let new = self.rules.password.parse_new(new, Field::NewPassword)?;
        let Some(hash) = store::users::password_hash(&self.db, me.id).await? else {
            // No password yet: there is nothing to change (a reset by code sets one).
            return Err(AppError::bad(Field::CurrentPassword, InputProblem::NotAllowed));
        };
        self.limits.reserve_password_try(&PasswordFactor::of_user(me)).await?;
        if !self.passwords.verify(Some(&hash), current).await? {
            return Err(AppError::InvalidCredentials);
        }
        if self.passwords.verify(Some(&hash), new.expose()).await? {
            return Err(AppError::bad(Field::NewPassword, InputProblem::SameAsBefore));
        }
        let new_hash = self.passwords.hash(new.expose()).await?;
        let txn = store::begin(&self.db).await?;
        store::users::set_password_hash(&txn, me.id, &new_hash, self.clock.now()).await?;
        let session = viewer.session().ok_or(AppError::Unauthenticated)?;
        self.tokens.revoke_all_but(&txn, me.id, session).await?;
        let user = store::users::by_id(&txn, me.id).await?.ok_or(AppError::NotFound)?;
        let tokens = self.tokens.reissue_in(&txn, &user, meta, session).await?;
        store::commit(txn).await?;
        self.notices.tell(&user, Notice::PasswordChanged).await;
        Ok(AuthOutcome {
            user,
            tokens,
            created: false,
        })
    }
}
