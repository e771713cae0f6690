//! DESIGN §8: Discuz! Q's `POST /api/login` with the `mobileToken` of a
//! `no_bind_user` answer signs in and attaches that mobile.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;

fn api(path: &str, attributes: serde_json::Value) -> axum::http::Request<axum::body::Body> {
    json_post(path, &json!({"data": {"attributes": attributes}}))
}

#[tokio::test]
async fn login_with_a_mobile_token_attaches_the_mobile() {
    let app = TestApp::new().await;
    app.register_username("dzuser", "a-good-password").await;
    // An sms login for a mobile without an account answers no_bind_user with a ticket.
    let (status, _, _) = app
        .call(api("/api/sms/send", json!({"mobile": "13113690801", "type": "login"})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let code = app.last_code("+8613113690801", "login");
    let (status, _, body) = app
        .call(api(
            "/api/sms/verify",
            json!({"mobile": "13113690801", "code": code, "type": "login"}),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let ticket = body["errors"][0]["token"].as_str().unwrap_or_default().to_string();
    assert!(!ticket.is_empty(), "{body}");

    let (status, _, body) = app
        .call(api(
            "/api/login",
            json!({"username": "dzuser", "password": "a-good-password", "mobileToken": ticket}),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["type"], "token");
    let token = body["data"]["attributes"]["access_token"].as_str().unwrap_or_default();
    let me = app.me_via_graphql(token).await;
    assert_eq!(me["mobile"], "13113690801", "{me}");
    // The ticket is single use.
    let (status, _, _) = app
        .call(api(
            "/api/login",
            json!({"username": "dzuser", "password": "a-good-password", "mobileToken": ticket}),
        ))
        .await;
    assert_ne!(status, StatusCode::OK);
}

#[tokio::test]
async fn login_refusals_come_in_the_json_api_envelope() {
    let app = TestApp::new().await;
    app.register_username("dzother", "a-good-password").await;
    let (status, _, body) = app.call(api("/api/login", json!({"password": "x"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["source"]["pointer"], "/data/attributes/username");
    let (status, _, body) = app
        .call(api(
            "/api/login",
            json!({"username": "dzother", "password": "wrong-password"}),
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["errors"][0]["code"], "login_failed");
    let (status, _, body) = app
        .send(
            axum::http::Request::get("/api/login")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        String::from_utf8_lossy(&body)
    );
}

/// An sms login for a mobile without an account: the no_bind_user ticket.
async fn no_bind_user_ticket(app: &TestApp, mobile: &str) -> String {
    let (status, _, _) = app
        .call(api("/api/sms/send", json!({"mobile": mobile, "type": "login"})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let code = app.last_code(&format!("+86{mobile}"), "login");
    let (status, _, body) = app
        .call(api(
            "/api/sms/verify",
            json!({"mobile": mobile, "code": code, "type": "login"}),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    body["errors"][0]["token"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn register_with_a_mobile_token_creates_the_account_with_that_mobile() {
    let app = TestApp::new().await;
    let ticket = no_bind_user_ticket(&app, "13113690811").await;
    let (status, _, body) = app
        .call(api(
            "/api/register",
            json!({"username": "dznew", "password": "a-good-password", "mobileToken": ticket}),
        ))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["type"], "token");
    assert_eq!(body["data"]["attributes"]["expires_in"], 2_592_000);
    let token = body["data"]["attributes"]["access_token"].as_str().unwrap_or_default();
    let me = app.me_via_graphql(token).await;
    assert_eq!(me["mobile"], "13113690811", "{me}");
    assert_eq!(me["username"], "dznew", "{me}");
    // The new account signs in with its password, and the ticket is spent.
    let signed_in = app.login("dznew", "a-good-password").await;
    assert!(signed_in["tokens"]["accessToken"].is_string());
    let (status, _, body) = app
        .call(api(
            "/api/register",
            json!({"username": "dzagain", "password": "a-good-password", "mobileToken": ticket}),
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["source"]["pointer"], "/data/attributes/token");
}

#[tokio::test]
async fn register_refusals_change_nothing_and_keep_the_ticket() {
    let app = TestApp::new().await;
    // Without a ticket there is no proof (Discuz's request has no captcha field).
    let (status, _, body) = app
        .call(api(
            "/api/register",
            json!({"username": "dzbot", "password": "a-good-password"}),
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["source"]["pointer"], "/data/attributes/captcha");
    let ticket = no_bind_user_ticket(&app, "13113690812").await;
    let cases = [
        (
            json!({"password": "a-good-password", "mobileToken": ticket}),
            "/data/attributes/username",
        ),
        (
            json!({"username": "dzx", "mobileToken": ticket}),
            "/data/attributes/password",
        ),
        (
            json!({"username": "1", "password": "a-good-password", "mobileToken": ticket}),
            "/data/attributes/username",
        ),
        (
            json!({"username": "dzshort", "password": "short", "mobileToken": ticket}),
            "/data/attributes/password",
        ),
        (
            json!({"username": "dzx", "password": "a-good-password", "mobileToken": "made-up"}),
            "/data/attributes/token",
        ),
    ];
    for (attributes, pointer) in cases {
        let (status, _, body) = app.call(api("/api/register", attributes.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{attributes}: {body}");
        assert_eq!(body["errors"][0]["source"]["pointer"], pointer, "{attributes}: {body}");
    }
    // A taken username is refused and the ticket still works.
    app.register_username("dztaken", "a-good-password").await;
    let (status, _, body) = app
        .call(api(
            "/api/register",
            json!({"username": "DZTaken", "password": "a-good-password", "mobileToken": ticket}),
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["detail"][0], "用户名 已经存在。", "{body}");
    let (status, _, body) = app
        .call(api(
            "/api/register",
            json!({"username": "dzfree", "password": "a-good-password", "mobileToken": ticket}),
        ))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // GET is refused in the envelope.
    let (status, headers, _) = app
        .call(
            axum::http::Request::get("/api/register")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["allow"], "POST");
}
