//! Third-party register-and-bind (seed 000): the seed's two answers
//! (注册 and 绑定), the flow without `three_tig`, and the refusals.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

const PATH: &str = "/module/chickenshop/threeRegisterAndBind";

/// The seed's 注册 example (its trailing comma removed).
const SEED_REGISTER: &str = r#"{"status":200,"msg":"注册成功","data":{"uid":7,"avatar":"http://chicken.com/uploads/avatar/avatar.jpg","c_code":"86","phone":"13113690001","email":"","username":"131****0001","male":"","birthday":"","nickname":"","type":"member","phone_active":1,"email_active":0,"status":1,"create_at":"2019-12-20 15:34:32","update_at":"2019-12-20 15:34:32","wx_openid":"","smallwx_openid":"","change_username":0,"integral":0,"invite_code":"","token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.x.y","set_password":true}}"#;

/// The seed's 绑定 example, without its `password` (an MD5 hash: zhanghao never exposes hashes).
const SEED_BIND: &str = r#"{"status":200,"msg":"登录成功","data":{"uid":3,"avatar":"http://chicken.com/uploads/avatar/avatar.jpg","c_code":"","phone":"13113691111","email":"","username":"131****1111","male":"","birthday":"","nickname":"","type":"member","phone_active":1,"email_active":0,"gid":"","status":1,"create_at":"2020-03-30 14:57:30","update_at":"2020-03-30 14:57:30","change_username":0,"pid":1,"pid_path":"","token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.x.y","set_password":false}}"#;

const SEED_ERROR: &str = r#"{"status":0,"msg":"验证码错误"}"#;

