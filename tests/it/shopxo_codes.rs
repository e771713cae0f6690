//! DESIGN §8: registration codes sent through ShopXO's `regverifysend` have
//! `ZHANGHAO_SHOPXO_CODE_LENGTH` digits (4 by default, what ShopXO's own
//! apps accept); every other code keeps 6.

use serde_json::json;

use crate::common::*;
use crate::sms::SEND;

async fn shopxo_sign_up(app: &TestApp, mobile: &str) -> (String, serde_json::Value) {
    let (_, _, sent) = app
        .call(form_post(
            "/api.php?s=user/regverifysend",
            &[("accounts", mobile), ("type", "sms")],
        ))
        .await;
    assert_eq!(sent["code"], 0, "{sent}");
    let code = app.last_code(&format!("+86{mobile}"), "register");
    let pairs = [
        ("accounts", mobile),
        ("pwd", "a-good-password"),
        ("type", "sms"),
        ("verify", code.as_str()),
    ];
    let (_, _, body) = app.call(form_post("/api.php?s=user/reg", &pairs)).await;
    (code, body)
}

#[tokio::test]
async fn a_shopxo_app_signs_up_with_a_four_digit_code() {
    let app = TestApp::new().await;
    let (code, body) = shopxo_sign_up(&app, "13113690701").await;
    assert_eq!(code.len(), 4, "{code}");
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(body["code"], 0, "{body}");
    assert_eq!(body["msg"], "注册成功");
    // GraphQL's codes keep six digits.
    let (_, sent) = app
        .gql(SEND, json!({"input": {"mobile": "13113690702", "purpose": "REGISTER"}}))
        .await;
    assert!(sent["errors"].is_null(), "{sent}");
    assert_eq!(app.last_code("+8613113690702", "register").len(), 6);
}

#[tokio::test]
async fn the_shopxo_code_length_is_a_setting() {
    let app = TestApp::with_args(&["--shopxo-code-length", "6"]).await;
    let (code, body) = shopxo_sign_up(&app, "13113690703").await;
    assert_eq!(code.len(), 6);
    assert_eq!(body["code"], 0, "{body}");
}

#[tokio::test]
async fn a_four_digit_guess_never_matches_a_six_digit_code() {
    let app = TestApp::new().await;
    let (_, sent) = app
        .gql(SEND, json!({"input": {"mobile": "13113690704", "purpose": "REGISTER"}}))
        .await;
    assert!(sent["errors"].is_null());
    let code = app.last_code("+8613113690704", "register");
    let input = json!({"input": {"method": "SMS", "account": "13113690704", "password": "a-good-password", "verify": &code[..4]}});
    assert_eq!(error_code(&app.gql(REGISTER, input).await.1), "CODE_INVALID");
}
