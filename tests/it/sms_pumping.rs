//! DESIGN §8 SMS regions: codes go only to mobiles of `ZHANGHAO_SMS_REGIONS`
//! (default CN); other numbers are refused before anything is sent.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::sms::SEND;

const REFUSED: &[&str] = &[
    "+882160000001",  // international networks
    "+5352123456",    // Cuba
    "+79161234567",   // Russia
    "+2348031234567", // Nigeria
    "+12015550123",   // United States
    "+861062345678",  // a Beijing landline
    "13800138001x99", // an extension
];

#[tokio::test]
async fn codes_are_not_sent_outside_the_allowed_regions_or_to_landlines() {
    let app = TestApp::new().await;
    for mobile in REFUSED {
        let (_, body) = app
            .gql(SEND, json!({"input": {"mobile": mobile, "purpose": "LOGIN"}}))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{mobile}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "mobile", "{mobile}: {body}");
    }
    assert!(app.outbox_entries().is_empty(), "nothing was sent");
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": "13800138000", "purpose": "LOGIN"}}))
        .await;
    assert!(body["errors"].is_null(), "a mainland mobile still works: {body}");
}

#[tokio::test]
async fn the_regions_are_a_setting() {
    let app = TestApp::with_args(&["--sms-regions", "CN,US"]).await;
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": "+12015550123", "purpose": "LOGIN"}}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": "+5352123456", "purpose": "LOGIN"}}))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}

#[tokio::test]
async fn legacy_sends_refuse_them_in_their_envelopes() {
    let app = TestApp::new().await;
    let (_, _, body) = app
        .call(form_post(
            "/api.php?s=user/regverifysend",
            &[("accounts", "+5352123456"), ("type", "sms")],
        ))
        .await;
    assert_eq!(body["code"], -2, "{body}");
    let send = json!({"data": {"attributes": {"mobile": "+5352123456", "type": "login"}}});
    let (status, _, body) = app.call(json_post("/api/sms/send", &send)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["errors"][0]["source"]["pointer"], "/data/attributes/mobile",
        "{body}"
    );
    assert!(app.outbox_entries().is_empty());
}

#[tokio::test]
async fn the_global_sms_budget_caps_sends_across_targets() {
    let app = TestApp::with_args(&["--sms-budget-hourly", "3"]).await;
    for i in 0..3 {
        let mobile = format!("1380000070{i}");
        let (_, body) = app
            .gql(SEND, json!({"input": {"mobile": mobile, "purpose": "LOGIN"}}))
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": "13800000709", "purpose": "LOGIN"}}))
        .await;
    assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");
    assert!(
        body["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap_or(0) > 0,
        "{body}"
    );
    assert_eq!(app.outbox_entries().len(), 3, "the fourth was not sent");
    // Emails are not SMS: they are not capped by it.
    let email = "mutation { sendEmailCode(input: {email: \"budget@example.cn\", purpose: REGISTER}) { expiresIn } }";
    assert!(app.gql(email, json!({})).await.1["errors"].is_null());
    // The next hour has a fresh budget.
    app.clock.advance(3600);
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": "13800000709", "purpose": "LOGIN"}}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
}
