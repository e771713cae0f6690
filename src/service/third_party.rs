//! Third-party identities (WeChat, Apple, QQ, Weibo) bound to users: the
//! seed's register-and-bind by SMS, verified platform sign-in, unbinding.
//!
//! A binding is keyed by (platform, app id, openid): openids are per app, and
//! the app id is always the one configured for the platform
//! (`Config::platform_app_id`), so the seed flow and the verified flow of one
//! platform find each other's bindings. A user has at most one binding per platform.

mod browser;
mod verified;

use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::User;

use super::accounts::AuthOutcome;
use super::bindings::{self, Identity};
use super::codes::{PresentedCode, Purpose};
use super::rules::{AccountRules, Entering};
use super::{Accounts, Codes, Limits, RequestMeta, SignIns, Tickets, auth::Viewer};
use crate::clock::Clock;
use crate::domain::Code;
use crate::error::{AppError, Field, InputProblem};
use crate::metrics::SignInMethod;
use crate::platforms::{Platform, PlatformClients};
use crate::store::{self, Db, users::NewUser};

pub use browser::{AuthorizeUrl, AuthorizeUrlRequest};

/// A platform credential for `thirdPartyLogin`.
#[derive(Debug, Clone)]
pub struct PlatformLoginRequest {
    pub platform: Platform,
    /// OAuth code (WeChat app / official account, QQ, Weibo) or `wx.login` code (mini-program).
    pub code: Option<String>,
    /// Sign in with Apple `identityToken`.
    pub identity_token: Option<String>,
    /// Mini-program open data (user info or phone number) and its IV.
    pub encrypted_data: Option<String>,
    pub iv: Option<String>,
    /// Mini-program `getPhoneNumber` code.
    pub phone_code: Option<String>,
    /// Browser flows: the `state` of `thirdPartyAuthorizeUrl`, the verifier of its
    /// `codeChallenge`, and optionally the redirect URI the browser came back to.
    pub state: Option<String>,
    pub code_verifier: Option<String>,
    pub redirect_uri: Option<String>,
    /// Native Sign in with Apple: the nonce the app put in its request.
    pub nonce: Option<String>,
}

/// Platform identities: register-and-bind, verified sign-in, unbinding.
#[derive(Clone)]
pub struct ThirdParty {
    db: Db,
    clock: Arc<dyn Clock>,
    platforms: Arc<PlatformClients>,
    limits: Limits,
    codes: Codes,
    tickets: Tickets,
    accounts: Accounts,
    rules: AccountRules,
    apps: Arc<PlatformApps>,
    sign_ins: SignIns,
}

/// What a [`ThirdParty`] is made of.
pub struct ThirdPartyParts {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub platforms: Arc<PlatformClients>,
    pub limits: Limits,
    pub codes: Codes,
    pub tickets: Tickets,
    pub accounts: Accounts,
    pub rules: AccountRules,
    pub apps: PlatformApps,
    pub sign_ins: SignIns,
}

/// The operator's apps on each platform.
#[derive(Debug, Clone, Default)]
pub struct PlatformApps {
    /// The app id openids of each platform belong to ("" when none is configured).
    pub app_ids: HashMap<Platform, String>,
    /// Platforms whose openid the seed flow takes on the client's word
    /// (`ZHANGHAO_TRUST_CLIENT_OPENID`).
    pub trust_client_openid: Vec<Platform>,
    /// Where browser sign-ins may return, and Apple's callback.
    pub browser: BrowserSettings,
}

/// The browser sign-in's fixed points.
#[derive(Debug, Clone, Default)]
pub struct BrowserSettings {
    /// `ZHANGHAO_OAUTH_REDIRECT_URIS`: exact matches only.
    pub redirect_uris: Vec<String>,
    /// `ZHANGHAO_PUBLIC_URL` + `/oauth/apple/callback`: the `redirect_uri` Apple is given.
    pub apple_callback: String,
}

