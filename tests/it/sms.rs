//! Verification codes and the SMS / email flows of DESIGN §2 with the rules of §4.

use serde_json::{Value, json};

use crate::common::*;

pub const SEND: &str = "mutation($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { expiresIn resendAfter } }";
pub const VERIFY: &str = "mutation($input: VerifySmsInput!) { verifySms(input: $input) { purpose created user { id mobile username } tokens { accessToken refreshToken } } }";

/// Sends a code of `purpose` to `mobile` (as typed) and returns it from the outbox.
pub async fn send_code(app: &TestApp, token: Option<&str>, mobile: Option<&str>, purpose: &str) -> String {
    let input = json!({"input": {"mobile": mobile, "purpose": purpose}});
    let (_, body) = app.gql_with(SEND, input, token, &[]).await;
    assert!(body["errors"].is_null(), "send failed: {body}");
    let to = app.outbox_entries().last().expect("a message").to.clone();
    app.last_code(&to, &purpose.to_lowercase())
}

async fn verify(app: &TestApp, token: Option<&str>, input: Value) -> Value {
    app.gql_with(VERIFY, json!({"input": input}), token, &[]).await.1
}

/// A user signed in by SMS (registered on the way); returns the payload.
pub async fn sms_user(app: &TestApp, mobile: &str) -> Value {
    let code = send_code(app, None, Some(mobile), "LOGIN").await;
    let body = verify(
        app,
        None,
        json!({"mobile": mobile, "code": code, "purpose": "LOGIN", "register": true}),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["verifySms"].clone()
}

fn sms_access(payload: &Value) -> String {
    payload["tokens"]["accessToken"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn send_writes_a_six_digit_code_to_the_outbox_in_e164() {
    let app = TestApp::new().await;
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": "131 1369 0000", "purpose": "LOGIN"}}))
        .await;
    assert_eq!(
        body["data"]["sendSmsCode"],
        json!({"expiresIn": 300, "resendAfter": 60})
    );
    let entry = app.outbox_entries().pop().unwrap();
    assert_eq!(entry.channel, "sms");
    assert_eq!(entry.to, "+8613113690000");
    assert_eq!(entry.purpose, "login");
    assert_eq!(entry.code.len(), 6);
    assert!(entry.code.bytes().all(|b| b.is_ascii_digit()));
    assert!(entry.text.contains(&entry.code));
}

#[tokio::test]
async fn the_three_spellings_are_one_number_and_garbage_is_refused() {
    let app = TestApp::new().await;
    let code = send_code(&app, None, Some("13113690000"), "LOGIN").await;
    let body = verify(
        &app,
        None,
        json!({"mobile": "+86 131-1369-0000", "code": code, "purpose": "LOGIN", "register": true}),
    )
    .await;
    assert_eq!(body["data"]["verifySms"]["created"], true, "{body}");
    assert_eq!(body["data"]["verifySms"]["user"]["mobile"], "13113690000");
    for garbage in ["abc", "123", "1311369000", ""] {
        let (_, body) = app
            .gql(SEND, json!({"input": {"mobile": garbage, "purpose": "LOGIN"}}))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{garbage}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "mobile");
    }
    let code = send_code(&app, None, Some("8613113690001"), "LOGIN").await;
    assert_eq!(app.outbox_entries().last().unwrap().to, "+8613113690001");
    assert_eq!(code.len(), 6);
}

#[tokio::test]
async fn login_registers_with_invite_or_answers_no_bind_user() {
    let app = TestApp::new().await;
    let inviter = sms_user(&app, "13800000001").await;
    let inviter_id = inviter["user"]["id"].as_str().unwrap();

    let code = send_code(&app, None, Some("13800000002"), "LOGIN").await;
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000002", "code": code, "purpose": "LOGIN", "register": true, "inviteCode": inviter_id}),
    )
    .await;
    let created = &body["data"]["verifySms"];
    assert_eq!(created["created"], true);
    assert_eq!(created["purpose"], "LOGIN");
    let id: i64 = created["user"]["id"].as_str().unwrap().parse().unwrap();
    let row = zhanghao::store::users::by_id(&app.state.db, id).await.unwrap().unwrap();
    assert_eq!(row.referrer_id, Some(inviter_id.parse().unwrap()));

    // The same mobile again just signs in.
    app.clock.advance(61);
    let code = send_code(&app, None, Some("13800000002"), "LOGIN").await;
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000002", "code": code, "purpose": "LOGIN"}),
    )
    .await;
    assert_eq!(body["data"]["verifySms"]["created"], false, "{body}");
    assert_eq!(body["data"]["verifySms"]["user"]["id"], created["user"]["id"]);

    // Unknown mobile without `register`: NO_BIND_USER with a bind ticket.
    let code = send_code(&app, None, Some("13800000003"), "LOGIN").await;
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000003", "code": code, "purpose": "LOGIN"}),
    )
    .await;
    assert_eq!(error_code(&body), "NO_BIND_USER");
    let ticket = body["errors"][0]["extensions"]["bindToken"]
        .as_str()
        .unwrap()
        .to_string();

    // `register` carrying the ticket attaches the proven mobile to the new account.
    let captcha = app.captcha().await;
    let answer = app.last_code(&captcha, "captcha");
    let input = json!({"input": {"method": "USERNAME", "account": "ticket_user", "password": "a-good-password", "verify": answer, "captchaId": captcha, "bindToken": ticket}});
    let (_, registered) = app.gql(REGISTER, input).await;
    assert_eq!(
        registered["data"]["register"]["user"]["mobile"], "13800000003",
        "{registered}"
    );

    // Single use.
    let (_, again) = app
        .gql(
            LOGIN,
            json!({"input": {"account": "ticket_user", "password": "a-good-password", "bindToken": ticket}}),
        )
        .await;
    assert_eq!(error_code(&again), "BAD_USER_INPUT");
    assert_eq!(again["errors"][0]["extensions"]["field"], "bindToken");
}

