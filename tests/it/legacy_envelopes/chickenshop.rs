//! chickenshop `/module/chickenshop/threeRegisterAndBind` (seed 000): its
//! 注册 and 绑定 answers, the path without `three_tig`, and the refusals
//! (the seed's 验证码错误 and the others the endpoint words).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use super::{Varying, call, claims_summary, run_cases, settings, wrong};
use crate::common::*;

const PATH: &str = "/module/chickenshop/threeRegisterAndBind";
/// The seed's example phone (its 注册 answer's `phone`).
const PHONE: &str = "13113690001";
/// The seed's 绑定 answer's `phone`.
const BOUND_PHONE: &str = "13113691111";

fn snap(name: &str, value: &Value) {
    let varying = Varying {
        shapes: &[
            ".body.data.token",
            ".body.data.refresh_token",
            ".body.data.create_at",
            ".body.data.update_at",
        ],
        ids: &[".body.data.uid"],
        ..Default::default()
    };
    settings(varying).bind(|| insta::assert_json_snapshot!(name, value));
}

/// A login code for `phone`, asked for the way the legacy apps do (Discuz's send).
async fn login_code(app: &TestApp, phone: &str) -> String {
    let body = json!({"data": {"attributes": {"mobile": phone, "type": "login"}}});
    let (status, _, _) = app.call(json_post("/api/sms/send", &body)).await;
    assert_eq!(status, StatusCode::CREATED);
    app.last_code(&format!("+86{phone}"), "login")
}

/// The seed documents a form-style API ("请求参数" with no body format): a form post.
fn form(fields: &Value) -> Request<Body> {
    let pairs: Vec<(String, String)> = fields
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    form_post(PATH, &borrowed)
}

#[tokio::test]
async fn seed_register_and_bind_examples() {
    let app = TestApp::new().await;
    // 注册: an unknown phone with a platform identity.
    let code = login_code(&app, PHONE).await;
    let fields = json!({"phone": PHONE, "code": code, "three_tig": "wx_app", "openid": "o-wx-app-1"});
    let registered = call(&app, form(&fields)).await;
    snap("register_ok", &registered);
    let token = registered["body"]["data"]["token"].as_str().unwrap();
    snap("register_token_claims", &claims_summary(token));

    // 绑定: an existing account with a password and a mobile binds a mini-program.
    let payload = app.register_username("chick", "a-good-password").await;
    let bearer = format!("Bearer {}", access(&payload));
    let send = json!({"data": {"attributes": {"mobile": BOUND_PHONE, "type": "bind"}}});
    let mut request = json_post("/api/sms/send", &send);
    request.headers_mut().insert("authorization", bearer.parse().unwrap());
    assert_eq!(app.call(request).await.0, StatusCode::CREATED);
    let bind_code = app.last_code(&format!("+86{BOUND_PHONE}"), "bind");
    let verify = json!({"data": {"attributes": {"mobile": BOUND_PHONE, "code": bind_code, "type": "bind"}}});
    let mut request = json_post("/api/sms/verify", &verify);
    request.headers_mut().insert("authorization", bearer.parse().unwrap());
    assert_eq!(app.call(request).await.0, StatusCode::OK);
    app.clock.advance(61);
    let code = login_code(&app, BOUND_PHONE).await;
    let fields = json!({"phone": BOUND_PHONE, "code": code, "three_tig": "wx_small", "openid": "o-small-1"});
    snap("bind_ok", &call(&app, form(&fields)).await);
}

#[tokio::test]
async fn without_three_tig() {
    let app = TestApp::new().await;
    let code = login_code(&app, PHONE).await;
    let registered = call(&app, form(&json!({"phone": PHONE, "code": code}))).await;
    snap("sms_register_ok", &registered);
    app.clock.advance(61);
    let code = login_code(&app, PHONE).await;
    let signed_in = call(&app, form(&json!({"phone": PHONE, "code": code}))).await;
    snap("sms_login_ok", &signed_in);
}

