//! The browser halves of the platform stand-ins: authorize pages that stand
//! for a user who scanned the QR code or tapped "allow" (the test names them
//! with `&as=<user>` on the URL), and Sign in with Apple's web endpoints
//! (`/auth/authorize` answering Apple's form_post page, `/auth/token` checking
//! the ES256 client secret and handing out an identity token with the nonce).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use axum::extract::{OriginalUri, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::json;
use zhanghao::crypto::JwtAlgorithm;
use zhanghao::crypto::signing_keys::KeyPair;

use super::standins::{QQ_APP_ID, Used, WB_APP_KEY, WX_PUBLIC_ID, WX_WEB_ID, apple_claims, apple_token};

pub const APPLE_SERVICES_ID: &str = "com.example.zhanghao.web";
pub const APPLE_TEAM_ID: &str = "TEAM123456";
pub const APPLE_KEY_ID: &str = "KEY1234567";
/// The page that finishes browser sign-ins, and a second allowed one.
pub const SPA: &str = "https://app.example/signed-in";
pub const REDIRECT_URIS: &str = "https://app.example/signed-in,https://app.example/other?from=web";
pub const PUBLIC_URL: &str = "https://id.example";

/// Our Sign in with Apple key: the PEM the server is configured with, and its public half for `/auth/token`.
pub static APPLE_CLIENT_KEY: LazyLock<(String, DecodingKey)> = LazyLock::new(|| {
    let pair = KeyPair::generate(JwtAlgorithm::Es256).unwrap();
    let body = base64::engine::general_purpose::STANDARD.encode(pair.pkcs8_der());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    (pem, DecodingKey::from_jwk(pair.public_jwk()).unwrap())
});

static ISSUED: AtomicU32 = AtomicU32::new(0);

/// Refresh tokens `/auth/revoke` was given (with a valid client secret), across tests.
pub static REVOKED: LazyLock<Mutex<Vec<String>>> = LazyLock::new(Mutex::default);

/// The authorize page of WeChat (qrconnect, oauth2/authorize), QQ and Weibo:
/// checks the app and the parameters as the platform does, then sends the
/// browser back with a fresh code for the user and the state unchanged.
pub async fn consent(
    State(used): State<Arc<Used>>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |name: &str| q.get(name).map(String::as_str).unwrap_or_default();
    let n = ISSUED.fetch_add(1, Ordering::SeqCst);
    let user = get("as");
    let (app_ok, code) = match uri.path() {
        "/connect/qrconnect" => (
            get("appid") == WX_WEB_ID && get("scope") == "snsapi_login",
            format!("{WX_WEB_ID}:{user}#w{n}"),
        ),
        "/connect/oauth2/authorize" => (
            get("appid") == WX_PUBLIC_ID && get("scope").starts_with("snsapi_"),
            format!("{WX_PUBLIC_ID}:{user}#w{n}"),
        ),
        "/oauth2.0/authorize" => (get("client_id") == QQ_APP_ID, format!("{user}#w{n}")),
        _ => (get("client_id") == WB_APP_KEY, format!("uid-{user}#w{n}")),
    };
    if !app_ok || get("response_type") != "code" || get("state").is_empty() || user.is_empty() {
        return (StatusCode::BAD_REQUEST, "bad authorize request").into_response();
    }
    let redirect = get("redirect_uri");
    used.issued(&code, redirect);
    let mut back = reqwest::Url::parse(redirect).unwrap();
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", get("state"));
    (StatusCode::FOUND, [(header::LOCATION, back.to_string())]).into_response()
}

/// What Apple's web endpoints know: the app's callback, and of each code its user, nonce and redirect URI.
pub struct AppleWeb {
    callback: String,
    codes: Mutex<HashMap<String, (String, String, String)>>,
}

impl AppleWeb {
    pub fn new(public_url: &str) -> AppleWeb {
        AppleWeb {
            callback: format!("{public_url}/oauth/apple/callback"),
            codes: Mutex::default(),
        }
    }
}

