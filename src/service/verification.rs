//! The SMS and email code flows: sending, and `verifySms` for each purpose
//! (login-or-register, bind, verify, rebind, reset password, reset pay password).

use std::sync::Arc;

use crate::domain::User;

use super::accounts::AuthOutcome;
use super::codes::{PresentedCode, Purpose};
use super::notices::Notice;
use super::rules::{self, AccountRules, Entering, own_mobile};
use super::tickets::LiveTicket;
use super::{Accounts, Codes, Notices, RequestMeta, Tickets, Tokens, auth::Viewer, limits, sign_ins};
use crate::clock::Clock;
use crate::crypto::PasswordHasher;
use crate::domain::{Code, Mobile, PayPassword, PlainPassword};
use crate::error::{AppError, Field, InputProblem};
use crate::metrics::{Metrics, SignInMethod};
use crate::store::{self, Db, tickets::NewTicket, users::NewUser};

mod command;
mod pay;
mod send;

pub use command::{VerifyCommand, VerifyRequest};

/// Wrong pay passwords before the pay password locks.
const PAY_PASSWORD_MAX_FAILURES: i32 = 5;

/// The code flows.
#[derive(Clone)]
pub struct Verification {
    db: Db,
    clock: Arc<dyn Clock>,
    passwords: PasswordHasher,
    codes: Codes,
    tokens: Tokens,
    tickets: Tickets,
    accounts: Accounts,
    rules: AccountRules,
    /// How long five wrong pay passwords lock the pay password.
    pay_lockout: std::time::Duration,
    notices: Notices,
    metrics: Arc<Metrics>,
}

/// What a [`Verification`] is made of.
pub struct VerificationParts {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub passwords: PasswordHasher,
    pub codes: Codes,
    pub tokens: Tokens,
    pub tickets: Tickets,
    pub accounts: Accounts,
    pub rules: AccountRules,
    pub pay_lockout: std::time::Duration,
    pub notices: Notices,
    pub metrics: Arc<Metrics>,
}

/// What `verifySms` did.
#[derive(Debug, Clone)]
pub enum VerifyOutcome {
    /// LOGIN: signed in (or registered) with fresh tokens.
    SignedIn(AuthOutcome),
    /// Any other purpose: the user as the flow left them.
    Done { purpose: Purpose, user: User },
}

impl VerifyOutcome {
    /// The user the code was about.
    pub fn user(&self) -> &User {
        match self {
            VerifyOutcome::SignedIn(outcome) => &outcome.user,
            VerifyOutcome::Done { user, .. } => user,
        }
    }
}

impl Verification {
    /// Assembles the code flows.
    pub fn new(parts: VerificationParts) -> Self {
        Verification {
            db: parts.db,
            clock: parts.clock,
            passwords: parts.passwords,
            codes: parts.codes,
            tokens: parts.tokens,
            tickets: parts.tickets,
            accounts: parts.accounts,
            rules: parts.rules,
            pay_lockout: parts.pay_lockout,
            notices: parts.notices,
            metrics: parts.metrics,
        }
    }

    /// Parses and carries out `verifySms`: every input is checked before
    /// the code is spent.
    pub async fn verify_sms(
        &self,
        viewer: &Viewer,
        purpose: Purpose,
        req: VerifyRequest,
        meta: &RequestMeta,
    ) -> Result<VerifyOutcome, AppError> {
        let mobile = (purpose == Purpose::Login).then(|| req.mobile.clone()).flatten();
        let result = match self.parse(viewer, purpose, req).await {
            Ok(command) => self.verify(viewer, command, meta).await,
            Err(err) => Err(err),
        };
        if purpose == Purpose::Login {
            sign_ins::record(&self.metrics, SignInMethod::Sms, mobile.as_deref(), &result);
        }
        result
    }

    /// Spends the code and carries out the command.
    pub async fn verify(
        &self,
        viewer: &Viewer,
        command: VerifyCommand,
        meta: &RequestMeta,
    ) -> Result<VerifyOutcome, AppError> {
        let done = |purpose| move |user| VerifyOutcome::Done { purpose, user };
        match command {
            VerifyCommand::Login {
                mobile,
                code,
                register,
                invite_code,
                ticket,
            } => {
                let signed_in = self
                    .login_by_sms(
                        &mobile,
                        &code,
                        register,
                        invite_code.as_deref(),
                        ticket.as_deref(),
                        meta,
                    )
                    .await?;
                Ok(VerifyOutcome::SignedIn(signed_in))
            }
            VerifyCommand::Bind { mobile, code } => self
                .bind_mobile(viewer.require()?, &mobile, &code, meta)
                .await
                .map(done(Purpose::Bind)),
            VerifyCommand::Verify { code } => self
                .verify_current_mobile(viewer, &code, meta)
                .await
                .map(done(Purpose::Verify)),
            VerifyCommand::Rebind { mobile, code } => self
                .rebind_mobile(viewer, &mobile, &code, meta)
                .await
                .map(done(Purpose::Rebind)),
            VerifyCommand::ResetPassword { mobile, code, password } => self
                .reset_password(&mobile, &code, &password, meta)
                .await
                .map(done(Purpose::ResetPassword)),
            VerifyCommand::ResetPayPassword { code, pay_password } => self
                .reset_pay_password(viewer.require()?, &code, &pay_password, meta)
                .await
                .map(done(Purpose::ResetPayPassword)),
        }
    }

