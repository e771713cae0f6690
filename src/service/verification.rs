//! The SMS and email code flows: sending, and `verifySms` for each purpose
//! (login-or-register, bind, verify, rebind, reset password, reset pay password).

use chrono::Duration;
use entity::user::Model as User;

use super::accounts::{self, AuthOutcome};
use super::codes::{self, PresentedCode, Purpose};
use super::tokens::{self, TokenPair};
use super::{RequestMeta, auth::Viewer, limits, third_party, tickets};
use crate::domain::{Code, Mobile, PayPassword};
use crate::error::{AppError, InputProblem};
use crate::state::AppState;
use crate::store::{self, Set, tickets::NewTicket, users::NewUser};

mod send;
pub use send::{send_email_code, send_sms_code};

/// How long a VERIFY code keeps the REBIND window open.
const REBIND_WINDOW_SECONDS: i64 = 600;
/// Wrong pay passwords before the pay password locks.
const PAY_PASSWORD_MAX_FAILURES: i32 = 5;

/// Everything `verifySms` accepts.
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

/// What `verifySms` did.
#[derive(Debug, Clone)]
pub struct VerifyOutcome {
    pub purpose: Purpose,
    pub user: Option<User>,
    /// Only for LOGIN.
    pub tokens: Option<TokenPair>,
    pub created: bool,
}

/// Checks the code and carries out its purpose. Inputs are all checked
/// before the code is spent.
pub async fn verify_sms(
    state: &AppState,
    viewer: &Viewer,
    purpose: Purpose,
    req: VerifyRequest,
    meta: &RequestMeta,
) -> Result<VerifyOutcome, AppError> {
    let code = parse_code(&req.code)?;
    let done = |user: User| VerifyOutcome {
        purpose,
        user: Some(user),
        tokens: None,
        created: false,
    };
    match purpose {
        Purpose::Login => {
            let outcome = login_by_sms(state, &code, &req, meta).await?;
            Ok(VerifyOutcome {
                purpose,
                user: Some(outcome.user),
                tokens: Some(outcome.tokens),
                created: outcome.created,
            })
        }
        Purpose::Bind => bind_mobile(state, viewer.require()?, &code, req.mobile.as_deref(), meta)
            .await
            .map(done),
        Purpose::Verify => verify_current_mobile(state, viewer, &code, meta).await.map(done),
        Purpose::Rebind => rebind_mobile(state, viewer, &code, req.mobile.as_deref(), meta)
            .await
            .map(done),
        Purpose::ResetPassword => reset_password(state, &code, &req, meta).await.map(done),
        Purpose::ResetPayPassword => reset_pay_password(state, viewer.require()?, &code, &req, meta)
            .await
            .map(done),
        Purpose::Register => Err(AppError::bad("purpose", InputProblem::NotAllowed)),
    }
}

/// LOGIN: signs in the owner of the mobile; an unknown mobile registers
/// (with `register`, or when the bind ticket carries a platform identity) or
/// gets NO_BIND_USER with a ticket that a later register or login can redeem.
pub async fn login_by_sms(
    state: &AppState,
    code: &Code,
    req: &VerifyRequest,
    meta: &RequestMeta,
) -> Result<AuthOutcome, AppError> {
    let mobile = parse_mobile(state, req.mobile.as_deref())?;
    let bind_token = req.bind_token.as_deref().map(str::trim).filter(|t| !t.is_empty());
    tickets::ensure_live(state, bind_token).await?;
    let (referrer_id, invite_code) = accounts::parse_invite(state, req.invite_code.as_deref()).await?;
    let existing = store::users::by_mobile(&state.db, mobile.as_str()).await?;
    let carries_identity = match bind_token {
        Some(token) => tickets::carries_identity(state, token).await?,
        None => false,
    };
    let will_register = existing.is_none() && (req.register || carries_identity);
    if will_register && !state.config.registration_open {
        return Err(AppError::RegistrationClosed);
    }
    third_party::ensure_ticket_attachable(state, bind_token, existing.as_ref(), Some(mobile.as_str())).await?;
    if let Some(user) = &existing {
        accounts::ensure_active(user)?;
    }
    let spend = PresentedCode {
        target: mobile.as_str(),
        purpose: Purpose::Login,
        code,
        client: meta.ip,
    };
    match existing {
        Some(user) => accounts::sign_in(state, user, bind_token, meta, Some(spend)).await,
        None if will_register => {
            let new = NewUser {
                mobile: Some(mobile.as_str().to_string()),
                referrer_id,
                invite_code,
                register_ip: meta.ip.map(|ip| ip.to_string()),
                ..Default::default()
            };
            accounts::create_and_sign_in(state, new, bind_token, meta, Some(spend)).await
        }
        None => {
            codes::consume(state, spend).await?;
            let ticket = NewTicket {
                mobile: Some(mobile.as_str().to_string()),
                ..Default::default()
            };
            Err(AppError::NoBindUser {
                bind_token: tickets::issue(state, ticket).await?,
            })
        }
    }
}

