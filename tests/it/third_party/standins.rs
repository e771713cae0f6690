//! Loopback stand-ins of the platforms' APIs (WeChat, Apple's keys, QQ,
//! Weibo), each on its own 127.0.0.1 port, checking what the real API checks
//! (app credentials, single-use codes) and answering in its shapes. The app
//! under test reaches them through its real HTTP clients and base-URL flags.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, rand_core::OsRng};
use serde_json::{Value, json};

use super::web_standins as web;
use crate::common::TestApp;

pub const WX_APP_ID: &str = "wxapp0001";
pub const WX_PUBLIC_ID: &str = "wxpub0001";
pub const WX_WEB_ID: &str = "wxweb0001";
/// The app id of WeChat's published decryption sample, so the sample decrypts for "our" mini-program.
pub const WX_SMALL_ID: &str = "wx4f4bc4dec97d474b";
pub const APPLE_CLIENT_ID: &str = "com.example.zhanghao";
pub const QQ_APP_ID: &str = "101234567";
pub const WB_APP_KEY: &str = "3456789012";

/// WeChat's published sample (开放数据校验与解密): session key, iv, data and what it holds.
pub const SAMPLE_SESSION_KEY: &str = "tiihtNczf5v6AKRyjwEUhQ==";
pub const SAMPLE_IV: &str = "r7BXXKkLb8qrSNn05n0qiA==";
pub const SAMPLE_OPENID: &str = "oGZUI0egBJY1zhBYw2KhdUfwVJJE";
pub const SAMPLE_UNIONID: &str = "ocMvos6NjeKLIBqg5Mr9QjxrP1FA";
pub const SAMPLE_ENCRYPTED_DATA: &str = concat!(
    "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+",
    "3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6",
    "/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs",
    "8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns",
    "/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG",
    "20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==",
);
/// Session key the mini-program stand-in hands out for every user but `sample`.
pub const TEST_SESSION_KEY: [u8; 16] = [7; 16];

const SECRETS: &[(&str, &str)] = &[
    (WX_WEB_ID, "web-secret"),
    (WX_APP_ID, "app-secret"),
    (WX_PUBLIC_ID, "pub-secret"),
    (WX_SMALL_ID, "mini-secret"),
];

/// Codes each stand-in has already accepted (platform codes are single use),
/// and the redirect URI each code its authorize page issued was for.
#[derive(Default)]
pub struct Used(Mutex<HashSet<String>>, Mutex<HashMap<String, String>>);

impl Used {
    fn first_use(&self, code: &str) -> bool {
        self.0.lock().unwrap().insert(code.to_string())
    }

    /// Remembers that the authorize page gave `code` for `redirect_uri`.
    pub fn issued(&self, code: &str, redirect_uri: &str) {
        self.1
            .lock()
            .unwrap()
            .insert(code.to_string(), redirect_uri.to_string());
    }

    /// The redirect URI an exchange of `code` must name: the authorize page's, else the native app's.
    fn redirect_for(&self, code: &str, native: &str) -> String {
        self.1
            .lock()
            .unwrap()
            .get(code)
            .cloned()
            .unwrap_or_else(|| native.to_string())
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn wx_err(code: i64, msg: &str) -> Response {
    Json(json!({ "errcode": code, "errmsg": format!("{msg}, rid: 6543-21") })).into_response()
}

/// The user a code stands for: codes are `<user>` or `<user>#<n>`, since a
/// platform gives one user a fresh code for each sign-in.
fn user_of(code: &str) -> &str {
    code.split_once('#').map_or(code, |(user, _)| user)
}

/// WeChat codes look like `<appid>:<user>[#n]`; openids are per app, unionids per user.
#[expect(
    clippy::result_large_err,
    reason = "a test stand-in answering WeChat's error shape directly"
)]
fn wx_user(used: &Used, q: &Value, code_field: &str) -> Result<String, Response> {
    let appid = q["appid"].as_str().unwrap_or_default();
    match SECRETS.iter().find(|(id, _)| *id == appid) {
        None => return Err(wx_err(40013, "invalid appid")),
        Some((_, secret)) if q["secret"] != *secret => return Err(wx_err(40125, "invalid appsecret")),
        Some(_) => {}
    }
    let code = q[code_field].as_str().unwrap_or_default();
    if code == "busy" {
        return Err(wx_err(-1, "system error"));
    }
    match code.split_once(':') {
        Some((id, user)) if id == appid && used.first_use(code) => Ok(user_of(user).to_string()),
        Some((id, _)) if id == appid => Err(wx_err(40163, "code been used")),
        _ => Err(wx_err(40029, "invalid code")),
    }
}

/// The unionid WeChat reports for a stand-in user (`band` is the sample's person).
pub fn unionid_of(user: &str) -> String {
    if user == "band" {
        SAMPLE_UNIONID.to_string()
    } else {
        format!("union-{user}")
    }
}

/// The openid WeChat gives `user` in `app_id`.
pub fn openid_of(app_id: &str, user: &str) -> String {
    format!("{app_id}-{user}")
}

