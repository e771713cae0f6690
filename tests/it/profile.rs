//! The profile half of the account page (issue 14, DESIGN §10):
//! `updateProfile`, `changeUsername` and `setPassword`.

use serde_json::{Value, json};

use crate::common::*;
use crate::sms::{send_code, sms_user};

const UPDATE: &str =
    "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { nickname avatar gender birthday } }";
const RENAME: &str = "mutation($u: String!) { changeUsername(username: $u) { username } }";
const SET_PASSWORD: &str = "mutation($p: String!) { setPassword(password: $p) { hasPassword } }";
const PROFILE: &str = "{ me { nickname avatar gender birthday } }";
const VERIFY_SMS: &str = "mutation($input: VerifySmsInput!) { verifySms(input: $input) { purpose } }";

fn field(body: &Value) -> &str {
    body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or("<no field>")
}

async fn profile(app: &TestApp, token: &str) -> Value {
    app.gql_as(token, PROFILE, json!({})).await.1["data"]["me"].clone()
}

#[tokio::test]
async fn update_profile_changes_the_fields_given_and_keeps_the_others() {
    let app = TestApp::new().await;
    let token = access(&app.register_username("profiled", "a-good-password").await);
    assert_eq!(
        profile(&app, &token).await,
        json!({"nickname": null, "avatar": null, "gender": "UNKNOWN", "birthday": null})
    );

    let all = json!({"input": {"nickname": "  小明  ", "avatar": "https://cdn.example.cn/a.png", "gender": "FEMALE", "birthday": "1990-05-17"}});
    let (_, body) = app.gql_as(&token, UPDATE, all).await;
    let expected = json!({"nickname": "小明", "avatar": "https://cdn.example.cn/a.png", "gender": "FEMALE", "birthday": "1990-05-17"});
    assert_eq!(body["data"]["updateProfile"], expected, "{body}");

    let (_, body) = app.gql_as(&token, UPDATE, json!({"input": {"gender": "MALE"}})).await;
    let expected = json!({"nickname": "小明", "avatar": "https://cdn.example.cn/a.png", "gender": "MALE", "birthday": "1990-05-17"});
    assert_eq!(body["data"]["updateProfile"], expected, "absent fields stay: {body}");

    let (_, body) = app
        .gql_as(&token, UPDATE, json!({"input": {"avatar": null, "birthday": null}}))
        .await;
    let expected = json!({"nickname": "小明", "avatar": null, "gender": "MALE", "birthday": null});
    assert_eq!(body["data"]["updateProfile"], expected, "null removes: {body}");
    assert_eq!(profile(&app, &token).await, expected, "and it was stored");

    let (_, body) = app.gql(UPDATE, json!({"input": {"nickname": "anyone"}})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
}

#[tokio::test]
async fn bad_profile_inputs_are_refused_by_field_and_change_nothing() {
    let app = TestApp::new().await;
    let token = access(&app.register_username("careful", "a-good-password").await);
    let good =
        json!({"input": {"nickname": "Ann", "avatar": "https://cdn.example.cn/a.png", "birthday": "2000-01-01"}});
    assert!(app.gql_as(&token, UPDATE, good).await.1["errors"].is_null());
    let before = profile(&app, &token).await;

    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let too_long = format!("https://cdn.example.cn/{}", "a".repeat(512));
    let cases = [
        (json!({"avatar": "http://cdn.example.cn/a.png"}), "avatar"),
        (json!({"avatar": "javascript:alert(1)"}), "avatar"),
        (json!({"avatar": too_long}), "avatar"),
        (json!({"nickname": "   "}), "nickname"),
        (json!({"nickname": "长".repeat(33)}), "nickname"),
        (json!({"nickname": "a\u{7}b"}), "nickname"),
        (json!({"birthday": tomorrow}), "birthday"),
        (json!({"birthday": "1899-12-31"}), "birthday"),
        // One bad field refuses the whole change.
        (json!({"nickname": "Fine", "avatar": "ftp://x.cn/a.png"}), "avatar"),
    ];
    for (input, name) in cases {
        let (_, body) = app.gql_as(&token, UPDATE, json!({"input": input})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(field(&body), name, "{input}: {body}");
    }
    let (_, body) = app
        .gql_as(&token, UPDATE, json!({"input": {"birthday": "17.05.1990"}}))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "not a date: {body}");
    assert_eq!(profile(&app, &token).await, before, "nothing changed");

    let exactly = json!({"input": {"nickname": "长".repeat(32)}});
    assert!(
        app.gql_as(&token, UPDATE, exactly).await.1["errors"].is_null(),
        "32 characters are fine"
    );
}

#[tokio::test]
async fn usernames_are_unique_in_any_letter_case() {
    let app = TestApp::new().await;
    app.register_username("Alice", "a-good-password").await;
    let token = access(&app.register_username("bob", "a-good-password").await);

    for taken in ["alice", "ALICE", "Alice"] {
        let (_, body) = app.gql_as(&token, RENAME, json!({"u": taken})).await;
        assert_eq!(error_code(&body), "ACCOUNT_EXISTS", "{taken}: {body}");
        assert_eq!(field(&body), "username", "{body}");
    }
    for bad in ["b", "no spaces", "13800138000", ""] {
        let (_, body) = app.gql_as(&token, RENAME, json!({"u": bad})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{bad}: {body}");
    }

    let (_, body) = app.gql_as(&token, RENAME, json!({"u": "BOB"})).await;
    assert_eq!(
        body["data"]["changeUsername"]["username"], "BOB",
        "own name, new case: {body}"
    );
    let (_, body) = app.gql_as(&token, RENAME, json!({"u": "robert"})).await;
    assert_eq!(body["data"]["changeUsername"]["username"], "robert", "{body}");
    app.login("ROBERT", "a-good-password").await;
    let (_, body) = app
        .gql(
            LOGIN,
            json!({"input": {"account": "bob", "password": "a-good-password"}}),
        )
        .await;
    assert_eq!(error_code(&body), "INVALID_CREDENTIALS", "the old name is gone: {body}");
    // …and free for someone else.
    app.register_username("Bob", "a-good-password").await;

    // An account made by SMS has no username until it picks one.
    let sms = access(&sms_user(&app, "13800000201").await);
    let (_, body) = app.gql_as(&sms, RENAME, json!({"u": "Robert"})).await;
    assert_eq!(error_code(&body), "ACCOUNT_EXISTS", "{body}");
    let (_, body) = app.gql_as(&sms, RENAME, json!({"u": "carol"})).await;
    assert_eq!(body["data"]["changeUsername"]["username"], "carol", "{body}");
    let (_, body) = app.gql(RENAME, json!({"u": "dave"})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
}

/// Opens the VERIFY window for the session of `token` with an SMS code.
async fn verify_mobile(app: &TestApp, token: &str) {
    app.clock.advance(61); // past the resend gap of the sign-in's code
    let code = send_code(app, Some(token), None, "VERIFY").await;
    let input = json!({"input": {"code": code, "purpose": "VERIFY"}});
    let (_, body) = app.gql_as(token, VERIFY_SMS, input).await;
    assert!(body["errors"].is_null(), "{body}");
}

#[tokio::test]
async fn set_password_needs_the_verify_window_and_no_password() {
    let app = TestApp::new().await;
    let first = sms_user(&app, "13800000202").await;
    let token = access(&first);
    app.clock.advance(61);
    let other_session = access(&sms_user(&app, "13800000202").await);
    let set = |p: &str| json!({"p": p});

    let (_, body) = app.gql_as(&token, SET_PASSWORD, set("a-first-password")).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "no VERIFY yet: {body}");
    assert_eq!(field(&body), "password", "{body}");

    verify_mobile(&app, &token).await;
    let (_, body) = app.gql_as(&other_session, SET_PASSWORD, set("a-first-password")).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "another session's window: {body}");
    let (_, body) = app.gql_as(&token, SET_PASSWORD, set("short")).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "sign-up's rules: {body}");
    let (_, body) = app.gql(SET_PASSWORD, set("a-first-password")).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");

    let (_, body) = app.gql_as(&token, SET_PASSWORD, set("a-first-password")).await;
    assert_eq!(body["data"]["setPassword"]["hasPassword"], true, "{body}");
    app.login("13800000202", "a-first-password").await;

    let (_, body) = app.gql_as(&token, SET_PASSWORD, set("another-password")).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "a password already: {body}");
    assert_eq!(field(&body), "password", "{body}");
    app.login("13800000202", "a-first-password").await;

    // A username account has had a password from the start.
    let named = access(&app.register_username("has_one", "a-good-password").await);
    let (_, body) = app.gql_as(&named, SET_PASSWORD, set("another-password")).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}

#[tokio::test]
async fn the_set_password_window_closes_after_ten_minutes() {
    let app = TestApp::new().await;
    let token = access(&sms_user(&app, "13800000203").await);
    verify_mobile(&app, &token).await;
    app.clock.advance(601);
    let (_, body) = app.gql_as(&token, SET_PASSWORD, json!({"p": "a-first-password"})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(field(&body), "password", "{body}");
}
