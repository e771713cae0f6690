//! Sign-up, sign-in and the user queries.

use std::sync::Arc;

use super::codes::{self, PresentedCode};
use super::events::EventType;
use super::rules::{AccountRules, Entering};
use super::tickets::LiveTicket;
use super::tokens::TokenPair;
use super::{Captchas, Codes, Erasure, Events, Limits, Notices, RequestMeta, SignIns, Tickets, Tokens, limits};
use crate::clock::Clock;
use crate::crypto::PasswordHasher;
use crate::domain::{Account, Code, Email, Mobile, User, Username};
use crate::error::{AppError, Field, InputProblem};
use crate::metrics::SignInMethod;
use crate::store::{self, Db, Txn, users::NewUser};

mod deletion;
mod invite;
mod password;
mod profile;
mod sign_in;
mod users;
use profile::parse_nickname;
pub use profile::{Change, ProfileChange};
pub use users::{UserPage, UserQuery};

/// Sign-up, sign-in and the user queries.
#[derive(Clone)]
pub struct Accounts {
    db: Db,
    clock: Arc<dyn Clock>,
    passwords: PasswordHasher,
    limits: Limits,
    captchas: Captchas,
    codes: Codes,
    tokens: Tokens,
    tickets: Tickets,
    rules: AccountRules,
    sign_ins: SignIns,
    notices: Notices,
    events: Events,
    erasure: Erasure,
    /// `ZHANGHAO_DELETION_GRACE_DAYS`.
    deletion_grace: std::time::Duration,
}

/// What an [`Accounts`] is made of.
pub struct AccountParts {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub passwords: PasswordHasher,
    pub limits: Limits,
    pub captchas: Captchas,
    pub codes: Codes,
    pub tokens: Tokens,
    pub tickets: Tickets,
    pub rules: AccountRules,
    pub sign_ins: SignIns,
    pub notices: Notices,
    pub events: Events,
    pub erasure: Erasure,
    pub deletion_grace: std::time::Duration,
}

impl Accounts {
    /// Assembles the account service.
    pub fn new(parts: AccountParts) -> Self {
        Accounts {
            db: parts.db,
            clock: parts.clock,
            passwords: parts.passwords,
            limits: parts.limits,
            captchas: parts.captchas,
            codes: parts.codes,
            tokens: parts.tokens,
            tickets: parts.tickets,
            rules: parts.rules,
            sign_ins: parts.sign_ins,
            notices: parts.notices,
            events: parts.events,
            erasure: parts.erasure,
            deletion_grace: parts.deletion_grace,
        }
    }

    /// Creates an account and signs it in. Every input is checked before the
    /// captcha or code is spent, so a typo costs the user nothing.
    pub async fn register(
        &self,
        method: RegisterMethod,
        req: RegisterRequest,
        meta: &RequestMeta,
    ) -> Result<AuthOutcome, AppError> {
        self.rules.admit(Entering::NewAccount)?;
        let mut new = self.new_account(method, &req.account, Field::Account)?;
        new.register_ip = meta.ip_text();
        let password = self.rules.password.parse_new(&req.password, Field::Password)?;
        new.nickname = parse_nickname(req.nickname.as_deref())?;
        let (referrer_id, invite_code) = self.parse_invite(req.invite_code.as_deref()).await?;
        new.referrer_id = referrer_id;
        new.invite_code = invite_code;
        let verify = req.verify.trim();
        if verify.is_empty() {
            return Err(AppError::bad(Field::Verify, InputProblem::Missing));
        }
        let ticket = self.tickets.load(req.bind_token.as_deref()).await?;

        // A taken mobile or email is not looked up here: the insert's unique
        // constraint answers ACCOUNT_EXISTS only after the code was proven (and
        // the transaction's rollback keeps the code), so the answer to a wrong
        // code never tells whether the account exists.
        self.tickets
            .ensure_attachable(ticket.as_ref(), None, Some(&new))
            .await?;

        // Inputs are well formed: now check the proof. A code is spent inside
        // the transaction that creates the user, so a failed write keeps it.
        let spend = self.register_proof(method, &req, verify, &new).await?;
        new.password_hash = Some(self.passwords.hash(password.expose()).await?);
        let spend = spend.as_ref().map(|(target, code)| PresentedCode {
            target,
            purpose: codes::Purpose::Register,
            code,
            client: meta.ip,
        });
        // Sign-up is not a sign-in of the history: its session begins with the account.
        self.create_and_sign_in(new, ticket.as_ref(), meta, spend, None).await
    }

