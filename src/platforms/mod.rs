//! Clients for the third-party login platforms (WeChat, Apple, QQ, Weibo).
//!
//! Each platform turns a credential the user's app obtained (an OAuth code, a
//! mini-program login code or an Apple identity token) into a platform user id.
//! Nothing here logs secrets, session keys, codes or tokens.

mod apple;
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

pub use config::{AppleConfig, OAuthWebAppConfig, PlatformsConfig, WeChatAppConfig};
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
}

/// What the client app sends us to prove who the user is on a platform.
#[derive(Clone)]
pub enum PlatformCredential {
    /// WeChat app / official account OAuth code, mini-program `wx.login` code, QQ or Weibo OAuth code.
    Code(String),
    /// The `identityToken` JWT from Sign in with Apple.
    AppleIdentityToken(String),
}

// Hand-written so a credential never ends up in a log line through `{:?}`.
impl fmt::Debug for PlatformCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlatformCredential::Code(_) => f.write_str("Code(<redacted>)"),
            PlatformCredential::AppleIdentityToken(_) => f.write_str("AppleIdentityToken(<redacted>)"),
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
    qq: Option<qq::QqClient>,
    weibo: Option<weibo::WeiboClient>,
}

impl PlatformClients {
    /// Builds the clients and one shared HTTP connection pool from the configuration.
    pub fn new(cfg: PlatformsConfig) -> Self {
        let http = Http::new(cfg.timeout);
        PlatformClients {
            wechat_phone: cfg
                .wx_small
                .clone()
                .map(|small| wechat_phone::PhoneClient::new(http.clone(), &cfg.wechat_base_url, small)),
            wechat: wechat::WeChatClient::new(
                http.clone(),
                &cfg.wechat_base_url,
                cfg.wx_app,
                cfg.wx_public,
                cfg.wx_small,
            ),
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
            Platform::WxApp | Platform::WxPublic | Platform::WxSmall => self.wechat.is_configured(platform),
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
        let code = match (platform, credential) {
            (Platform::Apple, PlatformCredential::AppleIdentityToken(token)) => {
                let apple = self.apple.as_ref().ok_or_else(not_configured)?;
                return apple.verify(token).await;
            }
            (Platform::Apple, PlatformCredential::Code(_)) => {
                let detail = "Sign in with Apple needs an identity token";
                return Err(PlatformError::rejected(platform, detail));
            }
            (_, PlatformCredential::AppleIdentityToken(_)) => {
                let detail = "this platform needs an authorization code";
                return Err(PlatformError::rejected(platform, detail));
            }
            (_, PlatformCredential::Code(code)) => code,
        };
        check_code(platform, code)?;
        match platform {
            Platform::WxApp | Platform::WxPublic => self.wechat.oauth_code(platform, code).await,
            Platform::WxSmall => self.wechat.mini_program_code(code).await,
            Platform::Qq => self.qq.as_ref().ok_or_else(not_configured)?.verify(code).await,
            Platform::Wb => self.weibo.as_ref().ok_or_else(not_configured)?.verify(code).await,
            Platform::Apple => Err(not_configured()),
        }
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
mod tests {
    use super::*;

    #[test]
    fn platform_wire_strings_round_trip() {
        for platform in Platform::all() {
            assert_eq!(platform.as_str().parse::<Platform>(), Ok(platform));
            let json = serde_json::to_string(&platform).unwrap();
            assert_eq!(json, format!("\"{}\"", platform.as_str()));
        }
        assert_eq!("wx_app".parse::<Platform>(), Ok(Platform::WxApp));
        assert_eq!("wb".parse::<Platform>(), Ok(Platform::Wb));
        assert!("weixin".parse::<Platform>().is_err());
        assert!("WX_APP".parse::<Platform>().is_err());
    }

    #[test]
    fn clients_can_be_shared_by_axum_handlers() {
        fn assert_send_sync<T: Send + Sync>(_: &T) {}
        fn assert_send<T: Send>(_: &T) {}
        let clients = PlatformClients::new(PlatformsConfig::default());
        assert_send_sync(&clients);
        let credential = PlatformCredential::Code("c".into());
        assert_send(&clients.verify(Platform::WxApp, &credential));
        assert_send(&clients.mini_program_phone("c"));
    }

    #[test]
    fn credential_debug_hides_the_secret() {
        let code = PlatformCredential::Code("081abcSECRETcode".into());
        let token = PlatformCredential::AppleIdentityToken("eyJhbGciOi.SECRET".into());
        assert!(!format!("{code:?}").contains("SECRET"));
        assert!(!format!("{token:?}").contains("SECRET"));
    }

    #[tokio::test]
    async fn unconfigured_platforms_say_so_without_network() {
        let clients = PlatformClients::new(PlatformsConfig::default());
        for platform in Platform::all() {
            assert!(!clients.is_configured(platform));
            let credential = if platform == Platform::Apple {
                PlatformCredential::AppleIdentityToken("x.y.z".into())
            } else {
                PlatformCredential::Code("code".into())
            };
            let err = clients.verify(platform, &credential).await.unwrap_err();
            assert!(matches!(err, PlatformError::NotConfigured(p) if p == platform));
        }
        let err = clients.mini_program_phone("code").await.unwrap_err();
        assert!(matches!(err, PlatformError::NotConfigured(Platform::WxSmall)));
    }

    #[tokio::test]
    async fn wrong_credential_kind_is_rejected() {
        let cfg = PlatformsConfig {
            apple: Some(AppleConfig {
                client_ids: vec!["com.example.app".into()],
            }),
            qq: Some(OAuthWebAppConfig {
                app_id: "101".into(),
                secret: SecretString::from("k"),
                redirect_uri: "https://example.com/cb".into(),
            }),
            // Unroutable on purpose: nothing may be sent in this test.
            apple_keys_url: "http://127.0.0.1:9/keys".into(),
            qq_base_url: "http://127.0.0.1:9".into(),
            ..PlatformsConfig::default()
        };
        let clients = PlatformClients::new(cfg);
        let err = clients
            .verify(Platform::Apple, &PlatformCredential::Code("c".into()))
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            PlatformError::Rejected {
                platform: Platform::Apple,
                ..
            }
        ));
        let err = clients
            .verify(Platform::Qq, &PlatformCredential::AppleIdentityToken("t".into()))
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            PlatformError::Rejected {
                platform: Platform::Qq,
                ..
            }
        ));
        let err = clients
            .verify(Platform::Qq, &PlatformCredential::Code("  ".into()))
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            PlatformError::Rejected {
                platform: Platform::Qq,
                ..
            }
        ));
    }
}

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
