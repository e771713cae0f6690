//! `changePassword`: the signed-in user replaces their password;
//! `setPassword`: an account without one gets its first.

use super::{Accounts, AuthOutcome};
use crate::domain::User;
use crate::error::{AppError, Field, InputProblem};
use crate::service::RequestMeta;
use crate::service::audit::{Audit, AuditAction, AuditEntry};
use crate::service::auth::Viewer;
use crate::service::events::EventType;
use crate::service::limits::PasswordFactor;
use crate::service::notices::Notice;
use crate::service::rules;
use crate::store;
use serde_json::json;

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
        let now = self.clock.now();
        store::users::set_password_hash(&txn, me.id, &new_hash, now).await?;
        let entry = AuditEntry::by_user(now, me.id, AuditAction::PasswordChanged, meta.ip_text());
        Audit::record(&txn, entry).await?;
        let session = viewer.session().ok_or(AppError::Unauthenticated)?;
        self.tokens.revoke_all_but(&txn, me.id, session).await?;
        let user = store::users::by_id(&txn, me.id).await?.ok_or(AppError::NotFound)?;
        let tokens = self.tokens.reissue_in(&txn, &user, meta, session).await?;
        let data = json!({ "reason": "changed" });
        self.events
            .record(&txn, me.id, EventType::PasswordChanged, data)
            .await?;
        store::commit(txn).await?;
        self.notices.tell(&user, Notice::PasswordChanged).await;
        Ok(AuthOutcome {
            user,
            tokens,
            created: false,
        })
    }

    /// Gives an account made by SMS, email or a platform its first password,
    /// within the window a VERIFY code opened for this session (so a token
    /// alone, stolen say, cannot add a password to sign in with). An account
    /// that has a password is refused as BAD_USER_INPUT on `password`: its
    /// state, not the caller's rights, is what is wrong, and `changePassword`
    /// (or a reset by code) is the way to replace one.
    pub async fn set_password(&self, viewer: &Viewer, password: &str, meta: &RequestMeta) -> Result<User, AppError> {
        let me = viewer.require()?;
        let refused = || AppError::bad(Field::Password, InputProblem::NotAllowed);
        if me.has_password {
            return Err(refused());
        }
        let now = self.clock.now();
        rules::ensure_verify_window(me, viewer.session(), now, Field::Password)?;
        let password = self.rules.password.parse_new(password, Field::Password)?;
        let hash = self.passwords.hash(password.expose()).await?;
        // Only where there is still none: of two racing calls, one sets it.
        let txn = store::begin(&self.db).await?;
        let user = store::users::set_first_password_hash(&txn, me.id, &hash, now)
            .await?
            .ok_or_else(refused)?;
        let data = json!({ "reason": "set" });
        self.events
            .record(&txn, me.id, EventType::PasswordChanged, data)
            .await?;
        let entry = AuditEntry::by_user(now, me.id, AuditAction::PasswordChanged, meta.ip_text());
        Audit::record(&txn, entry).await?;
        store::commit(txn).await?;
        self.notices.tell(&user, Notice::PasswordSet).await;
        Ok(user)
    }
}
