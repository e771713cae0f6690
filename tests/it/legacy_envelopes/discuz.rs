//! Discuz! Q `/api/sms/send`, `/api/sms/verify` (seed 002, every type) and
//! `/api/refresh-token` (LEGACY.md "Discuz! Q"): each seed example answer and
//! each listed error, snapshotted whole with the JSON:API content type.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use super::{Varying, claims_summary, envelope, run_cases, settings, wrong};
use crate::common::*;

const SEND: &str = "/api/sms/send";
const VERIFY: &str = "/api/sms/verify";
const REFRESH: &str = "/api/refresh-token";
const MOBILE: &str = "13113690001";
const OTHER: &str = "13113690002";

fn snap(name: &str, value: &Value) {
    // A user's or token's id depends on the database; smssend's "1" is fixed.
    let ids: &[&str] = if value["body"]["data"]["type"] == "smssend" {
        &[".body.data.attributes.id"]
    } else {
        &[".body.data.id", ".body.data.attributes.id"]
    };
    let varying = Varying {
        shapes: &[
            ".body.data.attributes.access_token",
            ".body.data.attributes.refresh_token",
            ".body.errors[].token",
            ".body.data.attributes.loginAt",
            ".body.data.attributes.joinedAt",
            ".body.data.attributes.expiredAt",
            ".body.data.attributes.createdAt",
            ".body.data.attributes.updatedAt",
            ".retry_after",
        ],
        ids,
        seconds: &[".body.errors[].detail"],
    };
    settings(varying).bind(|| insta::assert_json_snapshot!(name, value));
}

/// A JSON:API request as the seed shows it, optionally with a bearer token.
fn api(path: &str, attributes: Value, token: Option<&str>) -> Request<Body> {
    let mut builder = Request::post(path).header(header::CONTENT_TYPE, "application/vnd.api+json");
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    builder
        .body(Body::from(json!({"data": {"attributes": attributes}}).to_string()))
        .unwrap()
}

async fn call(app: &TestApp, request: Request<Body>) -> Value {
    let (status, headers, body) = app.call(request).await;
    let mut value = envelope(status, &headers, &body);
    if let Some(retry) = headers.get(header::RETRY_AFTER) {
        value["retry_after"] = json!(retry.to_str().unwrap());
    }
    value
}

