//! DESIGN §7: app back ends verify access tokens from `/.well-known/jwks.json`
//! without a shared secret. Every token names its key (`kid`), every key is
//! pinned to its algorithm, `zhanghao keys rotate` brings in a new key while
//! the old one verifies until its tokens (legacy ones included) have expired.
//! The JOSE check runs `e2e/jwks.mjs` (the `jose` library from npm); it is
//! skipped, with a line that says so, where node or `e2e/node_modules` is
//! missing, unless `ZHANGHAO_E2E_REQUIRE=1` or `CI=true` (then it fails).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};
use zhanghao::crypto::JwtAlgorithm;
use zhanghao::crypto::signing_keys::KeyPair;
use zhanghao::service::keys::{KeyState, PICKUP_ALLOWANCE, PUBLISH_AHEAD};

use crate::common::*;

const SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
const DAY: i64 = 86_400;
const AHEAD: i64 = PUBLISH_AHEAD.as_secs() as i64;

fn part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn kid_of(token: &str) -> String {
    part(token, 0)["kid"]
        .as_str()
        .expect("every token carries kid")
        .to_string()
}

fn forge(header: &Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        signature
    )
}

async fn signs_in(app: &TestApp, token: &str) -> bool {
    !app.me_via_graphql(token).await.is_null()
}

async fn jwks(app: &TestApp) -> Value {
    let (status, headers, body) = app
        .call(Request::get("/.well-known/jwks.json").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["cache-control"].to_str().unwrap().contains("max-age"));
    body
}

fn published_kids(set: &Value) -> Vec<String> {
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap().to_string())
        .collect()
}

/// `zhanghao keys rotate` as an operator runs it: another process on the app's database.
fn rotate_with_the_cli(app: &TestApp, alg: &str) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_zhanghao"))
        .args(["keys", "rotate"])
        .env("DATABASE_URL", &app.state.config.database_url)
        .env("ZHANGHAO_JWT_SECRET", SECRET)
        .env("ZHANGHAO_JWT_ALG", alg)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run zhanghao keys rotate");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "keys rotate failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let kid = stdout.split("kid ").nth(1).and_then(|rest| rest.split(':').next());
    kid.expect("keys rotate names the new kid").to_string()
}

async fn chickenshop_token(app: &TestApp, mobile: &str) -> String {
    let send = json!({"data": {"attributes": {"mobile": mobile, "type": "login"}}});
    let (status, _, _) = app.call(json_post("/api/sms/send", &send)).await;
    assert_eq!(status, StatusCode::CREATED);
    let code = app.last_code(&format!("+86{mobile}"), "login");
    let (_, _, body) = app
        .call(json_post(
            "/module/chickenshop/threeRegisterAndBind",
            &json!({"phone": mobile, "code": code}),
        ))
        .await;
    body["data"]["token"].as_str().expect("a legacy token").to_string()
}

#[tokio::test]
async fn a_token_of_the_old_key_verifies_after_keys_rotate_until_it_expires() {
    let app = TestApp::with_args(&["--jwt-alg", "ES256"]).await;
    let old = access(&app.register_username("rotor", "a-good-password").await);
    let legacy_old = chickenshop_token(&app, "13113690701").await;
    let old_kid = kid_of(&old);
    assert_eq!(part(&old, 0)["alg"], "ES256");
    assert_eq!(kid_of(&legacy_old), old_kid);
    assert_eq!(published_kids(&jwks(&app).await), std::slice::from_ref(&old_kid));

    let new_kid = rotate_with_the_cli(&app, "ES256");
    assert_ne!(new_kid, old_kid);
    // The node reads the table (its minute tick): the new key is published at once…
    app.state.services.keys.reload().await.unwrap();
    assert_eq!(published_kids(&jwks(&app).await), [new_kid.clone(), old_kid.clone()]);
    // …and signs only once app back ends caching the JWKS have seen it.
    assert_eq!(kid_of(&access(&app.login("rotor", "a-good-password").await)), old_kid);
    app.clock.advance(AHEAD);
    app.state.services.keys.reload().await.unwrap();
    let new = access(&app.login("rotor", "a-good-password").await);
    assert_eq!(kid_of(&new), new_kid);
    assert!(signs_in(&app, &old).await, "the old key still verifies");
    assert!(signs_in(&app, &new).await);

    // The old hour-long token dies at its own expiry, not at the rotation.
    app.clock.advance(3600 - AHEAD + 31);
    assert!(!signs_in(&app, &old).await, "expired");
    assert!(
        signs_in(&app, &legacy_old).await,
        "a 30-day token of the old key lives on"
    );

    // The old key is kept for the longest token it can have signed (30 days)…
    app.clock.advance(29 * DAY);
    app.state.services.keys.reload().await.unwrap();
    assert!(signs_in(&app, &legacy_old).await, "29 days on");
    assert!(published_kids(&jwks(&app).await).contains(&old_kid));
    // …and dropped after: unpublished, unknown, deleted.
    app.clock
        .advance(DAY + (PUBLISH_AHEAD + PICKUP_ALLOWANCE).as_secs() as i64 + 60);
    app.state.services.keys.reload().await.unwrap();
    assert_eq!(published_kids(&jwks(&app).await), std::slice::from_ref(&new_kid));
    let keys = app.state.services.keys.list().await.unwrap();
    assert_eq!(keys[0].state, KeyState::Expired);
    assert_eq!(app.state.services.keys.sweep().await.unwrap(), 1);
    let keys = app.state.services.keys.list().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        (keys[0].kid.as_str(), keys[0].state),
        (new_kid.as_str(), KeyState::Current)
    );
}

