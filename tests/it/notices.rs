//! Security notices (issue 11): after a password reset or a change of
//! mobile, the owner hears about it on the channel they had before.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::common::*;
use crate::sms::{VERIFY, send_code, sms_user};

async fn verify(app: &TestApp, token: Option<&str>, input: Value) -> Value {
    app.gql_with(VERIFY, json!({"input": input}), token, &[]).await.1
}

fn notices(app: &TestApp) -> Vec<zhanghao::messaging::OutboxEntry> {
    app.outbox_entries()
        .into_iter()
        .filter(|e| e.purpose.starts_with("notice_"))
        .collect()
}

#[tokio::test]
async fn a_password_reset_is_told_to_the_account_s_mobile() {
    let app = TestApp::new().await;
    sms_user(&app, "13800000300").await;
    app.clock.advance(61);
    let code = send_code(&app, None, Some("13800000300"), "RESET_PASSWORD").await;
    // A refused reset tells nobody.
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000300", "code": "000000", "purpose": "RESET_PASSWORD", "password": "a-new-password"}),
    )
    .await;
    assert_eq!(error_code(&body), "CODE_INVALID");
    assert!(notices(&app).is_empty());
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000300", "code": code, "purpose": "RESET_PASSWORD", "password": "a-new-password"}),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    let sent = notices(&app);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].channel, "sms");
    assert_eq!(sent[0].to, "+8613800000300");
    assert_eq!(sent[0].purpose, "notice_password_reset");
    assert_eq!(sent[0].code, "", "a notice carries no code");
    assert!(
        sent[0].text.contains("登录密码已通过短信验证码重设"),
        "{}",
        sent[0].text
    );
}

#[tokio::test]
async fn a_rebind_is_told_to_the_old_mobile_only() {
    let app = TestApp::new().await;
    let user = sms_user(&app, "13800000310").await;
    let token = user["tokens"]["accessToken"].as_str().unwrap().to_string();
    app.clock.advance(61);
    let code = send_code(&app, Some(&token), None, "VERIFY").await;
    assert!(verify(&app, Some(&token), json!({"code": code, "purpose": "VERIFY"})).await["errors"].is_null());
    let code = send_code(&app, Some(&token), Some("13800000311"), "REBIND").await;
    let body = verify(
        &app,
        Some(&token),
        json!({"mobile": "13800000311", "code": code, "purpose": "REBIND"}),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    let sent = notices(&app);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, "+8613800000310", "the old mobile is told");
    assert_eq!(sent[0].purpose, "notice_mobile_changed");
    assert!(
        sent[0].text.contains("138****0311"),
        "the new mobile, masked: {}",
        sent[0].text
    );
}

#[tokio::test]
async fn notices_can_be_turned_off() {
    let app = TestApp::with_args(&["--security-notices", "false"]).await;
    sms_user(&app, "13800000320").await;
    app.clock.advance(61);
    let code = send_code(&app, None, Some("13800000320"), "RESET_PASSWORD").await;
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000320", "code": code, "purpose": "RESET_PASSWORD", "password": "a-new-password"}),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    assert!(notices(&app).is_empty());
}

/// A Tencent SendSms stand-in that records each request and accepts it
/// (the signature is checked by the sender's own unit tests).
async fn tencent_sms() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let store = seen.clone();
    let handler = move |body: axum::body::Bytes| {
        let store = store.clone();
        async move {
            let request: Value = serde_json::from_slice(&body).unwrap_or_default();
            let number = request["PhoneNumberSet"][0].clone();
            store.lock().unwrap().push(request);
            axum::Json(
                json!({"Response": {"SendStatusSet": [{"Code": "Ok", "Message": "send success", "PhoneNumber": number}], "RequestId": "r"}}),
            )
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().route("/", axum::routing::post(handler));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}"), seen)
}

async fn reset_through_tencent(notice_template: Option<&str>, mobile: &str) -> Vec<Value> {
    let (endpoint, seen) = tencent_sms().await;
    let mut args = vec![
        "--sms-provider",
        "tencent",
        "--tencent-secret-id",
        "AKID-test",
        "--tencent-secret-key",
        "key",
        "--tencent-sdk-app-id",
        "1400006666",
        "--tencent-sign-name",
        "账号服务",
        "--tencent-template-id",
        "1110",
        "--tencent-endpoint",
        &endpoint,
    ];
    if let Some(template) = notice_template {
        args.extend(["--tencent-notice-template-id", template]);
    }
    let app = TestApp::with_args(&args).await;
    let last_code = || {
        seen.lock().unwrap().last().unwrap()["TemplateParamSet"][0]
            .as_str()
            .unwrap()
            .to_string()
    };
    let send = |purpose: &str| json!({"input": {"mobile": mobile, "purpose": purpose}});
    let sent = "mutation($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { expiresIn } }";
    assert!(app.gql(sent, send("LOGIN")).await.1["errors"].is_null());
    let login = json!({"mobile": mobile, "code": last_code(), "purpose": "LOGIN", "register": true});
    assert!(verify(&app, None, login).await["errors"].is_null());
    app.clock.advance(61);
    assert!(app.gql(sent, send("RESET_PASSWORD")).await.1["errors"].is_null());
    let reset =
        json!({"mobile": mobile, "code": last_code(), "purpose": "RESET_PASSWORD", "password": "a-new-password"});
    assert!(verify(&app, None, reset).await["errors"].is_null());
    seen.lock().unwrap().clone()
}

#[tokio::test]
async fn a_template_provider_sends_notices_with_the_notice_template_when_one_is_set() {
    let seen = reset_through_tencent(Some("2220"), "13800000330").await;
    let templates: Vec<&Value> = seen.iter().map(|r| &r["TemplateId"]).collect();
    assert_eq!(templates, ["1110", "1110", "2220"], "two codes, then the notice");
    assert_eq!(seen[2]["TemplateParamSet"], json!(["密码已重设"]));
    assert_eq!(seen[2]["PhoneNumberSet"], json!(["+8613800000330"]));

    let seen = reset_through_tencent(None, "13800000331").await;
    assert_eq!(seen.len(), 2, "without a notice template only the codes go: {seen:?}");
}

#[tokio::test]
async fn a_password_change_is_told_to_the_account_s_mobile() {
    let app = TestApp::new().await;
    sms_user(&app, "13800000340").await;
    app.clock.advance(61);
    let code = send_code(&app, None, Some("13800000340"), "RESET_PASSWORD").await;
    let reset =
        json!({"mobile": "13800000340", "code": code, "purpose": "RESET_PASSWORD", "password": "the-first-password"});
    assert!(verify(&app, None, reset).await["errors"].is_null());
    // The reset ended every session: sign in again with the password.
    let signed_in = app.login("13800000340", "the-first-password").await;
    let token = access(&signed_in);
    let change =
        "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { user { id } } }";
    let (_, body) = app
        .gql_as(
            &token,
            change,
            json!({"c": "the-first-password", "n": "the-second-password"}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let sent = notices(&app);
    assert_eq!(
        sent.last().map(|n| n.purpose.as_str()),
        Some("notice_password_changed"),
        "{sent:?}"
    );
    assert_eq!(sent.last().map(|n| n.to.as_str()), Some("+8613800000340"));
}
