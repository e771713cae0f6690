//! The signed-in and reset flows of a code: BIND and VERIFY (mobile or
//! email), REBIND, RESET_PASSWORD (mobile or email), RESET_PAY_PASSWORD.

use serde_json::json;

use super::{Verification, attach_target};
use crate::domain::{Code, Mobile, PayPassword, PlainPassword, User};
use crate::error::{AppError, Field, InputProblem};
use crate::service::RequestMeta;
use crate::service::audit::{Audit, AuditAction, AuditEntry};
use crate::service::auth::Viewer;
use crate::service::codes::{PresentedCode, Purpose, Target};
use crate::service::events::EventType;
use crate::service::limits;
use crate::service::notices::Notice;
use crate::service::rules::own_mobile;
use crate::store;

impl Verification {
    /// BIND: attaches the mobile or email to an account that has none.
    pub(super) async fn bind(
        &self,
        me: &User,
        target: &Target,
        code: &Code,
        meta: &RequestMeta,
    ) -> Result<User, AppError> {
        self.ensure_free(target).await?;
        let spend = PresentedCode {
            target: target.key(),
            purpose: Purpose::Bind,
            code,
            client: meta.ip,
        };
        let txn = self.codes.begin_spending(Some(spend)).await?;
        let user = attach_target(&txn, me.id, target, self.clock.now()).await?;
        let (event, data) = match target {
            Target::Mobile(_) => (EventType::MobileChanged, json!({})),
            Target::Email(_) => (EventType::UserUpdated, json!({ "fields": ["email"] })),
        };
        self.events.record(&txn, me.id, event, data).await?;
        store::commit(txn).await?;
        Ok(user)
    }

    /// VERIFY: the account's own mobile or email is proven, which opens the
    /// window (REBIND, `setPassword`) for this session.
    pub(super) async fn verify_own(
        &self,
        viewer: &Viewer,
        target: &Target,
        code: &Code,
        meta: &RequestMeta,
    ) -> Result<User, AppError> {
        let me = viewer.require()?;
        let session = viewer.session().unwrap_or_default();
        self.codes
            .consume(PresentedCode {
                target: target.key(),
                purpose: Purpose::Verify,
                code,
                client: meta.ip,
            })
            .await?;
        store::users::open_verify_window(&self.db, me.id, session, self.clock.now()).await
    }

    pub(super) async fn rebind_mobile(
        &self,
        viewer: &Viewer,
        mobile: &Mobile,
        code: &Code,
        meta: &RequestMeta,
    ) -> Result<User, AppError> {
        let me = viewer.require()?;
        self.ensure_rebind_window(viewer)?;
        if me.mobile.as_ref() == Some(mobile) {
            return Err(AppError::bad(Field::Mobile, InputProblem::SameAsBefore));
        }
        self.ensure_mobile_free(mobile).await?;
        self.codes
            .consume(PresentedCode {
                target: mobile.as_str(),
                purpose: Purpose::Rebind,
                code,
                client: meta.ip,
            })
            .await?;
        // The new mobile and the end of every session land together, or neither.
        let txn = store::begin(&self.db).await?;
        let now = self.clock.now();
        let user = store::users::rebind_mobile(&txn, me.id, mobile.as_str(), now).await?;
        let entry = AuditEntry::by_user(now, me.id, AuditAction::MobileRebound, meta.ip_text());
        Audit::record(&txn, entry).await?;
        // The session that rebinds stays signed in; every other one ends.
        match viewer.session() {
            Some(keep) => self.tokens.revoke_all_but(&txn, user.id, keep).await?,
            None => self.tokens.revoke_everything(&txn, user.id).await?,
        }
        self.events
            .record(&txn, user.id, EventType::MobileChanged, json!({}))
            .await?;
        store::commit(txn).await?;
        self.notices
            .tell(me, Notice::MobileChanged { new: mobile.clone() })
            .await;
        self.reload(user.id).await
    }

    /// RESET_PASSWORD: sets the password of the account of the mobile or
    /// email and ends every session.
    pub(super) async fn reset_password(
        &self,
        target: &Target,
        code: &Code,
        password: &PlainPassword,
        meta: &RequestMeta,
    ) -> Result<User, AppError> {
        let user = self.owner_of(target).await?;
        // The code is checked first, so an unknown target (to which no code was
        // ever sent) answers CODE_INVALID like a wrong code to a known one.
        self.codes
            .consume(PresentedCode {
                target: target.key(),
                purpose: Purpose::ResetPassword,
                code,
                client: meta.ip,
            })
            .await?;
        let user = user.ok_or(AppError::CodeInvalid)?;
        let old_hash = store::users::password_hash(&self.db, user.id).await?;
        if old_hash.is_some() && self.passwords.verify(old_hash.as_deref(), password.expose()).await? {
            return Err(AppError::bad(Field::Password, InputProblem::SameAsBefore));
        }
        let hash = self.passwords.hash(password.expose()).await?;
        let txn = store::begin(&self.db).await?;
        // Whoever holds the phone or the mailbox owns the account again: end password lockouts.
        limits::clear_failures(&txn, &user).await?;
        let now = self.clock.now();
        let user = store::users::set_password_hash(&txn, user.id, &hash, now).await?;
        self.tokens.revoke_everything(&txn, user.id).await?;
        self.events
            .record(&txn, user.id, EventType::PasswordChanged, json!({ "reason": "reset" }))
            .await?;
        // By the code's holder, who is not signed in: the account is both actor and target.
        let entry = AuditEntry::by_user(now, user.id, AuditAction::PasswordReset, meta.ip_text());
        Audit::record(&txn, entry).await?;
        store::commit(txn).await?;
        let user = self.reload(user.id).await?;
        let notice = match target {
            Target::Mobile(_) => Notice::PasswordReset,
            Target::Email(_) => Notice::PasswordResetByEmail,
        };
        self.notices.tell(&user, notice).await;
        Ok(user)
    }

    pub(super) async fn reset_pay_password(
        &self,
        me: &User,
        code: &Code,
        pay_password: &PayPassword,
        meta: &RequestMeta,
    ) -> Result<User, AppError> {
        let mobile = own_mobile(me)?;
        self.codes
            .consume(PresentedCode {
                target: mobile.as_str(),
                purpose: Purpose::ResetPayPassword,
                code,
                client: meta.ip,
            })
            .await?;
        let hash = self.passwords.hash(pay_password.expose()).await?;
        store::users::set_pay_password_hash(&self.db, me.id, &hash, self.clock.now()).await
    }
}