#[tokio::test]
async fn login_with_a_bind_ticket_attaches_the_mobile() {
    let app = TestApp::new().await;
    app.register_username("no_mobile", "a-good-password").await;
    let code = send_code(&app, None, Some("13800000010"), "LOGIN").await;
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000010", "code": code, "purpose": "LOGIN"}),
    )
    .await;
    let ticket = body["errors"][0]["extensions"]["bindToken"].as_str().unwrap();
    let (_, login) = app
        .gql(
            LOGIN,
            json!({"input": {"account": "no_mobile", "password": "a-good-password", "bindToken": ticket}}),
        )
        .await;
    assert_eq!(login["data"]["login"]["user"]["mobile"], "13800000010", "{login}");
    // Tickets expire after an hour.
    let code = send_code(&app, None, Some("13800000011"), "LOGIN").await;
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000011", "code": code, "purpose": "LOGIN"}),
    )
    .await;
    let ticket = body["errors"][0]["extensions"]["bindToken"]
        .as_str()
        .unwrap()
        .to_string();
    app.clock.advance(3601);
    let (_, late) = app
        .gql(
            LOGIN,
            json!({"input": {"account": "no_mobile", "password": "a-good-password", "bindToken": ticket}}),
        )
        .await;
    assert_eq!(error_code(&late), "BAD_USER_INPUT");
}

#[tokio::test]
async fn wrong_expired_replayed_wrong_purpose_and_wrong_target_codes_fail() {
    let app = TestApp::new().await;
    let code = send_code(&app, None, Some("13800000020"), "LOGIN").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000020", "code": wrong, "purpose": "LOGIN", "register": true}),
    )
    .await;
    assert_eq!(error_code(&body), "CODE_INVALID");
    // Wrong target.
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000021", "code": code, "purpose": "LOGIN", "register": true}),
    )
    .await;
    assert_eq!(error_code(&body), "CODE_INVALID");
    // Wrong purpose: a LOGIN code never resets a password (of an existing account).
    sms_user(&app, "13800000022").await;
    app.clock.advance(61);
    let other = send_code(&app, None, Some("13800000022"), "LOGIN").await;
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000022", "code": other, "purpose": "RESET_PASSWORD", "password": "a-new-password"}),
    )
    .await;
    assert_eq!(error_code(&body), "CODE_INVALID", "{body}");
    // Still good for its own purpose and target, once.
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000020", "code": code, "purpose": "LOGIN", "register": true}),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000020", "code": code, "purpose": "LOGIN"}),
    )
    .await;
    assert_eq!(error_code(&body), "CODE_INVALID", "replay");

    // A RESET_PASSWORD code never logs anyone in.
    app.clock.advance(61);
    let reset = send_code(&app, None, Some("13800000020"), "RESET_PASSWORD").await;
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000020", "code": reset, "purpose": "LOGIN"}),
    )
    .await;
    assert_eq!(error_code(&body), "CODE_INVALID");

    // Expired after five minutes.
    app.clock.advance(61);
    let code = send_code(&app, None, Some("13800000020"), "LOGIN").await;
    app.clock.advance(301);
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000020", "code": code, "purpose": "LOGIN"}),
    )
    .await;
    assert_eq!(error_code(&body), "CODE_INVALID");
}

