//! Authorize URLs: where a browser sign-in starts. Each platform's page asks
//! the user, then sends the browser to our redirect URI with `code` and
//! `state`. The URLs follow each platform's published web-authorisation
//! document: WeChat 网站应用微信登录 (`qrconnect`) and 公众号网页授权
//! (`oauth2/authorize … #wechat_redirect`, parameters in the documented
//! order, which WeChat checks), QQ互联 `oauth2.0/authorize`, Weibo
//! `oauth2/authorize`, and Sign in with Apple for the web (`response_mode=form_post`).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{Platform, PlatformsConfig};

/// RFC 3986 unreserved characters stay; everything else (space too) is `%XX`.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// What an authorize URL carries besides the app's own id.
#[derive(Debug, Clone, Copy)]
pub struct AuthorizeRequest<'a> {
    /// The allow-listed URI the platform sends the browser back to (for Apple: our callback).
    pub redirect_uri: &'a str,
    pub state: &'a str,
    /// The platform's own scope words; each platform has a default.
    pub scope: Option<&'a str>,
    /// Apple only: the nonce its identity token will carry.
    pub nonce: Option<&'a str>,
}

/// Why no authorize URL was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizeRefusal {
    /// The operator has not configured this platform (for Apple: its web sign-in).
    NotConfigured,
    /// The platform has no browser sign-in (the mobile app and the mini-program).
    NoBrowserFlow,
    /// The scope is not one the platform offers to this kind of app.
    Scope,
}

/// App ids and authorize pages of the platforms with a browser flow.
pub(super) struct Authorizer {
    wx_public: Option<String>,
    wx_web: Option<String>,
    qq: Option<String>,
    wb: Option<String>,
    apple: Option<String>,
    wechat_open_base: String,
    qq_base: String,
    weibo_base: String,
    apple_base: String,
}

impl Authorizer {
    pub(super) fn new(cfg: &PlatformsConfig) -> Self {
        let base = |url: &str| url.trim_end_matches('/').to_string();
        Authorizer {
            wx_public: cfg.wx_public.as_ref().map(|app| app.app_id.clone()),
            wx_web: cfg.wx_web.as_ref().map(|app| app.app_id.clone()),
            qq: cfg.qq.as_ref().map(|app| app.app_id.clone()),
            wb: cfg.wb.as_ref().map(|app| app.app_id.clone()),
            apple: cfg
                .apple
                .as_ref()
                .and(cfg.apple_web.as_ref())
                .map(|web| web.services_id.clone()),
            wechat_open_base: base(&cfg.wechat_open_base_url),
            qq_base: base(&cfg.qq_base_url),
            weibo_base: base(&cfg.weibo_base_url),
            apple_base: base(&cfg.apple_auth_base_url),
        }
    }

    pub(super) fn url(&self, platform: Platform, req: &AuthorizeRequest<'_>) -> Result<String, AuthorizeRefusal> {
        let app_id = match platform {
            Platform::WxPublic => &self.wx_public,
            Platform::WxWeb => &self.wx_web,
            Platform::Qq => &self.qq,
            Platform::Wb => &self.wb,
            Platform::Apple => &self.apple,
            Platform::WxApp | Platform::WxSmall => return Err(AuthorizeRefusal::NoBrowserFlow),
        };
        let app_id = app_id.as_deref().ok_or(AuthorizeRefusal::NotConfigured)?;
        let scope = scope(platform, req.scope)?;
        let (page, params, fragment) = self.page_and_params(platform, app_id, scope, req);
        let query: Vec<String> = params
            .iter()
            .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, QUERY_VALUE)))
            .collect();
        Ok(format!("{page}?{}{fragment}", query.join("&")))
    }
}

impl Authorizer {
    /// The page and its parameters, in the order the platform's document gives them.
    fn page_and_params<'a>(
        &self,
        platform: Platform,
        app_id: &'a str,
        scope: &'a str,
        req: &AuthorizeRequest<'a>,
    ) -> (String, Vec<(&'static str, &'a str)>, &'static str) {
        match platform {
            Platform::WxPublic | Platform::WxWeb => {
                let path = if platform == Platform::WxWeb {
                    "connect/qrconnect"
                } else {
                    "connect/oauth2/authorize"
                };
                let params = vec![
                    ("appid", app_id),
                    ("redirect_uri", req.redirect_uri),
                    ("response_type", "code"),
                    ("scope", scope),
                    ("state", req.state),
                ];
                (format!("{}/{path}", self.wechat_open_base), params, "#wechat_redirect")
            }
            Platform::Qq | Platform::Wb => {
                let page = match platform {
                    Platform::Qq => format!("{}/oauth2.0/authorize", self.qq_base),
                    _ => format!("{}/oauth2/authorize", self.weibo_base),
                };
                let mut params = vec![
                    ("response_type", "code"),
                    ("client_id", app_id),
                    ("redirect_uri", req.redirect_uri),
                    ("state", req.state),
                ];
                if !scope.is_empty() {
                    params.push(("scope", scope));
                }
                (page, params, "")
            }
            _ => {
                let params = vec![
                    ("response_type", "code"),
                    ("response_mode", "form_post"),
                    ("client_id", app_id),
                    ("redirect_uri", req.redirect_uri),
                    ("scope", scope),
                    ("state", req.state),
                    ("nonce", req.nonce.unwrap_or_default()),
                ];
                (format!("{}/auth/authorize", self.apple_base), params, "")
            }
        }
    }
}

