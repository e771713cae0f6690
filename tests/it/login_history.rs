//! `loginHistory` (issue 14, DESIGN §10): every sign-in attempt that names an
//! existing account, successes and failures, for its owner only, newest
//! first, pruned after `ZHANGHAO_LOGIN_HISTORY_DAYS`.

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::common::*;
use crate::email_flows::{send_email, verify_email};
use crate::sms::{send_code, sms_user};

const HISTORY: &str = "query($first: Int, $after: String) { loginHistory(first: $first, after: $after) { edges { cursor node { id at method success failureCode ip userAgent } } pageInfo { hasNextPage endCursor } } }";
const BIND: &str = "mutation($input: BindThirdPartyInput!) { bindThirdParty(input: $input) { created } }";

async fn history(app: &TestApp, token: &str, first: i64, after: Option<&str>) -> Value {
    let (_, body) = app
        .gql_as(token, HISTORY, json!({"first": first, "after": after}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["loginHistory"].clone()
}

/// (method, failureCode or "ok") of each attempt, newest first.
async fn attempts(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let page = history(app, token, 100, None).await;
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            let outcome = match node["success"].as_bool().unwrap() {
                true => "ok".to_string(),
                false => node["failureCode"].as_str().unwrap().to_string(),
            };
            (node["method"].as_str().unwrap().to_string(), outcome)
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(m, o)| (m.to_string(), o.to_string())).collect()
}

async fn stored_events(app: &TestApp) -> u64 {
    entity::login_event::Entity::find().count(&app.state.db).await.unwrap()
}

async fn wrong_password(app: &TestApp, account: &str) -> Value {
    let input = json!({"input": {"account": account, "password": "not-the-password"}});
    app.gql(LOGIN, input).await.1
}

#[tokio::test]
async fn every_method_records_successes_and_failures_with_their_code() {
    let app = TestApp::new().await;
    let signed_up = sms_user(&app, "13800000401").await;
    let token = access(&signed_up);

    // Password: this account has none yet, so any password is wrong.
    assert_eq!(
        error_code(&wrong_password(&app, "13800000401").await),
        "INVALID_CREDENTIALS"
    );
    // SMS: a wrong code, then a right one.
    app.clock.advance(61);
    let code = send_code(&app, None, Some("13800000401"), "LOGIN").await;
    let verify = "mutation($input: VerifySmsInput!) { verifySms(input: $input) { created } }";
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let input = |code: &str| json!({"input": {"mobile": "13800000401", "code": code, "purpose": "LOGIN"}});
    assert_eq!(error_code(&app.gql(verify, input(wrong)).await.1), "CODE_INVALID");
    assert!(app.gql(verify, input(&code)).await.1["errors"].is_null());
    // Email: bind one, then sign in with it.
    let bound = send_email(&app, Some(&token), "history@example.cn", "BIND").await;
    let bind = json!({"email": "history@example.cn", "code": bound, "purpose": "BIND"});
    assert!(verify_email(&app, Some(&token), bind).await["errors"].is_null());
    app.clock.advance(61);
    let code = send_email(&app, None, "history@example.cn", "LOGIN").await;
    let login = json!({"email": "History@example.cn", "code": code, "purpose": "LOGIN"});
    assert!(verify_email(&app, None, login).await["errors"].is_null());
    // Third party: register-and-bind signs the mobile's owner in.
    app.clock.advance(61);
    let code = send_code(&app, None, Some("13800000401"), "LOGIN").await;
    let input = json!({"input": {"mobile": "13800000401", "code": code, "platform": "WX_APP", "openid": "o-history"}});
    let (_, body) = app.gql(BIND, input).await;
    assert_eq!(body["data"]["bindThirdParty"]["created"], false, "{body}");

    assert_eq!(
        attempts(&app, &token).await,
        pairs(&[
            ("third_party", "ok"),
            ("email", "ok"),
            ("sms", "ok"),
            ("sms", "CODE_INVALID"),
            ("password", "INVALID_CREDENTIALS"),
            ("sms", "ok"),
        ])
    );
    let page = history(&app, &token, 1, None).await;
    assert_eq!(page["edges"][0]["node"]["ip"], "203.0.113.7", "{page}");
}

#[tokio::test]
async fn the_user_agent_is_kept_and_sign_up_is_no_sign_in() {
    let app = TestApp::new().await;
    let token = access(&app.register_username("agent", "a-good-password").await);
    assert!(attempts(&app, &token).await.is_empty(), "registering is not a sign-in");
    let input = json!({"input": {"account": "agent", "password": "a-good-password"}});
    let headers = [("user-agent", "HistoryTest/1.0")];
    let (_, body) = app.gql_with(LOGIN, input, None, &headers).await;
    assert!(body["errors"].is_null(), "{body}");
    let page = history(&app, &token, 20, None).await;
    assert_eq!(page["edges"][0]["node"]["userAgent"], "HistoryTest/1.0", "{page}");
    assert_eq!(page["edges"][0]["node"]["success"], true, "{page}");
    assert!(page["edges"][0]["node"]["failureCode"].is_null(), "{page}");
}

#[tokio::test]
async fn history_needs_a_token_and_shows_only_your_own() {
    let app = TestApp::new().await;
    let (_, body) = app.gql(HISTORY, json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");

    let alice = access(&app.register_username("alice_h", "a-good-password").await);
    let bob = access(&app.register_username("bob_h", "a-good-password").await);
    app.login("alice_h", "a-good-password").await;
    wrong_password(&app, "ALICE_H").await;
    app.login("bob_h", "a-good-password").await;
    assert_eq!(
        attempts(&app, &alice).await,
        pairs(&[("password", "INVALID_CREDENTIALS"), ("password", "ok")])
    );
    assert_eq!(attempts(&app, &bob).await, pairs(&[("password", "ok")]));

    // An attempt on no account has nobody to record it for.
    let before = stored_events(&app).await;
    wrong_password(&app, "nobody_here").await;
    wrong_password(&app, "13800000499").await;
    assert_eq!(stored_events(&app).await, before);
}

#[tokio::test]
async fn pages_go_from_newest_to_oldest_by_cursor() {
    let app = TestApp::new().await;
    let token = access(&app.register_username("pager", "a-good-password").await);
    for _ in 0..3 {
        app.login("pager", "a-good-password").await;
        wrong_password(&app, "pager").await;
    }
    let all = history(&app, &token, 100, None).await;
    let ids: Vec<Value> = all["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    assert_eq!(ids.len(), 6);
    assert_eq!(all["pageInfo"]["hasNextPage"], false);

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = history(&app, &token, 4, after.as_deref()).await;
        seen.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].clone()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
    assert_eq!(seen, ids, "pages of four meet the whole list, newest first");
    let times: Vec<&str> = all["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    for (first, after) in [(0, None), (101, None), (5, Some("not-a-cursor"))] {
        let (_, body) = app
            .gql_as(&token, HISTORY, json!({"first": first, "after": after}))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{first} {after:?}: {body}");
    }
    // A users cursor is no history cursor.
    let users_cursor = base64_url("user:1");
    let (_, body) = app.gql_as(&token, HISTORY, json!({"after": users_cursor})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}

fn base64_url(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn a_locked_account_does_not_fill_its_history() {
    let app = TestApp::with_args(&["--account-failures-hourly", "2"]).await;
    let token = access(&app.register_username("locked", "a-good-password").await);
    let answers: Vec<String> = {
        let mut answers = Vec::new();
        for _ in 0..4 {
            answers.push(error_code(&wrong_password(&app, "locked").await).to_string());
        }
        answers
    };
    assert_eq!(
        answers,
        [
            "INVALID_CREDENTIALS",
            "INVALID_CREDENTIALS",
            "TOO_MANY_ATTEMPTS",
            "TOO_MANY_ATTEMPTS"
        ]
    );
    assert_eq!(
        attempts(&app, &token).await,
        pairs(&[("password", "INVALID_CREDENTIALS"), ("password", "INVALID_CREDENTIALS")])
    );
}

#[tokio::test]
async fn history_older_than_the_retention_is_pruned() {
    let app = TestApp::with_args(&["--login-history-days", "30"]).await;
    app.register_username("keeper", "a-good-password").await;
    app.login("keeper", "a-good-password").await;
    wrong_password(&app, "keeper").await;
    app.clock.advance(29 * 86_400);
    let recent = access(&app.login("keeper", "a-good-password").await);
    app.state.services.housekeeping.sweep_once().await.unwrap();
    assert_eq!(attempts(&app, &recent).await.len(), 3, "nothing is 30 days old yet");

    app.clock.advance(86_400 + 60);
    let token = access(&app.login("keeper", "a-good-password").await);
    app.state.services.housekeeping.sweep_once().await.unwrap();
    assert_eq!(
        attempts(&app, &token).await,
        pairs(&[("password", "ok"), ("password", "ok")]),
        "the two attempts of the first day are gone"
    );
}
