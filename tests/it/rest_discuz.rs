//! Discuz! Q (seed 002): `/api/sms/send`, `/api/sms/verify` for every type,
//! `/api/refresh-token`, the JSON:API envelopes and the Discuz errors.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::common::*;

const SEED_LOGIN_OK: &str = r#"{"data":{"type":"token","id":"1","attributes":{"token_type":"Bearer","expires_in":2592000,"access_token":"eyJ0eXAiOiJKV1QiLCJhbGci....hsL7aw50A","refresh_token":"def50200c6613b478a7...3abb"}}}"#;
const SEED_NO_BIND: &str =
    r#"{"errors":[{"status":400,"code":"no_bind_user","token":"6zBp45V....EfqUvJz2","user":null}]}"#;
const SEED_BIND_OK: &str = r#"{"data":{"type":"users","id":"1","attributes":{"username":"username","mobile":"mobile","lastLoginIp":"","createdAt":"2019-12-12T00:00:00+08:00","updatedAt":"2019-12-12T00:00:00+08:00"}}}"#;
const SEED_PAY_OK: &str = r#"{"data":{"type":"users","id":"53","attributes":{"id":53,"username":"username","mobile":"mobile","avatarUrl":"","threadCount":0,"followCount":0,"fansCount":0,"follow":null,"status":0,"loginAt":null,"joinedAt":"2019-12-29T19:18:46+08:00","expiredAt":null,"createdAt":"2019-12-29T19:18:46+08:00","updatedAt":"2020-02-18T17:21:57+08:00","canEdit":true,"canDelete":true,"canWalletPay":true,"registerReason":"","banReason":"","originalMobile":"mobile","registerIp":"127.0.0.1","lastLoginIp":"","identity":"","realname":""}}}"#;

fn seed(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// A JSON:API request, optionally as a PHP-style form body, optionally with a token.
fn api(path: &str, attributes: Value, form: bool, token: Option<&str>) -> Request<Body> {
    let mut builder = Request::post(path);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = if form {
        builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        let pairs: Vec<(String, String)> = attributes
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                (
                    format!("data[attributes][{k}]"),
                    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()),
                )
            })
            .collect();
        serde_urlencoded::to_string(pairs).unwrap()
    } else {
        builder = builder.header(header::CONTENT_TYPE, "application/vnd.api+json");
        json!({"data": {"attributes": attributes}}).to_string()
    };
    builder.body(Body::from(body)).unwrap()
}

