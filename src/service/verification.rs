//! The SMS and email code flows: sending, and `verifySms` / `verifyEmail`
//! for each purpose (login-or-register, bind, verify, rebind, reset
//! password, reset pay password). One command shape serves both channels:
//! its target is a mobile or an email. And `oneClickLogin`, where the
//! carrier proves the mobile a LOGIN code would.

use std::sync::Arc;

use crate::domain::User;

use super::accounts::AuthOutcome;
use super::codes::{Purpose, Target};
use super::rules::{self, AccountRules};
use super::{Accounts, Codes, Events, Limits, Notices, RequestMeta, SignIns, Tickets, Tokens, auth::Viewer};
use crate::clock::Clock;
use crate::crypto::PasswordHasher;
use crate::domain::Mobile;
use crate::error::{AppError, Field};
use crate::metrics::SignInMethod;
use crate::one_click::OneClickClients;
use crate::store::{self, Db, Txn};

mod command;
mod flows;
mod login;
mod one_click;
mod pay;
mod send;

pub use command::{VerifyCommand, VerifyEmailRequest, VerifyRequest};
pub use one_click::OneClickRequest;

use login::{LoginProof, TargetLogin};

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
    sign_ins: SignIns,
    /// The carriers' one-click providers, for `oneClickLogin`.
    one_click: Arc<OneClickClients>,
    /// Charges one-click sign-ins to the client IP.
    limits: Limits,
    events: Events,
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
    pub sign_ins: SignIns,
    pub one_click: Arc<OneClickClients>,
    pub limits: Limits,
    pub events: Events,
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
            sign_ins: parts.sign_ins,
            one_click: parts.one_click,
            limits: parts.limits,
            events: parts.events,
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
            self.sign_ins
                .record(SignInMethod::Sms, mobile.as_deref(), meta, &result)
                .await;
        }
        result
    }

    /// Parses and carries out `verifyEmail` (LOGIN, BIND, VERIFY,
    /// RESET_PASSWORD): the flows of `verifySms` with an email as the target.
    pub async fn verify_email(
        &self,
        viewer: &Viewer,
        purpose: Purpose,
        req: VerifyEmailRequest,
        meta: &RequestMeta,
    ) -> Result<VerifyOutcome, AppError> {
        let email = req.email.clone();
        let result = match self.parse_email(viewer, purpose, req).await {
            Ok(command) => self.verify(viewer, command, meta).await,
            Err(err) => Err(err),
        };
        if purpose == Purpose::Login {
            self.sign_ins
                .record(SignInMethod::Email, Some(&email), meta, &result)
                .await;
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
                target,
                code,
                register,
                invite_code,
                ticket,
            } => {
                let request = TargetLogin {
                    target: &target,
                    proof: LoginProof::Code(&code),
                    register,
                    invite: self.accounts.parse_invite(invite_code.as_deref()).await?,
                    ticket: ticket.as_deref(),
                };
                Ok(VerifyOutcome::SignedIn(self.login_by_target(request, meta).await?))
            }
            VerifyCommand::Bind { target, code } => self
                .bind(viewer.require()?, &target, &code, meta)
                .await
                .map(done(Purpose::Bind)),
            VerifyCommand::Verify { target, code } => self
                .verify_own(viewer, &target, &code, meta)
                .await
                .map(done(Purpose::Verify)),
            VerifyCommand::Rebind { mobile, code } => self
                .rebind_mobile(viewer, &mobile, &code, meta)
                .await
                .map(done(Purpose::Rebind)),
            VerifyCommand::ResetPassword { target, code, password } => self
                .reset_password(&target, &code, &password, meta)
                .await
                .map(done(Purpose::ResetPassword)),
            VerifyCommand::ResetPayPassword { code, pay_password } => self
                .reset_pay_password(viewer.require()?, &code, &pay_password, meta)
                .await
                .map(done(Purpose::ResetPayPassword)),
        }
    }

    async fn ensure_mobile_free(&self, mobile: &Mobile) -> Result<(), AppError> {
        self.ensure_free(&Target::Mobile(mobile.clone())).await
    }

    /// ACCOUNT_EXISTS when an account has this mobile or email.
    async fn ensure_free(&self, target: &Target) -> Result<(), AppError> {
        match self.owner_of(target).await? {
            Some(_) => Err(AppError::AccountExists {
                field: target_field(target),
            }),
            None => Ok(()),
        }
    }

    /// The account that has this mobile or email.
    async fn owner_of(&self, target: &Target) -> Result<Option<User>, AppError> {
        match target {
            Target::Mobile(mobile) => store::users::by_mobile(&self.db, mobile.as_str()).await,
            Target::Email(email) => store::users::by_email(&self.db, email.as_str()).await,
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

/// The input a mobile or an email target came from.
fn target_field(target: &Target) -> Field {
    match target {
        Target::Mobile(_) => Field::Mobile,
        Target::Email(_) => Field::Email,
    }
}

/// How a sign-in by a code to `target` is counted and recorded.
fn sign_in_method(target: &Target) -> SignInMethod {
    match target {
        Target::Mobile(_) => SignInMethod::Sms,
        Target::Email(_) => SignInMethod::Email,
    }
}

/// Attaches a proven mobile or email to the user; a taken one is ACCOUNT_EXISTS.
async fn attach_target(
    txn: &Txn,
    id: i64,
    target: &Target,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<User, AppError> {
    match target {
        Target::Mobile(mobile) => store::users::set_mobile(txn, id, mobile.as_str(), now).await,
        Target::Email(email) => store::users::set_email(txn, id, email.as_str(), now).await,
    }
}
