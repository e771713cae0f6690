//! The platform settings as CLI flags and environment variables, and their
//! one conversion into the clients' [`PlatformsConfig`]. A platform whose id
//! or secret is left empty is simply not offered (`thirdPartyLogin` answers
//! FORBIDDEN for it); half a pair is a start-up error.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use secrecy::SecretString;

use super::{AppleConfig, AppleWebConfig, OAuthWebAppConfig, Platform, PlatformsConfig, WeChatAppConfig};

/// Flags of the third-party login platforms.
#[derive(Args, Clone)]
#[command(next_help_heading = "Platforms")]
pub struct PlatformSettings {
    /// WeChat open-platform mobile app `appid` (WX_APP).
    #[arg(long, env = "ZHANGHAO_WX_APP_ID", default_value = "")]
    pub wx_app_id: String,
    /// WeChat mobile app AppSecret.
    #[arg(long, env = "ZHANGHAO_WX_APP_SECRET", default_value = "", hide_env_values = true)]
    pub wx_app_secret: String,
    /// WeChat official account `appid` (WX_PUBLIC).
    #[arg(long, env = "ZHANGHAO_WX_PUBLIC_APP_ID", default_value = "")]
    pub wx_public_app_id: String,
    /// WeChat official account AppSecret.
    #[arg(
        long,
        env = "ZHANGHAO_WX_PUBLIC_APP_SECRET",
        default_value = "",
        hide_env_values = true
    )]
    pub wx_public_app_secret: String,
    /// WeChat mini-program `appid` (WX_SMALL).
    #[arg(long, env = "ZHANGHAO_WX_SMALL_APP_ID", default_value = "")]
    pub wx_small_app_id: String,
    /// WeChat mini-program AppSecret.
    #[arg(
        long,
        env = "ZHANGHAO_WX_SMALL_APP_SECRET",
        default_value = "",
        hide_env_values = true
    )]
    pub wx_small_app_secret: String,
    /// WeChat open-platform website app `appid` (WX_WEB: the QR code on PC sites).
    #[arg(long, env = "ZHANGHAO_WX_WEB_APP_ID", default_value = "")]
    pub wx_web_app_id: String,
    /// WeChat website app AppSecret.
    #[arg(long, env = "ZHANGHAO_WX_WEB_APP_SECRET", default_value = "", hide_env_values = true)]
    pub wx_web_app_secret: String,
    /// Sign in with Apple: accepted `aud` values (bundle id, services id), comma-separated.
    /// The first one keys Apple bindings, since Apple's `sub` is the same for all of them.
    #[arg(long, env = "ZHANGHAO_APPLE_CLIENT_IDS", default_value = "")]
    pub apple_client_ids: String,
    /// Sign in with Apple on the web: the Services ID (also accepted as an audience).
    /// With the team id, key id and private key it turns on Apple's browser flow.
    #[arg(long, env = "ZHANGHAO_APPLE_SERVICES_ID", default_value = "")]
    pub apple_services_id: String,
    /// The Apple developer team id.
    #[arg(long, env = "ZHANGHAO_APPLE_TEAM_ID", default_value = "")]
    pub apple_team_id: String,
    /// The id of the Sign in with Apple key.
    #[arg(long, env = "ZHANGHAO_APPLE_KEY_ID", default_value = "")]
    pub apple_key_id: String,
    /// That key: the `.p8` file's PEM text, or the path of the file.
    #[arg(long, env = "ZHANGHAO_APPLE_PRIVATE_KEY", default_value = "", hide_env_values = true)]
    pub apple_private_key: String,
    /// QQ Connect APP ID.
    #[arg(long, env = "ZHANGHAO_QQ_APP_ID", default_value = "")]
    pub qq_app_id: String,
    /// QQ Connect APP Key.
    #[arg(long, env = "ZHANGHAO_QQ_APP_KEY", default_value = "", hide_env_values = true)]
    pub qq_app_key: String,
    /// QQ Connect redirect URI (must equal the one the client used).
    #[arg(long, env = "ZHANGHAO_QQ_REDIRECT_URI", default_value = "")]
    pub qq_redirect_uri: String,
    /// Weibo App Key.
    #[arg(long, env = "ZHANGHAO_WB_APP_KEY", default_value = "")]
    pub wb_app_key: String,
    /// Weibo App Secret.
    #[arg(long, env = "ZHANGHAO_WB_APP_SECRET", default_value = "", hide_env_values = true)]
    pub wb_app_secret: String,
    /// Weibo redirect URI (must equal the one the client used).
    #[arg(long, env = "ZHANGHAO_WB_REDIRECT_URI", default_value = "")]
    pub wb_redirect_uri: String,
    /// WeChat API base URL.
    #[arg(long, env = "ZHANGHAO_WECHAT_API_BASE", default_value = "https://api.weixin.qq.com")]
    pub wechat_api_base: String,
    /// Apple's signing keys (JWKS).
    #[arg(
        long,
        env = "ZHANGHAO_APPLE_KEYS_URL",
        default_value = "https://appleid.apple.com/auth/keys"
    )]
    pub apple_keys_url: String,
    /// QQ Connect API base URL.
    #[arg(long, env = "ZHANGHAO_QQ_API_BASE", default_value = "https://graph.qq.com")]
    pub qq_api_base: String,
    /// Weibo API base URL.
    #[arg(long, env = "ZHANGHAO_WEIBO_API_BASE", default_value = "https://api.weibo.com")]
    pub weibo_api_base: String,
    /// WeChat's browser authorize pages (`qrconnect`, `oauth2/authorize`).
    #[arg(
        long,
        env = "ZHANGHAO_WECHAT_OPEN_BASE",
        default_value = "https://open.weixin.qq.com"
    )]
    pub wechat_open_base: String,
    /// Sign in with Apple's `/auth/authorize` and `/auth/token`.
    #[arg(long, env = "ZHANGHAO_APPLE_AUTH_BASE", default_value = "https://appleid.apple.com")]
    pub apple_auth_base: String,
    /// Where browser sign-ins may return (`thirdPartyAuthorizeUrl`'s `redirectUri`): exact URLs,
    /// comma-separated. Empty: no browser sign-in.
    #[arg(long, env = "ZHANGHAO_OAUTH_REDIRECT_URIS", default_value = "")]
    pub oauth_redirect_uris: String,
    /// This server's public base URL (Apple posts to `<it>/oauth/apple/callback`);
    /// default `http://` + the listen address.
    #[arg(long, help_heading = "HTTP", env = "ZHANGHAO_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Whole-request timeout of each platform call, seconds.
    #[arg(long, env = "ZHANGHAO_PLATFORM_TIMEOUT", default_value_t = 5)]
    pub platform_timeout: u64,
}

