//! Sign-up, sign-in and the user queries.

use crate::service::codes::PresentedCode;
use entity::user::Model as User;

use super::tokens::{self, TokenPair};
use super::{RequestMeta, auth::Viewer, captcha, codes, limits, tickets};
use crate::domain::{Account, Code, Email, Mobile, PasswordPolicy, Username};
use crate::error::{AppError, InputProblem};
use crate::state::AppState;
use crate::store;
use crate::store::users::NewUser;

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
}

/// A signed-in user with fresh tokens.
#[derive(Debug, Clone)]
pub struct AuthOutcome {
    pub user: User,
    pub tokens: TokenPair,
    /// True when this call created the account.
    pub created: bool,
}

/// The password rules from the configuration.
pub fn password_policy(state: &AppState) -> PasswordPolicy {
    PasswordPolicy {
        min_chars: state.config.password_min,
        max_chars: state.config.password_max,
    }
}

/// Creates an account and signs it in. Every input is checked before the
/// captcha or code is spent, so a typo costs the user nothing.
pub async fn register(
    state: &AppState,
    method: RegisterMethod,
    req: RegisterRequest,
    meta: &RequestMeta,
) -> Result<AuthOutcome, AppError> {
    if !state.config.registration_open {
        return Err(AppError::RegistrationClosed);
    }
    let region = state.config.default_region;
    let mut new = NewUser {
        register_ip: meta.ip.map(|ip| ip.to_string()),
        ..Default::default()
    };
    let account = req.account.trim();
    if account.is_empty() {
        return Err(AppError::bad("account", InputProblem::Missing));
    }
    match method {
        RegisterMethod::Username => {
            let username = Username::parse(account, region).ok_or(AppError::bad("account", InputProblem::Malformed))?;
            new.username_key = Some(username.key());
            new.username = Some(username.as_str().to_string());
        }
        RegisterMethod::Sms => {
            let mobile = Mobile::parse(account, region).ok_or(AppError::bad("account", InputProblem::Malformed))?;
            new.mobile = Some(mobile.as_str().to_string());
        }
        RegisterMethod::Email => {
            let email = Email::parse(account).ok_or(AppError::bad("account", InputProblem::Malformed))?;
            new.email = Some(email.as_str().to_string());
        }
    }
    let password = password_policy(state).parse_new(&req.password, "password")?;
    new.nickname = parse_nickname(req.nickname.as_deref())?;
    let (referrer_id, invite_code) = parse_invite(state, req.invite_code.as_deref()).await?;
    new.referrer_id = referrer_id;
    new.invite_code = invite_code;
    let verify = req.verify.trim();
    if verify.is_empty() {
        return Err(AppError::bad("verify", InputProblem::Missing));
    }
    tickets::ensure_live(state, req.bind_token.as_deref()).await?;

    // A taken mobile or email is not looked up here: the insert's unique
    // constraint answers ACCOUNT_EXISTS only after the code was proven (and
    // the transaction's rollback keeps the code), so the answer to a wrong
    // code never tells whether the account exists.
    super::third_party::ensure_ticket_attachable(state, req.bind_token.as_deref(), None, new.mobile.as_deref()).await?;

    // Inputs are well formed: now check the proof. A code is spent inside
    // the transaction that creates the user, so a failed write keeps it.
    let spend: Option<(String, Code)> = match method {
        RegisterMethod::Username => {
            let captcha_id = req
                .captcha_id
                .as_deref()
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .ok_or(AppError::bad("captchaId", InputProblem::Missing))?;
            captcha::solve(state, captcha_id, verify).await?;
            None
        }
        RegisterMethod::Sms | RegisterMethod::Email => {
            let code = Code::parse(verify).ok_or(AppError::bad("verify", InputProblem::Malformed))?;
            let target = new.mobile.clone().or_else(|| new.email.clone()).unwrap_or_default();
            Some((target, code))
        }
    };
    new.password_hash = Some(state.passwords.hash(password.expose()).await?);
    let spend = spend.as_ref().map(|(target, code)| PresentedCode {
        target,
        purpose: codes::Purpose::Register,
        code,
        client: meta.ip,
    });
    create_and_sign_in(state, new, req.bind_token.as_deref(), meta, spend).await
}

