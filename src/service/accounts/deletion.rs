//! `requestAccountDeletion` and `cancelAccountDeletion` (注销; DESIGN §10):
//! the owner proves it is them, the account waits `ZHANGHAO_DELETION_GRACE_DAYS`
//! as PENDING_DELETION (signing in still works, so they can change their
//! mind), then `Erasure` anonymises it.

use serde_json::json;

use super::Accounts;
use crate::domain::{Code, User, UserStatus};
use crate::error::{AppError, Field, InputProblem};
use crate::service::RequestMeta;
use crate::service::audit::{Audit, AuditAction, AuditEntry};
use crate::service::auth::Viewer;
use crate::service::codes::{PresentedCode, Purpose};
use crate::service::events::EventType;
use crate::service::limits::PasswordFactor;
use crate::service::rules;
use crate::store;

impl Accounts {
    /// Schedules the caller's account for deletion after the password or a
    /// VERIFY code (sent to its mobile, or to its email when it has no
    /// mobile) proves it is them. Every other session ends at once; with a
    /// grace of 0 the account is anonymised before this answers.
    pub async fn request_deletion(
        &self,
        viewer: &Viewer,
        password: Option<&str>,
        code: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<User, AppError> {
        let me = viewer.require()?;
        let session = viewer.session().ok_or(AppError::Unauthenticated)?;
        if me.status == UserStatus::PendingDeletion {
            return Ok(me.clone());
        }
        let spend_code = self.deletion_proof(me, password, code).await?;
        let target = me
            .mobile
            .as_ref()
            .map(|m| m.as_str())
            .or(me.email.as_ref().map(|e| e.as_str()));
        let spend = match (&spend_code, target) {
            (Some(code), Some(target)) => Some(PresentedCode {
                target,
                purpose: Purpose::Verify,
                code,
                client: meta.ip,
            }),
            (Some(_), None) => return Err(AppError::bad(Field::Code, InputProblem::NotAllowed)),
            (None, _) => None,
        };
        let now = self.clock.now();
        let at = now + chrono::Duration::from_std(self.deletion_grace).unwrap_or_default();
        let txn = self.codes.begin_spending(spend).await?;
        let user = store::users::schedule_deletion(&txn, me.id, at, now).await?;
        self.tokens.revoke_all_but(&txn, me.id, session).await?;
        let data = json!({ "scheduled_at": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) });
        self.events
            .record(&txn, me.id, EventType::DeletionRequested, data)
            .await?;
        let entry = AuditEntry::by_user(now, me.id, AuditAction::DeletionRequested, meta.ip_text());
        Audit::record(&txn, entry).await?;
        store::commit(txn).await?;
        tracing::info!(user_id = me.id, %at, "account deletion requested");
        if self.deletion_grace.is_zero() && self.erasure.erase(me.id).await? {
            return store::users::by_id(&self.db, me.id).await?.ok_or(AppError::NotFound);
        }
        Ok(user)
    }

    /// The code to spend, when a code is the proof; a password is checked
    /// here, counted towards its lock like a sign-in's.
    async fn deletion_proof(
        &self,
        me: &User,
        password: Option<&str>,
        code: Option<&str>,
    ) -> Result<Option<Code>, AppError> {
        match (given(password), given(code)) {
            (Some(_), Some(_)) => Err(AppError::bad(Field::Code, InputProblem::NotAllowed)),
            (None, None) => Err(AppError::bad(Field::Password, InputProblem::Missing)),
            (None, Some(code)) => Ok(Some(rules::parse_code(code)?)),
            (Some(password), None) => {
                let Some(hash) = store::users::password_hash(&self.db, me.id).await? else {
                    return Err(AppError::bad(Field::Password, InputProblem::NotAllowed));
                };
                self.limits.reserve_password_try(&PasswordFactor::of_user(me)).await?;
                if !self.passwords.verify(Some(&hash), password).await? {
                    return Err(AppError::InvalidCredentials);
                }
                Ok(None)
            }
        }
    }

    /// Cancels the caller's pending deletion while its grace lasts. Nothing
    /// pending is NOT_FOUND; a grace that is over is FORBIDDEN (the account
    /// is being anonymised).
    pub async fn cancel_deletion(&self, viewer: &Viewer) -> Result<User, AppError> {
        let me = viewer.require()?;
        if me.status != UserStatus::PendingDeletion {
            return Err(AppError::NotFound);
        }
        let txn = store::begin(&self.db).await?;
        let Some(user) = store::users::cancel_deletion(&txn, me.id, self.clock.now()).await? else {
            return Err(AppError::Forbidden);
        };
        let data = json!({ "fields": ["status"] });
        self.events.record(&txn, me.id, EventType::UserUpdated, data).await?;
        store::commit(txn).await?;
        tracing::info!(user_id = me.id, "account deletion cancelled");
        Ok(user)
    }
}

fn given(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}