#[tokio::test]
async fn unknown_kid_alg_none_and_hs256_signed_with_the_public_key_are_refused() {
    let app = TestApp::with_args(&["--jwt-alg", "ES256"]).await;
    let token = access(&app.register_username("pinned", "a-good-password").await);
    assert!(signs_in(&app, &token).await);
    let claims = part(&token, 1);
    let kid = kid_of(&token);
    let set = jwks(&app).await;
    let jwk = &set["keys"][0];
    assert!(jwk.get("d").is_none(), "no private part is published: {jwk}");

    // A well-formed ES256 token from a key that is not ours, under its own kid and under ours.
    let stranger = KeyPair::generate(JwtAlgorithm::Es256).unwrap();
    let stranger_key = EncodingKey::from_ec_der(stranger.pkcs8_der());
    for claimed in [stranger.kid(), "made-up", kid.as_str()] {
        let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(claimed.to_string());
        let forged = jsonwebtoken::encode(&header, &claims, &stranger_key).unwrap();
        assert!(!signs_in(&app, &forged).await, "kid {claimed}");
    }
    // No kid at all: only HS256 tokens from before kids could lack one.
    let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = None;
    assert!(!signs_in(&app, &jsonwebtoken::encode(&header, &claims, &stranger_key).unwrap()).await);

    // alg: none, with and without our kid.
    for header in [
        json!({"alg": "none", "typ": "JWT", "kid": kid}),
        json!({"alg": "none", "typ": "JWT"}),
    ] {
        assert!(!signs_in(&app, &forge(&header, &claims, "")).await, "{header}");
    }

    // HS256 "signed" with the ES256 public key in every shape an attacker would try.
    let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
    let y = URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap();
    let point = p256::EncodedPoint::from_affine_coordinates(x.as_slice().into(), y.as_slice().into(), false);
    let public = p256::PublicKey::from_sec1_bytes(point.as_bytes()).unwrap();
    let pem = p256::pkcs8::EncodePublicKey::to_public_key_pem(&public, Default::default()).unwrap();
    let shapes: Vec<Vec<u8>> = vec![
        pem.into_bytes(),
        point.as_bytes().to_vec(),
        jwk.to_string().into_bytes(),
        [x, y].concat(),
    ];
    for secret in &shapes {
        for kid in [Some(kid.clone()), None] {
            let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
            header.kid = kid.clone();
            let forged = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret)).unwrap();
            assert!(!signs_in(&app, &forged).await, "HS256 with the public key, kid {kid:?}");
        }
    }
    assert!(signs_in(&app, &token).await, "the real token still works");
}

#[tokio::test]
async fn hs256_tokens_carry_a_kid_publish_nothing_and_older_kidless_ones_still_work() {
    let app = TestApp::new().await;
    let token = access(&app.register_username("classic", "a-good-password").await);
    let header = part(&token, 0);
    assert_eq!(header["alg"], "HS256");
    assert!(header["kid"].as_str().unwrap().starts_with("hs256-"));
    assert_eq!(jwks(&app).await, json!({"keys": []}), "a secret is never published");

    // Issued before tokens carried a kid: same secret, same claims, no kid.
    let claims = part(&token, 1);
    let secret = EncodingKey::from_secret(SECRET.as_bytes());
    let kidless = jsonwebtoken::encode(&Header::default(), &claims, &secret).unwrap();
    assert!(signs_in(&app, &kidless).await);
    let unknown = Header {
        kid: Some("hs256-unknown".into()),
        ..Header::default()
    };
    assert!(!signs_in(&app, &jsonwebtoken::encode(&unknown, &claims, &secret).unwrap()).await);
    let refusal = app.state.services.keys.rotation_refusal();
    assert!(refusal.is_some_and(|why| why.contains("ZHANGHAO_JWT_ALG")));
}

