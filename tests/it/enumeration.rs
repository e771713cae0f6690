//! DESIGN §8 enumeration: before a caller has proven a code, no answer says
//! whether a mobile, email or openid has an account.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::sms::{SEND, VERIFY, sms_user};

async fn send(app: &TestApp, mobile: &str, purpose: &str) -> Value {
    app.gql(SEND, json!({"input": {"mobile": mobile, "purpose": purpose}}))
        .await
        .1
}

#[tokio::test]
async fn reset_password_answers_the_same_for_unknown_and_known_mobiles() {
    let app = TestApp::new().await;
    sms_user(&app, "13800000501").await;
    app.clock.advance(61);
    let sent_before = app.outbox_entries().len();
    let known = send(&app, "13800000501", "RESET_PASSWORD").await;
    let unknown = send(&app, "13800000502", "RESET_PASSWORD").await;
    assert!(known["errors"].is_null(), "{known}");
    assert_eq!(known, unknown, "same shape, same resendAfter");
    assert_eq!(
        app.outbox_entries().len(),
        sent_before + 1,
        "only the known mobile got a code"
    );
    // The resend limit holds alike.
    let known_again = send(&app, "13800000501", "RESET_PASSWORD").await;
    let unknown_again = send(&app, "13800000502", "RESET_PASSWORD").await;
    assert_eq!(error_code(&known_again), "RATE_LIMITED");
    assert_eq!(error_code(&unknown_again), "RATE_LIMITED");
    // A made-up code: CODE_INVALID both ways.
    for mobile in ["13800000501", "13800000502"] {
        let input = json!({"mobile": mobile, "code": "123456", "purpose": "RESET_PASSWORD", "password": "a-brand-new-password"});
        let (_, body) = app.gql(VERIFY, json!({"input": input})).await;
        assert_eq!(error_code(&body), "CODE_INVALID", "{mobile}: {body}");
    }
}

#[tokio::test]
async fn register_with_a_wrong_code_never_says_the_mobile_is_taken() {
    let app = TestApp::new().await;
    sms_user(&app, "13800000503").await;
    for mobile in ["13800000503", "13800000504"] {
        let input =
            json!({"input": {"method": "SMS", "account": mobile, "password": "a-good-password", "verify": "123456"}});
        let (_, body) = app.gql(REGISTER, input).await;
        assert_eq!(error_code(&body), "CODE_INVALID", "{mobile}: {body}");
    }
    let input = json!({"input": {"method": "EMAIL", "account": "nobody@example.cn", "password": "a-good-password", "verify": "123456"}});
    assert_eq!(error_code(&app.gql(REGISTER, input).await.1), "CODE_INVALID");
}

#[tokio::test]
async fn a_right_code_for_a_mobile_taken_meanwhile_is_account_exists() {
    let app = TestApp::new().await;
    let (_, sent) = app
        .gql(SEND, json!({"input": {"mobile": "13800000505", "purpose": "REGISTER"}}))
        .await;
    assert!(sent["errors"].is_null(), "{sent}");
    let code = app.last_code("+8613800000505", "register");
    // Someone else takes the mobile between the send and the register.
    app.clock.advance(61);
    sms_user(&app, "13800000505").await;
    let input =
        json!({"input": {"method": "SMS", "account": "13800000505", "password": "a-good-password", "verify": code}});
    let (_, body) = app.gql(REGISTER, input).await;
    assert_eq!(error_code(&body), "ACCOUNT_EXISTS", "{body}");
}

#[tokio::test]
async fn bind_third_party_with_a_wrong_code_never_says_an_openid_is_bound() {
    let app = TestApp::new().await;
    let bind = "mutation($input: BindThirdPartyInput!) { bindThirdParty(input: $input) { created } }";
    let login_code = |mobile: &'static str| {
        let app = &app;
        async move {
            app.gql(SEND, json!({"input": {"mobile": mobile, "purpose": "LOGIN"}}))
                .await;
            app.last_code(&format!("+86{mobile}"), "login")
        }
    };
    // 13800000506 has a WeChat identity already: another one would conflict.
    let code = login_code("13800000506").await;
    let input = json!({"input": {"mobile": "13800000506", "code": code, "platform": "WX_APP", "openid": "o-first"}});
    assert!(app.gql(bind, input).await.1["errors"].is_null());
    app.clock.advance(61);
    for (mobile, openid) in [("13800000506", "o-second"), ("13800000507", "o-free")] {
        let input = json!({"input": {"mobile": mobile, "code": "123456", "platform": "WX_APP", "openid": openid}});
        let (_, body) = app.gql(bind, input).await;
        assert_eq!(error_code(&body), "CODE_INVALID", "{openid}: {body}");
    }
    // With a right code the conflict is told, and the code survives it.
    let code = login_code("13800000506").await;
    let taken = json!({"input": {"mobile": "13800000506", "code": code, "platform": "WX_APP", "openid": "o-second"}});
    assert_eq!(error_code(&app.gql(bind, taken).await.1), "ALREADY_BOUND");
    let other = json!({"input": {"mobile": "13800000506", "code": code, "platform": "QQ", "openid": "q-first"}});
    let (_, body) = app.gql(bind, other).await;
    assert_eq!(body["data"]["bindThirdParty"]["created"], false, "{body}");
}

#[tokio::test]
async fn discuz_reset_pwd_send_answers_the_same_for_unknown_and_known_mobiles() {
    let app = TestApp::new().await;
    sms_user(&app, "13800000508").await;
    app.clock.advance(61);
    let mut answers = Vec::new();
    for mobile in ["13800000508", "13800000509"] {
        let body = json!({"data": {"attributes": {"mobile": mobile, "type": "reset_pwd"}}});
        let (status, _, answer) = app.call(json_post("/api/sms/send", &body)).await;
        answers.push((status, answer));
    }
    assert_eq!(answers[0].0, StatusCode::CREATED, "{:?}", answers[0]);
    assert_eq!(answers[0], answers[1]);
}

#[tokio::test]
async fn shopxo_reg_with_a_wrong_code_answers_alike_for_taken_and_free_mobiles() {
    let app = TestApp::new().await;
    sms_user(&app, "13800000510").await;
    let mut answers = Vec::new();
    for mobile in ["13800000510", "13800000511"] {
        let pairs = [
            ("accounts", mobile),
            ("pwd", "a-good-password"),
            ("type", "sms"),
            ("verify", "1234"),
        ];
        let (_, _, body) = app.call(form_post("/api.php?s=user/reg", &pairs)).await;
        answers.push(body);
    }
    assert_eq!(answers[0], answers[1], "{answers:?}");
    assert_ne!(answers[0]["code"], 0);
}
