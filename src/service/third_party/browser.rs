//! Browser sign-in (DESIGN §9): `thirdPartyAuthorizeUrl` starts it with a
//! fresh single-use `state`, bound to the platform, the redirect URI and a
//! PKCE-style challenge; `thirdPartyLogin` finishes it with the code, the
//! state and the verifier only the browser that asked knows. A code and
//! state copied from a URL are useless without that verifier, and a refused
//! state sends nothing to the platform.

use chrono::Duration;

use super::{PlatformLoginRequest, ThirdParty};
use crate::crypto::{constant_time_eq, hash_opaque, pkce_challenge, random_alphanumeric};
use crate::error::{AppError, Field, InputProblem};
use crate::platforms::{AuthorizeRefusal, AuthorizeRequest, Platform, PlatformCredential};
use crate::service::{RequestMeta, limits};
use crate::store::{self, oauth_states::NewState};

/// How long a browser has to come back from the platform.
const STATE_TTL_SECONDS: i64 = 600;
/// 32 characters of `[A-Za-z0-9]`: about 190 bits, well inside WeChat's 128-character limit.
const STATE_LEN: usize = 32;
/// Authorize URLs per client IP per hour: each stores a row until it expires.
const AUTHORIZE_URLS_PER_IP_HOURLY: u32 = 600;
/// RFC 7636: verifiers are 43 to 128 unreserved characters; an S256 challenge is 43.
const VERIFIER_LEN: std::ops::RangeInclusive<usize> = 43..=128;
const CHALLENGE_LEN: usize = 43;

/// `thirdPartyAuthorizeUrl`'s input.
#[derive(Debug, Clone)]
pub struct AuthorizeUrlRequest {
    pub platform: Platform,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scope: Option<String>,
}

/// Where to send the browser, and the state it will come back with.
#[derive(Debug, Clone)]
pub struct AuthorizeUrl {
    pub url: String,
    pub state: String,
    pub expires_in: i64,
}

/// The end of a browser flow as `thirdPartyLogin` received it.
pub(super) struct BrowserReturn {
    code: String,
    state: String,
    verifier: String,
    redirect_uri: Option<String>,
}

impl BrowserReturn {
    /// The browser half of a `thirdPartyLogin`, or `None` for a native SDK's
    /// credential. WX_WEB codes only ever come from a browser, so they need a state.
    pub(super) fn parse(req: &PlatformLoginRequest) -> Result<Option<BrowserReturn>, AppError> {
        let present = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let Some(state) = present(&req.state) else {
            if present(&req.code_verifier).is_some() {
                return Err(AppError::bad(Field::State, InputProblem::Missing));
            }
            if req.platform == Platform::WxWeb {
                return Err(AppError::bad(Field::State, InputProblem::Missing));
            }
            return Ok(None);
        };
        if present(&req.identity_token).is_some() {
            return Err(AppError::bad(Field::IdentityToken, InputProblem::NotAllowed));
        }
        if present(&req.nonce).is_some() {
            // The flow's own nonce is checked; a browser never brings one.
            return Err(AppError::bad(Field::Nonce, InputProblem::NotAllowed));
        }
        let code = present(&req.code).ok_or(AppError::bad(Field::Code, InputProblem::Missing))?;
        let verifier = present(&req.code_verifier).ok_or(AppError::bad(Field::CodeVerifier, InputProblem::Missing))?;
        if !VERIFIER_LEN.contains(&verifier.len()) || !verifier.bytes().all(is_unreserved) {
            return Err(AppError::bad(Field::CodeVerifier, InputProblem::Malformed));
        }
        Ok(Some(BrowserReturn {
            code,
            state,
            verifier,
            redirect_uri: present(&req.redirect_uri),
        }))
    }
}

