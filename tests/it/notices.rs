//! Security notices (issue 11): after a password reset or a change of
//! mobile, the owner hears about it on the channel they had before.

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