/// Sends a code of `kind` (Discuz's type) and returns it; `purpose` is the outbox's name.
async fn send_code(app: &TestApp, mobile: Option<&str>, kind: &str, token: Option<&str>, purpose: &str) -> String {
    let attributes = match mobile {
        Some(m) => json!({"mobile": m, "type": kind}),
        None => json!({"type": kind}),
    };
    let (status, _, body) = app.call(api(SEND, attributes, token)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let to = app.outbox_entries().last().expect("a message").to.clone();
    app.last_code(&to, purpose)
}

/// Signs `mobile` up by SMS (register=1); returns the access token. 61 s pass.
async fn sms_user(app: &TestApp, mobile: &str) -> String {
    let code = send_code(app, Some(mobile), "login", None, "login").await;
    let (status, _, body) = app
        .call(api(
            VERIFY,
            json!({"mobile": mobile, "code": code, "type": "login", "register": 1}),
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.clock.advance(61);
    body["data"]["attributes"]["access_token"].as_str().unwrap().to_string()
}

/// Registers "dzuser" with a password and binds MOBILE; returns the token. 61 s pass.
async fn password_user_with_mobile(app: &TestApp) -> String {
    let token = access(&app.register_username("dzuser", "a-good-password").await);
    let code = send_code(app, Some(MOBILE), "bind", Some(&token), "bind").await;
    let (status, _, body) = app
        .call(api(
            VERIFY,
            json!({"mobile": MOBILE, "code": code, "type": "bind"}),
            Some(&token),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.clock.advance(61);
    token
}

/// The verify step rebind needs: a verify code for the old mobile, used.
async fn verify_old_mobile(app: &TestApp, token: &str) {
    let code = send_code(app, None, "verify", Some(token), "verify").await;
    let (status, _, body) = app
        .call(api(VERIFY, json!({"code": code, "type": "verify"}), Some(token)))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.clock.advance(61);
}

#[tokio::test]
async fn seed_login_examples() {
    let app = TestApp::new().await;
    let sent = call(&app, api(SEND, json!({"mobile": MOBILE, "type": "login"}), None)).await;
    snap("send_login_ok", &sent);
    // The seed's request for a mobile without an account: its 失败 example.
    let code = app.last_code(&format!("+86{MOBILE}"), "login");
    let request = json!({"mobile": MOBILE, "code": code, "type": "login"});
    snap(
        "verify_login_no_bind_user",
        &call(&app, api(VERIFY, request, None)).await,
    );

    // register=1: the account is created, the seed's 成功 example.
    app.clock.advance(61);
    let code = send_code(&app, Some(MOBILE), "login", None, "login").await;
    let request = json!({"mobile": MOBILE, "code": code, "type": "login", "register": 1});
    let created = call(&app, api(VERIFY, request, None)).await;
    snap("verify_login_register_ok", &created);
    let access = created["body"]["data"]["attributes"]["access_token"].as_str().unwrap();
    snap("verify_login_access_token_claims", &claims_summary(access));

    // The seed's request again, now the account exists.
    app.clock.advance(61);
    let code = send_code(&app, Some(MOBILE), "login", None, "login").await;
    let request = json!({"mobile": MOBILE, "code": code, "type": "login"});
    let signed_in = call(&app, api(VERIFY, request, None)).await;
    snap("verify_login_ok", &signed_in);

    let refresh = signed_in["body"]["data"]["attributes"]["refresh_token"].clone();
    let rotated = call(&app, api(REFRESH, json!({"refresh_token": refresh}), None)).await;
    snap("refresh_token_ok", &rotated);
}

#[tokio::test]
async fn seed_signed_in_examples() {
    let app = TestApp::new().await;
    let token = access(&app.register_username("dzuser", "a-good-password").await);
    let sent = call(&app, api(SEND, json!({"mobile": MOBILE, "type": "bind"}), Some(&token))).await;
    snap("send_bind_ok", &sent);
    let code = app.last_code(&format!("+86{MOBILE}"), "bind");
    let request = json!({"mobile": MOBILE, "code": code, "type": "bind"});
    snap("verify_bind_ok", &call(&app, api(VERIFY, request, Some(&token))).await);
    app.clock.advance(61);

    let code = send_code(&app, None, "verify", Some(&token), "verify").await;
    let request = json!({"code": code, "type": "verify"});
    snap(
        "verify_verify_ok",
        &call(&app, api(VERIFY, request, Some(&token))).await,
    );
    app.clock.advance(61);

    let code = send_code(&app, Some(OTHER), "rebind", Some(&token), "rebind").await;
    let request = json!({"mobile": OTHER, "code": code, "type": "rebind"});
    snap(
        "verify_rebind_ok",
        &call(&app, api(VERIFY, request, Some(&token))).await,
    );
    app.clock.advance(61);

    let code = send_code(&app, None, "reset_pay_pwd", Some(&token), "reset_pay_password").await;
    let request =
        json!({"code": code, "type": "reset_pay_pwd", "pay_password": "135790", "pay_password_confirmation": "135790"});
    snap(
        "verify_reset_pay_pwd_ok",
        &call(&app, api(VERIFY, request, Some(&token))).await,
    );
    app.clock.advance(61);

    // reset_pwd signed out: the seed's bind/reset_pwd example.
    let code = send_code(&app, Some(OTHER), "reset_pwd", None, "reset_password").await;
    let request = json!({"mobile": OTHER, "code": code, "type": "reset_pwd", "password": "new-password-1"});
    snap("verify_reset_pwd_ok", &call(&app, api(VERIFY, request, None)).await);
}

/// What a row needs before its request.
#[derive(Clone, Copy)]
enum Prep {
    Nothing,
    /// A live login code for MOBILE.
    LoginCode,
    /// A login code, then 301 s pass.
    LoginCodeExpired,
    /// A login code and four wrong tries.
    LoginCodeTriedFour,
    /// A signed-in user without a mobile.
    SignedIn,
    /// A signed-in user without a mobile; OTHER belongs to someone else.
    SignedInOtherTaken,
    /// A signed-in user whose mobile is MOBILE.
    SignedInWithMobile,
    /// The same, after verifying the old mobile (rebind may follow).
    SignedInVerified,
    /// A user with a password and MOBILE; a reset_pwd code sent (signed out).
    ResetPwdCode,
    /// A signed-in user with MOBILE; a reset_pay_pwd code sent.
    ResetPayPwdCode,
}

#[derive(Default)]
struct Fx {
    code: String,
    token: String,
}

async fn prepare(app: &TestApp, prep: Prep) -> Fx {
    let mut fx = Fx::default();
    match prep {
        Prep::Nothing => {}
        Prep::LoginCode => fx.code = send_code(app, Some(MOBILE), "login", None, "login").await,
        Prep::LoginCodeExpired => {
            fx.code = send_code(app, Some(MOBILE), "login", None, "login").await;
            app.clock.advance(301);
        }
        Prep::LoginCodeTriedFour => {
            fx.code = send_code(app, Some(MOBILE), "login", None, "login").await;
            let request = json!({"mobile": MOBILE, "code": wrong(&fx.code), "type": "login", "register": 1});
            for _ in 0..4 {
                let (status, _, _) = app.call(api(VERIFY, request.clone(), None)).await;
                assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
            }
        }
        Prep::SignedIn => fx.token = access(&app.register_username("dzuser", "a-good-password").await),
        Prep::SignedInOtherTaken => {
            sms_user(app, OTHER).await;
            fx.token = access(&app.register_username("dzuser", "a-good-password").await);
        }
        Prep::SignedInWithMobile => fx.token = sms_user(app, MOBILE).await,
        Prep::SignedInVerified => {
            fx.token = sms_user(app, MOBILE).await;
            verify_old_mobile(app, &fx.token).await;
        }
        Prep::ResetPwdCode => {
            password_user_with_mobile(app).await;
            fx.code = send_code(app, Some(MOBILE), "reset_pwd", None, "reset_password").await;
        }
        Prep::ResetPayPwdCode => {
            fx.token = sms_user(app, MOBILE).await;
            fx.code = send_code(app, None, "reset_pay_pwd", Some(&fx.token), "reset_pay_password").await;
        }
    }
    fx
}

type Case = super::Case<Prep, Fx>;

fn case(name: &'static str, prep: Prep, status: u16, request: fn(&Fx) -> Request<Body>) -> Case {
    Case {
        name,
        args: &[],
        prep,
        request,
        status: StatusCode::from_u16(status).unwrap(),
    }
}

fn verify(attributes: Value) -> Request<Body> {
    api(VERIFY, attributes, None)
}

fn send(attributes: Value) -> Request<Body> {
    api(SEND, attributes, None)
}

fn method(method: &str, path: &str) -> Request<Body> {
    Request::builder().method(method).uri(path).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn every_listed_error() {
    use Prep::*;
    let cases = [
        // Validation: 422 validation_error with a pointer.
        case("verify_mobile_missing", Nothing, 422, |_| {
            verify(json!({"code": "123456", "type": "login"}))
        }),
        case("verify_code_missing", Nothing, 422, |_| {
            verify(json!({"mobile": MOBILE, "type": "login"}))
        }),
        case("verify_type_missing", Nothing, 422, |_| {
            verify(json!({"mobile": MOBILE, "code": "123456"}))
        }),
        case("verify_type_invalid", Nothing, 422, |_| {
            verify(json!({"mobile": MOBILE, "code": "123456", "type": "signup"}))
        }),
        case("verify_mobile_malformed", Nothing, 422, |_| {
            verify(json!({"mobile": "123", "code": "123456", "type": "login"}))
        }),
        case("send_type_missing", Nothing, 422, |_| send(json!({"mobile": MOBILE}))),
        case("send_type_invalid", Nothing, 422, |_| {
            send(json!({"mobile": MOBILE, "type": "signup"}))
        }),
        case("send_mobile_missing", Nothing, 422, |_| send(json!({"type": "login"}))),
        case("send_mobile_malformed", Nothing, 422, |_| {
            send(json!({"mobile": "123", "type": "login"}))
        }),
        // Codes: 500 sms_verify_error.
        case("verify_code_never_sent", Nothing, 500, |_| {
            verify(json!({"mobile": MOBILE, "code": "123456", "type": "login", "register": 1}))
        }),
        case("verify_code_wrong", LoginCode, 500, |fx| {
            verify(json!({"mobile": MOBILE, "code": wrong(&fx.code), "type": "login", "register": 1}))
        }),
        case("verify_code_expired", LoginCodeExpired, 500, |fx| {
            verify(json!({"mobile": MOBILE, "code": fx.code, "type": "login", "register": 1}))
        }),
        // The seed's own request code "29416" (five digits): Discuz compares
        // it as typed, so it is a wrong code, not a malformed one.
        case("verify_seed_five_digit_code", LoginCode, 500, |_| {
            verify(json!({"mobile": MOBILE, "code": "29416", "type": "login", "register": 1}))
        }),
        case("verify_code_missing_is_still_validation", Nothing, 422, |_| {
            verify(json!({"mobile": MOBILE, "type": "login", "register": 1}))
        }),
        case("verify_code_fifth_wrong_try", LoginCodeTriedFour, 500, |fx| {
            verify(json!({"mobile": MOBILE, "code": wrong(&fx.code), "type": "login", "register": 1}))
        }),
        // Tokens: 401 access_denied.
        case("verify_bad_token_header", Nothing, 401, |_| {
            api(
                VERIFY,
                json!({"mobile": MOBILE, "code": "123456", "type": "login"}),
                Some("garbage"),
            )
        }),
        case("verify_bad_token_query", Nothing, 401, |_| {
            api(
                &format!("{VERIFY}?token=garbage"),
                json!({"mobile": MOBILE, "code": "123456", "type": "login"}),
                None,
            )
        }),
        case("send_verify_without_token", Nothing, 401, |_| {
            send(json!({"type": "verify"}))
        }),
        case("send_reset_pay_pwd_without_token", Nothing, 401, |_| {
            send(json!({"type": "reset_pay_pwd"}))
        }),
        case("verify_bind_without_token", LoginCode, 401, |fx| {
            verify(json!({"mobile": MOBILE, "code": fx.code, "type": "bind"}))
        }),
        // Per type.
        Case {
            args: &["--registration-open", "false"],
            ..case("verify_login_registration_closed", LoginCode, 401, |fx| {
                verify(json!({"mobile": MOBILE, "code": fx.code, "type": "login", "register": 1}))
            })
        },
        case("send_bind_already_bound", SignedInWithMobile, 500, |fx| {
            api(SEND, json!({"mobile": OTHER, "type": "bind"}), Some(&fx.token))
        }),
        case("send_bind_mobile_taken", SignedInOtherTaken, 422, |fx| {
            api(SEND, json!({"mobile": OTHER, "type": "bind"}), Some(&fx.token))
        }),
        case("send_bind_without_token", Nothing, 401, |_| {
            send(json!({"mobile": MOBILE, "type": "bind"}))
        }),
        case("send_rebind_without_verify", SignedInWithMobile, 422, |fx| {
            api(SEND, json!({"mobile": OTHER, "type": "rebind"}), Some(&fx.token))
        }),
        case("send_rebind_same_mobile", SignedInVerified, 422, |fx| {
            api(SEND, json!({"mobile": MOBILE, "type": "rebind"}), Some(&fx.token))
        }),
        case("send_verify_without_mobile_on_account", SignedIn, 422, |fx| {
            api(SEND, json!({"type": "verify"}), Some(&fx.token))
        }),
        // Not here: LEGACY.md's "reset_pwd/reset_pay_pwd mobile must exist"
        // (手机号 不存在。). zhanghao answers 201 for an unknown mobile too
        // (DESIGN §8 enumeration, tests/it/enumeration.rs), so that envelope
        // contradicts the legacy one and is not pinned.
        case("verify_reset_pwd_same_password", ResetPwdCode, 500, |fx| {
            verify(json!({"mobile": MOBILE, "code": fx.code, "type": "reset_pwd", "password": "a-good-password"}))
        }),
        case("verify_reset_pwd_password_too_short", ResetPwdCode, 422, |fx| {
            verify(json!({"mobile": MOBILE, "code": fx.code, "type": "reset_pwd", "password": "abc"}))
        }),
        case("verify_reset_pay_pwd_not_six_digits", ResetPayPwdCode, 422, |fx| {
            api(
                VERIFY,
                json!({"code": fx.code, "type": "reset_pay_pwd", "pay_password": "12345a", "pay_password_confirmation": "12345a"}),
                Some(&fx.token),
            )
        }),
        case("verify_reset_pay_pwd_mismatch", ResetPayPwdCode, 422, |fx| {
            api(
                VERIFY,
                json!({"code": fx.code, "type": "reset_pay_pwd", "pay_password": "135790", "pay_password_confirmation": "135791"}),
                Some(&fx.token),
            )
        }),
        case("verify_reset_pay_pwd_missing", ResetPayPwdCode, 422, |fx| {
            api(
                VERIFY,
                json!({"code": fx.code, "type": "reset_pay_pwd"}),
                Some(&fx.token),
            )
        }),
        // Stricter than Discuz v2 (v3 has the 60 s interval).
        case("send_too_soon", LoginCode, 429, |_| {
            send(json!({"mobile": MOBILE, "type": "login"}))
        }),
        // refresh-token.
        case("refresh_token_missing", Nothing, 422, |_| api(REFRESH, json!({}), None)),
        case("refresh_token_invalid", Nothing, 401, |_| {
            api(REFRESH, json!({"refresh_token": "garbage"}), None)
        }),
        // Methods.
        case("send_wrong_method", Nothing, 405, |_| method("GET", SEND)),
        case("verify_wrong_method", Nothing, 405, |_| method("GET", VERIFY)),
        case("refresh_wrong_method", Nothing, 405, |_| method("PUT", REFRESH)),
    ];
    run_cases(cases, prepare, call, snap).await;
}
