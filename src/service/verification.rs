//! The SMS and email code flows: sending, and `verifySms` for each purpose
//! (login-or-register, bind, verify, rebind, reset password, reset pay password).

use std::sync::Arc;

use crate::domain::User;
use chrono::Duration;

use super::accounts::AuthOutcome;
use super::codes::{PresentedCode, Purpose};
use super::rules::{AccountRules, Entering, own_mobile, parse_code};
use super::tickets::LiveTicket;
use super::{Accounts, Codes, RequestMeta, Tickets, Tokens, auth::Viewer, limits};
use crate::clock::Clock;
use crate::crypto::PasswordHasher;
use crate::domain::{Code, Mobile, PayPassword, PlainPassword};
use crate::error::{AppError, Field, InputProblem};
use crate::store::{self, Db, tickets::NewTicket, users::NewUser};

mod send;

/// How long a VERIFY code keeps the REBIND window open.
const REBIND_WINDOW_SECONDS: i64 = 600;
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
}

/// `verifySms` as the client sent it: every field any purpose takes.
#[derive(Debug, Clone, Default)]
pub struct VerifyRequest {
    pub mobile: Option<String>,
    pub code: String,
    pub password: Option<String>,
    pub pay_password: Option<String>,
    pub pay_password_confirmation: Option<String>,
    pub invite_code: Option<String>,
    pub register: bool,
    pub bind_token: Option<String>,
}