#[tokio::test]
async fn switching_from_hs256_to_es256_keeps_the_issued_tokens_working() {
    let hs = TestApp::new().await;
    let old = access(&hs.register_username("switcher", "a-good-password").await);
    // The node restarted with ZHANGHAO_JWT_ALG=ES256 on the same database.
    let es = hs.another_node(&["--jwt-alg", "ES256"]).await;
    let new = access(&es.login("switcher", "a-good-password").await);
    assert_eq!(
        part(&new, 0)["alg"],
        "ES256",
        "a node with no older key of its own signs at once"
    );
    assert!(signs_in(&es, &old).await, "HS256 tokens verify until they expire");
    assert!(signs_in(&es, &new).await);
    assert_eq!(published_kids(&jwks(&es).await), [kid_of(&new)]);
}

#[tokio::test]
async fn a_node_picks_up_a_key_another_node_signs_with_at_the_first_unknown_kid() {
    let a = TestApp::with_args(&["--jwt-alg", "EdDSA"]).await;
    let b = a.another_node(&["--jwt-alg", "EdDSA"]).await;
    let first = access(&a.register_username("twonodes", "a-good-password").await);
    assert_eq!(part(&first, 0)["alg"], "EdDSA");
    assert!(signs_in(&b, &first).await, "both nodes use the one first key");

    let rotated = a.state.services.keys.rotate().await.unwrap();
    a.clock.advance(AHEAD);
    a.state.services.keys.reload().await.unwrap();
    let token = access(&a.login("twonodes", "a-good-password").await);
    assert_eq!(kid_of(&token), rotated.kid);
    // B has not read the table since; the unknown kid makes it look once.
    assert!(signs_in(&b, &token).await);
    assert_eq!(b.state.services.keys.signing_kid(), Some(rotated.kid));
}

#[tokio::test]
async fn nodes_starting_together_agree_on_one_first_key() {
    let app = TestApp::with_args(&["--jwt-alg", "ES256"]).await;
    let url = app.state.config.database_url.clone();
    let wipe = zhanghao::store::signing_keys::all(&app.state.db).await.unwrap();
    let generations: Vec<i32> = wipe.iter().map(|key| key.generation).collect();
    zhanghao::store::signing_keys::delete_generations(&app.state.db, &generations)
        .await
        .unwrap();
    // Six nodes, each with its own pool, start at once on a database without keys.
    let starts = (0..6).map(|_| {
        let (url, config) = (url.clone(), app.state.config.as_ref().clone());
        async move {
            let db = zhanghao::store::connect(&url, 2, Duration::from_secs(10))
                .await
                .unwrap();
            let keys = zhanghao::state::signing_keys(&config, db).await.unwrap();
            keys.start().await.unwrap();
            keys.signing_kid().unwrap()
        }
    });
    let kids = futures::future::join_all(starts).await;
    let stored = zhanghao::store::signing_keys::all(&app.state.db).await.unwrap();
    assert_eq!(stored.len(), 1, "one first key: {stored:?}");
    assert!(kids.iter().all(|kid| *kid == stored[0].kid), "{kids:?}");
    // The loser of a race is told so, and nothing of its key is written.
    let again = zhanghao::store::signing_keys::NewKey {
        generation: stored[0].generation,
        kid: "the-loser".into(),
        algorithm: "ES256".into(),
        public_jwk: None,
        private_key: None,
    };
    let now = app.state.clock.now();
    assert!(
        !zhanghao::store::signing_keys::insert_generation(&app.state.db, again, now)
            .await
            .unwrap()
    );
    assert_eq!(zhanghao::store::signing_keys::all(&app.state.db).await.unwrap(), stored);
}