// Hand-written so the app secrets never reach a log through `{config:?}`.
impl std::fmt::Debug for PlatformSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = |s: &str| if s.is_empty() { "" } else { "<redacted>" };
        f.debug_struct("PlatformSettings")
            .field("wx_app_id", &self.wx_app_id)
            .field("wx_app_secret", &secret(&self.wx_app_secret))
            .field("wx_public_app_id", &self.wx_public_app_id)
            .field("wx_public_app_secret", &secret(&self.wx_public_app_secret))
            .field("wx_small_app_id", &self.wx_small_app_id)
            .field("wx_small_app_secret", &secret(&self.wx_small_app_secret))
            .field("wx_web_app_id", &self.wx_web_app_id)
            .field("wx_web_app_secret", &secret(&self.wx_web_app_secret))
            .field("apple_client_ids", &self.apple_client_ids)
            .field("apple_services_id", &self.apple_services_id)
            .field("apple_team_id", &self.apple_team_id)
            .field("apple_key_id", &self.apple_key_id)
            .field("apple_private_key", &secret(&self.apple_private_key))
            .field("qq_app_id", &self.qq_app_id)
            .field("qq_app_key", &secret(&self.qq_app_key))
            .field("qq_redirect_uri", &self.qq_redirect_uri)
            .field("wb_app_key", &self.wb_app_key)
            .field("wb_app_secret", &secret(&self.wb_app_secret))
            .field("wb_redirect_uri", &self.wb_redirect_uri)
            .field("wechat_api_base", &self.wechat_api_base)
            .field("apple_keys_url", &self.apple_keys_url)
            .field("qq_api_base", &self.qq_api_base)
            .field("weibo_api_base", &self.weibo_api_base)
            .field("wechat_open_base", &self.wechat_open_base)
            .field("apple_auth_base", &self.apple_auth_base)
            .field("oauth_redirect_uris", &self.oauth_redirect_uris)
            .field("public_url", &self.public_url)
            .field("platform_timeout", &self.platform_timeout)
            .finish()
    }
}

