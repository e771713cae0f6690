//! Third-party identities (WeChat, Apple, QQ, Weibo) bound to users: the
//! seed's register-and-bind by SMS, verified platform sign-in, unbinding.
//!
//! A binding is keyed by (platform, app id, openid): openids are per app, and
//! the app id is always the one configured for the platform
//! (`Config::platform_app_id`), so the seed flow and the verified flow of one
//! platform find each other's bindings. A user has at most one binding per platform.

mod verified;

use crate::service::codes::PresentedCode;
use entity::user::Model as User;

use super::accounts::{self, AuthOutcome};
use super::codes::{self, Purpose};
use super::verification::parse_mobile;
use super::{RequestMeta, auth::Viewer, limits};
use crate::domain::Code;
use crate::error::{AppError, InputProblem};
use crate::state::AppState;
use crate::store::{self, bindings::NewBinding, users::NewUser};

pub use verified::{PlatformLoginRequest, login_with_platform};

/// The seed's request: a mobile proven by a LOGIN code, and the openid the
/// client says the platform gave it.
#[derive(Debug, Clone)]
pub struct BindRequest {
    pub mobile: String,
    pub code: String,
    /// Wire name, e.g. `wx_app`.
    pub platform: &'static str,
    pub openid: String,
    /// Accepted for compatibility but not stored: see [`bind_with_sms`].
    pub unionid: Option<String>,
}

/// A platform identity about to be bound.
pub(crate) struct Identity {
    pub platform: &'static str,
    pub app_id: String,
    pub openid: String,
    /// Only ever a unionid the platform itself vouched for: it joins accounts.
    pub unionid: Option<String>,
    /// Proven by the platform, or only claimed by the client (seed flow).
    pub verified: bool,
}

/// Whose account a binding goes to: someone known, or a new account.
pub(crate) enum Owner {
    Existing(Box<User>),
    New(Box<NewUser>),
}

/// Registers (unknown mobile) or signs in (known mobile) the owner of the
/// mobile and binds the identity to them, in one transaction with the code:
/// a conflict (ALREADY_BOUND) rolls it all back, so a refused request
/// changes nothing and the code still works.
///
/// This is the weaker mode: the openid is the client's word, so it is only
/// accepted for platforms listed in `ZHANGHAO_TRUST_CLIENT_OPENID`. The
/// claimed unionid is never stored, and the binding is kept as a claim: a
/// verified sign-in never enters an account through a claimed binding (it
/// asks for the phone instead), and a proof of the identity replaces a
/// claim on someone else's account. Otherwise anyone could claim another
/// person's openid and catch their later WeChat sign-ins.
pub async fn bind_with_sms(state: &AppState, req: BindRequest, meta: &RequestMeta) -> Result<AuthOutcome, AppError> {
    if !state.config.trusts_client_openid(req.platform) {
        return Err(AppError::Forbidden);
    }
    let mobile = parse_mobile(state, Some(&req.mobile))?;
    let code = Code::parse(&req.code).ok_or(AppError::bad("code", InputProblem::Malformed))?;
    let identity = Identity {
        platform: req.platform,
        app_id: state.config.platform_app_id(req.platform),
        openid: parse_openid(&req.openid)?,
        unionid: None,
        verified: false,
    };
    let existing = store::users::by_mobile(&state.db, mobile.as_str()).await?;
    if let Some(user) = &existing {
        accounts::ensure_active(user)?;
    }
    // Whether the openid is bound already is decided by `attach`, inside the
    // transaction and after the code: a wrong code never tells who holds an
    // openid, and an ALREADY_BOUND rollback keeps the code.
    if existing.is_none() && !state.config.registration_open {
        return Err(AppError::RegistrationClosed);
    }
    let spend = PresentedCode {
        target: mobile.as_str(),
        purpose: Purpose::Login,
        code: &code,
        client: meta.ip,
    };
    let owner = match existing {
        Some(user) => Owner::Existing(Box::new(user)),
        None => Owner::New(Box::new(NewUser {
            mobile: Some(mobile.as_str().to_string()),
            register_ip: meta.ip.map(|ip| ip.to_string()),
            ..Default::default()
        })),
    };
    bind_and_sign_in(state, owner, &identity, meta, Some(spend)).await
}

/// Spends the code (when the proof is one), creates the owner if new, binds
/// the identity and issues tokens, all in one transaction: either the user
/// is signed in and bound, or nothing changed and the code still works.
pub(crate) async fn bind_and_sign_in(
    state: &AppState,
    owner: Owner,
    identity: &Identity,
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
    let (user, created) = match owner {
        Owner::Existing(user) => {
            accounts::ensure_active(&user)?;
            limits::clear_failures(&txn, &user).await?;
            (*user, false)
        }
        Owner::New(new) => (store::users::insert(&txn, *new, now).await?, true),
    };
    attach(state, &txn, &user, identity).await?;
    store::users::touch_login(&txn, user.id, meta.ip.map(|ip| ip.to_string()), now).await?;
    let tokens = super::tokens::issue_with(state, &txn, &user, meta).await?;
    store::commit(txn).await?;
    if created {
        tracing::info!(
            user_id = user.id,
            platform = identity.platform,
            "account created by platform binding"
        );
    }
    Ok(AuthOutcome { user, tokens, created })
}