async fn send_code(app: &TestApp, mobile: &str, kind: &str, token: Option<&str>) -> Value {
    let attributes = if mobile.is_empty() {
        json!({"type": kind})
    } else {
        json!({"mobile": mobile, "type": kind})
    };
    let (status, headers, body) = app.call(api("/api/sms/send", attributes, false, token)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/vnd.api+json");
    body
}

fn e164(mobile: &str) -> String {
    format!("+86{mobile}")
}

/// Signs in (registering when needed) by SMS on the Discuz path; returns the token resource.
async fn sms_login(app: &TestApp, mobile: &str) -> Value {
    send_code(app, mobile, "login", None).await;
    let code = app.last_code(&e164(mobile), "login");
    let (status, _, body) = app
        .call(api(
            "/api/sms/verify",
            json!({"mobile": mobile, "code": code, "type": "login", "register": 1}),
            false,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn seed_login_example_as_json_and_as_form() {
    let app = TestApp::new().await;
    for (form, mobile) in [(false, "13113690001"), (true, "13113690002")] {
        let sent = send_code(&app, mobile, "login", None).await;
        assert_eq!(
            sent,
            json!({"data": {"type": "smssend", "id": "1", "attributes": {"interval": 60}}})
        );
        let code = app.last_code(&e164(mobile), "login");
        // The seed's request: unknown mobile, no `register` → no_bind_user with a ticket.
        let (status, _, body) = app
            .call(api(
                "/api/sms/verify",
                json!({"mobile": mobile, "code": code, "type": "login"}),
                form,
                None,
            ))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_superset(&body, &seed(SEED_NO_BIND), "$");
        assert!(body["errors"][0]["user"].is_null() && body["errors"][0].get("user").is_some());
        let ticket = body["errors"][0]["token"].as_str().unwrap().to_string();

        // The ticket attaches the mobile to an account registered later (here on GraphQL).
        let captcha = app.captcha().await;
        let answer = app.last_code(&captcha, "captcha");
        let username = format!("dz{}", &mobile[7..]);
        let (_, reg) = app
            .gql(REGISTER, json!({"input": {"method": "USERNAME", "account": username, "password": "a-good-password", "verify": answer, "captchaId": captcha, "bindToken": ticket}}))
            .await;
        assert_eq!(reg["data"]["register"]["user"]["mobile"], mobile, "{reg}");

        // Now the seed's request signs that account in.
        app.clock.advance(61);
        send_code(&app, mobile, "login", None).await;
        let code = app.last_code(&e164(mobile), "login");
        let (status, headers, body) = app
            .call(api(
                "/api/sms/verify",
                json!({"mobile": mobile, "code": code, "type": "login"}),
                form,
                None,
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/vnd.api+json");
        assert_superset(&body, &seed(SEED_LOGIN_OK), "$");
        assert_eq!(body["data"]["id"], reg["data"]["register"]["user"]["id"]);
        let me = app
            .me_via_graphql(body["data"]["attributes"]["access_token"].as_str().unwrap())
            .await;
        assert_eq!(me["username"], username.as_str());
    }
}

#[tokio::test]
async fn register_flag_creates_the_account() {
    let app = TestApp::new().await;
    let body = sms_login(&app, "13113690003").await;
    assert_eq!(body["data"]["type"], "token");
    assert_eq!(body["data"]["attributes"]["token_type"], "Bearer");
    // DESIGN §8: legacy clients' tokens live 30 days, as Discuz's own said.
    assert_eq!(body["data"]["attributes"]["expires_in"], 2_592_000);
    let me = app
        .me_via_graphql(body["data"]["attributes"]["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me["mobile"], "13113690003");
}

#[tokio::test]
async fn bind_verify_rebind_and_pay_password_for_the_signed_in_user() {
    let app = TestApp::new().await;
    let registered = app.register_username("binder", "a-good-password").await;
    let token = access(&registered);

    // bind (Bearer): the seed's bind example; the owner sees the whole mobile.
    send_code(&app, "13113690010", "bind", Some(&token)).await;
    let code = app.last_code(&e164("13113690010"), "bind");
    let (status, _, body) = app
        .call(api(
            "/api/sms/verify",
            json!({"mobile": "13113690010", "code": code, "type": "bind"}),
            true,
            Some(&token),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_superset(&body, &seed(SEED_BIND_OK), "$");
    assert_eq!(body["data"]["attributes"]["mobile"], "13113690010");
    assert_eq!(body["data"]["attributes"]["username"], "binder");

    // A second bind: the account already has a mobile.
    let (status, _, body) = app
        .call(api(
            "/api/sms/send",
            json!({"mobile": "13113690011", "type": "bind"}),
            false,
            Some(&token),
        ))
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["errors"][0]["code"], "mobile_is_already_bind", "{body}");

    // rebind before verify: 请验证旧的手机号。
    let (status, _, body) = app
        .call(api(
            "/api/sms/send",
            json!({"mobile": "13113690011", "type": "rebind"}),
            false,
            Some(&token),
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["detail"], json!(["请验证旧的手机号。"]), "{body}");

    // verify by ?token= (no mobile sent), then rebind.
    app.clock.advance(61);
    let query_token = format!("/api/sms/send?token={token}");
    let (status, _, _) = app
        .call(api(&query_token, json!({"type": "verify"}), false, None))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let code = app.last_code(&e164("13113690010"), "verify");
    let (status, _, body) = app
        .call(api(
            &format!("/api/sms/verify?token={token}"),
            json!({"code": code, "type": "verify"}),
            false,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["type"], "users");
    send_code(&app, "13113690011", "rebind", Some(&token)).await;
    let code = app.last_code(&e164("13113690011"), "rebind");
    let (status, _, body) = app
        .call(api(
            "/api/sms/verify",
            json!({"mobile": "13113690011", "code": code, "type": "rebind"}),
            false,
            Some(&token),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["attributes"]["mobile"], "13113690011");
    // The client that rebound stays signed in (DESIGN §8): its token still works.
    app.clock.advance(61);
    let (status, _, body) = app
        .call(api("/api/sms/send", json!({"type": "verify"}), false, Some(&token)))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // reset_pay_pwd with a fresh sign-in: the seed's reset_pay_pwd example.
    let token = access(&app.login("binder", "a-good-password").await);
    app.clock.advance(61);
    send_code(&app, "", "reset_pay_pwd", Some(&token)).await;
    let code = app.last_code(&e164("13113690011"), "reset_pay_password");
    let mismatch =
        json!({"code": code, "type": "reset_pay_pwd", "pay_password": "135790", "pay_password_confirmation": "135791"});
    let (status, _, body) = app.call(api("/api/sms/verify", mismatch, false, Some(&token))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["errors"][0]["detail"],
        json!(["支付密码 两次输入不一致。"]),
        "{body}"
    );
    let good =
        json!({"code": code, "type": "reset_pay_pwd", "pay_password": "135790", "pay_password_confirmation": "135790"});
    let (status, _, body) = app.call(api("/api/sms/verify", good, true, Some(&token))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_superset(&body, &seed(SEED_PAY_OK), "$");
    assert_eq!(body["data"]["attributes"]["canWalletPay"], true);
}

#[tokio::test]
async fn reset_pwd_signed_out_masks_the_mobile_and_refuses_the_same_password() {
    let app = TestApp::new().await;
    sms_login(&app, "13113690001").await;
    app.clock.advance(61);
    send_code(&app, "13113690001", "reset_pwd", None).await;
    let code = app.last_code(&e164("13113690001"), "reset_password");
    let request = json!({"mobile": "13113690001", "code": code, "type": "reset_pwd", "password": "new-password-1"});
    let (status, _, body) = app.call(api("/api/sms/verify", request, false, None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_superset(&body, &seed(SEED_BIND_OK), "$");
    assert_eq!(body["data"]["attributes"]["mobile"], "131****0001");
    assert!(body["data"]["attributes"].get("originalMobile").is_none());
    app.login("13113690001", "new-password-1").await;

    app.clock.advance(61);
    send_code(&app, "13113690001", "reset_pwd", None).await;
    let code = app.last_code(&e164("13113690001"), "reset_password");
    let same = json!({"mobile": "13113690001", "code": code, "type": "reset_pwd", "password": "new-password-1"});
    let (status, _, body) = app.call(api("/api/sms/verify", same, false, None)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["errors"][0]["code"], "user_update_error", "{body}");
    assert_eq!(body["errors"][0]["detail"], "新密码与原密码不能相同。");
}

#[tokio::test]
async fn discuz_errors() {
    let app = TestApp::new().await;
    // 422 with pointer, status as a string, detail as an array.
    let (status, headers, body) = app
        .call(api(
            "/api/sms/verify",
            json!({"code": "123456", "type": "login"}),
            false,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(headers[header::CONTENT_TYPE], "application/vnd.api+json");
    assert_eq!(
        body,
        json!({"errors": [{"status": "422", "code": "validation_error", "detail": ["手机号 不能为空。"], "source": {"pointer": "/data/attributes/mobile"}}]})
    );
    let (_, _, body) = app
        .call(api("/api/sms/send", json!({"mobile": "13113690001"}), false, None))
        .await;
    assert_eq!(body["errors"][0]["source"]["pointer"], "/data/attributes/type");
    assert_eq!(body["errors"][0]["detail"], json!(["类型 不能为空。"]));
    let (_, _, body) = app
        .call(api(
            "/api/sms/send",
            json!({"mobile": "123", "type": "login"}),
            false,
            None,
        ))
        .await;
    assert_eq!(body["errors"][0]["source"]["pointer"], "/data/attributes/mobile");
    let (_, _, body) = app
        .call(api(
            "/api/sms/verify",
            json!({"mobile": "13113690001", "type": "login"}),
            false,
            None,
        ))
        .await;
    assert_eq!(body["errors"][0]["source"]["pointer"], "/data/attributes/code");

    // Wrong and expired codes: 500 sms_verify_error.
    send_code(&app, "13113690001", "login", None).await;
    let code = app.last_code(&e164("13113690001"), "login");
    let wrong = if code == "111111" { "222222" } else { "111111" };
    let verify = |code: &str| {
        api(
            "/api/sms/verify",
            json!({"mobile": "13113690001", "code": code, "type": "login", "register": "1"}),
            false,
            None,
        )
    };
    let (status, _, body) = app.call(verify(wrong)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, json!({"errors": [{"status": 500, "code": "sms_verify_error"}]}));
    app.clock.advance(301);
    let (status, _, body) = app.call(verify(&code)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["errors"][0]["code"], "sms_verify_error");

    // A bad token, by header or query: 401 access_denied, even for types
    // that need no sign-in (a bad token is never read as "anonymous").
    for request in [
        api(
            "/api/sms/send",
            json!({"type": "login", "mobile": "13800000999"}),
            false,
            Some("garbage"),
        ),
        api(
            "/api/sms/verify?token=garbage",
            json!({"type": "login", "mobile": "13800000999", "code": "123456"}),
            false,
            None,
        ),
    ] {
        let (status, _, body) = app.call(request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, json!({"errors": [{"status": 401, "code": "access_denied"}]}));
    }
    // Signed-in types without a token.
    let (status, _, _) = app
        .call(api("/api/sms/send", json!({"type": "verify"}), false, None))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Stricter than Discuz: resend too soon (429 + Retry-After), five wrong codes.
    app.clock.advance(61);
    send_code(&app, "13113690001", "login", None).await;
    let (status, headers, body) = app
        .call(api(
            "/api/sms/send",
            json!({"mobile": "13113690001", "type": "login"}),
            false,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert_eq!(body["errors"][0]["code"], "too_many_requests", "{body}");
    let code = app.last_code(&e164("13113690001"), "login");
    let wrong = if code == "111111" { "222222" } else { "111111" };
    let mut last = Value::Null;
    for _ in 0..5 {
        last = app.call(verify(wrong)).await.2;
    }
    assert_eq!(last["errors"][0]["code"], "sms_verify_error");
    assert!(
        last["errors"][0]["detail"].as_str().unwrap().contains("重新获取"),
        "{last}"
    );
}

#[tokio::test]
async fn refresh_token_rotates_and_tokens_cross_every_path() {
    let app = TestApp::new().await;
    let login = sms_login(&app, "13113690020").await;
    let first = login["data"]["attributes"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let refresh = |token: &str| api("/api/refresh-token", json!({"refresh_token": token}), false, None);
    let (status, _, rotated) = app.call(refresh(&first)).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_superset(&rotated, &seed(SEED_LOGIN_OK), "$");
    let second = rotated["data"]["attributes"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(first, second);
    // Reuse of the rotated token after the grace window: refused, and the
    // whole family with it.
    app.clock.advance(11);
    let (status, _, body) = app.call(refresh(&first)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["code"], "access_denied");
    assert_eq!(app.call(refresh(&second)).await.0, StatusCode::UNAUTHORIZED);
    let (status, _, body) = app.call(api("/api/refresh-token", json!({}), false, None)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["source"]["pointer"], "/data/attributes/refresh_token");

    // GraphQL's refresh token rotates here; the new access token works on GraphQL.
    let payload = app.register_username("crosser", "a-good-password").await;
    let (status, _, body) = app.call(refresh(&crate::common::refresh(&payload))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let me = app
        .me_via_graphql(body["data"]["attributes"]["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me["username"], "crosser");
    // A Discuz access token is a GraphQL bearer token, and GraphQL's works on Discuz.
    let discuz_access = login["data"]["attributes"]["access_token"].as_str().unwrap();
    assert_eq!(app.me_via_graphql(discuz_access).await["mobile"], "13113690020");
    let (status, _, _) = app
        .call(api(
            "/api/sms/send",
            json!({"mobile": "13113690021", "type": "bind"}),
            false,
            Some(&access(&payload)),
        ))
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_trailing_slash_works_like_the_bare_path() {
    let app = TestApp::new().await;
    let (status, headers, sent) = app
        .call(api(
            "/api/sms/send/",
            json!({"mobile": "13113690030", "type": "login"}),
            false,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/vnd.api+json");
    assert_eq!(
        sent,
        json!({"data": {"type": "smssend", "id": "1", "attributes": {"interval": 60}}})
    );
    let code = app.last_code(&e164("13113690030"), "login");
    let (status, _, body) = app
        .call(api(
            "/api/sms/verify/",
            json!({"mobile": "13113690030", "code": code, "type": "login", "register": 1}),
            true,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_superset(&body, &seed(SEED_LOGIN_OK), "$");
    let refresh = body["data"]["attributes"]["refresh_token"].clone();
    let (status, _, body) = app
        .call(api(
            "/api/refresh-token/",
            json!({"refresh_token": refresh}),
            false,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["type"], "token");
}

#[tokio::test]
async fn a_wrong_method_is_json_api_405_with_allow_post() {
    let app = TestApp::new().await;
    for path in ["/api/sms/send", "/api/sms/verify", "/api/refresh-token"] {
        for method in ["GET", "PUT", "DELETE", "PATCH"] {
            for path in [
                path.to_string(),
                format!("{path}/"),
                format!("{path}?mobile=13113690031&type=login"),
            ] {
                let request = Request::builder()
                    .method(method)
                    .uri(&path)
                    .body(Body::empty())
                    .unwrap();
                let (status, headers, body) = app.call(request).await;
                assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
                assert_eq!(headers[header::ALLOW], "POST", "{method} {path}");
                assert_eq!(headers[header::CONTENT_TYPE], "application/vnd.api+json");
                assert_eq!(
                    body,
                    json!({"errors": [{"status": "405", "code": "method_not_allowed"}]}),
                    "{method} {path}"
                );
            }
        }
    }
    assert!(app.outbox_entries().is_empty(), "a refused method sends nothing");
}
