//! Clients for the third-party login platforms (WeChat, Apple, QQ, Weibo).
//!
//! Each platform turns a credential the user's app obtained (an OAuth code, a
//! mini-program login code or an Apple identity token) into a platform user id.
//! Nothing here logs secrets, session keys, codes or tokens.

mod apple;
mod apple_web;
pub mod authorize;
mod config;
mod crypto;
pub(crate) mod http;
mod qq;
mod settings;
mod wechat;
mod wechat_phone;
mod weibo;

use std::fmt;

use secrecy::SecretString;

use crate::crypto::signing_keys::KeySeal;

pub use authorize::{AuthorizeRefusal, AuthorizeRequest};
pub use config::{AppleConfig, AppleWebConfig, OAuthWebAppConfig, PlatformsConfig, WeChatAppConfig};
pub use crypto::decrypt_mini_program_data;
pub use settings::PlatformSettings;

pub use crate::domain::{Platform, UnknownPlatform};

use http::{Http, lenient_i64, lenient_string};

/// Who the platform says the user is, once their credential has been checked.
#[derive(Debug, Clone)]
pub struct VerifiedIdentity {
    /// The platform that vouched for the user.
    pub platform: Platform,
    /// Our app id on that platform (for Apple: the audience the token was issued to).
    pub app_id: String,
    /// The user's id: per app on WeChat and QQ, per developer team on Apple, global on Weibo.
    pub openid: String,
    /// The user's id across all apps of one WeChat open platform / QQ developer account.
    pub unionid: Option<String>,
    /// Mini-program only: needed later to decrypt `encryptedData`.
    pub session_key: Option<SecretString>,
    /// Apple on the web: the refresh token that revokes the authorisation, sealed
    /// (only [`PlatformClients::revoke`] opens it), to be kept with the binding.
    pub revocation: Option<String>,
}

/// What the client app sends us to prove who the user is on a platform.
#[derive(Clone)]
pub enum PlatformCredential {
    /// WeChat app / official account OAuth code, mini-program `wx.login` code, QQ or Weibo OAuth code,
    /// obtained by a native SDK (QQ and Weibo exchange it with the configured redirect URI).
    Code(String),
    /// A code a browser brought back from an authorize URL: the exchange names the redirect URI
    /// that URL had, and an Apple identity token must carry the flow's nonce.
    RedirectCode {
        code: String,
        redirect_uri: String,
        nonce: Option<String>,
    },
    /// The `identityToken` JWT from Sign in with Apple; with a nonce, the token must carry it.
    AppleIdentityToken { token: String, nonce: Option<String> },
}

// Hand-written so a credential never ends up in a log line through `{:?}`.
impl fmt::Debug for PlatformCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlatformCredential::Code(_) => f.write_str("Code(<redacted>)"),
            PlatformCredential::RedirectCode { redirect_uri, .. } => {
                write!(f, "RedirectCode(<redacted>, {redirect_uri})")
            }
            PlatformCredential::AppleIdentityToken { .. } => f.write_str("AppleIdentityToken(<redacted>)"),
        }
    }
}

/// Why a platform call failed, split so the API layer can pick the right status code.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The platform has no app id / secret in our configuration.
    #[error("platform {0} is not configured")]
    NotConfigured(Platform),
    /// The platform said the credential is bad (invalid, used or expired code, bad token): a client error.
    #[error("{platform} rejected the credential: {detail}")]
    Rejected { platform: Platform, detail: String },
    /// Network failure, timeout, 5xx, busy platform or our own misconfiguration: retry later.
    #[error("{platform} is unavailable: {detail}")]
    Unavailable { platform: Platform, detail: String },
    /// Data from the platform did not check out (decryption failed, watermark mismatch).
    #[error("invalid platform data: {0}")]
    InvalidData(String),
}

impl PlatformError {
    fn rejected(platform: Platform, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        tracing::debug!(%platform, %detail, "platform rejected credential");
        PlatformError::Rejected { platform, detail }
    }

