//! The account page's first pieces (issue 14, DESIGN §8/§10): `changePassword`
//! keeps the asking session and ends the others; `revokeSession` ends one
//! device, and only one of your own.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::common::*;

const CHANGE: &str = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { user { id } tokens { accessToken refreshToken } } }";
const REVOKE: &str = "mutation($id: ID!) { revokeSession(id: $id) }";
const SESSIONS: &str = "{ sessions { id } }";
const REFRESH: &str = "mutation($t: String!) { refreshToken(refreshToken: $t) { tokens { accessToken } } }";
const ME: &str = "{ me { id } }";

/// The session id (`sid`) an access token belongs to.
fn session_of(access_token: &str) -> String {
    let claims = access_token.split('.').nth(1).unwrap();
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims).unwrap();
    let claims: Value = serde_json::from_slice(&claims).unwrap();
    claims["sid"].as_str().unwrap().to_string()
}

async fn me_works(app: &TestApp, token: &str) -> bool {
    let (_, body) = app.gql_as(token, ME, json!({})).await;
    body["errors"].is_null() && body["data"]["me"]["id"].is_string()
}

async fn refresh_works(app: &TestApp, refresh_token: &str) -> bool {
    app.gql(REFRESH, json!({"t": refresh_token})).await.1["errors"].is_null()
}

#[tokio::test]
async fn change_password_keeps_this_session_and_ends_the_others() {
    let app = TestApp::new().await;
    let here = app.register_username("changer", "the-old-password").await;
    let there = app.login("changer", "the-old-password").await;
    let token = access(&here);
    let change = |current: &str, new: &str| json!({"c": current, "n": new});

    let (_, body) = app
        .gql_as(&token, CHANGE, change("not-the-password", "a-new-password-1"))
        .await;
    assert_eq!(error_code(&body), "INVALID_CREDENTIALS", "{body}");
    let (_, body) = app.gql_as(&token, CHANGE, change("the-old-password", "short")).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "newPassword", "{body}");
    let (_, body) = app
        .gql_as(&token, CHANGE, change("the-old-password", "the-old-password"))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "the same password again: {body}");
    let (_, body) = app.gql(CHANGE, change("the-old-password", "a-new-password-1")).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    assert!(me_works(&app, &access(&there)).await, "nothing changed so far");

    let (_, body) = app
        .gql_as(&token, CHANGE, change("the-old-password", "a-new-password-1"))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let fresh = &body["data"]["changePassword"];
    assert!(me_works(&app, &token).await, "this session's access token still works");
    assert!(me_works(&app, &access(fresh)).await, "and so do the fresh tokens");
    assert!(refresh_works(&app, &refresh(fresh)).await);
    assert!(
        !me_works(&app, &access(&there)).await,
        "the other session's access token is dead"
    );
    assert!(!refresh_works(&app, &refresh(&there)).await, "and its refresh token");

    let login = "mutation($p: String!) { login(input: {account: \"changer\", password: $p}) { created } }";
    let (_, body) = app.gql(login, json!({"p": "the-old-password"})).await;
    assert_eq!(error_code(&body), "INVALID_CREDENTIALS", "{body}");
    app.login("changer", "a-new-password-1").await;
}

#[tokio::test]
async fn wrong_current_passwords_lock_the_check() {
    let app = TestApp::with_args(&["--account-failures-hourly", "3"]).await;
    let user = app.register_username("guessed", "the-real-password").await;
    let token = access(&user);
    let wrong = json!({"c": "a-guess-0000", "n": "a-new-password-1"});
    for _ in 0..3 {
        let (_, body) = app.gql_as(&token, CHANGE, wrong.clone()).await;
        assert_eq!(error_code(&body), "INVALID_CREDENTIALS", "{body}");
    }
    let right = json!({"c": "the-real-password", "n": "a-new-password-1"});
    let (_, body) = app.gql_as(&token, CHANGE, right).await;
    assert_eq!(error_code(&body), "TOO_MANY_ATTEMPTS", "{body}");
    // Sign-in is not locked by it (`login` asserts success).
    app.login("guessed", "the-real-password").await;
}

#[tokio::test]
async fn revoke_session_ends_one_device_of_your_own() {
    let app = TestApp::new().await;
    let phone = app.register_username("two_devices", "a-good-password").await;
    let laptop = app.login("two_devices", "a-good-password").await;
    let other = app.register_username("someone_else", "a-good-password").await;
    let token = access(&phone);

    let (_, body) = app.gql_as(&token, SESSIONS, json!({})).await;
    let ids: Vec<String> = body["data"]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    let laptop_id = session_of(&access(&laptop));
    assert_eq!(ids.len(), 2, "{body}");
    assert!(ids.contains(&laptop_id), "{ids:?}");

    for id in [session_of(&access(&other)), "no-such-session".to_string()] {
        let (_, body) = app.gql_as(&token, REVOKE, json!({"id": id})).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    }
    assert!(
        refresh_works(&app, &refresh(&other)).await,
        "someone else's session is untouched"
    );

    let (_, body) = app.gql_as(&token, REVOKE, json!({"id": laptop_id})).await;
    assert_eq!(body["data"]["revokeSession"], true, "{body}");
    assert!(
        !refresh_works(&app, &refresh(&laptop)).await,
        "the laptop's refresh token is dead"
    );
    assert!(me_works(&app, &token).await, "this device stays signed in");
    let (_, body) = app.gql_as(&token, SESSIONS, json!({})).await;
    assert_eq!(body["data"]["sessions"].as_array().unwrap().len(), 1, "{body}");
    let (_, body) = app.gql(REVOKE, json!({"id": laptop_id})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
}