fn seed(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// A LOGIN code for `mobile`, asked for the way a legacy client would (Discuz's send).
async fn login_code(app: &TestApp, mobile: &str) -> String {
    let body = json!({"data": {"attributes": {"mobile": mobile, "type": "login"}}});
    let (status, _, _) = app.call(json_post("/api/sms/send", &body)).await;
    assert_eq!(status, StatusCode::CREATED);
    app.last_code(&format!("+86{mobile}"), "login")
}

fn request(fields: &Value, as_json: bool) -> Request<Body> {
    if as_json {
        return json_post(PATH, fields);
    }
    let pairs: Vec<(String, String)> = fields
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    form_post(PATH, &borrowed)
}

async fn refused(app: &TestApp, fields: Value, msg: &str) {
    let (status, _, body) = app.call(request(&fields, true)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": 0, "msg": msg}), "{fields}");
    assert_superset(&body, &seed(SEED_ERROR), "$");
}

#[tokio::test]
async fn seed_register_then_bind_as_json_and_as_form() {
    for as_json in [true, false] {
        let app = TestApp::new().await;
        // 注册: an unknown phone with a platform identity.
        let code = login_code(&app, "13113690001").await;
        let fields = json!({"phone": "13113690001", "code": code, "three_tig": "wx_app", "openid": "o-wx-app-1"});
        let (status, _, body) = app.call(request(&fields, as_json)).await;
        assert_eq!(status, StatusCode::OK);
        let mut expected = seed(SEED_REGISTER);
        // A phone-only account has no password yet (the seed's `true` is its own app's choice).
        expected["data"]["set_password"] = json!(false);
        assert_superset(&body, &expected, "$");
        assert_eq!(body["msg"], "注册成功", "{body}");
        assert_eq!(body["data"]["username"], "131****0001");
        assert_eq!(body["data"]["phone"], "13113690001");
        assert_eq!(body["data"]["c_code"], "86");
        assert_eq!(body["data"]["set_password"], false);
        // The member's own WeChat openid, as the original answered it.
        assert_eq!(body["data"]["wx_openid"], "o-wx-app-1");
        assert_eq!(body["data"]["smallwx_openid"], "");
        let token = body["data"]["token"].as_str().unwrap();
        let (_, me) = app
            .gql_as(token, "{ me { mobile bindings { platform } } }", json!({}))
            .await;
        assert_eq!(me["data"]["me"]["mobile"], "13113690001");
        assert_eq!(me["data"]["me"]["bindings"][0]["platform"], "WX_APP");

        // 绑定: an existing account (with a password) binds another platform and signs in.
        let payload = app.register_username("chick", "a-good-password").await;
        let (status, _, sent) = app
            .call(
                json_post(
                    "/api/sms/send",
                    &json!({"data": {"attributes": {"mobile": "13113691111", "type": "bind"}}}),
                )
                .map_bearer(&access(&payload)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{sent}");
        let bind_code = app.last_code("+8613113691111", "bind");
        let verify = json!({"data": {"attributes": {"mobile": "13113691111", "code": bind_code, "type": "bind"}}});
        let (status, _, _) = app
            .call(json_post("/api/sms/verify", &verify).map_bearer(&access(&payload)))
            .await;
        assert_eq!(status, StatusCode::OK);
        app.clock.advance(61); // one send a minute per mobile
        let code = login_code(&app, "13113691111").await;
        let fields = json!({"phone": "13113691111", "code": code, "three_tig": "wx_small", "openid": "o-small-1"});
        let (_, _, body) = app.call(request(&fields, as_json)).await;
        let mut expected = seed(SEED_BIND);
        expected["data"]["c_code"] = json!("86");
        expected["data"]["set_password"] = json!(true);
        assert_superset(&body, &expected, "$");
        assert_eq!(body["msg"], "登录成功", "{body}");
        assert_eq!(body["data"]["uid"].to_string(), payload["user"]["id"].as_str().unwrap());
        assert_eq!(body["data"]["username"], "chick");
        assert!(body["data"].get("password").is_none());
        assert_eq!(
            app.me_via_graphql(body["data"]["token"].as_str().unwrap()).await["username"],
            "chick"
        );
    }
}

#[tokio::test]
async fn without_three_tig_it_is_sms_login_or_register() {
    let app = TestApp::new().await;
    let code = login_code(&app, "13113690002").await;
    let (_, _, body) = app
        .call(request(&json!({"phone": "13113690002", "code": code}), false))
        .await;
    assert_eq!(body["status"], 200, "{body}");
    assert_eq!(body["msg"], "注册成功");
    let uid = body["data"]["uid"].clone();
    app.clock.advance(61);
    let code = login_code(&app, "13113690002").await;
    let (_, _, body) = app
        .call(request(&json!({"phone": "13113690002", "code": code}), true))
        .await;
    assert_eq!(body["msg"], "登录成功", "{body}");
    assert_eq!(body["data"]["uid"], uid);
    // The refresh token it carries rotates on the Discuz path.
    let refresh = json!({"data": {"attributes": {"refresh_token": body["data"]["refresh_token"]}}});
    assert_eq!(
        app.call(json_post("/api/refresh-token", &refresh)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn refusals_in_the_chickenshop_envelope() {
    let app = TestApp::new().await;
    let code = login_code(&app, "13113690003").await;
    let wrong = if code == "111111" { "222222" } else { "111111" };
    refused(&app, json!({"phone": "13113690003", "code": wrong}), "验证码错误").await;
    refused(
        &app,
        json!({"phone": "13113690003", "code": wrong, "three_tig": "wx_app", "openid": "o1"}),
        "验证码错误",
    )
    .await;
    refused(&app, json!({"phone": "13113690003", "code": "12"}), "验证码错误").await;
    refused(&app, json!({"code": code}), "手机号不能为空").await;
    refused(
        &app,
        json!({"phone": "13113690003", "code": code, "three_tig": "wx_app"}),
        "openid不能为空",
    )
    .await;
    refused(
        &app,
        json!({"phone": "13113690003", "code": code, "three_tig": "wechat", "openid": "o1"}),
        "绑定类型有误",
    )
    .await;

    // The member has another QQ identity already.
    let fields = json!({"phone": "13113690003", "code": code, "three_tig": "qq", "openid": "o-qq"});
    assert_eq!(app.call(request(&fields, true)).await.2["status"], 200);
    app.clock.advance(61);
    let code = login_code(&app, "13113690003").await;
    refused(
        &app,
        json!({"phone": "13113690003", "code": code, "three_tig": "qq", "openid": "o-qq-2"}),
        "该账号已被绑定",
    )
    .await;
    // Another phone's claim on the same openid takes it (a claim holds nothing against others).
    let other = login_code(&app, "13113690004").await;
    let fields = json!({"phone": "13113690004", "code": other, "three_tig": "qq", "openid": "o-qq"});
    assert_eq!(app.call(request(&fields, true)).await.2["status"], 200);
    app.clock.advance(61);
    let other = login_code(&app, "13113690004").await;

    // Stricter than the original: five wrong codes burn the code, in plain words.
    let wrong = if other == "111111" { "222222" } else { "111111" };
    let mut last = Value::Null;
    for _ in 0..5 {
        last = app
            .call(request(&json!({"phone": "13113690004", "code": wrong}), true))
            .await
            .2;
    }
    assert_eq!(last["status"], 0);
    assert!(last["msg"].as_str().unwrap().contains("重新获取"), "{last}");
}

trait BearerExt {
    fn map_bearer(self, token: &str) -> Self;
}

impl BearerExt for Request<Body> {
    fn map_bearer(mut self, token: &str) -> Self {
        let value = format!("Bearer {token}").parse().unwrap();
        self.headers_mut().insert(axum::http::header::AUTHORIZATION, value);
        self
    }
}

#[tokio::test]
async fn multipart_form_bodies_are_read_like_any_form() {
    let app = TestApp::new().await;
    let code = login_code(&app, "13113690077").await;
    let boundary = "----zhanghao-test-boundary";
    let mut body = String::new();
    for (name, value) in [
        ("phone", "13113690077"),
        ("code", code.as_str()),
        ("three_tig", "wx_app"),
        ("openid", "o-multipart"),
    ] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let request = Request::post(PATH)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    let (status, _, answer) = app.call(request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(answer["msg"], "注册成功");
}

#[tokio::test]
async fn a_trailing_slash_works_like_the_bare_path() {
    let app = TestApp::new().await;
    let code = login_code(&app, "13113690040").await;
    let fields = json!({"phone": "13113690040", "code": code, "three_tig": "wx_app", "openid": "o-slash"});
    let (status, _, body) = app.call(json_post(&format!("{PATH}/"), &fields)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], 200, "{body}");
    assert_eq!(body["msg"], "注册成功");
    assert_superset(&body, &seed(SEED_REGISTER), "$");
}

#[tokio::test]
async fn a_wrong_method_gets_the_chickenshop_envelope() {
    let app = TestApp::new().await;
    for method in ["GET", "PUT", "DELETE", "PATCH"] {
        for path in [
            PATH.to_string(),
            format!("{PATH}/"),
            format!("{PATH}?phone=13113690041&code=1234"),
        ] {
            let request = Request::builder()
                .method(method)
                .uri(&path)
                .body(Body::empty())
                .unwrap();
            let (status, headers, body) = app.call(request).await;
            assert_eq!(status, StatusCode::OK, "{method} {path}");
            assert_eq!(headers[axum::http::header::ALLOW], "POST", "{method} {path}");
            assert_eq!(body, json!({"status": 0, "msg": "请使用 POST 请求"}), "{method} {path}");
            assert_superset(&body, &seed(SEED_ERROR), "$");
        }
    }
}

#[tokio::test]
async fn a_member_without_an_avatar_gets_the_default_image() {
    let app = TestApp::new().await;
    let code = login_code(&app, "13113690042").await;
    let (_, _, body) = app
        .call(request(&json!({"phone": "13113690042", "code": code}), true))
        .await;
    assert_eq!(body["status"], 200, "{body}");
    assert_eq!(body["data"]["avatar"], "/uploads/avatar/avatar.jpg");
}

#[tokio::test]
async fn the_members_own_wechat_openids_are_in_the_answer() {
    let app = TestApp::new().await;
    let code = login_code(&app, "13113690043").await;
    let fields = json!({"phone": "13113690043", "code": code, "three_tig": "wx_small", "openid": "o-small-43"});
    let (_, _, body) = app.call(request(&fields, true)).await;
    assert_eq!(body["status"], 200, "{body}");
    assert_eq!(body["data"]["smallwx_openid"], "o-small-43");
    assert_eq!(body["data"]["wx_openid"], "");

    // The official account's openid is `wx_openid`; the mini-program's stays.
    app.clock.advance(61);
    let code = login_code(&app, "13113690043").await;
    let fields = json!({"phone": "13113690043", "code": code, "three_tig": "wx_public", "openid": "o-public-43"});
    let (_, _, body) = app.call(request(&fields, false)).await;
    assert_eq!(body["msg"], "登录成功", "{body}");
    assert_eq!(body["data"]["wx_openid"], "o-public-43");
    assert_eq!(body["data"]["smallwx_openid"], "o-small-43");

    // A plain sign-in (no three_tig) shows them too; other platforms never appear.
    app.clock.advance(61);
    let code = login_code(&app, "13113690043").await;
    let fields = json!({"phone": "13113690043", "code": code, "three_tig": "qq", "openid": "o-qq-43"});
    assert_eq!(app.call(request(&fields, true)).await.2["status"], 200);
    app.clock.advance(61);
    let code = login_code(&app, "13113690043").await;
    let (_, _, body) = app
        .call(request(&json!({"phone": "13113690043", "code": code}), true))
        .await;
    assert_eq!(body["data"]["wx_openid"], "o-public-43", "{body}");
    assert_eq!(body["data"]["smallwx_openid"], "o-small-43");
    assert!(!body.to_string().contains("o-qq-43"), "{body}");

    // The WeChat app's openid stands in for wx_openid when there is no official account's.
    app.clock.advance(61);
    let code = login_code(&app, "13113690044").await;
    let fields = json!({"phone": "13113690044", "code": code, "three_tig": "wx_app", "openid": "o-app-44"});
    let (_, _, body) = app.call(request(&fields, true)).await;
    assert_eq!(body["data"]["wx_openid"], "o-app-44", "{body}");
    assert_eq!(body["data"]["smallwx_openid"], "");
}