impl PlatformSettings {
    /// The clients' configuration; the error names the variable to fix.
    pub fn platforms_config(&self, listen: SocketAddr) -> Result<PlatformsConfig, String> {
        let apple_ids = self.apple_client_ids();
        Ok(PlatformsConfig {
            wx_app: wechat(&self.wx_app_id, &self.wx_app_secret, "ZHANGHAO_WX_APP")?,
            wx_public: wechat(
                &self.wx_public_app_id,
                &self.wx_public_app_secret,
                "ZHANGHAO_WX_PUBLIC_APP",
            )?,
            wx_small: wechat(
                &self.wx_small_app_id,
                &self.wx_small_app_secret,
                "ZHANGHAO_WX_SMALL_APP",
            )?,
            wx_web: wechat(&self.wx_web_app_id, &self.wx_web_app_secret, "ZHANGHAO_WX_WEB_APP")?,
            apple: (!apple_ids.is_empty()).then_some(AppleConfig { client_ids: apple_ids }),
            apple_web: self.apple_web(listen)?,
            qq: oauth(
                &self.qq_app_id,
                &self.qq_app_key,
                &self.qq_redirect_uri,
                "ZHANGHAO_QQ_APP_ID",
                "ZHANGHAO_QQ_APP_KEY",
                "ZHANGHAO_QQ_REDIRECT_URI",
            )?,
            wb: oauth(
                &self.wb_app_key,
                &self.wb_app_secret,
                &self.wb_redirect_uri,
                "ZHANGHAO_WB_APP_KEY",
                "ZHANGHAO_WB_APP_SECRET",
                "ZHANGHAO_WB_REDIRECT_URI",
            )?,
            wechat_base_url: base_url(&self.wechat_api_base, "ZHANGHAO_WECHAT_API_BASE")?,
            apple_keys_url: base_url(&self.apple_keys_url, "ZHANGHAO_APPLE_KEYS_URL")?,
            apple_auth_base_url: base_url(&self.apple_auth_base, "ZHANGHAO_APPLE_AUTH_BASE")?,
            wechat_open_base_url: base_url(&self.wechat_open_base, "ZHANGHAO_WECHAT_OPEN_BASE")?,
            qq_base_url: base_url(&self.qq_api_base, "ZHANGHAO_QQ_API_BASE")?,
            weibo_base_url: base_url(&self.weibo_api_base, "ZHANGHAO_WEIBO_API_BASE")?,
            timeout: Duration::from_secs(self.platform_timeout.max(1)),
            ..PlatformsConfig::default()
        })
    }

    /// The app id openids of `platform` belong to, "" when none is configured.
    /// Bindings are keyed by it, whichever flow (seed or verified) made them.
    pub fn app_id(&self, platform: Platform) -> String {
        let id = match platform {
            Platform::WxApp => self.wx_app_id.trim(),
            Platform::WxPublic => self.wx_public_app_id.trim(),
            Platform::WxSmall => self.wx_small_app_id.trim(),
            Platform::WxWeb => self.wx_web_app_id.trim(),
            Platform::Qq => self.qq_app_id.trim(),
            Platform::Wb => self.wb_app_key.trim(),
            Platform::Apple => return self.apple_client_ids().into_iter().next().unwrap_or_default(),
        };
        id.to_string()
    }