/// ALREADY_BOUND when the identity belongs to someone else or the user
/// already has another identity of this platform. Called before any code is
/// spent, and again by [`attach`] inside the transaction.
pub(crate) async fn ensure_bindable(
    state: &AppState,
    user: Option<&User>,
    identity: &Identity,
) -> Result<(), AppError> {
    check_bindable(
        &state.db,
        user,
        identity.platform,
        &identity.app_id,
        &identity.openid,
        identity.verified,
    )
    .await
}

async fn check_bindable<C: store::Conn>(
    conn: &C,
    user: Option<&User>,
    platform: &str,
    app_id: &str,
    openid: &str,
    verified: bool,
) -> Result<(), AppError> {
    if let Some(bound) = store::bindings::by_identity(conn, platform, app_id, openid).await? {
        return match user {
            Some(u) if u.id == bound.user_id => Ok(()),
            // A proof replaces someone else's mere claim.
            _ if verified && !bound.verified => Ok(()),
            _ => Err(AppError::AlreadyBound),
        };
    }
    if let Some(user) = user {
        // Checked rather than left to the unique index, so the answer is the
        // same on every database and no statement fails inside a transaction.
        let theirs = store::bindings::for_user(conn, user.id).await?;
        if theirs.iter().any(|b| b.platform == platform) {
            return Err(AppError::AlreadyBound);
        }
    }
    Ok(())
}

/// Checks, without using the ticket up, that what `token` carries could be
/// attached to `user` (or to a new account when `None`), so that a code is
/// not spent on a request that must end in ALREADY_BOUND.
pub async fn ensure_ticket_attachable(
    state: &AppState,
    token: Option<&str>,
    user: Option<&User>,
    new_account_mobile: Option<&str>,
) -> Result<(), AppError> {
    let Some(ticket) = super::tickets::peek(state, token).await? else {
        return Ok(());
    };
    // The mobile the account has, or the one it is about to be created with.
    let account_mobile = user.map_or(new_account_mobile, |u| u.mobile.as_deref());
    if let (Some(mobile), Some(current)) = (&ticket.mobile, account_mobile)
        && current != mobile
    {
        return Err(AppError::AlreadyBound);
    }
    if let (Some(platform), Some(app_id), Some(openid)) = (&ticket.platform, &ticket.app_id, &ticket.openid) {
        check_bindable(&state.db, user, platform, app_id, openid, true).await?;
    }
    Ok(())
}

/// Binds a platform identity to `user` inside the caller's transaction.
/// The identity bound elsewhere, or another identity of that platform on
/// this user, is ALREADY_BOUND; binding the same identity again is a no-op,
/// except that a proof turns the user's own claim into a verified binding.
/// A verified identity claimed by someone else takes the claim over.
pub(crate) async fn attach(
    state: &AppState,
    txn: &store::Txn,
    user: &User,
    identity: &Identity,
) -> Result<(), AppError> {
    let (platform, app_id, openid) = (identity.platform, identity.app_id.as_str(), identity.openid.as_str());
    if let Some(existing) = store::bindings::by_identity(txn, platform, app_id, openid).await? {
        if existing.user_id == user.id {
            if identity.verified && !existing.verified {
                store::bindings::mark_verified(txn, existing.id, identity.unionid.as_deref()).await?;
            }
            return Ok(());
        }
        if identity.verified && !existing.verified {
            tracing::warn!(
                claimed_by = existing.user_id,
                proven_by = user.id,
                platform,
                "a verified identity replaces another account's claim on it"
            );
            store::bindings::delete_by_id(txn, existing.id).await?;
        }
    }
    check_bindable(txn, Some(user), platform, app_id, openid, identity.verified).await?;
    let binding = NewBinding {
        user_id: user.id,
        platform: platform.to_string(),
        app_id: app_id.to_string(),
        openid: openid.to_string(),
        unionid: identity.unionid.clone(),
        verified: identity.verified,
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

/// The user's own openids per platform, for the app configured now for
/// each (an openid belongs to one app id): the legacy bind endpoint shows
/// them to their owner, in the answer to the owner's own sign-in.
pub async fn own_openids(state: &AppState, user_id: i64) -> Result<Vec<(String, String)>, AppError> {
    let bindings = store::bindings::for_user(&state.db, user_id).await?;
    Ok(bindings
        .into_iter()
        .filter(|b| b.app_id == state.config.platform_app_id(&b.platform))
        .map(|b| (b.platform, b.openid))
        .collect())
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
