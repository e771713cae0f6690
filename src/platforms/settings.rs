//! The platform settings as CLI flags and environment variables, and their
//! one conversion into the clients' [`PlatformsConfig`]. A platform whose id
//! or secret is left empty is simply not offered (`thirdPartyLogin` answers
//! FORBIDDEN for it); half a pair is a start-up error.

use std::time::Duration;

use clap::Args;
use secrecy::SecretString;

use super::{AppleConfig, OAuthWebAppConfig, Platform, PlatformsConfig, WeChatAppConfig};

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
    /// Sign in with Apple: accepted `aud` values (bundle id, services id), comma-separated.
    /// The first one keys Apple bindings, since Apple's `sub` is the same for all of them.
    #[arg(long, env = "ZHANGHAO_APPLE_CLIENT_IDS", default_value = "")]
    pub apple_client_ids: String,
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
            .field("apple_client_ids", &self.apple_client_ids)
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
            .field("platform_timeout", &self.platform_timeout)
            .finish()
    }
}

impl PlatformSettings {
    /// The clients' configuration; the error names the variable to fix.
    pub fn platforms_config(&self) -> Result<PlatformsConfig, String> {
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
            apple: (!apple_ids.is_empty()).then_some(AppleConfig { client_ids: apple_ids }),
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
            Platform::Qq => self.qq_app_id.trim(),
            Platform::Wb => self.wb_app_key.trim(),
            Platform::Apple => return self.apple_client_ids().into_iter().next().unwrap_or_default(),
        };
        id.to_string()
    }

    fn apple_client_ids(&self) -> Vec<String> {
        self.apple_client_ids
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .collect()
    }
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
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: PlatformSettings,
    }

    fn settings(args: &[&str]) -> PlatformSettings {
        let mut argv = vec!["zhanghao"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .map(|cli| cli.settings)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn nothing_configured_by_default() {
        let cfg = settings(&[]).platforms_config().unwrap_or_else(|e| panic!("{e}"));
        assert!(cfg.wx_app.is_none() && cfg.apple.is_none() && cfg.qq.is_none() && cfg.wb.is_none());
        assert_eq!(cfg.wechat_base_url, "https://api.weixin.qq.com");
    }

    #[test]
    fn half_a_pair_is_refused_and_names_the_variable() {
        let err = settings(&["--wx-app-id", "wx1"])
            .platforms_config()
            .err()
            .unwrap_or_default();
        assert!(err.contains("ZHANGHAO_WX_APP_SECRET"), "{err}");
        let err = settings(&["--qq-app-id", "1", "--qq-app-key", "k"])
            .platforms_config()
            .err()
            .unwrap_or_default();
        assert!(err.contains("ZHANGHAO_QQ_REDIRECT_URI"), "{err}");
        let err = settings(&["--wechat-api-base", "api.weixin.qq.com"])
            .platforms_config()
            .err()
            .unwrap_or_default();
        assert!(err.contains("ZHANGHAO_WECHAT_API_BASE"), "{err}");
    }

    #[test]
    fn app_ids_key_the_bindings_and_secrets_stay_out_of_debug() {
        let s = settings(&[
            "--wx-app-id",
            "wx1",
            "--wx-app-secret",
            "s3cr3t",
            "--apple-client-ids",
            " com.a.app , com.a.web",
        ]);
        assert_eq!(s.app_id(Platform::WxApp), "wx1");
        assert_eq!(s.app_id(Platform::Apple), "com.a.app");
        assert_eq!(s.app_id(Platform::Qq), "");
        let cfg = s.platforms_config().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.apple.map(|a| a.client_ids.len()), Some(2));
        assert!(!format!("{s:?}").contains("s3cr3t"));
    }
}