    /// The audiences Apple tokens may name: the client ids, then the Services ID.
    fn apple_client_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .apple_client_ids
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .collect();
        let services_id = self.apple_services_id.trim();
        if !services_id.is_empty() && !ids.iter().any(|id| id == services_id) {
            ids.push(services_id.to_string());
        }
        ids
    }

    /// The URIs `thirdPartyAuthorizeUrl` may send browsers back to: absolute
    /// http(s) URLs without a fragment (platforms append `code` and `state` to the query).
    pub fn oauth_redirect_uris(&self) -> Result<Vec<String>, String> {
        let uris = list(&self.oauth_redirect_uris);
        for uri in &uris {
            let fits = reqwest::Url::parse(uri)
                .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.fragment().is_none());
            if !fits {
                return Err(format!(
                    "ZHANGHAO_OAUTH_REDIRECT_URIS: {uri:?} is not an http(s) URL without a #fragment"
                ));
            }
        }
        Ok(uris)
    }

    /// This server's public base URL, without a trailing slash.
    pub fn public_url(&self, listen: SocketAddr) -> String {
        match self.public_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{listen}"),
        }
    }

    fn apple_web(&self, listen: SocketAddr) -> Result<Option<AppleWebConfig>, String> {
        let parts = [
            self.apple_services_id.trim(),
            self.apple_team_id.trim(),
            self.apple_key_id.trim(),
            self.apple_private_key.trim(),
        ];
        if parts.iter().all(|p| p.is_empty()) {
            return Ok(None);
        }
        if parts.iter().any(|p| p.is_empty()) {
            return Err(
                "ZHANGHAO_APPLE_SERVICES_ID, ZHANGHAO_APPLE_TEAM_ID, ZHANGHAO_APPLE_KEY_ID and \
                        ZHANGHAO_APPLE_PRIVATE_KEY must be set together"
                    .into(),
            );
        }
        let [services_id, team_id, key_id, key] = parts;
        let pem = if key.starts_with("-----BEGIN") {
            key.to_string()
        } else {
            std::fs::read_to_string(key)
                .map_err(|err| format!("cannot read ZHANGHAO_APPLE_PRIVATE_KEY file {key}: {err}"))?
        };
        if jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes()).is_err() {
            return Err("ZHANGHAO_APPLE_PRIVATE_KEY is not a PKCS#8 EC key in PEM (Apple's .p8 file)".into());
        }
        Ok(Some(AppleWebConfig {
            services_id: services_id.to_string(),
            team_id: team_id.to_string(),
            key_id: key_id.to_string(),
            private_key: SecretString::from(pem),
            callback_uri: format!("{}/oauth/apple/callback", self.public_url(listen)),
        }))
    }
}

fn list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

fn wechat(id: &str, secret: &str, prefix: &str) -> Result<Option<WeChatAppConfig>, String> {
    match (id.trim(), secret.trim()) {
        ("", "") => Ok(None),
        ("", _) | (_, "") => Err(format!("{prefix}_ID and {prefix}_SECRET must be set together")),
        (id, secret) => Ok(Some(WeChatAppConfig {
            app_id: id.to_string(),
            secret: SecretString::from(secret.to_string()),
        })),
    }
}

fn oauth(
    id: &str,
    secret: &str,
    redirect: &str,
    id_var: &str,
    secret_var: &str,
    redirect_var: &str,
) -> Result<Option<OAuthWebAppConfig>, String> {
    match (id.trim(), secret.trim(), redirect.trim()) {
        ("", "", _) => Ok(None),
        (id, secret, redirect) if !id.is_empty() && !secret.is_empty() && !redirect.is_empty() => {
            Ok(Some(OAuthWebAppConfig {
                app_id: id.to_string(),
                secret: SecretString::from(secret.to_string()),
                redirect_uri: redirect.to_string(),
            }))
        }
        _ => Err(format!(
            "{id_var}, {secret_var} and {redirect_var} must be set together"
        )),
    }
}

fn base_url(raw: &str, variable: &str) -> Result<String, String> {
    let url = raw.trim();
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(url.to_string())
    } else {
        Err(format!("{variable} must be an http(s) URL, not {raw:?}"))
    }
}

#[cfg(test)]
mod tests;