/// Spends the code (when the sign-in rests on one), inserts the user,
/// redeems a bind ticket if given, and issues tokens, all in one transaction.
pub async fn create_and_sign_in(
    state: &AppState,
    new: NewUser,
    bind_token: Option<&str>,
    meta: &RequestMeta,
    spend: Option<PresentedCode<'_>>,
) -> Result<AuthOutcome, AppError> {
    let now = state.clock.now();
    let checked = match spend {
        Some(presented) => Some(codes::check(state, presented).await?),
        None => None,
    };
    let txn = store::begin(&state.db).await?;
    if let Some(checked) = &checked {
        codes::take_in(state, &txn, checked).await?;
    }
    let user = store::users::insert(&txn, new, now).await?;
    let user = match bind_token {
        Some(token) => tickets::redeem(state, &txn, user, token).await?,
        None => user,
    };
    store::users::touch_login(&txn, user.id, meta.ip.map(|ip| ip.to_string()), now).await?;
    let tokens = tokens::issue_with(state, &txn, &user, meta).await?;
    store::commit(txn).await?;
    tracing::info!(user_id = user.id, "account created");
    Ok(AuthOutcome {
        user,
        tokens,
        created: true,
    })
}

/// Signs in by username, mobile or email plus password. Unknown accounts
/// and wrong passwords take the same time and give the same answer.
pub async fn login(
    state: &AppState,
    account: &str,
    password: &str,
    bind_token: Option<&str>,
    meta: &RequestMeta,
) -> Result<AuthOutcome, AppError> {
    if account.trim().is_empty() {
        return Err(AppError::bad("account", InputProblem::Missing));
    }
    if password.is_empty() {
        return Err(AppError::bad("password", InputProblem::Missing));
    }
    tickets::ensure_live(state, bind_token).await?;
    let parsed = Account::parse(account, state.config.default_region);
    // Counted before anything is looked up or compared, known account or not.
    limits::reserve_password_try(state, &limits::PasswordFactor::of(parsed.as_ref(), account)).await?;
    let user = match parsed {
        Some(Account::Username(name)) => store::users::by_username_key(&state.db, &name.key()).await?,
        Some(Account::Mobile(mobile)) => store::users::by_mobile(&state.db, mobile.as_str()).await?,
        Some(Account::Email(email)) => store::users::by_email(&state.db, email.as_str()).await?,
        None => None,
    };
    let Some(user) = user else {
        state.passwords.verify(None, password).await?;
        return Err(AppError::InvalidCredentials);
    };
    if !state.passwords.verify(user.password_hash.as_deref(), password).await? {
        return Err(AppError::InvalidCredentials);
    }
    ensure_active(&user)?;
    super::third_party::ensure_ticket_attachable(state, bind_token, Some(&user), None).await?;
    sign_in(state, user, bind_token, meta, None).await
}

/// Issues tokens for a user who has proven who they are, redeeming a bind
/// ticket first when one is given; a code the proof rests on is spent in
/// the same transaction.
pub async fn sign_in(
    state: &AppState,
    user: User,
    bind_token: Option<&str>,
    meta: &RequestMeta,
    spend: Option<PresentedCode<'_>>,
) -> Result<AuthOutcome, AppError> {
    ensure_active(&user)?;
    let now = state.clock.now();
    let checked = match spend {
        Some(presented) => Some(codes::check(state, presented).await?),
        None => None,
    };
    let txn = store::begin(&state.db).await?;
    if let Some(checked) = &checked {
        codes::take_in(state, &txn, checked).await?;
    }
    let user = match bind_token {
        Some(token) => tickets::redeem(state, &txn, user, token).await?,
        None => user,
    };
    // One transaction, one commit: a sign-in writes its session, its login
    // time and the end of any failure streak together.
    limits::clear_failures(&txn, &user).await?;
    store::users::touch_login(&txn, user.id, meta.ip.map(|ip| ip.to_string()), now).await?;
    let tokens = tokens::issue_with(state, &txn, &user, meta).await?;
    store::commit(txn).await?;
    Ok(AuthOutcome {
        user,
        tokens,
        created: false,
    })
}

/// ACCOUNT_DISABLED for banned users.
pub fn ensure_active(user: &User) -> Result<(), AppError> {
    if user.status == "ACTIVE" {
        Ok(())
    } else {
        Err(AppError::AccountDisabled)
    }
}