async fn wx_oauth(State(used): State<Arc<Used>>, Query(q): Query<Value>) -> Response {
    match wx_user(&used, &q, "code") {
        Ok(user) => Json(json!({
            "access_token": "ACCESS_TOKEN", "expires_in": 7200, "refresh_token": "REFRESH_TOKEN", "scope": "snsapi_userinfo",
            "openid": openid_of(q["appid"].as_str().unwrap_or_default(), &user), "unionid": unionid_of(&user),
        }))
        .into_response(),
        Err(response) => response,
    }
}

/// `sample` is the person of WeChat's sample (no unionid here: only the
/// encrypted data has it); users named `solo-…` have no open-platform unionid.
async fn wx_code2session(State(used): State<Arc<Used>>, Query(q): Query<Value>) -> Response {
    match wx_user(&used, &q, "js_code") {
        Ok(user) if user == "sample" => {
            Json(json!({ "openid": SAMPLE_OPENID, "session_key": SAMPLE_SESSION_KEY })).into_response()
        }
        Ok(user) => {
            let mut body =
                json!({ "openid": openid_of(WX_SMALL_ID, &user), "session_key": STANDARD.encode(TEST_SESSION_KEY) });
            if !user.starts_with("solo-") {
                body["unionid"] = json!(unionid_of(&user));
            }
            Json(body).into_response()
        }
        Err(response) => response,
    }
}

async fn wx_stable_token(Json(body): Json<Value>) -> Response {
    if body["appid"] != WX_SMALL_ID || body["secret"] != "mini-secret" {
        return wx_err(40125, "invalid appsecret");
    }
    Json(json!({ "access_token": "STABLE_TOKEN", "expires_in": 7200 })).into_response()
}

/// Phone codes look like `phone-<11 digits>`; `phone-foreign-…` carries another app's watermark.
async fn wx_phone(State(used): State<Arc<Used>>, Query(q): Query<Value>, Json(body): Json<Value>) -> Response {
    if q["access_token"] != "STABLE_TOKEN" {
        return wx_err(40001, "invalid credential");
    }
    let code = body["code"].as_str().unwrap_or_default();
    let (appid, number) = match code.strip_prefix("phone-") {
        Some(rest) => match rest.strip_prefix("foreign-") {
            Some(number) => ("wxother0001", number),
            None => (WX_SMALL_ID, rest),
        },
        None => return wx_err(40029, "invalid code"),
    };
    if !used.first_use(code) {
        return wx_err(40163, "code been used");
    }
    Json(json!({ "errcode": 0, "errmsg": "ok", "phone_info": {
        "phoneNumber": number, "purePhoneNumber": number, "countryCode": "86",
        "watermark": { "timestamp": 1637744274, "appid": appid }
    }}))
    .into_response()
}

/// The RSA key "Apple" signs identity tokens with (generated once per test run).
static APPLE_KEY: LazyLock<RsaPrivateKey> = LazyLock::new(|| RsaPrivateKey::new(&mut OsRng, 2048).unwrap());
/// A key Apple never published, for forged tokens.
static FORGER_KEY: LazyLock<RsaPrivateKey> = LazyLock::new(|| RsaPrivateKey::new(&mut OsRng, 2048).unwrap());