#[tokio::test]
async fn five_wrong_tries_burn_the_code_but_malformed_input_does_not_count() {
    let app = TestApp::new().await;
    let code = send_code(&app, None, Some("13800000030"), "LOGIN").await;
    for malformed in ["12ab56", "123", "1234567", ""] {
        let body = verify(
            &app,
            None,
            json!({"mobile": "13800000030", "code": malformed, "purpose": "LOGIN", "register": true}),
        )
        .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{malformed}");
    }
    let body = verify(
        &app,
        None,
        json!({"mobile": "not-a-mobile", "code": code, "purpose": "LOGIN", "register": true}),
    )
    .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut codes = Vec::new();
    let mut last = Value::Null;
    for _ in 0..5 {
        let body = verify(
            &app,
            None,
            json!({"mobile": "13800000030", "code": wrong, "purpose": "LOGIN", "register": true}),
        )
        .await;
        codes.push(error_code(&body).to_string());
        last = body;
    }
    // The burning try says to ask for a new code, not to wait.
    let message = last["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("重新获取"), "{last}");
    assert!(last["errors"][0]["extensions"]["retryAfter"].is_null(), "{last}");
    assert_eq!(
        codes,
        [
            "CODE_INVALID",
            "CODE_INVALID",
            "CODE_INVALID",
            "CODE_INVALID",
            "TOO_MANY_ATTEMPTS"
        ]
    );
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000030", "code": code, "purpose": "LOGIN", "register": true}),
    )
    .await;
    assert_eq!(error_code(&body), "CODE_INVALID", "burnt code must not work");
}

#[tokio::test]
async fn a_resend_replaces_the_live_code() {
    let app = TestApp::with_codes(&["111111", "222222"]).await;
    let first = send_code(&app, None, Some("13800000040"), "LOGIN").await;
    assert_eq!(first, "111111");
    // Past the 60 s gap, inside the 300 s lifetime: a refused `first` is
    // refused because it was replaced, not because it expired.
    app.clock.advance(61);
    let second = send_code(&app, None, Some("13800000040"), "LOGIN").await;
    assert_eq!(second, "222222");
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000040", "code": first, "purpose": "LOGIN", "register": true}),
    )
    .await;
    assert_eq!(
        error_code(&body),
        "CODE_INVALID",
        "the replaced code still works: {body}"
    );
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000040", "code": second, "purpose": "LOGIN", "register": true}),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
}

