//! WeChat login: mobile-app and official-account OAuth (`/sns/oauth2/access_token`)
//! and mini-program `code2Session` (`/sns/jscode2session`).
//!
//! WeChat answers HTTP 200 with `errcode` / `errmsg` on failure; `errcode` is
//! absent or 0 on success.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{Http, Platform, PlatformError, PlatformsConfig, VerifiedIdentity, WeChatAppConfig};

/// Errcodes that mean "try again later" rather than "bad code".
const BUSY: &[i64] = &[-1, 45009, 45011];
/// Errcodes caused by our own configuration (app id, secret, IP whitelist, permissions):
/// the user's code may be fine, so this is not their error.
const MISCONFIGURED: &[i64] = &[40001, 40013, 40125, 40164, 41002, 41004, 48001];

#[derive(Debug, Deserialize)]
struct OAuthTokenResponse {
    errcode: Option<i64>,
    errmsg: Option<String>,
    openid: Option<String>,
    unionid: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Code2SessionResponse {
    errcode: Option<i64>,
    errmsg: Option<String>,
    openid: Option<String>,
    session_key: Option<String>,
    unionid: Option<String>,
}

/// The three WeChat apps users can log in through.
pub(super) struct WeChatClient {
    http: Http,
    base_url: String,
    app: Option<WeChatAppConfig>,
    public: Option<WeChatAppConfig>,
    small: Option<WeChatAppConfig>,
    web: Option<WeChatAppConfig>,
}

impl WeChatClient {
    pub(super) fn new(http: Http, cfg: &PlatformsConfig) -> Self {
        WeChatClient {
            http,
            base_url: cfg.wechat_base_url.trim_end_matches('/').to_string(),
            app: cfg.wx_app.clone(),
            public: cfg.wx_public.clone(),
            small: cfg.wx_small.clone(),
            web: cfg.wx_web.clone(),
        }
    }

    fn config(&self, platform: Platform) -> Option<&WeChatAppConfig> {
        match platform {
            Platform::WxApp => self.app.as_ref(),
            Platform::WxPublic => self.public.as_ref(),
            Platform::WxSmall => self.small.as_ref(),
            Platform::WxWeb => self.web.as_ref(),
            _ => None,
        }
    }

    pub(super) fn is_configured(&self, platform: Platform) -> bool {
        self.config(platform).is_some()
    }

    /// Mobile app, official account and website app: `/sns/oauth2/access_token`.
    pub(super) async fn oauth_code(&self, platform: Platform, code: &str) -> Result<VerifiedIdentity, PlatformError> {
        let cfg = self.config(platform).ok_or(PlatformError::NotConfigured(platform))?;
        let request = self
            .http
            .client
            .get(format!("{}/sns/oauth2/access_token", self.base_url))
            .query(&[
                ("appid", cfg.app_id.as_str()),
                ("secret", cfg.secret.expose_secret()),
                ("code", code),
                ("grant_type", "authorization_code"),
            ]);
        let response: OAuthTokenResponse = self.http.send_json(platform, request).await?;
        check_errcode(platform, response.errcode, response.errmsg.as_deref())?;
        let openid =
            non_empty(response.openid).ok_or_else(|| PlatformError::unavailable(platform, "response has no openid"))?;
        Ok(VerifiedIdentity {
            platform,
            app_id: cfg.app_id.clone(),
            openid,
            unionid: non_empty(response.unionid),
            session_key: None,
            revocation: None,
        })
    }

