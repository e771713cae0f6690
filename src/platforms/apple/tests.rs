//! Apple identity tokens against a loopback key server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header};
use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, rand_core::OsRng};
use serde_json::{Value, json};

use super::super::test_support::serve;
use super::super::{AppleConfig, PlatformClients, PlatformCredential, PlatformsConfig};
use super::*;

const CLIENT_ID: &str = "com.example.zhanghao";

// Generating RSA keys is slow unoptimised, so every test shares these two.
static KEYS: LazyLock<[RsaPrivateKey; 2]> = LazyLock::new(|| {
    [
        RsaPrivateKey::new(&mut OsRng, 2048).unwrap(),
        RsaPrivateKey::new(&mut OsRng, 2048).unwrap(),
    ]
});

fn jwk(kid: &str, key: &RsaPrivateKey) -> Value {
    json!({
        "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    })
}

/// A stand-in for appleid.apple.com/auth/keys serving whatever key set the test sets.
struct FakeApple {
    jwks: Mutex<Option<Value>>,
    fetches: AtomicUsize,
}

async fn keys(State(fake): State<Arc<FakeApple>>) -> Response {
    fake.fetches.fetch_add(1, Ordering::SeqCst);
    match fake.jwks.lock().unwrap().clone() {
        Some(jwks) => Json(jwks).into_response(),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn key_a() -> Option<Value> {
    Some(json!({ "keys": [jwk("A", &KEYS[0])] }))
}

/// Starts the stand-in; `ttl` and `min_refetch` are the key cache settings under test.
async fn start(jwks: Option<Value>, ttl: Duration, min_refetch: Duration) -> (Arc<FakeApple>, PlatformClients) {
    let fake = Arc::new(FakeApple {
        jwks: Mutex::new(jwks),
        fetches: AtomicUsize::new(0),
    });
    let router = Router::new().route("/auth/keys", get(keys));
    let url = serve(router.with_state(fake.clone())).await;
    let clients = PlatformClients::new(PlatformsConfig {
        apple: Some(AppleConfig {
            client_ids: vec!["com.example.web".into(), CLIENT_ID.into()],
        }),
        apple_keys_url: format!("{url}/auth/keys"),
        apple_keys_ttl: ttl,
        apple_keys_min_refetch: min_refetch,
        timeout: Duration::from_secs(2),
        ..PlatformsConfig::default()
    });
    (fake, clients)
}

fn claims() -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": APPLE_ISSUER, "aud": CLIENT_ID, "exp": now + 600, "iat": now,
        "sub": "001234.0a1b2c3d4e5f.0123", "c_hash": "abc", "email": "x@privaterelay.appleid.com",
        "email_verified": true, "is_private_email": true, "auth_time": now, "nonce_supported": true
    })
}

fn sign(kid: &str, key: &RsaPrivateKey, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    let pem = key.to_pkcs1_pem(LineEnding::LF).unwrap();
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

async fn verify(c: &PlatformClients, t: String) -> Result<VerifiedIdentity, PlatformError> {
    let credential = PlatformCredential::AppleIdentityToken { token: t, nonce: None };
    c.verify(Platform::Apple, &credential).await
}

fn assert_rejected(result: Result<VerifiedIdentity, PlatformError>) {
    let rejected = matches!(&result, Err(PlatformError::Rejected { platform, .. }) if *platform == Platform::Apple);
    assert!(rejected, "{result:?}");
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn valid_token_gives_subject_and_keys_are_cached() {
    let (fake, clients) = start(key_a(), HOUR, Duration::ZERO).await;
    let id = verify(&clients, sign("A", &KEYS[0], &claims())).await.unwrap();
    assert_eq!(id.platform, Platform::Apple);
    assert_eq!(id.app_id, CLIENT_ID);
    assert_eq!(id.openid, "001234.0a1b2c3d4e5f.0123");
    assert_eq!((id.unionid, id.session_key.is_none()), (None, true));
    verify(&clients, sign("A", &KEYS[0], &claims())).await.unwrap();
    assert_eq!(fake.fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn bad_claims_are_rejected() {
    let (_fake, clients) = start(key_a(), HOUR, Duration::ZERO).await;
    let now = chrono::Utc::now().timestamp();
    let cases = [
        ("aud", json!("com.attacker.app")),
        ("iss", json!("https://appleid.apple.com.evil")),
        ("exp", json!(now - 3600)),
        ("sub", json!("")),
    ];
    for (field, value) in cases {
        let mut c = claims();
        c[field] = value;
        assert_rejected(verify(&clients, sign("A", &KEYS[0], &c)).await);
    }
    let mut c = claims();
    c.as_object_mut().unwrap().remove("sub");
    assert_rejected(verify(&clients, sign("A", &KEYS[0], &c)).await);
    // Signed by a key that is not the one published under that kid.
    assert_rejected(verify(&clients, sign("A", &KEYS[1], &claims())).await);
    assert_rejected(verify(&clients, "not.a.jwt".into()).await);
}

#[tokio::test]
async fn alg_none_and_hs256_are_refused() {
    let (_fake, clients) = start(key_a(), HOUR, Duration::ZERO).await;
    let body = URL_SAFE_NO_PAD.encode(claims().to_string());
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"A"}"#);
    assert_rejected(verify(&clients, format!("{none_header}.{body}.")).await);

    // The classic confusion: HMAC keyed with the public modulus.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("A".into());
    let secret = EncodingKey::from_secret(&KEYS[0].n().to_bytes_be());
    let hs = jsonwebtoken::encode(&header, &claims(), &secret).unwrap();
    assert_rejected(verify(&clients, hs).await);
}

#[tokio::test]
async fn unknown_kid_refetches_so_rotated_keys_work() {
    let (fake, clients) = start(key_a(), HOUR, Duration::ZERO).await;
    verify(&clients, sign("A", &KEYS[0], &claims())).await.unwrap();

    assert_rejected(verify(&clients, sign("Z", &KEYS[1], &claims())).await);
    assert_eq!(fake.fetches.load(Ordering::SeqCst), 2);

    // Apple publishes a new key: the first token using it triggers a refetch.
    let both = json!({ "keys": [jwk("A", &KEYS[0]), jwk("B", &KEYS[1])] });
    *fake.jwks.lock().unwrap() = Some(both);
    verify(&clients, sign("B", &KEYS[1], &claims())).await.unwrap();
    assert_eq!(fake.fetches.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn unknown_kids_cannot_make_us_hammer_apple() {
    let (fake, clients) = start(key_a(), HOUR, Duration::from_secs(60)).await;
    verify(&clients, sign("A", &KEYS[0], &claims())).await.unwrap();
    for kid in ["X", "Y", "Z"] {
        assert_rejected(verify(&clients, sign(kid, &KEYS[1], &claims())).await);
    }
    assert_eq!(fake.fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn key_server_failure_is_unavailable_unless_a_cached_key_fits() {
    let (_fake, clients) = start(None, HOUR, Duration::ZERO).await;
    let err = verify(&clients, sign("A", &KEYS[0], &claims())).await;
    assert!(matches!(err, Err(PlatformError::Unavailable { .. })), "{err:?}");

    // Keys expire at once here; when Apple is down the expired but known key still serves.
    let (fake, clients) = start(key_a(), Duration::ZERO, Duration::ZERO).await;
    verify(&clients, sign("A", &KEYS[0], &claims())).await.unwrap();
    *fake.jwks.lock().unwrap() = None;
    verify(&clients, sign("A", &KEYS[0], &claims())).await.unwrap();
    assert_eq!(fake.fetches.load(Ordering::SeqCst), 2);
    let err = verify(&clients, sign("B", &KEYS[1], &claims())).await;
    assert!(matches!(err, Err(PlatformError::Unavailable { .. })), "{err:?}");
}

#[tokio::test]
async fn a_nonce_asked_for_must_be_the_token_s() {
    let (_fake, clients) = start(key_a(), HOUR, Duration::ZERO).await;
    let with_nonce = |nonce: Option<&str>| {
        let mut c = claims();
        if let Some(nonce) = nonce {
            c["nonce"] = json!(nonce);
        }
        sign("A", &KEYS[0], &c)
    };
    let check = |token: String, nonce: Option<&str>| {
        let credential = PlatformCredential::AppleIdentityToken {
            token,
            nonce: nonce.map(str::to_string),
        };
        let clients = &clients;
        async move { clients.verify(Platform::Apple, &credential).await }
    };
    check(with_nonce(Some("n1")), Some("n1")).await.unwrap();
    // No nonce asked for: a native app that sets none keeps working.
    check(with_nonce(Some("n1")), None).await.unwrap();
    assert_rejected(check(with_nonce(Some("n1")), Some("n2")).await);
    assert_rejected(check(with_nonce(None), Some("n1")).await);
}