#[derive(Clone, Copy)]
enum Prep {
    Nothing,
    /// A live login code for PHONE.
    Code,
    /// A login code, then 301 s pass.
    CodeExpired,
    /// A login code and four wrong tries.
    CodeTriedFour,
    /// PHONE's member has QQ openid "o-qq-first" already (a second QQ
    /// identity is refused); a live code for PHONE.
    OpenidTaken,
}

#[derive(Default)]
struct Fx {
    code: String,
}

async fn prepare(app: &TestApp, prep: Prep) -> Fx {
    let mut fx = Fx::default();
    match prep {
        Prep::Nothing => {}
        Prep::Code => fx.code = login_code(app, PHONE).await,
        Prep::CodeExpired => {
            fx.code = login_code(app, PHONE).await;
            app.clock.advance(301);
        }
        Prep::CodeTriedFour => {
            fx.code = login_code(app, PHONE).await;
            for _ in 0..4 {
                let answer = call(app, form(&json!({"phone": PHONE, "code": wrong(&fx.code)}))).await;
                assert_eq!(answer["body"]["status"], 0, "{answer}");
            }
        }
        Prep::OpenidTaken => {
            let code = login_code(app, PHONE).await;
            let fields = json!({"phone": PHONE, "code": code, "three_tig": "qq", "openid": "o-qq-first"});
            let answer = call(app, form(&fields)).await;
            assert_eq!(answer["body"]["status"], 200, "{answer}");
            app.clock.advance(61);
            fx.code = login_code(app, PHONE).await;
        }
    }
    fx
}

type Case = super::Case<Prep, Fx>;

fn case(name: &'static str, prep: Prep, request: fn(&Fx) -> Request<Body>) -> Case {
    Case {
        name,
        args: &[],
        prep,
        request,
        // The endpoint answers HTTP 200 with `status` 0 for every refusal.
        status: StatusCode::OK,
    }
}

#[tokio::test]
async fn every_refusal() {
    use Prep::*;
    let cases = [
        // The seed's 错误时返回.
        case("code_wrong", Code, |fx| {
            form(&json!({"phone": PHONE, "code": wrong(&fx.code)}))
        }),
        case("code_wrong_with_three_tig", Code, |fx| {
            form(&json!({"phone": PHONE, "code": wrong(&fx.code), "three_tig": "wx_app", "openid": "o1"}))
        }),
        case("code_never_sent", Nothing, |_| {
            form(&json!({"phone": PHONE, "code": "123456"}))
        }),
        case("code_expired", CodeExpired, |fx| {
            form(&json!({"phone": PHONE, "code": fx.code}))
        }),
        case("code_malformed", Code, |_| form(&json!({"phone": PHONE, "code": "12"}))),
        case("code_missing", Code, |_| form(&json!({"phone": PHONE}))),
        case("code_fifth_wrong_try", CodeTriedFour, |fx| {
            form(&json!({"phone": PHONE, "code": wrong(&fx.code)}))
        }),
        case("phone_missing", Code, |fx| form(&json!({"code": fx.code}))),
        case("phone_malformed", Nothing, |_| {
            form(&json!({"phone": "1234", "code": "123456"}))
        }),
        case("openid_missing", Code, |fx| {
            form(&json!({"phone": PHONE, "code": fx.code, "three_tig": "wx_app"}))
        }),
        case("three_tig_invalid", Code, |fx| {
            form(&json!({"phone": PHONE, "code": fx.code, "three_tig": "wechat", "openid": "o1"}))
        }),
        case("openid_taken", OpenidTaken, |fx| {
            form(&json!({"phone": PHONE, "code": fx.code, "three_tig": "qq", "openid": "o-qq"}))
        }),
        Case {
            args: &["--registration-open", "false"],
            ..case("registration_closed", Code, |fx| {
                form(&json!({"phone": PHONE, "code": fx.code}))
            })
        },
        case("wrong_method", Nothing, |_| {
            Request::get(format!("{PATH}?phone={PHONE}&code=1234"))
                .body(Body::empty())
                .unwrap()
        }),
    ];
    run_cases(cases, prepare, call, snap).await;
}