impl ThirdParty {
    /// Assembles the third-party service.
    pub fn new(parts: ThirdPartyParts) -> Self {
        ThirdParty {
            db: parts.db,
            clock: parts.clock,
            platforms: parts.platforms,
            limits: parts.limits,
            codes: parts.codes,
            tickets: parts.tickets,
            accounts: parts.accounts,
            rules: parts.rules,
            apps: Arc::new(parts.apps),
            sign_ins: parts.sign_ins,
        }
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
    /// asks for the phone instead), and a proof of the identity, or a newer
    /// claim, replaces a claim on someone else's account. Otherwise anyone
    /// could claim another person's openid and catch their later WeChat
    /// sign-ins, or block that person's own register-and-bind.
    pub async fn bind_with_sms(&self, req: BindRequest, meta: &RequestMeta) -> Result<AuthOutcome, AppError> {
        let mobile = req.mobile.clone();
        let result = self.register_and_bind(req, meta).await;
        self.sign_ins
            .record(SignInMethod::ThirdParty, Some(&mobile), meta, &result)
            .await;
        result
    }

    async fn register_and_bind(&self, req: BindRequest, meta: &RequestMeta) -> Result<AuthOutcome, AppError> {
        if !self.apps.trusts_client_openid(req.platform) {
            return Err(AppError::Forbidden);
        }
        let mobile = self.rules.parse_mobile(Some(&req.mobile))?;
        let code = Code::parse(&req.code).ok_or(AppError::bad(Field::Code, InputProblem::Malformed))?;
        let identity = Identity {
            platform: req.platform,
            app_id: self.apps.app_id(req.platform),
            openid: parse_openid(&req.openid)?,
            unionid: None,
            verified: false,
            revocation: None,
        };
        let existing = store::users::by_mobile(&self.db, mobile.as_str()).await?;
        // Whether the openid is bound already is decided by `attach`, inside the
        // transaction and after the code: a wrong code never tells who holds an
        // openid, and an ALREADY_BOUND rollback keeps the code.
        self.rules
            .admit(existing.as_ref().map_or(Entering::NewAccount, Entering::Existing))?;
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
                register_ip: meta.ip_text(),
                ..Default::default()
            })),
        };
        self.bind_and_sign_in(owner, &identity, meta, Some(spend)).await
    }

    /// Spends the code (when the proof is one), creates the owner if new, binds
    /// the identity and issues tokens, all in one transaction: either the user
    /// is signed in and bound, or nothing changed and the code still works.
    async fn bind_and_sign_in(
        &self,
        owner: Owner,
        identity: &Identity,
        meta: &RequestMeta,
        spend: Option<PresentedCode<'_>>,
    ) -> Result<AuthOutcome, AppError> {
        let now = self.clock.now();
        let txn = self.codes.begin_spending(spend).await?;
        let (mut user, created) = match owner {
            Owner::Existing(user) => {
                self.rules.admit(Entering::Existing(&user))?;
                (*user, false)
            }
            Owner::New(new) => (self.accounts.insert_in(&txn, *new).await?, true),
        };
        bindings::attach(&txn, &user, identity, now).await?;
        let tokens = self
            .accounts
            .write_sign_in(&txn, &mut user, meta, Some(SignInMethod::ThirdParty), !created)
            .await?;
        store::commit(txn).await?;
        if created {
            tracing::info!(
                user_id = user.id,
                platform = %identity.platform,
                "account created by platform binding"
            );
        }
        Ok(AuthOutcome { user, tokens, created })
    }

    /// Removes the caller's binding of `platform`, unless it is their last way
    /// to sign in (no password, no mobile, no other binding).
    pub async fn unbind(&self, viewer: &Viewer, platform: Platform) -> Result<User, AppError> {
        let me = viewer.require()?;
        let platform = platform.as_str();
        let bindings = store::bindings::for_user(&self.db, me.id).await?;
        if !bindings.iter().any(|b| b.platform == platform) {
            return Err(AppError::NotFound);
        }
        let other_ways = me.has_password || me.mobile.is_some() || bindings.iter().any(|b| b.platform != platform);
        if !other_ways {
            return Err(AppError::bad(Field::Platform, InputProblem::LastSignInMethod));
        }
        store::bindings::delete(&self.db, me.id, platform).await?;
        Ok(me.clone())
    }

    /// A user's bound platforms (platform and time are all the API shows;
    /// openids never leave the service this way).
    pub async fn bindings_of(&self, user_id: i64) -> Result<Vec<BoundPlatform>, AppError> {
        let rows = store::bindings::for_user(&self.db, user_id).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                Some(BoundPlatform {
                    platform: row.platform.parse().ok()?,
                    bound_at: row.created_at,
                })
            })
            .collect())
    }

    /// The user's own openids per platform, for the app configured now for
    /// each (an openid belongs to one app id): the legacy bind endpoint shows
    /// them to their owner, in the answer to the owner's own sign-in.
    pub async fn own_openids(&self, user_id: i64) -> Result<Vec<(Platform, String)>, AppError> {
        let bindings = store::bindings::for_user(&self.db, user_id).await?;
        Ok(bindings
            .into_iter()
            .filter_map(|b| Some((b.platform.parse::<Platform>().ok()?, b.app_id, b.openid)))
            .filter(|(platform, app_id, _)| *app_id == self.apps.app_id(*platform))
            .map(|(platform, _, openid)| (platform, openid))
            .collect())
    }
}

impl PlatformApps {
    /// The configured app id of `platform` (wire name), "" when none.
    fn app_id(&self, platform: Platform) -> String {
        self.app_ids.get(&platform).cloned().unwrap_or_default()
    }

    fn trusts_client_openid(&self, platform: Platform) -> bool {
        self.trust_client_openid.contains(&platform)
    }
}

/// The seed's request: a mobile proven by a LOGIN code, and the openid the
/// client says the platform gave it.
#[derive(Debug, Clone)]
pub struct BindRequest {
    pub mobile: String,
    pub code: String,
    pub platform: Platform,
    pub openid: String,
    /// Accepted for compatibility but not stored: see [`bind_with_sms`].
    pub unionid: Option<String>,
}

/// A platform bound to a user.
#[derive(Debug, Clone)]
pub struct BoundPlatform {
    pub platform: Platform,
    pub bound_at: chrono::DateTime<chrono::Utc>,
}

/// Whose account a binding goes to: someone known, or a new account.
pub(crate) enum Owner {
    Existing(Box<User>),
    New(Box<NewUser>),
}

fn parse_openid(raw: &str) -> Result<String, AppError> {
    let openid = raw.trim();
    if openid.is_empty() {
        return Err(AppError::bad(Field::Openid, InputProblem::Missing));
    }
    if openid.len() > 128 || !openid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::bad(Field::Openid, InputProblem::Malformed));
    }
    Ok(openid.to_string())
}
