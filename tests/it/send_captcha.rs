//! DESIGN §8 captcha before sending: once a client IP has had N codes sent
//! in the last hour, `sendSmsCode` / `sendEmailCode` (and ShopXO's
//! `regverifysend`) need a solved captcha: the image one, or a ticket of
//! `ZHANGHAO_CAPTCHA_PROVIDER` checked with the provider (stand-ins in
//! `send_captcha/stand_ins.rs`).

use serde_json::{Value, json};

use crate::common::*;

mod providers;
pub(crate) mod stand_ins;

const SEND: &str = "mutation($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { expiresIn } }";

async fn send(app: &TestApp, mobile: &str, captcha: Option<(&str, &str)>) -> Value {
    let mut input = json!({"mobile": mobile, "purpose": "LOGIN"});
    if let Some((id, answer)) = captcha {
        input["captchaId"] = json!(id);
        input["captcha"] = json!(answer);
    }
    app.gql(SEND, json!({"input": input})).await.1
}

#[tokio::test]
async fn after_n_sends_a_captcha_is_required_and_single_use() {
    let app = TestApp::with_args(&["--send-captcha", "after:2"]).await;
    assert!(send(&app, "13800000901", None).await["errors"].is_null());
    assert!(send(&app, "13800000902", None).await["errors"].is_null());
    let body = send(&app, "13800000903", None).await;
    assert_eq!(error_code(&body), "CAPTCHA_REQUIRED", "{body}");
    let id = app.captcha().await;
    let answer = app.last_code(&id, "captcha");
    let body = send(&app, "13800000903", Some((&id, "wrong"))).await;
    assert_eq!(error_code(&body), "CAPTCHA_INVALID", "{body}");
    // A wrong answer spent that captcha: a new one is needed.
    let body = send(&app, "13800000903", Some((&id, &answer))).await;
    assert_eq!(error_code(&body), "CAPTCHA_INVALID", "single use: {body}");
    let id = app.captcha().await;
    let answer = app.last_code(&id, "captcha");
    assert!(send(&app, "13800000903", Some((&id, &answer))).await["errors"].is_null());
    assert_eq!(app.outbox_entries().iter().filter(|e| e.channel == "sms").count(), 3);
}

#[tokio::test]
async fn refused_sends_do_not_bring_the_captcha_closer() {
    let app = TestApp::with_args(&["--send-captcha", "after:2"]).await;
    assert!(send(&app, "13800000911", None).await["errors"].is_null());
    for _ in 0..5 {
        // The 60-second gap of that mobile refuses these.
        assert_eq!(error_code(&send(&app, "13800000911", None).await), "RATE_LIMITED");
    }
    assert!(
        send(&app, "13800000912", None).await["errors"].is_null(),
        "still one send before the captcha"
    );
    assert_eq!(error_code(&send(&app, "13800000913", None).await), "CAPTCHA_REQUIRED");
}

#[tokio::test]
async fn always_and_off() {
    let always = TestApp::with_args(&["--send-captcha", "always"]).await;
    assert_eq!(
        error_code(&send(&always, "13800000921", None).await),
        "CAPTCHA_REQUIRED"
    );
    let email = "mutation { sendEmailCode(input: {email: \"a@example.cn\", purpose: REGISTER}) { expiresIn } }";
    assert_eq!(error_code(&always.gql(email, json!({})).await.1), "CAPTCHA_REQUIRED");
    let off = TestApp::with_args(&["--send-captcha", "off"]).await;
    for i in 0..5 {
        assert!(send(&off, &format!("1380000093{i}"), None).await["errors"].is_null());
    }
}

#[tokio::test]
async fn shopxo_regverifysend_takes_its_image_captcha_in_verify_with_uuid() {
    let app = TestApp::with_args(&["--send-captcha", "always"]).await;
    let pairs = [("accounts", "13113690901"), ("type", "sms")];
    let (_, _, body) = app.call(form_post("/api.php?s=user/regverifysend", &pairs)).await;
    assert_eq!(body["code"], -10, "{body}");
    assert_eq!(body["msg"], "图片验证码为空");
    // ShopXO draws the captcha by uuid (userverifyentry); the answer is in the outbox.
    let (status, _, _) = app
        .send(
            axum::http::Request::get("/api.php?s=user/userverifyentry&type=user_reg&uuid=shop-uuid-1")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::OK);
    let answer = app.last_code("shop-uuid-1", "captcha");
    let pairs = [
        ("accounts", "13113690901"),
        ("type", "sms"),
        ("uuid", "shop-uuid-1"),
        ("verify", answer.as_str()),
    ];
    let (_, _, body) = app.call(form_post("/api.php?s=user/regverifysend", &pairs)).await;
    assert_eq!(body["code"], 0, "{body}");
}

#[tokio::test]
async fn discuz_sends_are_not_gated_since_its_protocol_has_no_captcha() {
    let app = TestApp::with_args(&["--send-captcha", "always"]).await;
    let body = json!({"data": {"attributes": {"mobile": "13113690911", "type": "login"}}});
    let (status, _, answer) = app.call(json_post("/api/sms/send", &body)).await;
    assert_eq!(status, axum::http::StatusCode::CREATED, "{answer}");
}
