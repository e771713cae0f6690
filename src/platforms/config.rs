//! Settings for the platform clients, filled in by the server's configuration layer.

use std::time::Duration;

use secrecy::SecretString;

/// App id and secret of one WeChat app (mobile app, official account or mini-program).
#[derive(Debug, Clone)]
pub struct WeChatAppConfig {
    /// The `appid` (wx…).
    pub app_id: String,
    /// The `AppSecret`.
    pub secret: SecretString,
}

/// Sign in with Apple settings; no secret is needed to check identity tokens.
#[derive(Debug, Clone)]
pub struct AppleConfig {
    /// Accepted `aud` values: the iOS bundle id and/or the web services id.
    pub client_ids: Vec<String>,
}

/// Sign in with Apple on the web: the Services ID and the key that signs the
/// client secret Apple's `/auth/token` asks for when exchanging a code.
#[derive(Debug, Clone)]
pub struct AppleWebConfig {
    /// The Services ID (the web `client_id`).
    pub services_id: String,
    /// The developer team id (the client secret's `iss`).
    pub team_id: String,
    /// The id of the Sign in with Apple key (the client secret's `kid`).
    pub key_id: String,
    /// That key, PKCS#8 PEM (the `.p8` file Apple hands out).
    pub private_key: SecretString,
    /// Where Apple sends the form_post: this server's `/oauth/apple/callback`.
    pub callback_uri: String,
}

/// An OAuth web app on QQ Connect or Weibo, where the code exchange needs the redirect URI.
#[derive(Debug, Clone)]
pub struct OAuthWebAppConfig {
    /// QQ `client_id` (APP ID) or Weibo `client_id` (App Key).
    pub app_id: String,
    /// QQ APP Key or Weibo App Secret.
    pub secret: SecretString,
    /// Must equal the `redirect_uri` the client used when asking for the code.
    pub redirect_uri: String,
}

/// Everything needed to talk to the platforms; a platform left `None` answers `NotConfigured`.
#[derive(Debug, Clone)]
pub struct PlatformsConfig {
    /// WeChat login in a native app (open platform mobile app).
    pub wx_app: Option<WeChatAppConfig>,
    /// WeChat official account web authorisation.
    pub wx_public: Option<WeChatAppConfig>,
    /// WeChat mini-program; also used for phone numbers.
    pub wx_small: Option<WeChatAppConfig>,
    /// WeChat website app (网站应用): QR-code sign-in on PC sites.
    pub wx_web: Option<WeChatAppConfig>,
    /// Sign in with Apple.
    pub apple: Option<AppleConfig>,
    /// Sign in with Apple in a browser (code exchange); needs `apple` too.
    pub apple_web: Option<AppleWebConfig>,
    /// QQ Connect.
    pub qq: Option<OAuthWebAppConfig>,
    /// Weibo.
    pub wb: Option<OAuthWebAppConfig>,
    /// Default `https://api.weixin.qq.com`; tests point it at a loopback stand-in.
    pub wechat_base_url: String,
    /// Default `https://appleid.apple.com/auth/keys`.
    pub apple_keys_url: String,
    /// Default `https://appleid.apple.com`: `/auth/authorize` and `/auth/token`.
    pub apple_auth_base_url: String,
    /// Default `https://open.weixin.qq.com`: WeChat's browser authorize pages.
    pub wechat_open_base_url: String,
    /// Default `https://graph.qq.com`.
    pub qq_base_url: String,
    /// Default `https://api.weibo.com`.
    pub weibo_base_url: String,
    /// Whole-request timeout for every platform call.
    pub timeout: Duration,
    /// How long Apple's signing keys are trusted before they are fetched again.
    pub apple_keys_ttl: Duration,
    /// Least time between two Apple key fetches caused by unknown `kid`s, so junk tokens cannot make us hammer Apple.
    pub apple_keys_min_refetch: Duration,
}

impl Default for PlatformsConfig {
    fn default() -> Self {
        PlatformsConfig {
            wx_app: None,
            wx_public: None,
            wx_small: None,
            wx_web: None,
            apple: None,
            apple_web: None,
            qq: None,
            wb: None,
            wechat_base_url: "https://api.weixin.qq.com".to_string(),
            apple_keys_url: "https://appleid.apple.com/auth/keys".to_string(),
            apple_auth_base_url: "https://appleid.apple.com".to_string(),
            wechat_open_base_url: "https://open.weixin.qq.com".to_string(),
            qq_base_url: "https://graph.qq.com".to_string(),
            weibo_base_url: "https://api.weibo.com".to_string(),
            timeout: Duration::from_secs(5),
            apple_keys_ttl: Duration::from_secs(3600),
            apple_keys_min_refetch: Duration::from_secs(60),
        }
    }
}