/// A `verifySms` request parsed for its purpose: each variant carries
/// exactly the checked inputs its flow needs. Not `Debug`: it holds passwords.
pub enum VerifyCommand {
    /// Sign in by mobile; unknown mobiles register (`register`, or a ticket
    /// carrying a platform identity) or get a bind ticket.
    Login {
        mobile: Mobile,
        code: Code,
        register: bool,
        invite_code: Option<String>,
        ticket: Option<Box<LiveTicket>>,
    },
    Bind {
        mobile: Mobile,
        code: Code,
    },
    Verify {
        code: Code,
    },
    Rebind {
        mobile: Mobile,
        code: Code,
    },
    ResetPassword {
        mobile: Mobile,
        code: Code,
        password: PlainPassword,
    },
    ResetPayPassword {
        code: Code,
        pay_password: PayPassword,
    },
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
        let command = self.parse(viewer, purpose, req).await?;
        self.verify(viewer, command, meta).await
    }

    /// Parses `req` for `purpose` in the order the flow checks it: the code,
    /// who is asking, then the purpose's own inputs.
    pub async fn parse(
        &self,
        viewer: &Viewer,
        purpose: Purpose,
        req: VerifyRequest,
    ) -> Result<VerifyCommand, AppError> {
        let code = parse_code(&req.code)?;
        let mobile = req.mobile.as_deref();
        Ok(match purpose {
            Purpose::Login => VerifyCommand::Login {
                mobile: self.rules.parse_mobile(mobile)?,
                code,
                register: req.register,
                ticket: self.tickets.load(req.bind_token.as_deref()).await?.map(Box::new),
                invite_code: req.invite_code,
            },
            Purpose::Bind => {
                // A mobile already bound is refused whatever was typed.
                if viewer.require()?.mobile.is_some() {
                    return Err(AppError::AlreadyBound);
                }
                VerifyCommand::Bind {
                    mobile: self.rules.parse_mobile(mobile)?,
                    code,
                }
            }
            Purpose::Verify => {
                viewer.require()?;
                VerifyCommand::Verify { code }
            }
            Purpose::Rebind => {
                viewer.require()?;
                VerifyCommand::Rebind {
                    mobile: self.rules.parse_mobile(mobile)?,
                    code,
                }
            }
            Purpose::ResetPassword => VerifyCommand::ResetPassword {
                mobile: self.rules.parse_mobile(mobile)?,
                password: self
                    .rules
                    .password
                    .parse_new(req.password.as_deref().unwrap_or(""), Field::Password)?,
                code,
            },
            Purpose::ResetPayPassword => {
                viewer.require()?;
                let pay_password = PayPassword::parse(req.pay_password.as_deref().unwrap_or(""), Field::PayPassword)?;
                let confirmation = req.pay_password_confirmation.as_deref().unwrap_or("");
                if confirmation.is_empty() {
                    return Err(AppError::bad(Field::PayPasswordConfirmation, InputProblem::Missing));
                }
                if confirmation != pay_password.expose() {
                    return Err(AppError::bad(Field::PayPasswordConfirmation, InputProblem::Mismatch));
                }
                VerifyCommand::ResetPayPassword { code, pay_password }
            }
            Purpose::Register => return Err(AppError::bad(Field::Purpose, InputProblem::NotAllowed)),
        })
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
        store::users::mark_mobile_verified(&self.db, me.id, session, self.clock.now()).await
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
        self.reload(user.id).await
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

    /// Checks a pay password before a payment; five wrong tries lock it for the
    /// lockout period.
    pub async fn check_pay_password(&self, viewer: &Viewer, raw: &str) -> Result<bool, AppError> {
        let me = viewer.require()?;
        let pay = PayPassword::parse(raw, Field::PayPassword)?;
        let Some(hash) = store::users::pay_password(&self.db, me.id).await?.and_then(|p| p.hash) else {
            return Err(AppError::NotFound);
        };
        let lockout = self.pay_lockout.as_secs();
        // The try is counted before the hash is checked: of any number of
        // concurrent guesses, only as many as tries remain are checked at all.
        let now = self.clock.now();
        if !store::users::reserve_pay_password_try(&self.db, me.id, PAY_PASSWORD_MAX_FAILURES, now).await? {
            let current = store::users::pay_password(&self.db, me.id).await?;
            let retry_after = current
                .and_then(|p| p.locked_until)
                .filter(|until| *until > now)
                .map_or(lockout, |until| (until - now).num_seconds().max(1) as u64);
            return Err(AppError::TooManyAttempts { retry_after });
        }
        if self.passwords.verify(Some(&hash), pay.expose()).await? {
            store::users::set_pay_password_failures(&self.db, me.id, 0, None).await?;
            return Ok(true);
        }
        let failures = store::users::pay_password(&self.db, me.id)
            .await?
            .map_or(PAY_PASSWORD_MAX_FAILURES, |p| p.failures);
        if failures >= PAY_PASSWORD_MAX_FAILURES {
            let until = self.clock.now() + Duration::seconds(lockout as i64);
            store::users::set_pay_password_failures(&self.db, me.id, 0, Some(until)).await?;
            return Err(AppError::TooManyAttempts { retry_after: lockout });
        }
        Ok(false)
    }

    async fn ensure_mobile_free(&self, mobile: &Mobile) -> Result<(), AppError> {
        match store::users::by_mobile(&self.db, mobile.as_str()).await? {
            Some(_) => Err(AppError::AccountExists { field: Field::Mobile }),
            None => Ok(()),
        }
    }

    /// REBIND is open for ten minutes after VERIFY, and only to the session
    /// that passed VERIFY: another token of the same user (a stolen one, say)
    /// cannot use the window the owner just opened.
    fn ensure_rebind_window(&self, viewer: &Viewer) -> Result<(), AppError> {
        let me = viewer.require()?;
        let now = self.clock.now();
        let same_session =
            me.mobile_verified_session.is_some() && me.mobile_verified_session.as_deref() == viewer.session();
        match me.mobile_verified_at {
            Some(at) if same_session && now - at <= Duration::seconds(REBIND_WINDOW_SECONDS) && at <= now => Ok(()),
            _ => Err(AppError::bad(Field::Mobile, InputProblem::NeedsVerify)),
        }
    }

    async fn reload(&self, id: i64) -> Result<User, AppError> {
        store::users::by_id(&self.db, id).await?.ok_or(AppError::NotFound)
    }
}