    /// Discuz! Q's `/api/register`: a username and password whose proof is a
    /// live bind ticket (the `no_bind_user` answer's token, carrying a mobile
    /// proven by SMS or a platform identity), which the new account gets.
    /// Without a ticket the proof would be a captcha, which Discuz's request
    /// has no field for: CAPTCHA_REQUIRED.
    pub async fn register_with_ticket(
        &self,
        username: &str,
        password: &str,
        invite_code: Option<&str>,
        bind_token: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<AuthOutcome, AppError> {
        self.rules.admit(Entering::NewAccount)?;
        let mut new = self.new_account(RegisterMethod::Username, username, Field::Username)?;
        new.register_ip = meta.ip_text();
        let password = self.rules.password.parse_new(password, Field::Password)?;
        let (referrer_id, invite_code) = self.parse_invite(invite_code).await?;
        new.referrer_id = referrer_id;
        new.invite_code = invite_code;
        let Some(ticket) = self.tickets.load(bind_token).await? else {
            return Err(AppError::CaptchaRequired);
        };
        self.tickets.ensure_attachable(Some(&ticket), None, None).await?;
        new.password_hash = Some(self.passwords.hash(password.expose()).await?);
        self.create_and_sign_in(new, Some(&ticket), meta, None, None).await
    }

    /// The account a registration creates, from its identifier (the input `field`).
    fn new_account(&self, method: RegisterMethod, account: &str, field: Field) -> Result<NewUser, AppError> {
        let account = account.trim();
        if account.is_empty() {
            return Err(AppError::bad(field, InputProblem::Missing));
        }
        let malformed = || AppError::bad(field, InputProblem::Malformed);
        let region = self.rules.region;
        let mut new = NewUser::default();
        match method {
            RegisterMethod::Username => {
                let username = Username::parse(account, region).ok_or_else(malformed)?;
                new.username_key = Some(username.key());
                new.username = Some(username.as_str().to_string());
            }
            RegisterMethod::Sms => {
                let mobile = Mobile::parse(account, region).ok_or_else(malformed)?;
                new.mobile = Some(mobile.as_str().to_string());
            }
            RegisterMethod::Email => {
                let email = Email::parse(account).ok_or_else(malformed)?;
                new.email = Some(email.as_str().to_string());
            }
        }
        Ok(new)
    }

    /// Checks a registration's proof: solves the captcha (USERNAME), or
    /// parses the code to spend with the account (SMS / EMAIL).
    async fn register_proof(
        &self,
        method: RegisterMethod,
        req: &RegisterRequest,
        verify: &str,
        new: &NewUser,
    ) -> Result<Option<(String, Code)>, AppError> {
        match method {
            RegisterMethod::Username => {
                let captcha_id = req
                    .captcha_id
                    .as_deref()
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .ok_or(AppError::bad(Field::CaptchaId, InputProblem::Missing))?;
                self.captchas.solve(captcha_id, verify).await?;
                Ok(None)
            }
            RegisterMethod::Sms | RegisterMethod::Email => {
                let target = new.mobile.clone().or_else(|| new.email.clone()).unwrap_or_default();
                let code = match Code::parse(verify) {
                    Some(code) => code,
                    None if req.malformed_code_is_wrong => {
                        return Err(self.codes.judge_wrong_code(&target, codes::Purpose::Register).await?);
                    }
                    None => return Err(AppError::bad(Field::Verify, InputProblem::Malformed)),
                };
                Ok(Some((target, code)))
            }
        }
    }

    /// Spends the code (when the sign-in rests on one), inserts the user,
    /// redeems a bind ticket if given, and issues tokens, all in one
    /// transaction; a sign-in `method` (not a sign-up) is written to the
    /// login history in it too.
    pub async fn create_and_sign_in(
        &self,
        new: NewUser,
        ticket: Option<&LiveTicket>,
        meta: &RequestMeta,
        spend: Option<PresentedCode<'_>>,
        method: Option<SignInMethod>,
    ) -> Result<AuthOutcome, AppError> {
        let txn = self.codes.begin_spending(spend).await?;
        let user = self.insert_in(&txn, new).await?;
        let mut user = match ticket {
            Some(ticket) => self.tickets.redeem(&txn, user, ticket).await?,
            None => user,
        };
        let tokens = self.write_sign_in(&txn, &mut user, meta, method, false).await?;
        store::commit(txn).await?;
        tracing::info!(user_id = user.id, "account created");
        Ok(AuthOutcome {
            user,
            tokens,
            created: true,
        })
    }

    /// Creates an account in `txn`: the one place accounts are made, so
    /// each has its `user.created` event.
    pub async fn insert_in(&self, txn: &Txn, new: NewUser) -> Result<User, AppError> {
        let user = store::users::insert(txn, new, self.clock.now()).await?;
        self.events
            .record(txn, user.id, EventType::UserCreated, serde_json::json!({}))
            .await?;
        Ok(user)
    }

    /// Signs in by username, mobile or email plus password. Unknown accounts
    /// and wrong passwords take the same time and give the same answer.
    pub async fn login(
        &self,
        account: &str,
        password: &str,
        bind_token: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<AuthOutcome, AppError> {
        let result = self.login_with_password(account, password, bind_token, meta).await;
        self.sign_ins
            .record(SignInMethod::Password, Some(account), meta, &result)
            .await;
        result
    }

    async fn login_with_password(
        &self,
        account: &str,
        password: &str,
        bind_token: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<AuthOutcome, AppError> {
        if account.trim().is_empty() {
            return Err(AppError::bad(Field::Account, InputProblem::Missing));
        }
        if password.is_empty() {
            return Err(AppError::bad(Field::Password, InputProblem::Missing));
        }
        let ticket = self.tickets.load(bind_token).await?;
        let parsed = Account::parse(account, self.rules.region);
        // Counted before any hash is compared, known account or not; the
        // count goes with the account's read, and a refused try ignores it.
        let factor = limits::PasswordFactor::of(parsed.as_ref(), account);
        let password_try = self.limits.password_try(&factor);
        let (counted, record) =
            store::users::for_password_sign_in_counting(&self.db, parsed.as_ref(), password_try.upsert()).await?;
        self.limits.settle_password_try(password_try, counted).await?;
        let Some(record) = record else {
            // The same work as a real check, so timing tells nothing.
            self.passwords.verify(None, password).await?;
            return Err(AppError::InvalidCredentials);
        };
        if !self.passwords.verify(record.password_hash.as_deref(), password).await? {
            return Err(AppError::InvalidCredentials);
        }
        let user = record.user;
        self.rules.admit(Entering::Existing(&user))?;
        self.tickets
            .ensure_attachable(ticket.as_ref(), Some(&user), None)
            .await?;
        self.sign_in(user, ticket.as_ref(), meta, None, SignInMethod::Password)
            .await
    }
}

/// How a new account proves itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterMethod {
    /// Username + password + image captcha.
    Username,
    /// Mobile + password + REGISTER SMS code.
    Sms,
    /// Email + password + REGISTER email code.
    Email,
}

/// Everything `register` accepts, as the client sent it.
#[derive(Debug, Clone, Default)]
pub struct RegisterRequest {
    pub account: String,
    pub password: String,
    /// The captcha answer (USERNAME) or the code (SMS / EMAIL).
    pub verify: String,
    pub captcha_id: Option<String>,
    pub nickname: Option<String>,
    pub invite_code: Option<String>,
    pub bind_token: Option<String>,
    /// ShopXO's rule: a code of the wrong shape is judged like a wrong one
    /// (CODE_INVALID while a code is live, CODE_EXPIRED otherwise) rather
    /// than refused as BAD_USER_INPUT.
    pub malformed_code_is_wrong: bool,
}

/// A signed-in user with fresh tokens.
#[derive(Debug, Clone)]
pub struct AuthOutcome {
    pub user: User,
    pub tokens: TokenPair,
    /// True when this call created the account.
    pub created: bool,
}
