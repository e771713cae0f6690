//! Account deletion (注销, DESIGN §10): proof, the grace period, cancelling,
//! and the anonymisation that leaves nothing personal in any table — the
//! test reads every column of every table — while the mobile, email and
//! username can make a new account. One node anonymises each account.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use zhanghao::clock::Clock as _;

use crate::common::*;

const REQUEST: &str = "mutation($p: String, $c: String) { requestAccountDeletion(password: $p, code: $c) { id status deletionScheduledAt } }";
const CANCEL: &str = "mutation { cancelAccountDeletion { id status deletionScheduledAt } }";
const ME: &str = "{ me { id status } }";
const REFRESH: &str = "mutation($t: String!) { refreshToken(refreshToken: $t) { tokens { accessToken } } }";
const SEND: &str = "mutation($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { expiresIn } }";
const UA: &str = "ErasureTestAgent/1.0";

/// An account made by SMS with a password; returns its AuthPayload.
async fn sms_account(app: &TestApp, mobile: &str, password: &str) -> Value {
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": mobile, "purpose": "REGISTER"}}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let code = app.last_code(&format!("+86{mobile}"), "register");
    let input = json!({"method": "SMS", "account": mobile, "password": password, "verify": code});
    let (_, body) = app
        .gql(
            "mutation($input: RegisterInput!) { register(input: $input) { user { id } tokens { accessToken refreshToken } } }",
            json!({ "input": input }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["register"].clone()
}

async fn verify_code(app: &TestApp, token: &str, mobile: &str) -> String {
    // One code a minute per mobile.
    app.clock.advance(61);
    let (_, body) = app.gql_as(token, SEND, json!({"input": {"purpose": "VERIFY"}})).await;
    assert!(body["errors"].is_null(), "{body}");
    app.last_code(&format!("+86{mobile}"), "verify")
}

async fn request(app: &TestApp, token: &str, password: Option<&str>, code: Option<&str>) -> Value {
    app.gql_as(token, REQUEST, json!({"p": password, "c": code})).await.1
}

#[tokio::test]
async fn deletion_needs_proof_waits_out_its_grace_and_can_be_cancelled() {
    let app = TestApp::new().await;
    let here = sms_account(&app, "13900000001", "a-good-password").await;
    let there = app.login("13900000001", "a-good-password").await;
    let token = access(&here);

    for (password, code, expected) in [
        (None, None, "BAD_USER_INPUT"),
        (Some("wrong-password"), None, "INVALID_CREDENTIALS"),
        (Some("a-good-password"), Some("123456"), "BAD_USER_INPUT"),
        (None, Some("123456"), "CODE_INVALID"),
    ] {
        let body = request(&app, &token, password, code).await;
        assert_eq!(error_code(&body), expected, "{password:?} {code:?}: {body}");
    }
    assert_eq!(
        error_code(&app.gql(REQUEST, json!({"p": "a-good-password"})).await.1),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        app.gql_as(&token, ME, json!({})).await.1["data"]["me"]["status"],
        "ACTIVE"
    );

    let body = request(&app, &token, Some("a-good-password"), None).await;
    let pending = &body["data"]["requestAccountDeletion"];
    assert_eq!(pending["status"], "PENDING_DELETION", "{body}");
    let at: chrono::DateTime<chrono::Utc> = pending["deletionScheduledAt"].as_str().unwrap().parse().unwrap();
    let grace = (at - app.clock.now()).num_seconds();
    assert!((15 * 86_400 - 60..=15 * 86_400).contains(&grace), "{grace}");
    // Every other session ended; this one lives, and signing in still works.
    assert!(app.gql(REFRESH, json!({"t": refresh(&there)})).await.1["errors"].is_array());
    assert!(app.gql(REFRESH, json!({"t": refresh(&here)})).await.1["errors"].is_null());
    let again = app.login("13900000001", "a-good-password").await;
    assert_eq!(again["user"]["id"], here["user"]["id"]);

    let body = app.gql_as(&token, CANCEL, json!({})).await.1;
    assert_eq!(body["data"]["cancelAccountDeletion"]["status"], "ACTIVE", "{body}");
    assert!(body["data"]["cancelAccountDeletion"]["deletionScheduledAt"].is_null());
    assert_eq!(error_code(&app.gql_as(&token, CANCEL, json!({})).await.1), "NOT_FOUND");

    // Asked again, by code; once the grace is over it cannot be cancelled.
    let token = access(&again);
    let code = verify_code(&app, &token, "13900000001").await;
    let body = request(&app, &token, None, Some(&code)).await;
    assert_eq!(
        body["data"]["requestAccountDeletion"]["status"], "PENDING_DELETION",
        "{body}"
    );
    app.clock.advance(15 * 86_400 + 1);
    // The access token has long expired; the session still refreshes (30 days).
    let (_, body) = app.gql(REFRESH, json!({"t": refresh(&again)})).await;
    let token = body["data"]["refreshToken"]["tokens"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(error_code(&app.gql_as(&token, CANCEL, json!({})).await.1), "FORBIDDEN");
    assert_eq!(app.state.services.erasure.erase_due().await.unwrap(), 1);
    assert_eq!(app.state.services.erasure.erase_due().await.unwrap(), 0, "once");
    assert_eq!(
        error_code(&app.gql_as(&token, ME, json!({})).await.1),
        "UNAUTHENTICATED"
    );
    let (_, body) = app
        .gql(
            "mutation { login(input: {account: \"13900000001\", password: \"a-good-password\"}) { created } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "INVALID_CREDENTIALS", "{body}");
}

/// Every value of every column of every table, as text.
async fn every_value(app: &TestApp) -> Vec<String> {
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let sqlite = backend == sea_orm::DatabaseBackend::Sqlite;
    let tables_sql = if sqlite {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    } else {
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
    };
    let text = |row: &sea_orm::QueryResult, column: &str| row.try_get::<Option<String>>("", column).unwrap();
    let mut values = Vec::new();
    for table in db
        .query_all_raw(Statement::from_string(backend, tables_sql))
        .await
        .unwrap()
    {
        let table = text(&table, "name").unwrap();
        let columns_sql = if sqlite {
            format!("SELECT name FROM pragma_table_info('{table}')")
        } else {
            format!("SELECT column_name AS name FROM information_schema.columns WHERE table_name = '{table}'")
        };
        for column in db
            .query_all_raw(Statement::from_string(backend, columns_sql))
            .await
            .unwrap()
        {
            let column = text(&column, "name").unwrap();
            let sql = format!("SELECT CAST(\"{column}\" AS TEXT) AS v FROM \"{table}\"");
            for row in db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap() {
                values.extend(text(&row, "v").map(|v| format!("{table}.{column}={v}")));
            }
        }
    }
    values
}

#[tokio::test]
async fn with_no_grace_nothing_personal_is_left_and_the_identifiers_are_free() {
    let app = TestApp::with_args(&["--deletion-grace-days", "0"]).await;
    let mobile = "13900000002";
    let me = sms_account(&app, mobile, "a-good-password").await;
    let token = access(&me);
    let id = me["user"]["id"].as_str().unwrap().to_string();
    let ua = [("user-agent", UA)];
    let profile = r#"mutation { changeUsername(username: "EraseMe") { id } updateProfile(input: {nickname: "Nick-Erase", avatar: "https://cdn.example/erase.png"}) { id } }"#;
    assert!(app.gql_as(&token, profile, json!({})).await.1["errors"].is_null());
    let email_send = r#"mutation { sendEmailCode(input: {email: "erase@example.com", purpose: BIND}) { expiresIn } }"#;
    assert!(app.gql_as(&token, email_send, json!({})).await.1["errors"].is_null());
    let email_code = app.last_code("erase@example.com", "bind");
    let bind_email = format!(
        r#"mutation {{ verifyEmail(input: {{email: "erase@example.com", code: "{email_code}", purpose: BIND}}) {{ purpose }} }}"#
    );
    assert!(app.gql_as(&token, &bind_email, json!({})).await.1["errors"].is_null());
    app.clock.advance(61);
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": mobile, "purpose": "LOGIN"}}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let login_code = app.last_code(&format!("+86{mobile}"), "login");
    let bind = format!(
        r#"mutation {{ bindThirdParty(input: {{mobile: "{mobile}", code: "{login_code}", platform: WX_APP, openid: "o-erase-openid"}}) {{ created }} }}"#
    );
    assert!(app.gql_with(&bind, json!({}), None, &ua).await.1["errors"].is_null());
    let wrong =
        format!(r#"mutation {{ login(input: {{account: "{mobile}", password: "not-it-at-all"}}) {{ created }} }}"#);
    assert_eq!(
        error_code(&app.gql_with(&wrong, json!({}), None, &ua).await.1),
        "INVALID_CREDENTIALS"
    );
    // An unspent code to the mobile, and a sign-in with a user agent.
    verify_code(&app, &token, mobile).await;
    let fresh = app
        .gql_with(
            "mutation { login(input: {account: \"EraseMe\", password: \"a-good-password\"}) { tokens { accessToken } } }",
            json!({}),
            None,
            &ua,
        )
        .await
        .1;
    let token = fresh["data"]["login"]["tokens"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let personal = [
        mobile,
        "erase@example.com",
        "EraseMe",
        "eraseme",
        "Nick-Erase",
        "https://cdn.example/erase.png",
        "o-erase-openid",
        "203.0.113.7",
        UA,
    ];
    let before = every_value(&app).await;
    for value in personal {
        assert!(
            before.iter().any(|v| v.contains(value)),
            "the test should find {value} before"
        );
    }

    let body = request(&app, &token, Some("a-good-password"), None).await;
    assert_eq!(body["data"]["requestAccountDeletion"]["status"], "DELETED", "{body}");
    // Counters keyed by the client IP alone (`send:ip:…`) belong to the
    // address, not to the account, and expire within their window; erasing
    // them with an account would let anyone reset the IP limits by deleting one.
    let after: Vec<String> = every_value(&app)
        .await
        .into_iter()
        .filter(|v| !(v.starts_with("rate_counters.key=") && v.contains(":ip:")))
        .collect();
    for value in personal {
        let left: Vec<&String> = after.iter().filter(|v| v.contains(value)).collect();
        assert!(left.is_empty(), "{value} is still in {left:?}");
    }
    assert!(after.iter().any(|v| v == "users.status=DELETED"), "the tombstone stays");
    assert!(after.iter().any(|v| v == &format!("users.id={id}")));
    assert_eq!(
        error_code(&app.gql_as(&token, ME, json!({})).await.1),
        "UNAUTHENTICATED"
    );

    // A deleted account is an unknown one on the legacy paths too.
    let discuz = |account: &str| {
        json_post(
            "/api/login",
            &json!({"data": {"attributes": {"username": account, "password": "a-good-password"}}}),
        )
    };
    let (deleted_status, _, deleted) = app.call(discuz(mobile)).await;
    let (unknown_status, _, unknown) = app.call(discuz("13900000999")).await;
    assert_eq!((deleted_status, deleted), (unknown_status, unknown));

    // The same mobile, username and email make a new account, with a new id.
    let new = sms_account(&app, mobile, "another-good-password").await;
    assert_ne!(new["user"]["id"].as_str().unwrap(), id);
    let rename = r#"mutation { changeUsername(username: "EraseMe") { username } }"#;
    assert!(app.gql_as(&access(&new), rename, json!({})).await.1["errors"].is_null());
}

#[tokio::test]
async fn two_nodes_anonymise_each_account_once() {
    let app = TestApp::new().await;
    let other = app.another_node(&[]).await;
    for n in 0..6 {
        let mobile = format!("1390000010{n}");
        let me = sms_account(&app, &mobile, "a-good-password").await;
        let body = request(&app, &access(&me), Some("a-good-password"), None).await;
        assert_eq!(body["data"]["requestAccountDeletion"]["status"], "PENDING_DELETION");
    }
    app.clock.advance(16 * 86_400);
    let (a, b) = tokio::join!(
        app.state.services.erasure.erase_due(),
        other.state.services.erasure.erase_due()
    );
    assert_eq!(a.unwrap() + b.unwrap(), 6);
    let values = every_value(&app).await;
    assert_eq!(values.iter().filter(|v| *v == "users.status=DELETED").count(), 6);
}
