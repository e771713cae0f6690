//! Loopback stand-ins for the captcha providers' verify APIs. Each checks a
//! request the way the real API does (signature, fixed fields, credentials)
//! and answers pass or fail by the ticket: one starting with `pass` passes,
//! `boom` gets an HTTP 503, anything else fails. Every request is recorded.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use zhanghao::captcha_providers::geetest::sign_token;
use zhanghao::crypto::{aliyun_rpc, tc3};

pub const TENCENT_SECRET_ID: &str = "AKID-stand-in";
pub const TENCENT_SECRET_KEY: &str = "tencent-stand-in-key";
pub const TENCENT_APP_ID: u64 = 190_000_001;
pub const TENCENT_APP_SECRET: &str = "app-secret-stand-in";
pub const ALIYUN_KEY_ID: &str = "LTAI-stand-in";
pub const ALIYUN_SECRET: &str = "aliyun-stand-in-secret";
pub const ALIYUN_SCENE: &str = "scene-stand-in";
pub const GEETEST_ID: &str = "647f5ed2ed8acb4be36784e01556bb71";
pub const GEETEST_KEY: &str = "b09a7aafbfd83f73b35a9b530d0337bf";

/// What a stand-in received, one JSON value per request.
pub type Seen = Arc<Mutex<Vec<Value>>>;

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// An address nothing listens on: connection refused.
pub async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// An address that accepts connections and never answers: a provider that
/// hangs. The connections are held open until the test ends.
pub async fn hanging() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{addr}")
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Tencent `DescribeCaptchaResult`: TC3 signature re-derived from the request.
pub async fn tencent() -> (String, Seen) {
    let seen = Seen::default();
    let store = seen.clone();
    let handler = move |headers: HeaderMap, body: Bytes| {
        let store = store.clone();
        async move {
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            store.lock().unwrap().push(request.clone());
            let timestamp: i64 = header(&headers, "x-tc-timestamp").parse().unwrap_or(0);
            let expected = tc3::authorization_header(
                "captcha",
                TENCENT_SECRET_ID,
                TENCENT_SECRET_KEY,
                &header(&headers, "host"),
                &body,
                timestamp,
            )
            .unwrap();
            let signed = header(&headers, "authorization") == expected
                && header(&headers, "x-tc-action") == "DescribeCaptchaResult"
                && header(&headers, "x-tc-version") == "2019-07-22"
                && header(&headers, "content-type") == tc3::CONTENT_TYPE;
            let ticket = request["Ticket"].as_str().unwrap_or("");
            let answer = if !signed {
                json!({"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "x"}})
            } else if request["CaptchaType"] != 9
                || request["CaptchaAppId"] != TENCENT_APP_ID
                || request["AppSecretKey"] != TENCENT_APP_SECRET
            {
                json!({"CaptchaCode": 100, "CaptchaMsg": "appid-secretkey-ticket mismatch"})
            } else if ticket == "boom" {
                return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({})));
            } else if ticket.starts_with("pass") && request["Randstr"] == "@rnd" {
                json!({"CaptchaCode": 1, "CaptchaMsg": "OK", "EvilLevel": 0})
            } else {
                json!({"CaptchaCode": 15, "CaptchaMsg": "decrypt fail"})
            };
            let mut response = answer;
            response["RequestId"] = json!("r");
            (StatusCode::OK, axum::Json(json!({ "Response": response })))
        }
    };
    (serve(Router::new().route("/", post(handler))).await, seen)
}

fn decode_form(body: &str) -> BTreeMap<String, String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            let d = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (d(k), d(v))
        })
        .collect()
}

/// Aliyun `VerifyIntelligentCaptcha`: RPC signature checked over the form.
pub async fn aliyun() -> (String, Seen) {
    let seen = Seen::default();
    let store = seen.clone();
    let handler = move |body: String| {
        let store = store.clone();
        async move {
            let mut form = decode_form(&body);
            store.lock().unwrap().push(json!(form));
            let given = form.remove("Signature").unwrap_or_default();
            let params: BTreeMap<&str, &str> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let get = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
            if given != aliyun_rpc::expected_signature(ALIYUN_SECRET, "POST", &params)
                || get("AccessKeyId") != ALIYUN_KEY_ID
            {
                let refused = json!({"Code": "SignatureDoesNotMatch", "Message": "bad", "Success": false});
                return (StatusCode::BAD_REQUEST, axum::Json(refused));
            }
            let verify = |ok: bool, code: &str| {
                json!({"RequestId": "r", "Code": "Success", "Success": true,
                       "Result": {"VerifyResult": ok, "VerifyCode": code}})
            };
            let param = get("CaptchaVerifyParam");
            let answer = if get("Action") != "VerifyIntelligentCaptcha" || get("Version") != "2023-03-05" {
                json!({"Code": "InvalidAction", "Success": false})
            } else if param == "boom" {
                return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({})));
            } else if get("SceneId") != ALIYUN_SCENE {
                verify(false, "F012")
            } else if param.starts_with("pass") {
                verify(true, "T001")
            } else {
                verify(false, "F001")
            };
            (StatusCode::OK, axum::Json(answer))
        }
    };
    (serve(Router::new().route("/", post(handler))).await, seen)
}

/// GeeTest v4 `/validate`: `sign_token` checked against the lot number.
pub async fn geetest() -> (String, Seen) {
    let seen = Seen::default();
    let store = seen.clone();
    let handler = move |Query(query): Query<BTreeMap<String, String>>, body: String| {
        let store = store.clone();
        async move {
            let form = decode_form(&body);
            store.lock().unwrap().push(json!(form));
            let get = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
            let lot = get("lot_number");
            let answer = if get("captcha_id") != GEETEST_ID
                || query.get("captcha_id").map(String::as_str) != Some(GEETEST_ID)
            {
                json!({"status": "error", "code": "-50002", "msg": "illegal captcha_id"})
            } else if get("sign_token") != sign_token(GEETEST_KEY, lot) {
                json!({"status": "success", "result": "fail", "reason": "sign_token error"})
            } else if lot == "boom" {
                return (StatusCode::BAD_GATEWAY, axum::Json(json!({})));
            } else if lot.starts_with("pass") && !get("pass_token").is_empty() && !get("captcha_output").is_empty() {
                json!({"status": "success", "result": "success", "reason": "", "captcha_args": {"lot_number": lot}})
            } else {
                json!({"status": "success", "result": "fail", "reason": "pass_token expire"})
            };
            (StatusCode::OK, axum::Json(answer))
        }
    };
    (serve(Router::new().route("/validate", post(handler))).await, seen)
}

/// The JSON GeeTest's `getValidate()` returns for `lot_number`.
pub fn geetest_ticket(lot_number: &str) -> String {
    json!({
        "lot_number": lot_number,
        "captcha_output": "output-of-the-widget",
        "pass_token": "pass-token-of-the-widget",
        "gen_time": "1700000000",
        "captcha_id": GEETEST_ID,
    })
    .to_string()
}