/// Apple's authorize page after the user agreed: a form that posts `code`
/// and `state` to the redirect URI (our callback).
pub async fn apple_authorize(State(apple): State<Arc<AppleWeb>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |name: &str| q.get(name).map(String::as_str).unwrap_or_default();
    let fits = get("client_id") == APPLE_SERVICES_ID
        && get("response_mode") == "form_post"
        && get("response_type") == "code"
        && get("redirect_uri") == apple.callback
        && !get("nonce").is_empty()
        && !get("state").is_empty();
    if !fits {
        return (StatusCode::BAD_REQUEST, "invalid_request").into_response();
    }
    let code = format!("c{}.apple", ISSUED.fetch_add(1, Ordering::SeqCst));
    let remembered = (
        get("as").to_string(),
        get("nonce").to_string(),
        get("redirect_uri").to_string(),
    );
    apple.codes.lock().unwrap().insert(code.clone(), remembered);
    // A browser posts it at once, as Apple's page does once the user agrees.
    Html(format!(
        r#"<form method="post" action="{}"><input name="code" value="{code}"><input name="state" value="{}"></form><script>document.forms[0].submit()</script>"#,
        get("redirect_uri"),
        get("state")
    ))
    .into_response()
}

/// The client id and ES256 client secret of our Services ID, as Apple checks them.
fn our_client(form: &HashMap<String, String>) -> bool {
    let get = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&["https://appleid.apple.com"]);
    validation.set_issuer(&[APPLE_TEAM_ID]);
    validation.sub = Some(APPLE_SERVICES_ID.to_string());
    let secret = get("client_secret");
    get("client_id") == APPLE_SERVICES_ID
        && jsonwebtoken::decode_header(secret).is_ok_and(|h| h.kid.as_deref() == Some(APPLE_KEY_ID))
        && jsonwebtoken::decode::<serde_json::Value>(secret, &APPLE_CLIENT_KEY.1, &validation).is_ok()
}

/// `POST /auth/revoke`: 200 for our client, whatever the token (as Apple does).
pub async fn apple_revoke(Form(form): Form<HashMap<String, String>>) -> Response {
    if !our_client(&form) {
        return apple_error("invalid_client");
    }
    if form.get("token_type_hint").map(String::as_str) == Some("refresh_token") {
        REVOKED
            .lock()
            .unwrap()
            .push(form.get("token").cloned().unwrap_or_default());
    }
    StatusCode::OK.into_response()
}

fn apple_error(error: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response()
}

/// `POST /auth/token`: the client secret must be our ES256 JWT, the code one
/// this stand-in issued (once) for the same redirect URI.
pub async fn apple_token_endpoint(
    State(apple): State<Arc<AppleWeb>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let get = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&["https://appleid.apple.com"]);
    validation.set_issuer(&[APPLE_TEAM_ID]);
    validation.sub = Some(APPLE_SERVICES_ID.to_string());
    let secret_ok = jsonwebtoken::decode_header(get("client_secret"))
        .is_ok_and(|h| h.kid.as_deref() == Some(APPLE_KEY_ID))
        && jsonwebtoken::decode::<serde_json::Value>(get("client_secret"), &APPLE_CLIENT_KEY.1, &validation).is_ok();
    if get("client_id") != APPLE_SERVICES_ID || !secret_ok {
        return apple_error("invalid_client");
    }
    if get("grant_type") != "authorization_code" {
        return apple_error("unsupported_grant_type");
    }
    let Some((user, nonce, redirect)) = apple.codes.lock().unwrap().remove(get("code")) else {
        return apple_error("invalid_grant");
    };
    if user == "boom" {
        return (StatusCode::BAD_GATEWAY, "upstream down").into_response();
    }
    if redirect != get("redirect_uri") {
        return apple_error("invalid_grant");
    }
    let mut claims = apple_claims(&format!("001.{user}"));
    claims["aud"] = json!(APPLE_SERVICES_ID);
    claims["nonce"] = json!(nonce);
    Json(json!({
        "access_token": "a.apple", "token_type": "Bearer", "expires_in": 3600, "refresh_token": format!("r.apple.{user}"),
        "id_token": apple_token(&claims, false),
    }))
    .into_response()
}
