//! Third-party identities (WeChat, Apple, QQ, Weibo) bound to users: the
//! seed's register-and-bind by SMS, verified platform sign-in, unbinding.

use entity::user::Model as User;

use super::accounts::{self, AuthOutcome};
use super::codes::{self, Purpose};
use super::verification::parse_mobile;
use super::{RequestMeta, auth::Viewer, limits};
use crate::domain::Code;
use crate::error::{AppError, InputProblem};
use crate::state::AppState;
use crate::store::{self, bindings::NewBinding, users::NewUser};

/// The seed's request: a mobile proven by a LOGIN code, and the openid the
/// client says the platform gave it.
#[derive(Debug, Clone)]
pub struct BindRequest {
    pub mobile: String,
    pub code: String,
    /// Wire name, e.g. `wx_app`.
    pub platform: &'static str,
    pub openid: String,
    pub unionid: Option<String>,
}

/// Registers (unknown mobile) or signs in (known mobile) the owner of the
/// mobile and binds the identity to them, in one transaction. Conflicts are
/// found before the code is spent.
pub async fn bind_with_sms(state: &AppState, req: BindRequest, meta: &RequestMeta) -> Result<AuthOutcome, AppError> {
    if !state.config.trusts_client_openid(req.platform) {
        return Err(AppError::Forbidden);
    }
    let mobile = parse_mobile(state, Some(&req.mobile))?;
    let code = Code::parse(&req.code).ok_or(AppError::bad("code", InputProblem::Malformed))?;
    let openid = parse_openid(&req.openid)?;
    let unionid = req
        .unionid
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    let app_id = state.config.platform_app_id(req.platform);
    let existing = store::users::by_mobile(&state.db, mobile.as_str()).await?;
    if let Some(user) = &existing {
        limits::ensure_unlocked(state, user)?;
        accounts::ensure_active(user)?;
    }
    ensure_bindable(state, existing.as_ref(), req.platform, &app_id, &openid).await?;
    if existing.is_none() && !state.config.registration_open {
        return Err(AppError::RegistrationClosed);
    }
    codes::consume(
        state,
        mobile.as_str(),
        Purpose::Login,
        &code,
        existing.as_ref().map(|u| u.id),
    )
    .await?;

    let now = state.clock.now();
    let txn = store::begin(&state.db).await?;
    let (user, created) = match existing {
        Some(user) => (user, false),
        None => {
            let new = NewUser {
                mobile: Some(mobile.as_str().to_string()),
                register_ip: meta.ip.map(|ip| ip.to_string()),
                ..Default::default()
            };
            (store::users::insert(&txn, new, now).await?, true)
        }
    };
    attach(state, &txn, &user, req.platform, &app_id, &openid, unionid).await?;
    store::users::touch_login(&txn, user.id, meta.ip.map(|ip| ip.to_string()), now).await?;
    let tokens = super::tokens::issue_with(state, &txn, &user, meta).await?;
    store::commit(txn).await?;
    Ok(AuthOutcome { user, tokens, created })
}

/// ALREADY_BOUND when the identity belongs to someone else or the user
/// already has another identity of this platform.
async fn ensure_bindable(
    state: &AppState,
    user: Option<&User>,
    platform: &str,
    app_id: &str,
    openid: &str,
) -> Result<(), AppError> {
    if let Some(bound) = store::bindings::by_identity(&state.db, platform, app_id, openid).await? {
        if user.is_none_or(|u| u.id != bound.user_id) {
            return Err(AppError::AlreadyBound);
        }
        return Ok(());
    }
    if let Some(user) = user {
        let theirs = store::bindings::for_user(&state.db, user.id).await?;
        if theirs.iter().any(|b| b.platform == platform) {
            return Err(AppError::AlreadyBound);
        }
    }
    Ok(())
}

/// Binds a platform identity to `user` inside the caller's transaction.
/// The identity bound elsewhere, or another identity of that platform on
/// this user, is ALREADY_BOUND; binding the same identity again is a no-op.
pub async fn attach(
    state: &AppState,
    txn: &store::Txn,
    user: &User,
    platform: &str,
    app_id: &str,
    openid: &str,
    unionid: Option<String>,
) -> Result<(), AppError> {
    if let Some(existing) = store::bindings::by_identity(txn, platform, app_id, openid).await? {
        return if existing.user_id == user.id {
            Ok(())
        } else {
            Err(AppError::AlreadyBound)
        };
    }
    let binding = NewBinding {
        user_id: user.id,
        platform: platform.to_string(),
        app_id: app_id.to_string(),
        openid: openid.to_string(),
        unionid,
    };
    store::bindings::insert(txn, binding, state.clock.now()).await
}

/// Removes the caller's binding of `platform`, unless it is their last way
/// to sign in (no password, no mobile, no other binding).
pub async fn unbind(state: &AppState, viewer: &Viewer, platform: &str) -> Result<User, AppError> {
    let me = viewer.require()?;
    let bindings = store::bindings::for_user(&state.db, me.id).await?;
    if !bindings.iter().any(|b| b.platform == platform) {
        return Err(AppError::NotFound);
    }
    let other_ways =
        me.password_hash.is_some() || me.mobile.is_some() || bindings.iter().any(|b| b.platform != platform);
    if !other_ways {
        return Err(AppError::bad("platform", InputProblem::LastSignInMethod));
    }
    store::bindings::delete(&state.db, me.id, platform).await?;
    Ok(me.clone())
}

/// A user's bindings (platform and time are all the API shows).
pub async fn bindings_of(state: &AppState, user_id: i64) -> Result<Vec<entity::third_party_binding::Model>, AppError> {
    store::bindings::for_user(&state.db, user_id).await
}

fn parse_openid(raw: &str) -> Result<String, AppError> {
    let openid = raw.trim();
    if openid.is_empty() {
        return Err(AppError::bad("openid", InputProblem::Missing));
    }
    if openid.len() > 128 || !openid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::bad("openid", InputProblem::Malformed));
    }
    Ok(openid.to_string())
}

/// A platform credential for `thirdPartyLogin`.
#[derive(Debug, Clone)]
pub struct PlatformLoginRequest {
    pub platform: &'static str,
    pub code: Option<String>,
    pub identity_token: Option<String>,
    pub encrypted_data: Option<String>,
    pub iv: Option<String>,
    pub phone_code: Option<String>,
}

/// Verified platform sign-in (wired to the platform clients separately).
pub async fn login_with_platform(
    _state: &AppState,
    _req: PlatformLoginRequest,
    _meta: &RequestMeta,
) -> Result<AuthOutcome, AppError> {
    Err(AppError::ServiceUnavailable(
        "platform verification is not wired yet".into(),
    ))
}