impl ThirdParty {
    /// Starts a browser sign-in: checks the redirect URI against the allow-list
    /// and the challenge's shape, stores the state's hash, answers the URL.
    pub async fn authorize_url(&self, req: AuthorizeUrlRequest, meta: &RequestMeta) -> Result<AuthorizeUrl, AppError> {
        let browser = &self.apps.browser;
        if !browser.redirect_uris.contains(&req.redirect_uri) {
            return Err(AppError::bad(Field::RedirectUri, InputProblem::NotAllowed));
        }
        let challenge = req.code_challenge.trim();
        let base64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        if challenge.len() != CHALLENGE_LEN || !challenge.bytes().all(base64url) {
            return Err(AppError::bad(Field::CodeChallenge, InputProblem::Malformed));
        }
        if let Some(ip) = meta.ip {
            let key = format!("authorize-url:ip:{}", limits::ip_key(ip));
            self.limits.hit(&key, 3600, AUTHORIZE_URLS_PER_IP_HOURLY).await?;
        }
        let state = random_alphanumeric(STATE_LEN);
        let nonce = (req.platform == Platform::Apple).then(|| random_alphanumeric(STATE_LEN));
        let platform_redirect = match req.platform {
            // Apple posts to us; the callback then sends the browser on to `redirect_uri`.
            Platform::Apple => browser.apple_callback.as_str(),
            _ => req.redirect_uri.as_str(),
        };
        let request = AuthorizeRequest {
            redirect_uri: platform_redirect,
            state: &state,
            scope: req.scope.as_deref(),
            nonce: nonce.as_deref(),
        };
        let url = self
            .platforms
            .authorize_url(req.platform, &request)
            .map_err(|refusal| match refusal {
                AuthorizeRefusal::NotConfigured => AppError::Forbidden,
                AuthorizeRefusal::NoBrowserFlow => AppError::bad(Field::Platform, InputProblem::NotAllowed),
                AuthorizeRefusal::Scope => AppError::bad(Field::Scope, InputProblem::NotAllowed),
            })?;
        let now = self.clock.now();
        let new = NewState {
            platform: req.platform.as_str().to_string(),
            redirect_uri: req.redirect_uri,
            code_challenge: challenge.to_string(),
            nonce,
        };
        let expires_at = now + Duration::seconds(STATE_TTL_SECONDS);
        store::oauth_states::insert(&self.db, &hash_opaque(&state), new, now, expires_at).await?;
        Ok(AuthorizeUrl {
            url,
            state,
            expires_in: STATE_TTL_SECONDS,
        })
    }

    /// Uses up the state and checks what the flow bound to it; any mismatch
    /// is CODE_INVALID, and the code has not been sent anywhere.
    pub(super) async fn redeem_state(
        &self,
        platform: Platform,
        ret: BrowserReturn,
    ) -> Result<PlatformCredential, AppError> {
        if ret.state.len() > 128 || !ret.state.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(AppError::CodeInvalid);
        }
        let flow = store::oauth_states::take(&self.db, &hash_opaque(&ret.state), self.clock.now())
            .await?
            .ok_or(AppError::CodeInvalid)?;
        let challenge = pkce_challenge(&ret.verifier);
        let fits = flow.platform == platform.as_str()
            && ret.redirect_uri.as_ref().is_none_or(|uri| *uri == flow.redirect_uri)
            && constant_time_eq(challenge.as_bytes(), flow.code_challenge.as_bytes());
        if !fits {
            tracing::info!(%platform, "browser sign-in refused: the state was for another platform, redirect or verifier");
            return Err(AppError::CodeInvalid);
        }
        let redirect_uri = match platform {
            Platform::Apple => self.apps.browser.apple_callback.clone(),
            _ => flow.redirect_uri,
        };
        Ok(PlatformCredential::RedirectCode {
            code: ret.code,
            redirect_uri,
            nonce: flow.nonce,
        })
    }

    /// Apple's form_post to `/oauth/apple/callback`: where to send the browser
    /// on (the flow's redirect URI with `code` and `state`, or `error` and
    /// `state` when the user cancelled). The state stays for `thirdPartyLogin`.
    pub async fn apple_return(
        &self,
        code: Option<&str>,
        state: Option<&str>,
        error: Option<&str>,
    ) -> Result<String, AppError> {
        let state = state
            .filter(|s| s.len() <= 128 && s.bytes().all(|b| b.is_ascii_alphanumeric()))
            .ok_or(AppError::CodeInvalid)?;
        let flow = store::oauth_states::peek(&self.db, &hash_opaque(state), self.clock.now())
            .await?
            .filter(|flow| flow.platform == Platform::Apple.as_str())
            .ok_or(AppError::CodeInvalid)?;
        let mut url = reqwest::Url::parse(&flow.redirect_uri)
            .map_err(|err| AppError::Internal(format!("stored redirect URI does not parse: {err}")))?;
        let (name, value) = match (code.filter(|c| !c.is_empty()), error) {
            (Some(code), None) => ("code", code),
            // Apple's words (user_cancelled_authorize, …); anything else is not passed on.
            (_, error) => (
                "error",
                error
                    .filter(|e| e.len() <= 64 && e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
                    .unwrap_or("invalid_request"),
            ),
        };
        url.query_pairs_mut()
            .append_pair(name, value)
            .append_pair("state", state);
        Ok(url.into())
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}
