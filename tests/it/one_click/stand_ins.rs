//! Loopback stand-ins of the one-click providers, each checking a request as
//! the real API does and answering its documented shapes:
//! - Aliyun Dypnsapi (`GetMobile`, `GetPhoneWithToken`): the RPC signature and
//!   AccessKey id, then `{"Code":"OK",…}` or `isv.TOKEN_INVALID`;
//! - JiGuang `loginTokenVerify`: HTTP Basic (else 401 with code 9011), then
//!   code 8000 with the phone RSA-encrypted (PKCS#1 v1.5) for the app's key,
//!   or 8001 "get phone fail".
//!
//! Tokens are issued by the test for a phone and work once; a token of one
//! Aliyun SDK does not work with the other's action. The token `boom` gets an
//! HTTP 5xx. Every call is counted.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::rand_core::OsRng;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};
use zhanghao::crypto::aliyun_rpc;

pub const ALIYUN_KEY_ID: &str = "LTAI-pnvs-stand-in";
pub const ALIYUN_SECRET: &str = "pnvs-stand-in-secret";
pub const JIGUANG_APP_KEY: &str = "7d431e42dfa6a6d693ac2d04";
pub const JIGUANG_MASTER_SECRET: &str = "5e987ac6d2e04d95a9d8f0d1";

/// Which SDK issued a token: each Aliyun token serves only its own action.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sdk {
    AliyunApp,
    AliyunH5,
    Jiguang,
}

/// A running stand-in: its base URL, the live tokens, the calls it answered.
#[derive(Clone)]
pub struct StandIn {
    pub url: String,
    tokens: Arc<Mutex<HashMap<String, (Sdk, String)>>>,
    calls: Arc<AtomicUsize>,
}

impl StandIn {
    /// A fresh single-use token of `sdk` for the national mainland `phone`.
    pub fn issue(&self, sdk: Sdk, phone: &str) -> String {
        let token = format!("STsid{}", uuid::Uuid::new_v4().simple());
        self.tokens
            .lock()
            .unwrap()
            .insert(token.clone(), (sdk, phone.to_string()));
        token
    }

    /// How many requests reached the stand-in.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Takes a live token of `sdk`: `None` when unknown, used, or another SDK's.
    fn take(&self, sdk: Sdk, token: &str) -> Option<String> {
        let mut tokens = self.tokens.lock().unwrap();
        match tokens.get(token) {
            Some((issued_by, _)) if *issued_by == sdk => tokens.remove(token).map(|(_, phone)| phone),
            _ => None,
        }
    }

    fn new(url: String, tokens: Arc<Mutex<HashMap<String, (Sdk, String)>>>, calls: Arc<AtomicUsize>) -> Self {
        StandIn { url, tokens, calls }
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// An address that accepts connections and never answers.
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

fn decode_form(body: &str) -> BTreeMap<String, String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            let d = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
            (d(k), d(v))
        })
        .collect()
}

/// Aliyun Dypnsapi at `/`.
pub async fn aliyun() -> StandIn {
    let shell = StandIn::new(String::new(), Arc::default(), Arc::default());
    let handler = |State(stand_in): State<StandIn>, body: String| async move {
        stand_in.calls.fetch_add(1, Ordering::SeqCst);
        let mut form = decode_form(&body);
        let given = form.remove("Signature").unwrap_or_default();
        let params: BTreeMap<&str, &str> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let get = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
        if given != aliyun_rpc::expected_signature(ALIYUN_SECRET, "POST", &params)
            || get("AccessKeyId") != ALIYUN_KEY_ID
        {
            let refused = json!({"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched", "RequestId": "r"});
            return (StatusCode::BAD_REQUEST, axum::Json(refused));
        }
        let (sdk, token, result) = match (get("Action"), get("Version")) {
            ("GetMobile", "2017-05-25") => (Sdk::AliyunApp, get("AccessToken"), "GetMobileResultDTO"),
            ("GetPhoneWithToken", "2017-05-25") => (Sdk::AliyunH5, get("SpToken"), "Data"),
            _ => {
                return (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({"Code": "InvalidAction.NotFound"})),
                );
            }
        };
        if token == "boom" {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({"Code": "ServiceUnavailable"})),
            );
        }
        let answer = match stand_in.take(sdk, token) {
            Some(phone) => json!({"Code": "OK", "Message": "请求成功", "RequestId": "r", result: {"Mobile": phone}}),
            None => json!({"Code": "isv.TOKEN_INVALID", "Message": "令牌无效", "RequestId": "r"}),
        };
        (StatusCode::OK, axum::Json(answer))
    };
    let mut stand_in = shell.clone();
    stand_in.url = serve(Router::new().route("/", post(handler)).with_state(shell)).await;
    stand_in
}

/// The app's key pair at JiGuang (one per test run: 1024-bit, as JiGuang's).
pub fn jiguang_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut OsRng, 1024).unwrap())
}

/// `key` as the PEM of ZHANGHAO_JIGUANG_PRIVATE_KEY.
pub fn pem(key: &RsaPrivateKey) -> String {
    key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
}

/// JiGuang JVerify at `/v1/web/loginTokenVerify`, encrypting phones for `public`.
pub async fn jiguang(public: RsaPublicKey) -> StandIn {
    let shell = StandIn::new(String::new(), Arc::default(), Arc::default());
    let expected = format!(
        "Basic {}",
        STANDARD.encode(format!("{JIGUANG_APP_KEY}:{JIGUANG_MASTER_SECRET}"))
    );
    let handler = move |State(stand_in): State<StandIn>, headers: HeaderMap, body: String| async move {
        stand_in.calls.fetch_add(1, Ordering::SeqCst);
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
        if header("authorization") != expected {
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"code": 9011, "content": "auth failed"})),
            );
        }
        let request: Value = match serde_json::from_str(&body) {
            Ok(request) if header("content-type").starts_with("application/json") => request,
            _ => {
                return (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({"code": 9015, "content": "http media type not supported"})),
                );
            }
        };
        let token = request["loginToken"].as_str().unwrap_or("");
        if token == "boom" {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({"code": 9099, "content": "bad server"})),
            );
        }
        let answer = match stand_in.take(Sdk::Jiguang, token) {
            Some(phone) => {
                let sealed = public.encrypt(&mut OsRng, Pkcs1v15Encrypt, phone.as_bytes()).unwrap();
                json!({"id": 117270465679982592_u64, "code": 8000, "content": "get phone success",
                       "exID": request["exID"], "phone": STANDARD.encode(sealed)})
            }
            None => json!({"code": 8001, "content": "get phone fail"}),
        };
        (StatusCode::OK, axum::Json(answer))
    };
    let mut stand_in = shell.clone();
    let router = Router::new().route("/v1/web/loginTokenVerify", post(handler));
    stand_in.url = serve(router.with_state(shell)).await;
    stand_in
}

/// The flags that point the app at `aliyun` and `jiguang`.
pub fn provider_args(aliyun: &str, jiguang: &str) -> Vec<String> {
    [
        "--aliyun-access-key-id",
        ALIYUN_KEY_ID,
        "--aliyun-access-key-secret",
        ALIYUN_SECRET,
        "--aliyun-pnvs-endpoint",
        aliyun,
        "--jiguang-app-key",
        JIGUANG_APP_KEY,
        "--jiguang-master-secret",
        JIGUANG_MASTER_SECRET,
        "--jiguang-private-key",
        &pem(jiguang_key()),
        "--jiguang-api-base",
        jiguang,
    ]
    .map(str::to_string)
    .to_vec()
}