#[tokio::test]
async fn a_key_file_signs_and_never_enters_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwt.pem");
    let key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let pem = p256::pkcs8::EncodePrivateKey::to_pkcs8_pem(&key, Default::default()).unwrap();
    std::fs::write(&path, pem.as_bytes()).unwrap();
    let file = path.display().to_string();
    let app = TestApp::with_args(&["--jwt-alg", "ES256", "--jwt-private-key-file", &file]).await;
    let token = access(&app.register_username("filed", "a-good-password").await);
    let expected = KeyPair::from_pem(&pem).unwrap();
    assert_eq!(kid_of(&token), expected.kid());
    assert_eq!(published_kids(&jwks(&app).await), [expected.kid().to_string()]);
    let stored = zhanghao::store::signing_keys::all(&app.state.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].private_key.is_none(), "only the public key is stored");
    assert!(app.state.services.keys.rotation_refusal().is_some());

    // A generated key in the database is sealed: no plain PKCS#8 at rest.
    let generated = TestApp::with_args(&["--jwt-alg", "ES256"]).await;
    let stored = zhanghao::store::signing_keys::all(&generated.state.db).await.unwrap();
    let sealed = stored[0].private_key.as_deref().unwrap();
    assert!(sealed.starts_with("v1.") && !sealed.contains("MIG"), "{sealed}");
}

/// Why the JOSE check cannot run here, if it cannot.
fn missing_tool(root: &Path) -> Option<String> {
    if !root.join("e2e/node_modules/jose").exists() {
        return Some("e2e/node_modules/jose is missing (cd e2e && npm ci)".to_string());
    }
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|out| out.status.success()) {
        return Some("no node on PATH".to_string());
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jose_verifies_es256_tokens_from_the_jwks_without_a_secret() {
    jose_check("ES256").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jose_verifies_eddsa_tokens_from_the_jwks_without_a_secret() {
    jose_check("EdDSA").await;
}

/// Old-key and new-key tokens valid; the refusals refused, by `jose` itself.
async fn jose_check(alg: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if let Some(why) = missing_tool(root) {
        let required =
            std::env::var("ZHANGHAO_E2E_REQUIRE").as_deref() == Ok("1") || std::env::var("CI").as_deref() == Ok("true");
        assert!(!required, "CI needs the JOSE check but it cannot run: {why}");
        println!("SKIPPED jose JWKS check: {why}");
        return;
    }
    let app = TestApp::with_args(&["--jwt-alg", alg]).await;
    let old = access(&app.register_username("backend", "a-good-password").await);
    rotate_with_the_cli(&app, alg);
    app.clock.advance(AHEAD);
    app.state.services.keys.reload().await.unwrap();
    let new = access(&app.login("backend", "a-good-password").await);
    assert_ne!(kid_of(&old), kid_of(&new));
    let claims = part(&new, 1);
    let stranger = KeyPair::generate(JwtAlgorithm::parse(alg).unwrap()).unwrap();
    let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
    if alg == "EdDSA" {
        header = Header::new(jsonwebtoken::Algorithm::EdDSA);
    }
    header.kid = Some(stranger.kid().to_string());
    let stranger_key = match alg {
        "EdDSA" => EncodingKey::from_ed_der(stranger.pkcs8_der()),
        _ => EncodingKey::from_ec_der(stranger.pkcs8_der()),
    };
    let unknown = jsonwebtoken::encode(&header, &claims, &stranger_key).unwrap();
    let none = forge(&json!({"alg": "none", "kid": kid_of(&new)}), &claims, "");
    let jwk = jwks(&app).await["keys"][0].to_string();
    let mut hs = Header::new(jsonwebtoken::Algorithm::HS256);
    hs.kid = Some(kid_of(&new));
    let confused = jsonwebtoken::encode(&hs, &claims, &EncodingKey::from_secret(jwk.as_bytes())).unwrap();
    let cases = json!([
        {"name": "signed before keys rotate", "token": old, "expect": "valid"},
        {"name": "signed after keys rotate", "token": new, "expect": "valid"},
        {"name": "unknown kid", "token": unknown, "expect": "invalid"},
        {"name": "alg none", "token": none, "expect": "invalid"},
        {"name": "HS256 with the public key", "token": confused, "expect": "invalid"},
    ]);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = app.router.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .ok();
    });
    let run = tokio::process::Command::new("node")
        .arg(root.join("e2e/jwks.mjs"))
        .env("ZHANGHAO_JWKS_URL", format!("http://{address}/.well-known/jwks.json"))
        .env("ZHANGHAO_ISSUER", &app.state.config.jwt_issuer)
        .env("ZHANGHAO_AUDIENCE", &app.state.config.jwt_audience)
        .env("ZHANGHAO_ALG", alg)
        .env("ZHANGHAO_NOW", app.state.clock.now().timestamp().to_string())
        .env("ZHANGHAO_CASES", cases.to_string())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the JOSE check finishes within 60 s")
        .expect("node runs");
    server.abort();
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "jose disagrees:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.matches("published ").count(), 2, "old and new key published");
}