#[tokio::test]
async fn send_limits_per_target_and_per_ip() {
    let app = TestApp::new().await;
    send_code(&app, None, Some("13800000050"), "LOGIN").await;
    // 60 s between sends to one target, whatever the purpose.
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": "13800000050", "purpose": "REGISTER"}}))
        .await;
    assert_eq!(error_code(&body), "RATE_LIMITED");
    let retry = body["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Ten a day per target.
    for _ in 0..9 {
        app.clock.advance(61);
        send_code(&app, None, Some("13800000050"), "LOGIN").await;
    }
    app.clock.advance(61);
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": "13800000050", "purpose": "LOGIN"}}))
        .await;
    assert_eq!(error_code(&body), "RATE_LIMITED", "11th send in a day");

    // Twenty an hour per client IP (a fresh app: a fresh hour window).
    let app = TestApp::new().await;
    for i in 0..20 {
        send_code(&app, None, Some(&format!("139000001{i:02}")), "LOGIN").await;
    }
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": "13900000199", "purpose": "LOGIN"}}))
        .await;
    assert_eq!(error_code(&body), "RATE_LIMITED", "21st send from one IP");
}

#[tokio::test]
async fn two_concurrent_verifies_of_one_code_one_wins() {
    let app = TestApp::new().await;
    let code = send_code(&app, None, Some("13800000060"), "LOGIN").await;
    let input = json!({"mobile": "13800000060", "code": code, "purpose": "LOGIN", "register": true});
    let (a, b) = tokio::join!(verify(&app, None, input.clone()), verify(&app, None, input.clone()));
    let wins = [&a, &b].iter().filter(|body| body["errors"].is_null()).count();
    assert_eq!(wins, 1, "{a}\n{b}");
    let loser = if a["errors"].is_null() { &b } else { &a };
    assert_eq!(error_code(loser), "CODE_INVALID");
}

#[tokio::test]
async fn bind_sets_a_mobile_once_and_refuses_a_taken_one() {
    let app = TestApp::new().await;
    sms_user(&app, "13800000070").await;
    let user = app.register_username("binder", "a-good-password").await;
    let token = access(&user);
    // Someone else's mobile: refused before any code is sent.
    let (_, body) = app
        .gql_with(
            SEND,
            json!({"input": {"mobile": "13800000070", "purpose": "BIND"}}),
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(error_code(&body), "ACCOUNT_EXISTS");
    // Signed out: refused.
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": "13800000071", "purpose": "BIND"}}))
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");

    let code = send_code(&app, Some(&token), Some("13800000071"), "BIND").await;
    let body = verify(
        &app,
        Some(&token),
        json!({"mobile": "13800000071", "code": code, "purpose": "BIND"}),
    )
    .await;
    assert_eq!(body["data"]["verifySms"]["user"]["mobile"], "13800000071", "{body}");
    assert!(body["data"]["verifySms"]["tokens"].is_null());
    // A second bind: the user already has a mobile.
    app.clock.advance(61);
    let (_, body) = app
        .gql_with(
            SEND,
            json!({"input": {"mobile": "13800000072", "purpose": "BIND"}}),
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(error_code(&body), "ALREADY_BOUND");
}

#[tokio::test]
async fn rebind_needs_verify_within_ten_minutes_and_revokes_the_other_sessions() {
    let app = TestApp::new().await;
    // Another device signed in first; the rebind must sign it out.
    let other = sms_user(&app, "13800000080").await;
    app.clock.advance(61);
    let user = sms_user(&app, "13800000080").await;
    let token = sms_access(&user);
    // REBIND without VERIFY.
    let (_, body) = app
        .gql_with(
            SEND,
            json!({"input": {"mobile": "13800000081", "purpose": "REBIND"}}),
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    // VERIFY uses the caller's own mobile.
    app.clock.advance(61);
    let code = send_code(&app, Some(&token), None, "VERIFY").await;
    assert_eq!(app.outbox_entries().last().unwrap().to, "+8613800000080");
    let body = verify(&app, Some(&token), json!({"code": code, "purpose": "VERIFY"})).await;
    assert!(body["errors"].is_null(), "{body}");
    // Window closes after ten minutes.
    app.clock.advance(601);
    let (_, body) = app
        .gql_with(
            SEND,
            json!({"input": {"mobile": "13800000081", "purpose": "REBIND"}}),
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    // Verify again, then rebind in time.
    let code = send_code(&app, Some(&token), None, "VERIFY").await;
    verify(&app, Some(&token), json!({"code": code, "purpose": "VERIFY"})).await;
    let code = send_code(&app, Some(&token), Some("13800000081"), "REBIND").await;
    let body = verify(
        &app,
        Some(&token),
        json!({"mobile": "13800000081", "code": code, "purpose": "REBIND"}),
    )
    .await;
    assert_eq!(body["data"]["verifySms"]["user"]["mobile"], "13800000081", "{body}");
    // The session that rebound stays signed in (DESIGN §8) and can refresh;
    // every other session is gone.
    let refresh = "mutation($t: String!) { refreshToken(refreshToken: $t) { tokens { accessToken } } }";
    let (_, me) = app.gql_as(&token, "{ me { id } }", json!({})).await;
    assert_eq!(me["data"]["me"]["id"], user["user"]["id"], "{me}");
    let (_, refreshed) = app.gql(refresh, json!({"t": user["tokens"]["refreshToken"]})).await;
    let fresh = refreshed["data"]["refreshToken"]["tokens"]["accessToken"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        app.gql_as(fresh, "{ me { id } }", json!({})).await.1["data"]["me"]["id"],
        user["user"]["id"]
    );
    let (_, me) = app.gql_as(&sms_access(&other), "{ me { id } }", json!({})).await;
    assert_eq!(error_code(&me), "UNAUTHENTICATED", "{me}");
    let (_, refreshed) = app.gql(refresh, json!({"t": other["tokens"]["refreshToken"]})).await;
    assert_eq!(error_code(&refreshed), "UNAUTHENTICATED");
}

#[tokio::test]
async fn reset_password_revokes_every_session() {
    let app = TestApp::new().await;
    let user = sms_user(&app, "13800000090").await;
    let token = sms_access(&user);
    let (_, no_password) = app
        .gql(
            LOGIN,
            json!({"input": {"account": "13800000090", "password": "anything-at-all"}}),
        )
        .await;
    assert_eq!(error_code(&no_password), "INVALID_CREDENTIALS", "no password yet");
    app.clock.advance(61);
    let code = send_code(&app, None, Some("13800000090"), "RESET_PASSWORD").await;
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000090", "code": code, "purpose": "RESET_PASSWORD", "password": "short"}),
    )
    .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "weak password refused, code kept");
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000090", "code": code, "purpose": "RESET_PASSWORD", "password": "a-brand-new-password"}),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, me) = app.gql_as(&token, "{ me { id } }", json!({})).await;
    assert!(me["data"]["me"].is_null());
    let refresh = "mutation($t: String!) { refreshToken(refreshToken: $t) { created } }";
    let (_, refreshed) = app.gql(refresh, json!({"t": user["tokens"]["refreshToken"]})).await;
    assert_eq!(error_code(&refreshed), "UNAUTHENTICATED", "the refresh token died too");
    app.login("13800000090", "a-brand-new-password").await;
    // Unknown mobile: the same answer as a known one, and nothing is sent
    // (tests/it/enumeration.rs covers the rest).
    let before = app.outbox_entries().len();
    let (_, body) = app
        .gql(
            SEND,
            json!({"input": {"mobile": "13800000099", "purpose": "RESET_PASSWORD"}}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(app.outbox_entries().len(), before);
}

#[tokio::test]
async fn reset_pay_password_and_its_own_lockout() {
    let app = TestApp::new().await;
    let user = sms_user(&app, "13800000100").await;
    let token = sms_access(&user);
    app.clock.advance(61);
    let code = send_code(&app, Some(&token), None, "RESET_PAY_PASSWORD").await;
    for (pay, confirm, field) in [
        ("12345", "12345", "payPassword"),
        ("abcdef", "abcdef", "payPassword"),
        ("135790", "135791", "payPasswordConfirmation"),
    ] {
        let body = verify(&app, Some(&token), json!({"code": code, "purpose": "RESET_PAY_PASSWORD", "payPassword": pay, "payPasswordConfirmation": confirm})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["extensions"]["field"], field);
    }
    let body = verify(&app, Some(&token), json!({"code": code, "purpose": "RESET_PAY_PASSWORD", "payPassword": "135790", "payPasswordConfirmation": "135790"})).await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, me) = app.gql_as(&token, "{ me { hasPayPassword } }", json!({})).await;
    assert_eq!(me["data"]["me"]["hasPayPassword"], true);

    let check = "mutation($p: String!) { verifyPayPassword(payPassword: $p) }";
    let (_, ok) = app.gql_as(&token, check, json!({"p": "135790"})).await;
    assert_eq!(ok["data"]["verifyPayPassword"], true);
    for _ in 0..4 {
        let (_, no) = app.gql_as(&token, check, json!({"p": "000000"})).await;
        assert_eq!(no["data"]["verifyPayPassword"], false);
    }
    let (_, locked) = app.gql_as(&token, check, json!({"p": "000000"})).await;
    assert_eq!(error_code(&locked), "TOO_MANY_ATTEMPTS");
    let (_, still) = app.gql_as(&token, check, json!({"p": "135790"})).await;
    assert_eq!(error_code(&still), "TOO_MANY_ATTEMPTS", "locked even for the right one");
    app.clock.advance(901);
    let (_, ok) = app.gql_as(&token, check, json!({"p": "135790"})).await;
    assert_eq!(ok["data"]["verifyPayPassword"], true);
}

#[tokio::test]
async fn register_by_sms_and_by_email() {
    let app = TestApp::new().await;
    let code = send_code(&app, None, Some("13800000110"), "REGISTER").await;
    let input =
        json!({"input": {"method": "SMS", "account": "13800000110", "password": "a-good-password", "verify": code}});
    let (_, body) = app.gql(REGISTER, input.clone()).await;
    assert_eq!(body["data"]["register"]["user"]["mobile"], "13800000110", "{body}");
    app.login("13800000110", "a-good-password").await;
    let (_, again) = app
        .gql(SEND, json!({"input": {"mobile": "13800000110", "purpose": "REGISTER"}}))
        .await;
    assert_eq!(error_code(&again), "ACCOUNT_EXISTS");

    let (_, sent) = app
        .gql(
            "mutation { sendEmailCode(input: {email: \"Ann@Example.CN\", purpose: REGISTER}) { expiresIn } }",
            json!({}),
        )
        .await;
    assert!(sent["errors"].is_null(), "{sent}");
    let code = app.last_code("ann@example.cn", "register");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let bad = json!({"input": {"method": "EMAIL", "account": "ann@example.cn", "password": "a-good-password", "verify": wrong}});
    assert_eq!(error_code(&app.gql(REGISTER, bad).await.1), "CODE_INVALID");
    let input = json!({"input": {"method": "EMAIL", "account": "ANN@example.cn", "password": "a-good-password", "verify": code}});
    let (_, body) = app.gql(REGISTER, input).await;
    assert_eq!(body["data"]["register"]["user"]["email"], "ann@example.cn", "{body}");
    app.login("Ann@Example.cn", "a-good-password").await;
}

#[tokio::test]
async fn test_numbers_use_fixed_codes_without_sending_or_limits() {
    let app = TestApp::with_args(&["--test-numbers", "+8613800000000=246810"]).await;
    for _ in 0..12 {
        let (_, body) = app
            .gql(SEND, json!({"input": {"mobile": "13800000000", "purpose": "LOGIN"}}))
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    assert!(app.outbox_entries().is_empty(), "nothing is sent to test numbers");
    for _ in 0..2 {
        let body = verify(
            &app,
            None,
            json!({"mobile": "13800000000", "code": "246810", "purpose": "LOGIN", "register": true}),
        )
        .await;
        assert!(body["errors"].is_null(), "{body}");
    }
}

#[tokio::test]
async fn provider_failure_is_service_unavailable_and_leaves_no_code() {
    let app = TestApp::with_args(&[
        "--sms-provider",
        "webhook",
        "--webhook-url",
        "http://127.0.0.1:9/",
        "--webhook-secret",
        "s",
    ])
    .await;
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": "13800000120", "purpose": "LOGIN"}}))
        .await;
    assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");
    let live = zhanghao::store::codes::find(&app.state.db, "+8613800000120", "login")
        .await
        .unwrap();
    assert!(live.is_none());
}

#[tokio::test]
async fn no_code_in_plain_text_in_the_database_or_the_logs() {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::new().await;
    let code = send_code(&app, None, Some("13800000130"), "LOGIN").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    verify(
        &app,
        None,
        json!({"mobile": "13800000130", "code": wrong, "purpose": "LOGIN", "register": true}),
    )
    .await;
    let row = zhanghao::store::codes::find(&app.state.db, "+8613800000130", "login")
        .await
        .unwrap()
        .unwrap();
    // What is stored must not give the code back: not the code, not its
    // hex, and not an unkeyed SHA-256 of it (a million candidates reverse
    // that at once), but 32 bytes of keyed MAC in hex.
    use sha2::Digest as _;
    let stored = row.code_hmac.as_str();
    assert_ne!(stored, code, "the code is stored in plain text");
    assert_ne!(stored, hex::encode(code.as_bytes()), "the code is stored as hex");
    for unkeyed in [
        code.clone(),
        format!("+8613800000130{code}"),
        format!("code\0+8613800000130\0login\0{code}"),
    ] {
        assert_ne!(
            stored,
            hex::encode(sha2::Sha256::digest(unkeyed.as_bytes())),
            "an unkeyed hash of {unkeyed:?} is stored"
        );
    }
    assert_eq!(stored.len(), 64, "an HMAC-SHA256, hex: {stored}");
    assert!(stored.bytes().all(|b| b.is_ascii_hexdigit()), "{stored}");
    let dump = format!("{row:?}");
    assert!(!dump.contains(&code));
    verify(
        &app,
        None,
        json!({"mobile": "13800000130", "code": code, "purpose": "LOGIN", "register": true}),
    )
    .await;

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).to_string();
    assert!(!logs.is_empty(), "the capture works");
    assert!(!logs.contains(&code), "the code leaked into the logs");
}

#[tokio::test]
async fn a_ticket_that_cannot_attach_is_refused_before_the_code_is_spent() {
    let app = TestApp::new().await;
    sms_user(&app, "13800000140").await;
    // A ticket proving another mobile.
    let code = send_code(&app, None, Some("13800000141"), "LOGIN").await;
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000141", "code": code, "purpose": "LOGIN"}),
    )
    .await;
    let ticket = body["errors"][0]["extensions"]["bindToken"]
        .as_str()
        .unwrap()
        .to_string();

    app.clock.advance(61);
    let code = send_code(&app, None, Some("13800000140"), "LOGIN").await;
    let input = json!({"mobile": "13800000140", "code": code, "purpose": "LOGIN", "bindToken": ticket});
    let body = verify(&app, None, input).await;
    assert_eq!(error_code(&body), "ALREADY_BOUND", "{body}");
    // The code was not spent, and neither was the ticket.
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000140", "code": code, "purpose": "LOGIN"}),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    let live = zhanghao::store::tickets::peek(
        &app.state.db,
        &zhanghao::crypto::hash_opaque(&ticket),
        app.state.clock.now(),
    )
    .await
    .unwrap();
    assert!(live.is_some());
}

#[tokio::test]
async fn fixed_review_codes_cannot_be_guessed() {
    let app = TestApp::with_args(&["--test-numbers", "+8613800000000=246810"]).await;
    let mut answers = Vec::new();
    for guess in ["000001", "000002", "000003", "000004", "000005", "246810"] {
        let body = verify(
            &app,
            None,
            json!({"mobile": "13800000000", "code": guess, "purpose": "LOGIN", "register": true}),
        )
        .await;
        answers.push(error_code(&body).to_string());
    }
    assert_eq!(
        answers,
        [
            "CODE_INVALID",
            "CODE_INVALID",
            "CODE_INVALID",
            "CODE_INVALID",
            "CODE_INVALID",
            "TOO_MANY_ATTEMPTS"
        ],
        "five wrong guesses are checked, then this client is locked out of the fixed code"
    );
    // The window slides: after two windows the guesses have aged out.
    app.clock.advance(1801);
    let body = verify(
        &app,
        None,
        json!({"mobile": "13800000000", "code": "246810", "purpose": "LOGIN", "register": true}),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
}

#[tokio::test]
async fn one_client_cannot_lock_the_reviewers_out_of_a_fixed_code() {
    let mut app = TestApp::with_args(&["--test-numbers", "+8613800000000=246810"]).await;
    let login = |code: &str| json!({"mobile": "13800000000", "code": code, "purpose": "LOGIN", "register": true});
    // 20 parallel wrong guesses from one stranger: at most five are checked.
    let guesses = (0..20).map(|i| {
        let app = &app;
        async move { verify(app, None, login(&format!("{:06}", 100 + i))).await }
    });
    let answers = futures::future::join_all(guesses).await;
    let checked = answers.iter().filter(|a| error_code(a) == "CODE_INVALID").count();
    let codes: Vec<&str> = answers.iter().map(error_code).collect();
    assert!(checked <= 5, "{checked} guesses were checked: {codes:?}");
    assert_eq!(
        error_code(&verify(&app, None, login("246810")).await),
        "TOO_MANY_ATTEMPTS"
    );
    // The reviewer, from another address, still signs in.
    app.peer = "198.51.100.9:40000".parse().unwrap();
    let body = verify(&app, None, login("246810")).await;
    assert!(body["errors"].is_null(), "{body}");
}

#[tokio::test]
async fn existence_answers_cost_the_client_ip_its_send_budget() {
    let app = TestApp::new().await;
    sms_user(&app, "13800000150").await;
    // One send already charged; 19 more probes of a taken mobile, then refused.
    for _ in 0..19 {
        let (_, body) = app
            .gql(SEND, json!({"input": {"mobile": "13800000150", "purpose": "REGISTER"}}))
            .await;
        assert_eq!(error_code(&body), "ACCOUNT_EXISTS");
    }
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": "13800000150", "purpose": "REGISTER"}}))
        .await;
    assert_eq!(error_code(&body), "RATE_LIMITED", "{body}");
}

#[tokio::test]
async fn concurrent_pay_password_guesses_share_the_five_tries() {
    let app = TestApp::new().await;
    let user = sms_user(&app, "13800000160").await;
    let token = sms_access(&user);
    app.clock.advance(61);
    let code = send_code(&app, Some(&token), None, "RESET_PAY_PASSWORD").await;
    let input = json!({"code": code, "purpose": "RESET_PAY_PASSWORD", "payPassword": "135790", "payPasswordConfirmation": "135790"});
    assert!(verify(&app, Some(&token), input).await["errors"].is_null());

    let check = "mutation($p: String!) { verifyPayPassword(payPassword: $p) }";
    let guesses = (0..20).map(|i| {
        let app = &app;
        let token = token.clone();
        async move { app.gql_as(&token, check, json!({"p": format!("{:06}", i)})).await.1 }
    });
    let answers = futures::future::join_all(guesses).await;
    let checked = answers
        .iter()
        .filter(|a| a["data"]["verifyPayPassword"] == false)
        .count();
    let refused = answers.iter().filter(|a| error_code(a) == "TOO_MANY_ATTEMPTS").count();
    assert!(checked <= 4, "{checked} wrong guesses were checked");
    assert_eq!(checked + refused, 20);
    let (_, right) = app.gql_as(&token, check, json!({"p": "135790"})).await;
    assert_eq!(error_code(&right), "TOO_MANY_ATTEMPTS", "locked after five tries");
}

#[tokio::test]
async fn only_the_session_that_verified_may_rebind() {
    let app = TestApp::new().await;
    let owner = sms_user(&app, "13800000170").await;
    let owner_token = sms_access(&owner);
    // A second session of the same user (say, a stolen token).
    app.clock.advance(61);
    let other = sms_user(&app, "13800000170").await;
    let other_token = sms_access(&other);

    app.clock.advance(61);
    let code = send_code(&app, Some(&owner_token), None, "VERIFY").await;
    let body = verify(&app, Some(&owner_token), json!({"code": code, "purpose": "VERIFY"})).await;
    assert!(body["errors"].is_null(), "{body}");

    let (_, body) = app
        .gql_with(
            SEND,
            json!({"input": {"mobile": "13800000171", "purpose": "REBIND"}}),
            Some(&other_token),
            &[],
        )
        .await;
    assert_eq!(
        error_code(&body),
        "BAD_USER_INPUT",
        "the other session may not use the window: {body}"
    );
    let code = send_code(&app, Some(&owner_token), Some("13800000171"), "REBIND").await;
    let body = verify(
        &app,
        Some(&other_token),
        json!({"mobile": "13800000171", "code": code, "purpose": "REBIND"}),
    )
    .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let body = verify(
        &app,
        Some(&owner_token),
        json!({"mobile": "13800000171", "code": code, "purpose": "REBIND"}),
    )
    .await;
    assert_eq!(body["data"]["verifySms"]["user"]["mobile"], "13800000171", "{body}");
}