/// The user with `id`, who must exist and be active (refresh, bind).
pub async fn active_user(state: &AppState, id: i64) -> Result<User, AppError> {
    let user = store::users::by_id(&state.db, id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    ensure_active(&user)?;
    Ok(user)
}

/// `user(id)`: yourself, or anyone for an ADMIN.
pub async fn user_by_id(state: &AppState, viewer: &Viewer, id: i64) -> Result<Option<User>, AppError> {
    let me = viewer.require()?;
    if me.id == id {
        return Ok(Some(me.clone()));
    }
    if !is_admin(me) {
        return Err(AppError::Forbidden);
    }
    store::users::by_id(&state.db, id).await
}

/// A page of `users` (ADMIN only).
pub struct UserPage {
    pub users: Vec<User>,
    pub has_next_page: bool,
    pub total_count: u64,
}

/// Lists users in id order; `after` is the id of the last user seen.
pub async fn list_users(
    state: &AppState,
    viewer: &Viewer,
    first: i64,
    after: Option<i64>,
    search: Option<&str>,
) -> Result<UserPage, AppError> {
    let me = viewer.require()?;
    if !is_admin(me) {
        return Err(AppError::Forbidden);
    }
    if !(1..=100).contains(&first) {
        return Err(AppError::bad("first", InputProblem::Malformed));
    }
    let first = first as u64;
    let (mut users, total_count) = store::users::page(&state.db, first, after, search).await?;
    let has_next_page = users.len() as u64 > first;
    users.truncate(first as usize);
    Ok(UserPage {
        users,
        has_next_page,
        total_count,
    })
}

/// True for administrators.
pub fn is_admin(user: &User) -> bool {
    user.role == "ADMIN"
}

/// The mobile as `viewer` may see it: whole to its owner and admins, masked to others.
pub fn visible_mobile(viewer: Option<&User>, user: &User) -> Option<String> {
    let mobile = Mobile::from_e164(user.mobile.clone()?);
    let whole = viewer.is_some_and(|v| v.id == user.id || is_admin(v));
    Some(if whole {
        mobile.national().to_string()
    } else {
        mobile.masked()
    })
}

/// The email as `viewer` may see it: whole to its owner and admins, else `a***@example.cn`.
pub fn visible_email(viewer: Option<&User>, user: &User) -> Option<String> {
    let email = user.email.as_deref()?;
    if viewer.is_some_and(|v| v.id == user.id || is_admin(v)) {
        return Some(email.to_string());
    }
    let (local, domain) = email.split_once('@')?;
    let head: String = local.chars().take(1).collect();
    Some(format!("{head}***@{domain}"))
}

/// `zhanghao admin grant`: makes the user named by id, username or mobile an ADMIN.
pub async fn grant_admin(state: &AppState, who: &str) -> Result<User, AppError> {
    let who = who.trim();
    let region = state.config.default_region;
    let mut user = match who.parse::<i64>() {
        Ok(id) => store::users::by_id(&state.db, id).await?,
        Err(_) => None,
    };
    if user.is_none()
        && let Some(mobile) = Mobile::parse(who, region)
    {
        user = store::users::by_mobile(&state.db, mobile.as_str()).await?;
    }
    if user.is_none() {
        user = store::users::by_username_key(&state.db, &who.to_lowercase()).await?;
    }
    let user = user.ok_or(AppError::NotFound)?;
    store::users::set_role(&state.db, user.id, "ADMIN", state.clock.now()).await?;
    store::users::by_id(&state.db, user.id).await?.ok_or(AppError::NotFound)
}

fn parse_nickname(raw: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(nickname) = raw.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if nickname.chars().count() > 32 {
        return Err(AppError::bad("nickname", InputProblem::TooLong(32)));
    }
    if nickname.chars().any(char::is_control) {
        return Err(AppError::bad("nickname", InputProblem::Malformed));
    }
    Ok(Some(nickname.to_string()))
}

/// An invite code is the inviter's user id (Discuz! Q); anything else is kept
/// as given for the operator, without a referrer.
pub async fn parse_invite(state: &AppState, raw: Option<&str>) -> Result<(Option<i64>, Option<String>), AppError> {
    let Some(code) = raw.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok((None, None));
    };
    if code.chars().count() > 64 {
        return Err(AppError::bad("inviteCode", InputProblem::TooLong(64)));
    }
    let referrer = match code.parse::<i64>() {
        Ok(id) => store::users::by_id(&state.db, id).await?.map(|u| u.id),
        Err(_) => None,
    };
    Ok((referrer, Some(code.to_string())))
}
