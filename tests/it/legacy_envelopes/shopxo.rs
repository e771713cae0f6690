//! ShopXO `user/reg`, `user/regverifysend`, `user/userverifyentry` (seed 001,
//! LEGACY.md "ShopXO user/reg"): the seed's success answer and every error
//! LEGACY.md lists, snapshotted whole.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use super::{Varying, call, run_cases, settings, wrong};
use crate::common::*;

const REG: &str = "/api.php?s=user/reg";
const SEND: &str = "/api.php?s=user/regverifysend";
const MOBILE: &str = "13113690000";
const EMAIL: &str = "shop@example.com";
const PASSWORD: &str = "xxx***xxx";

/// Redacts what varies in ShopXO's user object to its shape.
fn snap(name: &str, value: &Value) {
    let varying = Varying {
        shapes: &[
            ".body.data.token",
            ".body.data.refresh_token",
            ".body.data.number_code",
            ".body.data.add_time",
            ".body.data.upd_time",
            ".body.data.add_time_text",
            ".body.data.upd_time_text",
        ],
        ids: &[".body.data.id"],
        seconds: &[".body.msg"],
    };
    settings(varying).bind(|| insta::assert_json_snapshot!(name, value));
}

/// Draws ShopXO's image captcha for `uuid`; returns its answer.
async fn captcha(app: &TestApp, uuid: &str) -> String {
    let request = Request::get(format!("/api.php?s=user/userverifyentry&type=user_reg&uuid={uuid}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, _) = app.send(request).await;
    assert_eq!(status, StatusCode::OK);
    app.last_code(uuid, "captcha")
}

/// Sends a registration code to a mobile (`+86…` in the outbox) or an email.
async fn send_code(app: &TestApp, accounts: &str, kind: &str) -> String {
    let (_, _, body) = app
        .call(json_post(SEND, &json!({"accounts": accounts, "type": kind})))
        .await;
    assert_eq!(body["code"], 0, "{body}");
    let to = if kind == "sms" {
        format!("+86{accounts}")
    } else {
        accounts.to_lowercase()
    };
    app.last_code(&to, "register")
}

async fn register_sms(app: &TestApp, mobile: &str) {
    let code = send_code(app, mobile, "sms").await;
    let reg = json!({"accounts": mobile, "pwd": PASSWORD, "verify": code, "type": "sms"});
    assert_eq!(app.call(json_post(REG, &reg)).await.2["code"], 0);
}

#[tokio::test]
async fn seed_username_registration() {
    let app = TestApp::new().await;
    let answer = captcha(&app, "seed").await;
    // The seed's request, `verify` being the captcha's answer.
    let request = json!({"accounts": "qqqqqq", "pwd": PASSWORD, "verify": answer, "type": "username", "uuid": "seed"});
    snap("reg_username_ok", &call(&app, json_post(REG, &request)).await);
    // The seed's public parameters, spelled out: a web client gets the same
    // user object (ShopXO itself sends web clients {"body_html","user_id"}).
    for (application, client) in [("web", "pc"), ("app", "ios")] {
        let uuid = format!("seed-{application}");
        let answer = captcha(&app, &uuid).await;
        let account = format!("qqqqqq_{application}");
        let request = json!({"accounts": account, "pwd": PASSWORD, "verify": answer, "type": "username", "uuid": uuid});
        let path = format!("{REG}&application={application}&application_client_type={client}");
        let name = format!("reg_username_application_{application}_ok");
        snap(&name, &call(&app, json_post(&path, &request)).await);
    }
}

#[tokio::test]
async fn sms_and_email_registration() {
    let app = TestApp::new().await;
    let sent = call(&app, json_post(SEND, &json!({"accounts": MOBILE, "type": "sms"}))).await;
    snap("regverifysend_sms_ok", &sent);
    let code = app.last_code(&format!("+86{MOBILE}"), "register");
    let reg = json!({"accounts": MOBILE, "pwd": PASSWORD, "verify": code, "type": "sms"});
    snap("reg_sms_ok", &call(&app, json_post(REG, &reg)).await);

    let sent = call(&app, json_post(SEND, &json!({"accounts": EMAIL, "type": "email"}))).await;
    snap("regverifysend_email_ok", &sent);
    let code = app.last_code(EMAIL, "register");
    let reg = json!({"accounts": EMAIL, "pwd": PASSWORD, "verify": code, "type": "email"});
    snap("reg_email_ok", &call(&app, json_post(REG, &reg)).await);
}

#[tokio::test]
async fn the_image_captcha_is_a_png() {
    let app = TestApp::new().await;
    let request = Request::get("/api.php?s=user/userverifyentry&type=user_reg&uuid=png")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = app.send(request).await;
    let answer = app.last_code("png", "captcha");
    let value = json!({
        "status": status.as_u16(),
        "content_type": headers[header::CONTENT_TYPE].to_str().unwrap(),
        "png_signature": body.starts_with(b"\x89PNG\r\n\x1a\n"),
        "answer_length": answer.chars().count(),
        "answer_alphabet_ok": answer.chars().all(|c| "3456789abxdefghijkmnprstuvwxy".contains(c.to_ascii_lowercase())),
    });
    snap("userverifyentry_ok", &value);
}

/// What a row needs before its request.
#[derive(Clone, Copy)]
enum Prep {
    Nothing,
    /// An image captcha drawn for uuid "cap".
    Captcha,
    /// A captcha drawn, then 301 s pass.
    CaptchaExpired,
    /// A live SMS code for MOBILE.
    SmsCode,
    /// A live SMS code, then 301 s pass.
    SmsCodeExpired,
    /// A live SMS code and four wrong tries.
    SmsCodeTriedFour,
    /// A live SMS code and five wrong tries: burnt.
    SmsCodeBurnt,
    /// A live email code for EMAIL.
    EmailCode,
    /// "qqqqqq" is taken (registered on GraphQL); a captcha drawn for "cap".
    UsernameTaken,
    /// MOBILE registered through ShopXO; 61 s pass.
    MobileTaken,
    /// EMAIL registered through ShopXO; 61 s pass.
    EmailTaken,
    /// A code sent to MOBILE, then the mobile signs up elsewhere (chickenshop).
    MobileTakenAfterSend,
}

#[derive(Default)]
struct Fx {
    /// The live code (SMS or email), or "".
    code: String,
    /// The captcha's answer, or "".
    answer: String,
}

async fn prepare(app: &TestApp, prep: Prep) -> Fx {
    let mut fx = Fx::default();
    match prep {
        Prep::Nothing => {}
        Prep::Captcha => fx.answer = captcha(app, "cap").await,
        Prep::CaptchaExpired => {
            fx.answer = captcha(app, "cap").await;
            app.clock.advance(301);
        }
        Prep::SmsCode => fx.code = send_code(app, MOBILE, "sms").await,
        Prep::SmsCodeExpired => {
            fx.code = send_code(app, MOBILE, "sms").await;
            app.clock.advance(301);
        }
        Prep::SmsCodeTriedFour | Prep::SmsCodeBurnt => {
            fx.code = send_code(app, MOBILE, "sms").await;
            let reg = json!({"accounts": MOBILE, "pwd": PASSWORD, "verify": wrong(&fx.code), "type": "sms"});
            let tries = if matches!(prep, Prep::SmsCodeBurnt) { 5 } else { 4 };
            for _ in 0..tries {
                assert_eq!(app.call(json_post(REG, &reg)).await.2["code"], -11);
            }
        }
        Prep::EmailCode => fx.code = send_code(app, EMAIL, "email").await,
        Prep::UsernameTaken => {
            app.register_username("qqqqqq", "a-good-password").await;
            fx.answer = captcha(app, "cap").await;
        }
        Prep::MobileTaken => {
            register_sms(app, MOBILE).await;
            app.clock.advance(61);
        }
        Prep::EmailTaken => {
            let code = send_code(app, EMAIL, "email").await;
            let reg = json!({"accounts": EMAIL, "pwd": PASSWORD, "verify": code, "type": "email"});
            assert_eq!(app.call(json_post(REG, &reg)).await.2["code"], 0);
            app.clock.advance(61);
        }
        Prep::MobileTakenAfterSend => {
            fx.code = send_code(app, MOBILE, "sms").await;
            app.clock.advance(61);
            let login = json!({"data": {"attributes": {"mobile": MOBILE, "type": "login"}}});
            assert_eq!(
                app.call(json_post("/api/sms/send", &login)).await.0,
                StatusCode::CREATED
            );
            let code = app.last_code(&format!("+86{MOBILE}"), "login");
            let bind = json!({"phone": MOBILE, "code": code});
            let (_, _, body) = app
                .call(json_post("/module/chickenshop/threeRegisterAndBind", &bind))
                .await;
            assert_eq!(body["status"], 200, "{body}");
        }
    }
    fx
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

fn put(path: &str) -> Request<Body> {
    Request::put(path).body(Body::empty()).unwrap()
}

type Case = super::Case<Prep, Fx>;

const OK: StatusCode = StatusCode::OK;

fn case(name: &'static str, prep: Prep, request: fn(&Fx) -> Request<Body>) -> Case {
    Case {
        name,
        args: &[],
        prep,
        request,
        status: OK,
    }
}

fn reg(body: Value) -> Request<Body> {
    json_post(REG, &body)
}

fn send(body: Value) -> Request<Body> {
    json_post(SEND, &body)
}

#[tokio::test]
async fn every_listed_error() {
    use Prep::*;
    let cases = [
        // user/reg, in LEGACY.md's check order.
        case("reg_accounts_missing", Nothing, |_| reg(json!({}))),
        case("reg_pwd_missing", Nothing, |_| reg(json!({"accounts": "qqqqqq"}))),
        case("reg_type_invalid", Nothing, |_| {
            reg(json!({"accounts": "qqqqqq", "pwd": PASSWORD, "verify": "rib5", "type": "phone"}))
        }),
        case("reg_sms_verify_empty", Nothing, |_| {
            reg(json!({"accounts": MOBILE, "pwd": PASSWORD, "verify": "", "type": "sms"}))
        }),
        Case {
            args: &["--registration-open", "false"],
            ..case("reg_registration_closed", Nothing, |_| {
                reg(json!({"accounts": MOBILE, "pwd": PASSWORD, "verify": "1234", "type": "sms"}))
            })
        },
        case("reg_mobile_malformed", Nothing, |_| {
            reg(json!({"accounts": "1234", "pwd": PASSWORD, "verify": "1234", "type": "sms"}))
        }),
        case("reg_mobile_exists", MobileTakenAfterSend, |fx| {
            reg(json!({"accounts": MOBILE, "pwd": PASSWORD, "verify": fx.code, "type": "sms"}))
        }),
        case("reg_email_malformed", Nothing, |_| {
            reg(json!({"accounts": "no-at", "pwd": PASSWORD, "verify": "1234", "type": "email"}))
        }),
        case("reg_username_malformed", Nothing, |_| {
            reg(json!({"accounts": "a", "pwd": PASSWORD, "verify": "rib5", "type": "username"}))
        }),
        case("reg_captcha_missing", Captcha, |_| {
            reg(json!({"accounts": "qqqqqq", "pwd": PASSWORD, "type": "username", "uuid": "cap"}))
        }),
        case("reg_captcha_never_drawn", Nothing, |_| {
            reg(json!({"accounts": "qqqqqq", "pwd": PASSWORD, "verify": "rib5", "type": "username", "uuid": "never"}))
        }),
        case("reg_captcha_expired", CaptchaExpired, |fx| {
            reg(json!({"accounts": "qqqqqq", "pwd": PASSWORD, "verify": fx.answer, "type": "username", "uuid": "cap"}))
        }),
        case("reg_captcha_wrong", Captcha, |fx| {
            reg(
                json!({"accounts": "qqqqqq", "pwd": PASSWORD, "verify": wrong(&fx.answer), "type": "username", "uuid": "cap"}),
            )
        }),
        case("reg_sms_code_never_sent", Nothing, |_| {
            reg(json!({"accounts": MOBILE, "pwd": PASSWORD, "verify": "1234", "type": "sms"}))
        }),
        case("reg_sms_code_wrong", SmsCode, |fx| {
            reg(json!({"accounts": MOBILE, "pwd": PASSWORD, "verify": wrong(&fx.code), "type": "sms"}))
        }),
        case("reg_sms_code_expired", SmsCodeExpired, |fx| {
            reg(json!({"accounts": MOBILE, "pwd": PASSWORD, "verify": fx.code, "type": "sms"}))
        }),
        case("reg_sms_code_fifth_wrong_try", SmsCodeTriedFour, |fx| {
            reg(json!({"accounts": MOBILE, "pwd": PASSWORD, "verify": wrong(&fx.code), "type": "sms"}))
        }),
        case("reg_sms_code_burnt", SmsCodeBurnt, |fx| {
            reg(json!({"accounts": MOBILE, "pwd": PASSWORD, "verify": fx.code, "type": "sms"}))
        }),
        case("reg_email_code_never_sent", Nothing, |_| {
            reg(json!({"accounts": EMAIL, "pwd": PASSWORD, "verify": "1234", "type": "email"}))
        }),
        case("reg_email_code_wrong", EmailCode, |fx| {
            reg(json!({"accounts": EMAIL, "pwd": PASSWORD, "verify": wrong(&fx.code), "type": "email"}))
        }),
        case("reg_username_exists", UsernameTaken, |fx| {
            reg(json!({"accounts": "QQQQQQ", "pwd": PASSWORD, "verify": fx.answer, "type": "username", "uuid": "cap"}))
        }),
        case("reg_wrong_method", Nothing, |_| {
            get("/api.php?s=user/reg&accounts=qqqqqq&pwd=x&type=username")
        }),
        // user/regverifysend.
        case("send_accounts_missing", Nothing, |_| send(json!({"type": "sms"}))),
        case("send_type_invalid", Nothing, |_| {
            send(json!({"accounts": MOBILE, "type": "phone"}))
        }),
        case("send_username_type", Nothing, |_| {
            send(json!({"accounts": "qqqqqq", "type": "username"}))
        }),
        case("send_mobile_malformed", Nothing, |_| {
            send(json!({"accounts": "1234", "type": "sms"}))
        }),
        case("send_email_malformed", Nothing, |_| {
            send(json!({"accounts": "no-at", "type": "email"}))
        }),
        case("send_mobile_exists", MobileTaken, |_| {
            send(json!({"accounts": MOBILE, "type": "sms"}))
        }),
        case("send_email_exists", EmailTaken, |_| {
            send(json!({"accounts": EMAIL, "type": "email"}))
        }),
        case("send_too_soon", SmsCode, |_| {
            send(json!({"accounts": MOBILE, "type": "sms"}))
        }),
        Case {
            args: &["--registration-open", "false"],
            ..case("send_registration_closed", Nothing, |_| {
                send(json!({"accounts": MOBILE, "type": "sms"}))
            })
        },
        case("send_wrong_method", Nothing, |_| {
            get("/api.php?s=user/regverifysend&accounts=13113690000&type=sms")
        }),
        // user/userverifyentry and routing.
        case("userverifyentry_uuid_missing", Nothing, |_| {
            get("/api.php?s=user/userverifyentry")
        }),
        case("userverifyentry_wrong_method", Nothing, |_| {
            put("/api.php?s=user/userverifyentry&uuid=u")
        }),
        case("unknown_path", Nothing, |_| reg_on("/api.php?s=user/nothing")),
    ];
    run_cases(cases, prepare, call, snap).await;
}

fn reg_on(path: &str) -> Request<Body> {
    json_post(path, &json!({}))
}
