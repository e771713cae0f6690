//! Mini-program phone numbers: the `getPhoneNumber` button gives the client a
//! one-time code, which `/wxa/business/getuserphonenumber` turns into the number.
//! That call needs the mini-program's interface access token, cached here.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::wechat::{check_errcode, describe, non_empty};
use super::{Http, Platform, PlatformError, WeChatAppConfig, lenient_string};

/// Errcodes meaning our cached access token is no longer valid.
const STALE_TOKEN: &[i64] = &[40001, 40014, 42001];

// Renew the cached access token this long before WeChat says it expires.
const TOKEN_RENEW_MARGIN_SECS: u64 = 120;

#[derive(Debug, Deserialize)]
struct StableTokenResponse {
    errcode: Option<i64>,
    errmsg: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct PhoneNumberResponse {
    errcode: Option<i64>,
    errmsg: Option<String>,
    phone_info: Option<PhoneInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhoneInfo {
    phone_number: Option<String>,
    pure_phone_number: Option<String>,
    // Documented as a string, shown as a number in WeChat's own example.
    country_code: Option<serde_json::Value>,
    watermark: Option<Watermark>,
}

#[derive(Debug, Deserialize)]
struct Watermark {
    appid: Option<String>,
}

struct CachedToken {
    value: SecretString,
    renew_at: Instant,
}

/// Phone number lookups for the configured mini-program.
pub(super) struct PhoneClient {
    http: Http,
    base_url: String,
    cfg: WeChatAppConfig,
    // A mutex, not a lock-free cache, so concurrent lookups fetch the token once.
    token: tokio::sync::Mutex<Option<CachedToken>>,
}

impl PhoneClient {
    pub(super) fn new(http: Http, base_url: &str, cfg: WeChatAppConfig) -> Self {
        PhoneClient {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            cfg,
            token: tokio::sync::Mutex::new(None),
        }
    }

    /// Returns the number as `+<countryCode><purePhoneNumber>`.
    pub(super) async fn phone_number(&self, phone_code: &str) -> Result<String, PlatformError> {
        let platform = Platform::WxSmall;
        let mut response = self.request(phone_code).await?;
        if response.errcode.is_some_and(|c| STALE_TOKEN.contains(&c)) {
            // Someone else renewed or revoked the token; fetch a fresh one and try once more.
            *self.token.lock().await = None;
            response = self.request(phone_code).await?;
        }
        check_errcode(platform, response.errcode, response.errmsg.as_deref())?;

        let info = response
            .phone_info
            .ok_or_else(|| PlatformError::unavailable(platform, "response has no phone_info"))?;
        let watermark_app_id = info.watermark.and_then(|w| w.appid);
        if watermark_app_id.as_deref() != Some(self.cfg.app_id.as_str()) {
            return Err(PlatformError::InvalidData(
                "phone number watermark app id does not match".into(),
            ));
        }
        let country_code = info.country_code.as_ref().and_then(lenient_string);
        match (country_code, non_empty(info.pure_phone_number)) {
            (Some(country), Some(pure)) => Ok(format!("+{}{}", country.trim_start_matches('+'), pure)),
            // Without the split fields keep what WeChat gave: it carries the prefix for foreign numbers.
            _ => non_empty(info.phone_number)
                .ok_or_else(|| PlatformError::unavailable(platform, "response has no phone number")),
        }
    }

    async fn request(&self, phone_code: &str) -> Result<PhoneNumberResponse, PlatformError> {
        let token = self.access_token().await?;
        let request = self
            .http
            .client
            .post(format!("{}/wxa/business/getuserphonenumber", self.base_url))
            .query(&[("access_token", token.expose_secret())])
            .json(&serde_json::json!({ "code": phone_code }));
        self.http.send_json(Platform::WxSmall, request).await
    }

    /// The mini-program's interface access token from `/cgi-bin/stable_token`, cached
    /// until shortly before expiry. The stable endpoint is used because, unlike
    /// `/cgi-bin/token`, fetching it does not invalidate tokens other instances hold.
    async fn access_token(&self) -> Result<SecretString, PlatformError> {
        let platform = Platform::WxSmall;
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref()
            && Instant::now() < token.renew_at
        {
            return Ok(token.value.clone());
        }
        let request = self
            .http
            .client
            .post(format!("{}/cgi-bin/stable_token", self.base_url))
            .json(&serde_json::json!({
                "grant_type": "client_credential",
                "appid": self.cfg.app_id,
                "secret": self.cfg.secret.expose_secret(),
                "force_refresh": false,
            }));
        let response: StableTokenResponse = self.http.send_json(platform, request).await?;
        if let Some(code) = response.errcode.filter(|c| *c != 0) {
            // Failing to get our own token is never the user's fault.
            let detail = describe(code, response.errmsg.as_deref());
            tracing::error!(%platform, %detail, "could not get WeChat access token");
            return Err(PlatformError::unavailable(platform, format!("access token: {detail}")));
        }
        let value = non_empty(response.access_token)
            .map(SecretString::from)
            .ok_or_else(|| PlatformError::unavailable(platform, "response has no access_token"))?;
        let lifetime = response.expires_in.unwrap_or(0);
        let keep = Duration::from_secs(lifetime.saturating_sub(TOKEN_RENEW_MARGIN_SECS));
        *cached = Some(CachedToken {
            value: value.clone(),
            renew_at: Instant::now() + keep,
        });
        Ok(value)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use axum::extract::{Query, State};
    use axum::response::{IntoResponse, Response};
    use axum::routing::post;
    use axum::{Json, Router};
    use serde_json::{Value, json};

    use super::super::test_support::serve;
    use super::super::{PlatformClients, PlatformsConfig};
    use super::*;

    /// A stand-in for WeChat's token and phone number endpoints.
    #[derive(Default)]
    struct FakeWeChat {
        token_fetches: AtomicUsize,
        current_token: Mutex<Option<String>>,
    }

    fn err(code: i64, msg: &str) -> Response {
        Json(json!({ "errcode": code, "errmsg": format!("{msg}, rid: 1234-5678") })).into_response()
    }

    async fn stable_token(State(fake): State<Arc<FakeWeChat>>, Json(body): Json<Value>) -> Response {
        if body["grant_type"] != "client_credential" {
            return err(40002, "invalid grant_type");
        }
        if body["appid"] != "wxmini0001" {
            return err(40013, "invalid appid");
        }
        if body["secret"] != "mini-secret" {
            return err(40125, "invalid appsecret");
        }
        let n = fake.token_fetches.fetch_add(1, Ordering::SeqCst) + 1;
        let token = format!("tok-{n}");
        *fake.current_token.lock().unwrap() = Some(token.clone());
        Json(json!({ "access_token": token, "expires_in": 7200 })).into_response()
    }

    async fn phone(State(fake): State<Arc<FakeWeChat>>, Query(q): Query<Value>, Json(body): Json<Value>) -> Response {
        let current = fake.current_token.lock().unwrap().clone();
        if current.is_none() || q["access_token"].as_str() != current.as_deref() {
            return err(40001, "invalid credential, access_token is invalid or not latest");
        }
        let watermark_app = match body["code"].as_str() {
            Some("phone-ok") => "wxmini0001",
            Some("phone-other-app") => "wxother0001",
            Some("busy") => return err(-1, "system error"),
            _ => return err(40029, "invalid code"),
        };
        Json(json!({ "errcode": 0, "errmsg": "ok", "phone_info": {
            "phoneNumber": "13800138000", "purePhoneNumber": "13800138000", "countryCode": "86",
            "watermark": { "timestamp": 1637744274, "appid": watermark_app }
        }}))
        .into_response()
    }

    async fn start(secret: &str) -> (Arc<FakeWeChat>, PlatformClients) {
        let fake = Arc::new(FakeWeChat::default());
        let router = Router::new()
            .route("/cgi-bin/stable_token", post(stable_token))
            .route("/wxa/business/getuserphonenumber", post(phone))
            .with_state(fake.clone());
        let clients = PlatformClients::new(PlatformsConfig {
            wx_small: Some(WeChatAppConfig {
                app_id: "wxmini0001".into(),
                secret: SecretString::from(secret),
            }),
            wechat_base_url: serve(router).await,
            timeout: Duration::from_secs(2),
            ..PlatformsConfig::default()
        });
        (fake, clients)
    }

    #[tokio::test]
    async fn phone_number_with_cached_access_token() {
        let (fake, clients) = start("mini-secret").await;
        for _ in 0..2 {
            let phone = clients.mini_program_phone("phone-ok").await.unwrap();
            assert_eq!(phone, "+8613800138000");
        }
        assert_eq!(fake.token_fetches.load(Ordering::SeqCst), 1);

        // WeChat invalidated the token behind our back: one refetch, then success.
        *fake.current_token.lock().unwrap() = None;
        let phone = clients.mini_program_phone("phone-ok").await.unwrap();
        assert_eq!(phone, "+8613800138000");
        assert_eq!(fake.token_fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn phone_number_failures() {
        let (_fake, clients) = start("mini-secret").await;
        let err = clients.mini_program_phone("phone-other-app").await;
        assert!(matches!(err, Err(PlatformError::InvalidData(_))));
        let err = clients.mini_program_phone("expired").await;
        assert!(matches!(err, Err(PlatformError::Rejected { detail, .. }) if detail.contains("40029")));
        let err = clients.mini_program_phone("busy").await;
        assert!(matches!(err, Err(PlatformError::Unavailable { .. })));

        let (_fake, wrong_secret) = start("stale-secret").await;
        let err = wrong_secret.mini_program_phone("phone-ok").await.unwrap_err();
        assert!(matches!(&err, PlatformError::Unavailable { detail, .. } if detail.contains("40125")));
        assert!(!err.to_string().contains("stale-secret"));
    }
}