async fn bind_mobile(
    state: &AppState,
    me: &User,
    code: &Code,
    mobile: Option<&str>,
    meta: &RequestMeta,
) -> Result<User, AppError> {
    if me.mobile.is_some() {
        return Err(AppError::AlreadyBound);
    }
    let mobile = parse_mobile(state, mobile)?;
    ensure_mobile_free(state, &mobile).await?;
    codes::consume(
        state,
        PresentedCode {
            target: mobile.as_str(),
            purpose: Purpose::Bind,
            code,
            client: meta.ip,
        },
    )
    .await?;
    let mut changes: store::users::UserChanges = me.clone().into();
    changes.mobile = Set(Some(mobile.as_str().to_string()));
    store::users::update(&state.db, changes, state.clock.now()).await
}

async fn verify_current_mobile(
    state: &AppState,
    viewer: &Viewer,
    code: &Code,
    meta: &RequestMeta,
) -> Result<User, AppError> {
    let me = viewer.require()?;
    let session = viewer.session().unwrap_or_default();
    let mobile = own_mobile(me)?;
    codes::consume(
        state,
        PresentedCode {
            target: mobile.as_str(),
            purpose: Purpose::Verify,
            code,
            client: meta.ip,
        },
    )
    .await?;
    let mut changes: store::users::UserChanges = me.clone().into();
    changes.mobile_verified_at = Set(Some(state.clock.now()));
    changes.mobile_verified_session = Set(Some(session.to_string()));
    store::users::update(&state.db, changes, state.clock.now()).await
}

async fn rebind_mobile(
    state: &AppState,
    viewer: &Viewer,
    code: &Code,
    mobile: Option<&str>,
    meta: &RequestMeta,
) -> Result<User, AppError> {
    let me = viewer.require()?;
    let mobile = parse_mobile(state, mobile)?;
    ensure_rebind_window(state, viewer)?;
    if me.mobile.as_deref() == Some(mobile.as_str()) {
        return Err(AppError::bad("mobile", InputProblem::SameAsBefore));
    }
    ensure_mobile_free(state, &mobile).await?;
    codes::consume(
        state,
        PresentedCode {
            target: mobile.as_str(),
            purpose: Purpose::Rebind,
            code,
            client: meta.ip,
        },
    )
    .await?;
    let mut changes: store::users::UserChanges = me.clone().into();
    changes.mobile = Set(Some(mobile.as_str().to_string()));
    changes.mobile_verified_at = Set(None);
    changes.mobile_verified_session = Set(None);
    // The new mobile and the end of every session land together, or neither.
    let txn = store::begin(&state.db).await?;
    let user = store::users::update(&txn, changes, state.clock.now()).await?;
    // The session that rebinds stays signed in; every other one ends.
    match viewer.session() {
        Some(keep) => tokens::revoke_all_but(state, &txn, user.id, keep).await?,
        None => tokens::revoke_everything(state, &txn, user.id).await?,
    }
    store::commit(txn).await?;
    reload(state, user.id).await
}

async fn reset_password(
    state: &AppState,
    code: &Code,
    req: &VerifyRequest,
    meta: &RequestMeta,
) -> Result<User, AppError> {
    let mobile = parse_mobile(state, req.mobile.as_deref())?;
    let password = accounts::password_policy(state).parse_new(req.password.as_deref().unwrap_or(""), "password")?;
    let user = store::users::by_mobile(&state.db, mobile.as_str()).await?;
    // The code is checked first, so an unknown mobile (to which no code was
    // ever sent) answers CODE_INVALID like a wrong code to a known one.
    codes::consume(
        state,
        PresentedCode {
            target: mobile.as_str(),
            purpose: Purpose::ResetPassword,
            code,
            client: meta.ip,
        },
    )
    .await?;
    let user = user.ok_or(AppError::CodeInvalid)?;
    if user.password_hash.is_some()
        && state
            .passwords
            .verify(user.password_hash.as_deref(), password.expose())
            .await?
    {
        return Err(AppError::bad("password", InputProblem::SameAsBefore));
    }
    let hash = state.passwords.hash(password.expose()).await?;
    let txn = store::begin(&state.db).await?;
    // Whoever holds the phone owns the account again: end password lockouts.
    limits::clear_failures(&txn, &user).await?;
    let mut changes: store::users::UserChanges = user.into();
    changes.password_hash = Set(Some(hash));
    let user = store::users::update(&txn, changes, state.clock.now()).await?;
    tokens::revoke_everything(state, &txn, user.id).await?;
    store::commit(txn).await?;
    reload(state, user.id).await
}