/// The scope to ask for: the platform's default, or one it offers.
fn scope(platform: Platform, asked: Option<&str>) -> Result<&str, AuthorizeRefusal> {
    let asked = asked.map(str::trim).filter(|s| !s.is_empty());
    let offered: &[&'static str] = match platform {
        // Silent authorisation gives the openid; userinfo asks the user first.
        Platform::WxPublic => &["snsapi_base", "snsapi_userinfo"],
        Platform::WxWeb => &["snsapi_login"],
        Platform::Qq => &["get_user_info"],
        // Weibo needs no scope to identify the user; an empty one is sent as none.
        Platform::Wb => &["", "email"],
        Platform::Apple => &["name email", "name", "email"],
        Platform::WxApp | Platform::WxSmall => return Err(AuthorizeRefusal::NoBrowserFlow),
    };
    match asked {
        None => Ok(offered[0]),
        Some(asked) => offered
            .iter()
            .copied()
            .find(|s| *s == asked)
            .ok_or(AuthorizeRefusal::Scope),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::platforms::{AppleConfig, AppleWebConfig, OAuthWebAppConfig, WeChatAppConfig};
    use secrecy::SecretString;

    fn authorizer() -> Authorizer {
        let wechat = |id: &str| {
            Some(WeChatAppConfig {
                app_id: id.into(),
                secret: SecretString::from("s"),
            })
        };
        let oauth = |id: &str| {
            Some(OAuthWebAppConfig {
                app_id: id.into(),
                secret: SecretString::from("s"),
                redirect_uri: "https://app.example/native".into(),
            })
        };
        Authorizer::new(&PlatformsConfig {
            wx_public: wechat("wxpub"),
            wx_web: wechat("wxweb"),
            wx_app: wechat("wxapp"),
            qq: oauth("101"),
            wb: oauth("345"),
            apple: Some(AppleConfig {
                client_ids: vec!["com.example.app".into()],
            }),
            apple_web: Some(AppleWebConfig {
                services_id: "com.example.web".into(),
                team_id: "TEAM".into(),
                key_id: "KEY".into(),
                private_key: SecretString::from(""),
                callback_uri: "https://id.example/oauth/apple/callback".into(),
            }),
            ..PlatformsConfig::default()
        })
    }

    fn request<'a>(scope: Option<&'a str>, nonce: Option<&'a str>) -> AuthorizeRequest<'a> {
        AuthorizeRequest {
            redirect_uri: "https://app.example/cb?x=1",
            state: "S1",
            scope,
            nonce,
        }
    }

    #[test]
    fn wechat_urls_keep_the_documented_order_and_fragment() {
        let a = authorizer();
        assert_eq!(
            a.url(Platform::WxWeb, &request(None, None)).unwrap(),
            "https://open.weixin.qq.com/connect/qrconnect?appid=wxweb&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1\
             &response_type=code&scope=snsapi_login&state=S1#wechat_redirect"
        );
        let public = a
            .url(Platform::WxPublic, &request(Some("snsapi_userinfo"), None))
            .unwrap();
        assert!(public.starts_with("https://open.weixin.qq.com/connect/oauth2/authorize?appid=wxpub&"));
        assert!(public.ends_with("&response_type=code&scope=snsapi_userinfo&state=S1#wechat_redirect"));
        assert!(
            a.url(Platform::WxPublic, &request(None, None))
                .unwrap()
                .contains("scope=snsapi_base")
        );
    }

    #[test]
    fn qq_weibo_and_apple_urls() {
        let a = authorizer();
        assert_eq!(
            a.url(Platform::Qq, &request(None, None)).unwrap(),
            "https://graph.qq.com/oauth2.0/authorize?response_type=code&client_id=101\
             &redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1&state=S1&scope=get_user_info"
        );
        assert!(!a.url(Platform::Wb, &request(None, None)).unwrap().contains("scope"));
        let apple = a.url(Platform::Apple, &request(None, Some("N1"))).unwrap();
        assert!(
            apple.starts_with("https://appleid.apple.com/auth/authorize?response_type=code&response_mode=form_post")
        );
        assert!(apple.contains("&client_id=com.example.web&"));
        assert!(apple.contains("&scope=name%20email&state=S1&nonce=N1"));
    }

    #[test]
    fn refusals() {
        let a = authorizer();
        let none = request(None, None);
        assert_eq!(a.url(Platform::WxApp, &none), Err(AuthorizeRefusal::NoBrowserFlow));
        assert_eq!(a.url(Platform::WxSmall, &none), Err(AuthorizeRefusal::NoBrowserFlow));
        assert_eq!(
            a.url(Platform::WxWeb, &request(Some("snsapi_base"), None)),
            Err(AuthorizeRefusal::Scope)
        );
        assert_eq!(
            a.url(Platform::Apple, &request(Some("openid"), None)),
            Err(AuthorizeRefusal::Scope)
        );
        let bare = Authorizer::new(&PlatformsConfig::default());
        assert_eq!(bare.url(Platform::Qq, &none), Err(AuthorizeRefusal::NotConfigured));
    }
}