    fn unavailable(platform: Platform, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        tracing::warn!(%platform, %detail, "platform unavailable");
        PlatformError::Unavailable { platform, detail }
    }
}

// Platform codes are short; anything huge is junk we need not forward.
const MAX_CODE_LEN: usize = 512;

/// The server's single entry point to all platforms; cheap to share behind an `Arc`.
pub struct PlatformClients {
    wechat: wechat::WeChatClient,
    wechat_phone: Option<wechat_phone::PhoneClient>,
    apple: Option<apple::AppleVerifier>,
    apple_web: Option<apple_web::AppleWebClient>,
    authorize: authorize::Authorizer,
    /// Seals the tokens kept for revocation; without one none are kept.
    revocation_seal: Option<KeySeal>,
    qq: Option<qq::QqClient>,
    weibo: Option<weibo::WeiboClient>,
}

impl PlatformClients {
    /// Builds the clients and one shared HTTP connection pool from the configuration.
    pub fn new(cfg: PlatformsConfig) -> Self {
        let http = Http::new(cfg.timeout);
        PlatformClients {
            revocation_seal: None,
            authorize: authorize::Authorizer::new(&cfg),
            apple_web: cfg
                .apple_web
                .as_ref()
                .map(|web| apple_web::AppleWebClient::new(http.clone(), &cfg.apple_auth_base_url, web)),
            wechat_phone: cfg
                .wx_small
                .clone()
                .map(|small| wechat_phone::PhoneClient::new(http.clone(), &cfg.wechat_base_url, small)),
            wechat: wechat::WeChatClient::new(http.clone(), &cfg),
            apple: cfg.apple.map(|apple| {
                apple::AppleVerifier::new(
                    http.clone(),
                    &cfg.apple_keys_url,
                    apple.client_ids,
                    cfg.apple_keys_ttl,
                    cfg.apple_keys_min_refetch,
                )
            }),
            qq: cfg.qq.map(|qq| qq::QqClient::new(http.clone(), &cfg.qq_base_url, qq)),
            weibo: cfg
                .wb
                .map(|wb| weibo::WeiboClient::new(http.clone(), &cfg.weibo_base_url, wb)),
        }
    }

    /// Whether the platform has credentials configured, so the API can hide login buttons it cannot serve.
    pub fn is_configured(&self, platform: Platform) -> bool {
        match platform {
            Platform::WxApp | Platform::WxPublic | Platform::WxSmall | Platform::WxWeb => {
                self.wechat.is_configured(platform)
            }
            Platform::Apple => self.apple.is_some(),
            Platform::Qq => self.qq.is_some(),
            Platform::Wb => self.weibo.is_some(),
        }
    }