async fn reset_pay_password(
    state: &AppState,
    me: &User,
    code: &Code,
    req: &VerifyRequest,
    meta: &RequestMeta,
) -> Result<User, AppError> {
    let pay = PayPassword::parse(req.pay_password.as_deref().unwrap_or(""), "payPassword")?;
    let confirmation = req.pay_password_confirmation.as_deref().unwrap_or("");
    if confirmation.is_empty() {
        return Err(AppError::bad("payPasswordConfirmation", InputProblem::Missing));
    }
    if confirmation != pay.expose() {
        return Err(AppError::bad("payPasswordConfirmation", InputProblem::Mismatch));
    }
    let mobile = own_mobile(me)?;
    codes::consume(
        state,
        PresentedCode {
            target: mobile.as_str(),
            purpose: Purpose::ResetPayPassword,
            code,
            client: meta.ip,
        },
    )
    .await?;
    let hash = state.passwords.hash(pay.expose()).await?;
    let mut changes: store::users::UserChanges = me.clone().into();
    changes.pay_password_hash = Set(Some(hash));
    changes.pay_password_failures = Set(0);
    changes.pay_password_locked_until = Set(None);
    store::users::update(&state.db, changes, state.clock.now()).await
}

/// Checks a pay password before a payment; five wrong tries lock it for the
/// lockout period.
pub async fn check_pay_password(state: &AppState, viewer: &Viewer, raw: &str) -> Result<bool, AppError> {
    let me = viewer.require()?;
    let pay = PayPassword::parse(raw, "payPassword")?;
    let Some(hash) = me.pay_password_hash.as_deref() else {
        return Err(AppError::NotFound);
    };
    let lockout = state.config.lockout.as_secs();
    // The try is counted before the hash is checked: of any number of
    // concurrent guesses, only as many as tries remain are checked at all.
    let now = state.clock.now();
    if !store::users::reserve_pay_password_try(&state.db, me.id, PAY_PASSWORD_MAX_FAILURES, now).await? {
        let current = store::users::by_id(&state.db, me.id).await?;
        let retry_after = current
            .and_then(|u| u.pay_password_locked_until)
            .filter(|until| *until > now)
            .map_or(lockout, |until| (until - now).num_seconds().max(1) as u64);
        return Err(AppError::TooManyAttempts { retry_after });
    }
    if state.passwords.verify(Some(hash), pay.expose()).await? {
        store::users::set_pay_password_failures(&state.db, me.id, 0, None).await?;
        return Ok(true);
    }
    let failures = store::users::by_id(&state.db, me.id)
        .await?
        .map_or(PAY_PASSWORD_MAX_FAILURES, |u| u.pay_password_failures);
    if failures >= PAY_PASSWORD_MAX_FAILURES {
        let until = state.clock.now() + Duration::seconds(lockout as i64);
        store::users::set_pay_password_failures(&state.db, me.id, 0, Some(until)).await?;
        return Err(AppError::TooManyAttempts { retry_after: lockout });
    }
    Ok(false)
}

fn parse_code(raw: &str) -> Result<Code, AppError> {
    if raw.trim().is_empty() {
        return Err(AppError::bad("code", InputProblem::Missing));
    }
    Code::parse(raw).ok_or(AppError::bad("code", InputProblem::Malformed))
}

/// Parses the `mobile` input, or BAD_USER_INPUT naming it.
pub fn parse_mobile(state: &AppState, raw: Option<&str>) -> Result<Mobile, AppError> {
    let raw = raw
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .ok_or(AppError::bad("mobile", InputProblem::Missing))?;
    Mobile::parse(raw, state.config.default_region).ok_or(AppError::bad("mobile", InputProblem::Malformed))
}

fn own_mobile(me: &User) -> Result<Mobile, AppError> {
    me.mobile
        .clone()
        .map(Mobile::from_e164)
        .ok_or(AppError::bad("mobile", InputProblem::Missing))
}

async fn ensure_mobile_free(state: &AppState, mobile: &Mobile) -> Result<(), AppError> {
    match store::users::by_mobile(&state.db, mobile.as_str()).await? {
        Some(_) => Err(AppError::AccountExists { field: "mobile" }),
        None => Ok(()),
    }
}

/// REBIND is open for ten minutes after VERIFY, and only to the session
/// that passed VERIFY: another token of the same user (a stolen one, say)
/// cannot use the window the owner just opened.
fn ensure_rebind_window(state: &AppState, viewer: &Viewer) -> Result<(), AppError> {
    let me = viewer.require()?;
    let now = state.clock.now();
    let same_session =
        me.mobile_verified_session.is_some() && me.mobile_verified_session.as_deref() == viewer.session();
    match me.mobile_verified_at {
        Some(at) if same_session && now - at <= Duration::seconds(REBIND_WINDOW_SECONDS) && at <= now => Ok(()),
        _ => Err(AppError::bad("mobile", InputProblem::NeedsVerify)),
    }
}

async fn reload(state: &AppState, id: i64) -> Result<User, AppError> {
    store::users::by_id(&state.db, id).await?.ok_or(AppError::NotFound)
}