async fn apple_keys() -> Json<Value> {
    let key = &*APPLE_KEY;
    Json(json!({ "keys": [{
        "kty": "RSA", "kid": "apple-k1", "use": "sig", "alg": "RS256",
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()), "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    }]}))
}

/// Claims of a valid identity token for Apple user `sub`; tests alter them.
pub fn apple_claims(sub: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "iss": "https://appleid.apple.com", "aud": APPLE_CLIENT_ID, "exp": now + 600, "iat": now, "sub": sub,
            "email": "x@privaterelay.appleid.com", "email_verified": true })
}

/// An identity token signed as Apple does (or, `forged`, by someone else under Apple's kid).
pub fn apple_token(claims: &Value, forged: bool) -> String {
    let key = if forged { &*FORGER_KEY } else { &*APPLE_KEY };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("apple-k1".into());
    let pem = key.to_pkcs1_pem(LineEnding::LF).unwrap();
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()).unwrap()
}

fn qq_err(code: i64, msg: &str) -> Response {
    Json(json!({ "error": code, "error_description": msg })).into_response()
}

/// QQ codes are the user's name (`[#n]`); the token is `at-<user>`.
async fn qq_token(State(used): State<Arc<Used>>, Query(q): Query<Value>) -> Response {
    if q["client_id"] != QQ_APP_ID || q["client_secret"] != "qq-app-key" {
        return qq_err(100009, "client secret is illegal");
    }
    let code = q["code"].as_str().unwrap_or_default();
    if q["redirect_uri"] != used.redirect_for(code, "https://example.com/oauth/qq") {
        return qq_err(100010, "redirect uri is illegal");
    }
    if code == "bad" || !used.first_use(code) {
        return qq_err(100019, "code to access token error");
    }
    Json(json!({ "access_token": format!("at-{}", user_of(code)), "expires_in": "7776000", "refresh_token": "rt" }))
        .into_response()
}

async fn qq_me(Query(q): Query<Value>) -> Response {
    match q["access_token"].as_str().and_then(|t| t.strip_prefix("at-")) {
        Some(user) => {
            Json(json!({ "client_id": QQ_APP_ID, "openid": format!("QQ-{user}"), "unionid": format!("QQU-{user}") }))
                .into_response()
        }
        None => qq_err(100016, "access token check failed"),
    }
}

/// Weibo codes look like `uid-<number>[#n]`.
async fn wb_token(State(used): State<Arc<Used>>, Form(form): Form<Value>) -> Response {
    if form["client_id"] != WB_APP_KEY || form["client_secret"] != "weibo-secret" {
        let body = json!({ "error": "invalid_client", "error_code": 21324, "error_description": "invalid client" });
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    let code = form["code"].as_str().unwrap_or_default();
    if form["redirect_uri"] != used.redirect_for(code, "https://example.com/oauth/weibo") {
        let body = json!({ "error": "redirect_uri_mismatch", "error_code": 21322, "error_description": "redirect_uri mismatch" });
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    match user_of(code).strip_prefix("uid-") {
        Some(uid) if used.first_use(code) => {
            Json(json!({ "access_token": "2.00abc", "expires_in": 157679999, "uid": uid })).into_response()
        }
        _ => {
            let body = json!({ "error": "invalid_grant", "error_code": 21325, "error_description": "invalid code" });
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        }
    }
}

/// Starts every stand-in and an app configured for every platform and pointed at them.
pub async fn app_with_platforms(extra: &[&str]) -> TestApp {
    app_with_platforms_at(web::REDIRECT_URIS, web::PUBLIC_URL, extra).await
}

/// The same, with the browser flow's redirect URIs and the server's public URL given
/// (a real browser needs real loopback addresses).
pub async fn app_with_platforms_at(redirect_uris: &str, public_url: &str, extra: &[&str]) -> TestApp {
    let wechat = serve(
        Router::new()
            .route("/sns/oauth2/access_token", get(wx_oauth))
            .route("/sns/jscode2session", get(wx_code2session))
            .route("/cgi-bin/stable_token", post(wx_stable_token))
            .route("/wxa/business/getuserphonenumber", post(wx_phone))
            .route("/connect/qrconnect", get(web::consent))
            .route("/connect/oauth2/authorize", get(web::consent))
            .with_state(Arc::new(Used::default())),
    )
    .await;
    let apple = serve(
        Router::new()
            .route("/auth/keys", get(apple_keys))
            .route("/auth/authorize", get(web::apple_authorize))
            .route("/auth/token", post(web::apple_token_endpoint))
            .route("/auth/revoke", post(web::apple_revoke))
            .with_state(Arc::new(web::AppleWeb::new(public_url))),
    )
    .await;
    let qq = serve(
        Router::new()
            .route("/oauth2.0/token", get(qq_token))
            .route("/oauth2.0/me", get(qq_me))
            .route("/oauth2.0/authorize", get(web::consent))
            .with_state(Arc::new(Used::default())),
    )
    .await;
    let weibo = serve(
        Router::new()
            .route("/oauth2/access_token", post(wb_token))
            .route("/oauth2/authorize", get(web::consent))
            .with_state(Arc::new(Used::default())),
    )
    .await;
    let apple_keys_url = format!("{apple}/auth/keys");
    let apple_private_key = format!("--apple-private-key={}", web::APPLE_CLIENT_KEY.0);
    let mut args = vec![
        "--wx-app-id",
        WX_APP_ID,
        "--wx-app-secret",
        "app-secret",
        "--wx-public-app-id",
        WX_PUBLIC_ID,
        "--wx-public-app-secret",
        "pub-secret",
        "--wx-small-app-id",
        WX_SMALL_ID,
        "--wx-small-app-secret",
        "mini-secret",
        "--apple-client-ids",
        APPLE_CLIENT_ID,
        "--qq-app-id",
        QQ_APP_ID,
        "--qq-app-key",
        "qq-app-key",
        "--qq-redirect-uri",
        "https://example.com/oauth/qq",
        "--wb-app-key",
        WB_APP_KEY,
        "--wb-app-secret",
        "weibo-secret",
        "--wb-redirect-uri",
        "https://example.com/oauth/weibo",
        "--wechat-api-base",
        &wechat,
        "--apple-keys-url",
        &apple_keys_url,
        "--qq-api-base",
        &qq,
        "--weibo-api-base",
        &weibo,
        "--wx-web-app-id",
        WX_WEB_ID,
        "--wx-web-app-secret",
        "web-secret",
        "--wechat-open-base",
        &wechat,
        "--apple-auth-base",
        &apple,
        "--apple-services-id",
        web::APPLE_SERVICES_ID,
        "--apple-team-id",
        web::APPLE_TEAM_ID,
        "--apple-key-id",
        web::APPLE_KEY_ID,
        // One argument: a value starting with dashes would read as flags.
        &apple_private_key,
        "--oauth-redirect-uris",
        redirect_uris,
        "--public-url",
        public_url,
    ];
    args.extend_from_slice(extra);
    TestApp::with_args(&args).await
}