    /// Mini-program: `/sns/jscode2session`.
    pub(super) async fn mini_program_code(&self, code: &str) -> Result<VerifiedIdentity, PlatformError> {
        let platform = Platform::WxSmall;
        let cfg = self.config(platform).ok_or(PlatformError::NotConfigured(platform))?;
        let request = self
            .http
            .client
            .get(format!("{}/sns/jscode2session", self.base_url))
            .query(&[
                ("appid", cfg.app_id.as_str()),
                ("secret", cfg.secret.expose_secret()),
                ("js_code", code),
                ("grant_type", "authorization_code"),
            ]);
        let response: Code2SessionResponse = self.http.send_json(platform, request).await?;
        check_errcode(platform, response.errcode, response.errmsg.as_deref())?;
        let openid =
            non_empty(response.openid).ok_or_else(|| PlatformError::unavailable(platform, "response has no openid"))?;
        Ok(VerifiedIdentity {
            platform,
            app_id: cfg.app_id.clone(),
            openid,
            unionid: non_empty(response.unionid),
            session_key: non_empty(response.session_key).map(SecretString::from),
            revocation: None,
        })
    }
}

/// Maps a WeChat errcode to our error kinds; shared with the phone number client.
pub(super) fn check_errcode(
    platform: Platform,
    errcode: Option<i64>,
    errmsg: Option<&str>,
) -> Result<(), PlatformError> {
    let code = match errcode {
        None | Some(0) => return Ok(()),
        Some(code) => code,
    };
    let detail = describe(code, errmsg);
    if BUSY.contains(&code) {
        return Err(PlatformError::unavailable(platform, detail));
    }
    if MISCONFIGURED.contains(&code) {
        tracing::error!(%platform, %detail, "WeChat refused our app credentials; check app id, secret and IP whitelist");
        return Err(PlatformError::unavailable(platform, detail));
    }
    // 40029 invalid code, 40163 code been used, 40226 risky user, and the rest.
    Err(PlatformError::rejected(platform, detail))
}

pub(super) fn describe(code: i64, errmsg: Option<&str>) -> String {
    format!("errcode {code}: {}", errmsg.unwrap_or(""))
}

pub(super) fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};

    use axum::extract::{Query, State};
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use axum::{Json, Router};
    use serde_json::{Value, json};

    use super::super::test_support::serve;
    use super::super::{PlatformClients, PlatformCredential, PlatformsConfig};
    use super::*;

    const APPS: &[(&str, &str)] = &[
        ("wxapp0001", "app-secret"),
        ("wxpub0001", "pub-secret"),
        ("wxmini0001", "mini-secret"),
    ];

    /// A stand-in for api.weixin.qq.com that checks what WeChat checks and answers in its shapes.
    #[derive(Default)]
    struct FakeWeChat {
        used_codes: Mutex<HashSet<String>>,
    }

    fn err(code: i64, msg: &str) -> Response {
        Json(json!({ "errcode": code, "errmsg": format!("{msg}, rid: 1234-5678") })).into_response()
    }

    /// Checks app credentials, then the code, as WeChat does; codes look like `appid:user`.
    #[allow(clippy::result_large_err)]
    fn check_code(fake: &FakeWeChat, q: &Value, code_field: &str) -> Result<String, Response> {
        let appid = q["appid"].as_str().unwrap_or_default();
        let secret = q["secret"].as_str().unwrap_or_default();
        let code = q[code_field].as_str().unwrap_or_default();
        match APPS.iter().find(|(id, _)| *id == appid) {
            None => return Err(err(40013, "invalid appid")),
            Some((_, s)) if *s != secret => return Err(err(40125, "invalid appsecret")),
            Some(_) => {}
        }
        if q["grant_type"] != "authorization_code" {
            return Err(err(40002, "invalid grant_type"));
        }
        match code {
            "busy" => return Err(err(-1, "system error")),
            "boom" => return Err(StatusCode::BAD_GATEWAY.into_response()),
            _ => {}
        }
        let user = match code.split_once(':') {
            Some((id, user)) if id == appid => user.to_string(),
            _ => return Err(err(40029, "invalid code")),
        };
        if !fake.used_codes.lock().unwrap().insert(code.to_string()) {
            return Err(err(40163, "code been used"));
        }
        Ok(user)
    }

    async fn oauth(State(fake): State<Arc<FakeWeChat>>, Query(q): Query<Value>) -> Response {
        match check_code(&fake, &q, "code") {
            Ok(user) => Json(json!({
                "access_token": "ACCESS_TOKEN", "expires_in": 7200, "refresh_token": "REFRESH_TOKEN",
                "openid": format!("o-{user}"), "scope": "snsapi_userinfo", "unionid": format!("u-{user}")
            }))
            .into_response(),
            Err(response) => response,
        }
    }

    async fn code2session(State(fake): State<Arc<FakeWeChat>>, Query(q): Query<Value>) -> Response {
        if q["js_code"] == "slow" {
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
        match check_code(&fake, &q, "js_code") {
            // No unionid: the mini-program is not bound to an open platform account.
            Ok(user) => Json(json!({ "openid": format!("o-{user}"), "session_key": "tiihtNczf5v6AKRyjwEUhQ==" }))
                .into_response(),
            Err(response) => response,
        }
    }

    async fn start() -> (Arc<FakeWeChat>, String) {
        let fake = Arc::new(FakeWeChat::default());
        let router = Router::new()
            .route("/sns/oauth2/access_token", get(oauth))
            .route("/sns/jscode2session", get(code2session))
            .with_state(fake.clone());
        (fake, serve(router).await)
    }

    fn app(id: &str, secret: &str) -> Option<WeChatAppConfig> {
        Some(WeChatAppConfig {
            app_id: id.into(),
            secret: SecretString::from(secret),
        })
    }

    fn clients(base_url: &str) -> PlatformClients {
        PlatformClients::new(PlatformsConfig {
            wx_app: app("wxapp0001", "app-secret"),
            wx_public: app("wxpub0001", "pub-secret"),
            wx_small: app("wxmini0001", "mini-secret"),
            wechat_base_url: base_url.into(),
            timeout: Duration::from_secs(1),
            ..PlatformsConfig::default()
        })
    }

    fn code(c: &str) -> PlatformCredential {
        PlatformCredential::Code(c.into())
    }

    #[tokio::test]
    async fn app_and_official_account_each_use_their_own_app() {
        let (_fake, url) = start().await;
        let clients = clients(&url);

        let id = clients.verify(Platform::WxApp, &code("wxapp0001:alice")).await.unwrap();
        assert_eq!(id.platform, Platform::WxApp);
        assert_eq!(id.app_id, "wxapp0001");
        assert_eq!(id.openid, "o-alice");
        assert_eq!(id.unionid.as_deref(), Some("u-alice"));
        assert!(id.session_key.is_none());

        let id = clients
            .verify(Platform::WxPublic, &code("wxpub0001:bob"))
            .await
            .unwrap();
        assert_eq!((id.app_id.as_str(), id.openid.as_str()), ("wxpub0001", "o-bob"));

        // A code issued to the mobile app is invalid for the official account.
        let err = clients
            .verify(Platform::WxPublic, &code("wxapp0001:carol"))
            .await
            .unwrap_err();
        assert!(matches!(err, PlatformError::Rejected { detail, .. } if detail.contains("40029")));
    }

    #[tokio::test]
    async fn used_or_invalid_codes_are_rejected() {
        let (_fake, url) = start().await;
        let clients = clients(&url);
        clients.verify(Platform::WxApp, &code("wxapp0001:dan")).await.unwrap();
        let err = clients
            .verify(Platform::WxApp, &code("wxapp0001:dan"))
            .await
            .unwrap_err();
        assert!(matches!(err, PlatformError::Rejected { detail, .. } if detail.contains("40163")));
        let err = clients.verify(Platform::WxSmall, &code("garbage")).await.unwrap_err();
        assert!(matches!(
            err,
            PlatformError::Rejected {
                platform: Platform::WxSmall,
                ..
            }
        ));
    }

    #[tokio::test]
    async fn mini_program_login_returns_session_key() {
        let (_fake, url) = start().await;
        let id = clients(&url)
            .verify(Platform::WxSmall, &code("wxmini0001:erin"))
            .await
            .unwrap();
        assert_eq!((id.app_id.as_str(), id.openid.as_str()), ("wxmini0001", "o-erin"));
        assert_eq!(id.unionid, None);
        let key = id.session_key.unwrap();
        assert_eq!(key.expose_secret(), "tiihtNczf5v6AKRyjwEUhQ==");
    }

    #[tokio::test]
    async fn busy_broken_slow_or_misconfigured_wechat_is_unavailable() {
        let (_fake, url) = start().await;
        let clients = clients(&url);
        for (platform, c) in [
            (Platform::WxApp, "busy"),
            (Platform::WxPublic, "boom"),
            (Platform::WxSmall, "slow"),
        ] {
            let err = clients.verify(platform, &code(c)).await.unwrap_err();
            assert!(matches!(err, PlatformError::Unavailable { .. }), "{c}: {err}");
            // Errors may reach logs: they must not carry the secret.
            assert!(!err.to_string().contains("secret"), "{err}");
        }

        let wrong_secret = PlatformClients::new(PlatformsConfig {
            wx_app: app("wxapp0001", "stale-secret"),
            wechat_base_url: url.clone(),
            ..PlatformsConfig::default()
        });
        let err = wrong_secret
            .verify(Platform::WxApp, &code("wxapp0001:fay"))
            .await
            .unwrap_err();
        assert!(matches!(err, PlatformError::Unavailable { detail, .. } if detail.contains("40125")));

        let nothing_listening = clients_on_closed_port().await;
        let err = nothing_listening
            .verify(Platform::WxApp, &code("wxapp0001:gus"))
            .await
            .unwrap_err();
        assert!(matches!(err, PlatformError::Unavailable { .. }));
    }

    async fn clients_on_closed_port() -> PlatformClients {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        clients(&url)
    }
}
