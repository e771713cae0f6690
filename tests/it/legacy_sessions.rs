//! DESIGN §8: tokens issued through the legacy REST layer live
//! `ZHANGHAO_LEGACY_ACCESS_TTL` (30 days), since ShopXO and chickenshop
//! clients never refresh, and are still revoked at once.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;

const DAY: i64 = 86_400;

async fn chickenshop_token(app: &TestApp, mobile: &str) -> String {
    let send = json!({"data": {"attributes": {"mobile": mobile, "type": "login"}}});
    let (status, _, _) = app.call(json_post("/api/sms/send", &send)).await;
    assert_eq!(status, StatusCode::CREATED);
    let code = app.last_code(&format!("+86{mobile}"), "login");
    let (_, _, body) = app
        .call(json_post(
            "/module/chickenshop/threeRegisterAndBind",
            &json!({"phone": mobile, "code": code}),
        ))
        .await;
    assert_eq!(body["status"], 200, "{body}");
    body["data"]["token"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_legacy_client_stays_signed_in_for_days_but_not_past_a_revocation() {
    let app = TestApp::new().await;
    let legacy = chickenshop_token(&app, "13113690601").await;
    let graphql = access(&app.register_username("modern", "a-good-password").await);
    app.clock.advance(2 * DAY);
    assert!(
        !app.me_via_graphql(&legacy).await.is_null(),
        "a legacy token works two days later"
    );
    let (_, body) = app.gql_as(&graphql, "{ me { id } }", json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "a GraphQL token lives an hour");

    let (_, body) = app
        .gql_as(&legacy, "mutation { logout(allSessions: true) }", json!({}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, body) = app.gql_as(&legacy, "{ me { id } }", json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "revoked at once: {body}");
}

#[tokio::test]
async fn the_legacy_lifetime_is_a_setting() {
    let app = TestApp::with_args(&["--legacy-access-ttl", "7200"]).await;
    let legacy = chickenshop_token(&app, "13113690602").await;
    app.clock.advance(3600 + 60);
    assert!(!app.me_via_graphql(&legacy).await.is_null());
    app.clock.advance(3600);
    let (_, body) = app.gql_as(&legacy, "{ me { id } }", json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}
