//! Access tokens (JWT) and refresh-token rotation.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::common::*;

const ME: &str = "{ me { id } }";
const REFRESH: &str =
    "mutation($t: String!) { refreshToken(refreshToken: $t) { user { id } tokens { accessToken refreshToken } } }";

async fn me_id(app: &TestApp, token: &str) -> Value {
    let (_, body) = app.gql_as(token, ME, json!({})).await;
    body["data"]["me"]["id"].clone()
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn forge(header: Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        signature
    )
}

#[tokio::test]
async fn access_token_claims_follow_the_contract() {
    let app = TestApp::new().await;
    let payload = app.register_username("alice", "a-good-password").await;
    let claims = claims_of(&access(&payload));
    assert_eq!(claims["sub"], payload["user"]["id"]);
    assert!(claims["sub"].is_string());
    for claim in ["iat", "nbf", "exp", "jti", "iss", "aud"] {
        assert!(!claims[claim].is_null(), "{claim} missing: {claims}");
    }
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(access(&payload).split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "HS256");
}

#[tokio::test]
async fn tampered_alg_none_wrong_audience_and_expired_tokens_are_rejected() {
    let app = TestApp::new().await;
    let payload = app.register_username("bob", "a-good-password").await;
    let token = access(&payload);
    assert_eq!(me_id(&app, &token).await, payload["user"]["id"]);

    // Tampered payload (another user id) with the original signature.
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims = claims_of(&token);
    claims["sub"] = json!("999");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    assert!(me_id(&app, &tampered).await.is_null());

    // alg: none.
    let none = forge(json!({"alg": "none", "typ": "JWT"}), &claims_of(&token), "");
    assert!(me_id(&app, &none).await.is_null());

    // Wrong audience, correctly signed with the server's own secret.
    let mut wrong_aud = claims_of(&token);
    wrong_aud["aud"] = json!("someone-else");
    let key = jsonwebtoken::EncodingKey::from_secret(b"test-secret-test-secret-test-secret-0123456789");
    let signed = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &wrong_aud, &key).unwrap();
    assert!(me_id(&app, &signed).await.is_null());
    // The same claims with the right audience are accepted: the test above failed for the audience alone.
    let right = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims_of(&token), &key).unwrap();
    assert_eq!(me_id(&app, &right).await, payload["user"]["id"]);
    // Missing exp.
    let mut no_exp = claims_of(&token);
    no_exp.as_object_mut().unwrap().remove("exp");
    let signed = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &no_exp, &key).unwrap();
    assert!(me_id(&app, &signed).await.is_null());

    // Positive control: a few seconds before its hour is up the token still works…
    let ttl = claims_of(&token)["exp"].as_i64().unwrap() - claims_of(&token)["iat"].as_i64().unwrap();
    assert_eq!(ttl, 3600);
    app.clock.advance(ttl - 5);
    assert_eq!(
        me_id(&app, &token).await,
        payload["user"]["id"],
        "the token must work until it expires"
    );
    // …and past the hour plus the 30 s leeway it is refused.
    app.clock.advance(5 + 30 + 1);
    assert!(me_id(&app, &token).await.is_null());
    let (_, body) = app.gql_as(&token, "{ sessions { id } }", json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::new().await;
    let payload = app.register_username("carol", "a-good-password").await;
    let first = refresh(&payload);
    let (_, rotated) = app.gql(REFRESH, json!({"t": first})).await;
    let second = rotated["data"]["refreshToken"]["tokens"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(first, second);
    let new_access = rotated["data"]["refreshToken"]["tokens"]["accessToken"]
        .as_str()
        .unwrap();
    assert_eq!(me_id(&app, new_access).await, payload["user"]["id"]);

    // Replaying the first token after the grace window is theft: it fails
    // and kills the second one too.
    app.clock.advance(11);
    let (_, replay) = app.gql(REFRESH, json!({"t": first})).await;
    assert_eq!(error_code(&replay), "UNAUTHENTICATED");
    let (_, after) = app.gql(REFRESH, json!({"t": second})).await;
    assert_eq!(error_code(&after), "UNAUTHENTICATED");

    let (_, garbage) = app.gql(REFRESH, json!({"t": "garbage"})).await;
    assert_eq!(error_code(&garbage), "UNAUTHENTICATED");
}

#[tokio::test]
async fn refresh_tokens_expire() {
    let app = TestApp::with_args(&["--refresh-ttl", "120"]).await;
    let payload = app.register_username("dora", "a-good-password").await;
    app.clock.advance(121);
    let (_, body) = app.gql(REFRESH, json!({"t": refresh(&payload)})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn logout_ends_one_session_or_all() {
    let app = TestApp::new().await;
    let a = app.register_username("erin", "a-good-password").await;
    let b = app.login("erin", "a-good-password").await;
    let (_, sessions) = app
        .gql_as(&access(&a), "{ sessions { id createdAt expiresAt } }", json!({}))
        .await;
    assert_eq!(sessions["data"]["sessions"].as_array().unwrap().len(), 2);

    let logout = "mutation($t: String, $all: Boolean) { logout(refreshToken: $t, allSessions: $all) }";
    let (_, anon) = app.gql(logout, json!({"t": refresh(&a)})).await;
    assert_eq!(error_code(&anon), "UNAUTHENTICATED");
    let (_, done) = app.gql_as(&access(&a), logout, json!({"t": refresh(&a)})).await;
    assert_eq!(done["data"]["logout"], true);
    let (_, dead) = app.gql(REFRESH, json!({"t": refresh(&a)})).await;
    assert_eq!(error_code(&dead), "UNAUTHENTICATED");
    let (_, sessions) = app.gql_as(&access(&b), "{ sessions { id } }", json!({})).await;
    assert_eq!(sessions["data"]["sessions"].as_array().unwrap().len(), 1);

    let (_, all) = app.gql_as(&access(&b), logout, json!({"all": true})).await;
    assert_eq!(all["data"]["logout"], true);
    let (_, dead) = app.gql(REFRESH, json!({"t": refresh(&b)})).await;
    assert_eq!(error_code(&dead), "UNAUTHENTICATED");
    // Logging out everywhere also kills outstanding access tokens.
    assert!(me_id(&app, &access(&b)).await.is_null());
}

#[tokio::test]
async fn a_session_issued_before_a_revocation_cannot_refresh_even_if_its_row_escaped() {
    let app = TestApp::new().await;
    let payload = app.register_username("frank", "a-good-password").await;
    let id: i64 = payload["user"]["id"].as_str().unwrap().parse().unwrap();
    // A reset bumps the version; pretend its revocation missed this row (a racing refresh wrote it).
    zhanghao::store::users::bump_token_version(&app.state.db, id, app.state.clock.now())
        .await
        .unwrap();
    let (_, body) = app.gql(REFRESH, json!({"t": refresh(&payload)})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    assert!(me_id(&app, &access(&payload)).await.is_null());
}

#[tokio::test]
async fn a_refresh_token_presented_twice_at_once_keeps_both_tabs_signed_in() {
    let app = TestApp::new().await;
    let payload = app.register_username("twotabs", "a-good-password").await;
    let shared = refresh(&payload);
    let (_, tab_one) = app.gql(REFRESH, json!({"t": shared})).await;
    app.clock.advance(5);
    let (_, tab_two) = app.gql(REFRESH, json!({"t": shared})).await;
    for tab in [&tab_one, &tab_two] {
        let access = tab["data"]["refreshToken"]["tokens"]["accessToken"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(me_id(&app, access).await, payload["user"]["id"], "{tab}");
        let next = tab["data"]["refreshToken"]["tokens"]["refreshToken"]
            .as_str()
            .unwrap_or_default();
        let (_, again) = app.gql(REFRESH, json!({"t": next})).await;
        assert!(again["errors"].is_null(), "each tab keeps refreshing: {again}");
    }
    // After the grace window, the shared token is a replay: the family dies.
    app.clock.advance(6);
    let (_, replay) = app.gql(REFRESH, json!({"t": shared})).await;
    assert_eq!(error_code(&replay), "UNAUTHENTICATED");
}

#[tokio::test]
async fn without_a_grace_window_any_reuse_revokes_the_family() {
    let app = TestApp::with_args(&["--refresh-reuse-grace", "0"]).await;
    let payload = app.register_username("nograce", "a-good-password").await;
    let first = refresh(&payload);
    let (_, rotated) = app.gql(REFRESH, json!({"t": first})).await;
    assert!(rotated["errors"].is_null());
    let (_, replay) = app.gql(REFRESH, json!({"t": first})).await;
    assert_eq!(error_code(&replay), "UNAUTHENTICATED");
}