    /// LOGIN: signs in the owner of the mobile; an unknown mobile registers
    /// (with `register`, or when the bind ticket carries a platform identity) or
    /// gets NO_BIND_USER with a ticket that a later register or login can redeem.
    async fn login_by_sms(
        &self,
        mobile: &Mobile,
        code: &Code,
        register: bool,
        invite_code: Option<&str>,
        ticket: Option<&LiveTicket>,
        meta: &RequestMeta,
    ) -> Result<AuthOutcome, AppError> {
        let (referrer_id, invite_code) = self.accounts.parse_invite(invite_code).await?;
        let existing = store::users::by_mobile(&self.db, mobile.as_str()).await?;
        let carries_identity = ticket.is_some_and(LiveTicket::carries_identity);
        let will_register = existing.is_none() && (register || carries_identity);
        if will_register {
            self.rules.admit(Entering::NewAccount)?;
        }
        self.tickets
            .ensure_attachable(ticket, existing.as_ref(), Some(mobile.as_str()))
            .await?;
        if let Some(user) = &existing {
            self.rules.admit(Entering::Existing(user))?;
        }
        let spend = PresentedCode {
            target: mobile.as_str(),
            purpose: Purpose::Login,
            code,
            client: meta.ip,
        };
        match existing {
            Some(user) => self.accounts.sign_in(user, ticket, meta, Some(spend)).await,
            None if will_register => {
                let new = NewUser {
                    mobile: Some(mobile.as_str().to_string()),
                    referrer_id,
                    invite_code,
                    register_ip: meta.ip_text(),
                    ..Default::default()
                };
                self.accounts.create_and_sign_in(new, ticket, meta, Some(spend)).await
            }
            None => {
                self.codes.consume(spend).await?;
                let ticket = NewTicket {
                    mobile: Some(mobile.as_str().to_string()),
                    ..Default::default()
                };
                Err(AppError::NoBindUser {
                    bind_token: self.tickets.issue(ticket).await?,
                })
            }
        }
    }

    async fn bind_mobile(&self, me: &User, mobile: &Mobile, code: &Code, meta: &RequestMeta) -> Result<User, AppError> {
        self.ensure_mobile_free(mobile).await?;
        self.codes
            .consume(PresentedCode {
                target: mobile.as_str(),
                purpose: Purpose::Bind,
                code,
                client: meta.ip,
            })
            .await?;
        store::users::set_mobile(&self.db, me.id, mobile.as_str(), self.clock.now()).await
    }

    async fn verify_current_mobile(&self, viewer: &Viewer, code: &Code, meta: &RequestMeta) -> Result<User, AppError> {
        let me = viewer.require()?;
        let session = viewer.session().unwrap_or_default();
        let mobile = own_mobile(me)?;
        self.codes
            .consume(PresentedCode {
                target: mobile.as_str(),
                purpose: Purpose::Verify,
                code,
                client: meta.ip,
            })
            .await?;
        store::users::open_verify_window(&self.db, me.id, session, self.clock.now()).await
    }

    async fn rebind_mobile(
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
        let user = store::users::rebind_mobile(&txn, me.id, mobile.as_str(), self.clock.now()).await?;
        // The session that rebinds stays signed in; every other one ends.
        match viewer.session() {
            Some(keep) => self.tokens.revoke_all_but(&txn, user.id, keep).await?,
            None => self.tokens.revoke_everything(&txn, user.id).await?,
        }
        store::commit(txn).await?;
        self.notices
            .tell(me, Notice::MobileChanged { new: mobile.clone() })
            .await;
        self.reload(user.id).await
    }

    async fn reset_password(
        &self,
        mobile: &Mobile,
        code: &Code,
        password: &PlainPassword,
        meta: &RequestMeta,
    ) -> Result<User, AppError> {
        let user = store::users::by_mobile(&self.db, mobile.as_str()).await?;
        // The code is checked first, so an unknown mobile (to which no code was
        // ever sent) answers CODE_INVALID like a wrong code to a known one.
        self.codes
            .consume(PresentedCode {
                target: mobile.as_str(),
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
        // Whoever holds the phone owns the account again: end password lockouts.
        limits::clear_failures(&txn, &user).await?;
        let user = store::users::set_password_hash(&txn, user.id, &hash, self.clock.now()).await?;
        self.tokens.revoke_everything(&txn, user.id).await?;
        store::commit(txn).await?;
        let user = self.reload(user.id).await?;
        self.notices.tell(&user, Notice::PasswordReset).await;
        Ok(user)
    }

    async fn reset_pay_password(
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

    async fn ensure_mobile_free(&self, mobile: &Mobile) -> Result<(), AppError> {
        match store::users::by_mobile(&self.db, mobile.as_str()).await? {
            Some(_) => Err(AppError::AccountExists { field: Field::Mobile }),
            None => Ok(()),
        }
    }

    /// REBIND is open in the window VERIFY opened, to that session only.
    fn ensure_rebind_window(&self, viewer: &Viewer) -> Result<(), AppError> {
        let me = viewer.require()?;
        rules::ensure_verify_window(me, viewer.session(), self.clock.now(), Field::Mobile)
    }

    async fn reload(&self, id: i64) -> Result<User, AppError> {
        store::users::by_id(&self.db, id).await?.ok_or(AppError::NotFound)
    }
}