    /// Checks a credential with its platform and returns who the user is there.
    pub async fn verify(
        &self,
        platform: Platform,
        credential: &PlatformCredential,
    ) -> Result<VerifiedIdentity, PlatformError> {
        let not_configured = || PlatformError::NotConfigured(platform);
        if !self.is_configured(platform) {
            return Err(not_configured());
        }
        if platform == Platform::Apple {
            let apple = self.apple.as_ref().ok_or_else(not_configured)?;
            return match credential {
                PlatformCredential::AppleIdentityToken { token, nonce } => apple.verify(token, nonce.as_deref()).await,
                PlatformCredential::RedirectCode {
                    code,
                    redirect_uri,
                    nonce,
                } => {
                    let web = self.apple_web.as_ref().ok_or_else(not_configured)?;
                    check_code(platform, code)?;
                    let tokens = web.exchange(code, redirect_uri).await?;
                    let mut identity = apple.verify(&tokens.id_token, nonce.as_deref()).await?;
                    identity.revocation = tokens.refresh_token.and_then(|token| self.seal_revocation(&token));
                    Ok(identity)
                }
                PlatformCredential::Code(_) => Err(PlatformError::rejected(
                    platform,
                    "Sign in with Apple needs an identity token",
                )),
            };
        }
        let (code, redirect_uri) = match credential {
            PlatformCredential::Code(code) => (code, None),
            PlatformCredential::RedirectCode { code, redirect_uri, .. } => (code, Some(redirect_uri.as_str())),
            PlatformCredential::AppleIdentityToken { .. } => {
                let detail = "this platform needs an authorization code";
                return Err(PlatformError::rejected(platform, detail));
            }
        };
        check_code(platform, code)?;
        match platform {
            Platform::WxApp | Platform::WxPublic | Platform::WxWeb => self.wechat.oauth_code(platform, code).await,
            Platform::WxSmall => self.wechat.mini_program_code(code).await,
            Platform::Qq => {
                let qq = self.qq.as_ref().ok_or_else(not_configured)?;
                qq.verify(code, redirect_uri).await
            }
            Platform::Wb => {
                let weibo = self.weibo.as_ref().ok_or_else(not_configured)?;
                weibo.verify(code, redirect_uri).await
            }
            Platform::Apple => Err(not_configured()),
        }
    }

    /// Keeps the tokens that revoke a user's authorisation (Apple's), sealed
    /// under a key derived from `secret`.
    pub fn keep_revocation_tokens(mut self, secret: &SecretString) -> Self {
        self.revocation_seal = Some(KeySeal::for_purpose(secret, b"zhanghao platform revocation seal v1"));
        self
    }

    fn seal_revocation(&self, token: &str) -> Option<String> {
        let seal = self.revocation_seal.as_ref()?;
        seal.seal_for("apple refresh token", token.as_bytes())
            .map_err(|err| tracing::warn!(%err, "an Apple refresh token could not be sealed; it is not kept"))
            .ok()
    }

    /// Revokes an authorisation kept as `sealed` (account deletion). Best
    /// effort: the account is gone either way, and a failure is logged.
    pub async fn revoke(&self, platform: Platform, sealed: &str) -> Result<(), PlatformError> {
        let web = self.apple_web.as_ref().filter(|_| platform == Platform::Apple);
        let (Some(web), Some(seal)) = (web, self.revocation_seal.as_ref()) else {
            return Err(PlatformError::NotConfigured(platform));
        };
        let token = seal
            .open_for("apple refresh token", sealed)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| PlatformError::InvalidData("the kept Apple token does not open".into()))?;
        web.revoke(&token).await
    }

    /// The URL that starts a browser sign-in with `platform`: see [`authorize`].
    pub fn authorize_url(
        &self,
        platform: Platform,
        request: &AuthorizeRequest<'_>,
    ) -> Result<String, AuthorizeRefusal> {
        self.authorize.url(platform, request)
    }

    /// Exchanges a mini-program `getPhoneNumber` code for the user's phone number,
    /// as `+<countryCode><purePhoneNumber>` (e.g. `+8613800138000`).
    pub async fn mini_program_phone(&self, phone_code: &str) -> Result<String, PlatformError> {
        let platform = Platform::WxSmall;
        let phone = self
            .wechat_phone
            .as_ref()
            .ok_or(PlatformError::NotConfigured(platform))?;
        check_code(platform, phone_code)?;
        phone.phone_number(phone_code).await
    }
}

fn check_code(platform: Platform, code: &str) -> Result<(), PlatformError> {
    if code.trim().is_empty() {
        return Err(PlatformError::rejected(platform, "empty code"));
    }
    if code.len() > MAX_CODE_LEN {
        return Err(PlatformError::rejected(platform, "code too long"));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

/// Helpers shared by the loopback stand-ins in the platform tests.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod test_support {
    use std::net::SocketAddr;

    /// Serves `router` on an ephemeral loopback port and returns its base URL.
    pub async fn serve(router: axum::Router) -> String {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        format!("http://{addr}")
    }
}
