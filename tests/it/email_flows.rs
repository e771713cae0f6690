//! Email codes beyond sign-up (issue 14, DESIGN §10): `sendEmailCode` and
//! `verifyEmail` for LOGIN, BIND, VERIFY and RESET_PASSWORD, under the
//! rules of the SMS flows.

use serde_json::{Value, json};

use crate::common::*;
use crate::sms::sms_user;

pub const SEND_EMAIL: &str =
    "mutation($input: SendEmailCodeInput!) { sendEmailCode(input: $input) { expiresIn resendAfter } }";
pub const VERIFY_EMAIL: &str = "mutation($input: VerifyEmailInput!) { verifyEmail(input: $input) { purpose created user { id email hasPassword } tokens { accessToken refreshToken } } }";

/// Asks for an email code; the answer's body.
async fn ask(app: &TestApp, token: Option<&str>, email: &str, purpose: &str) -> Value {
    let input = json!({"input": {"email": email, "purpose": purpose}});
    app.gql_with(SEND_EMAIL, input, token, &[]).await.1
}

/// Sends an email code of `purpose` and returns it from the outbox.
pub async fn send_email(app: &TestApp, token: Option<&str>, email: &str, purpose: &str) -> String {
    let body = ask(app, token, email, purpose).await;
    assert!(body["errors"].is_null(), "send failed: {body}");
    app.last_code(&email.to_lowercase(), &purpose.to_lowercase())
}

pub async fn verify_email(app: &TestApp, token: Option<&str>, input: Value) -> Value {
    app.gql_with(VERIFY_EMAIL, json!({"input": input}), token, &[]).await.1
}

fn wrong(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

fn payload(body: &Value) -> &Value {
    &body["data"]["verifyEmail"]
}

#[tokio::test]
async fn email_login_signs_in_registers_or_hands_out_a_ticket_with_the_email() {
    let app = TestApp::new().await;
    let code = send_email(&app, None, "New@Example.cn", "LOGIN").await;
    let body = verify_email(
        &app,
        None,
        json!({"email": "new@example.cn", "code": code, "purpose": "LOGIN"}),
    )
    .await;
    assert_eq!(error_code(&body), "NO_BIND_USER", "{body}");
    let ticket = body["errors"][0]["extensions"]["bindToken"]
        .as_str()
        .unwrap()
        .to_string();
    let again = verify_email(
        &app,
        None,
        json!({"email": "new@example.cn", "code": code, "purpose": "LOGIN"}),
    )
    .await;
    assert_eq!(error_code(&again), "CODE_INVALID", "the code was spent: {again}");

    // The ticket carries the proven email to the account that redeems it.
    let captcha = app.captcha().await;
    let answer = app.last_code(&captcha, "captcha");
    let register = json!({"input": {"method": "USERNAME", "account": "mailer", "password": "a-good-password",
        "verify": answer, "captchaId": captcha, "bindToken": ticket}});
    let (_, body) = app.gql(REGISTER, register).await;
    assert_eq!(body["data"]["register"]["user"]["email"], "new@example.cn", "{body}");
    let id = body["data"]["register"]["user"]["id"].clone();

    app.clock.advance(61);
    let code = send_email(&app, None, "new@example.cn", "LOGIN").await;
    let body = verify_email(
        &app,
        None,
        json!({"email": "NEW@example.cn", "code": code, "purpose": "LOGIN"}),
    )
    .await;
    assert_eq!(payload(&body)["created"], false, "{body}");
    assert_eq!(payload(&body)["user"]["id"], id, "{body}");
    assert!(payload(&body)["tokens"]["accessToken"].is_string(), "{body}");

    let code = send_email(&app, None, "fresh@example.cn", "LOGIN").await;
    let input = json!({"email": "fresh@example.cn", "code": code, "purpose": "LOGIN", "register": true});
    let body = verify_email(&app, None, input).await;
    assert_eq!(payload(&body)["created"], true, "{body}");
    assert_eq!(payload(&body)["user"]["email"], "fresh@example.cn", "{body}");
    assert_eq!(payload(&body)["user"]["hasPassword"], false, "{body}");
}

#[tokio::test]
async fn email_login_refuses_wrong_codes_other_purposes_and_other_addresses() {
    let app = TestApp::new().await;
    let login = |email: &str, code: &str| json!({"email": email, "code": code, "purpose": "LOGIN", "register": true});

    let register_code = send_email(&app, None, "ann@example.cn", "REGISTER").await;
    let body = verify_email(&app, None, login("ann@example.cn", &register_code)).await;
    assert_eq!(
        error_code(&body),
        "CODE_INVALID",
        "a REGISTER code is no LOGIN code: {body}"
    );

    let code = send_email(&app, None, "bob@example.cn", "LOGIN").await;
    let body = verify_email(&app, None, login("ann@example.cn", &code)).await;
    assert_eq!(error_code(&body), "CODE_INVALID", "bob's code for ann: {body}");
    let body = verify_email(&app, None, login("not-an-email", &code)).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "email", "{body}");

    let mut answers = Vec::new();
    for _ in 0..5 {
        let body = verify_email(&app, None, login("bob@example.cn", wrong(&code))).await;
        answers.push(error_code(&body).to_string());
    }
    assert_eq!(
        answers,
        [
            "CODE_INVALID",
            "CODE_INVALID",
            "CODE_INVALID",
            "CODE_INVALID",
            "TOO_MANY_ATTEMPTS"
        ]
    );
    let body = verify_email(&app, None, login("bob@example.cn", &code)).await;
    assert_eq!(error_code(&body), "CODE_INVALID", "the burnt code is dead: {body}");

    for purpose in ["REBIND", "RESET_PAY_PASSWORD"] {
        let body = ask(&app, None, "bob@example.cn", purpose).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{purpose}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "purpose", "{body}");
        let input = json!({"email": "bob@example.cn", "code": "123456", "purpose": purpose});
        let body = verify_email(&app, None, input).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{purpose}: {body}");
    }
}

#[tokio::test]
async fn email_codes_share_the_send_limits() {
    let app = TestApp::new().await;
    send_email(&app, None, "limit@example.cn", "LOGIN").await;
    let body = ask(&app, None, "limit@example.cn", "LOGIN").await;
    assert_eq!(error_code(&body), "RATE_LIMITED", "the resend gap: {body}");
    assert!(body["errors"][0]["extensions"]["retryAfter"].is_number(), "{body}");
}

/// Registers an account by email; returns its AuthPayload.
async fn email_user(app: &TestApp, email: &str, password: &str) -> Value {
    let code = send_email(app, None, email, "REGISTER").await;
    let input = json!({"input": {"method": "EMAIL", "account": email, "password": password, "verify": code}});
    let (_, body) = app.gql(REGISTER, input).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["register"].clone()
}

#[tokio::test]
async fn reset_by_email_sets_the_password_ends_every_session_and_tells_nobody_else() {
    let app = TestApp::new().await;
    let first = email_user(&app, "reset@example.cn", "the-old-password").await;
    app.clock.advance(61);

    let known = ask(&app, None, "reset@example.cn", "RESET_PASSWORD").await;
    let unknown = ask(&app, None, "nobody@example.cn", "RESET_PASSWORD").await;
    assert!(
        known["errors"].is_null() && unknown["errors"].is_null(),
        "{known} {unknown}"
    );
    assert_eq!(known["data"], unknown["data"], "the same answer for an unknown address");
    assert!(
        app.outbox_entries().iter().all(|e| e.to != "nobody@example.cn"),
        "nothing is sent to an address without an account"
    );
    let body = ask(&app, None, "nobody@example.cn", "RESET_PASSWORD").await;
    assert_eq!(error_code(&body), "RATE_LIMITED", "and the same limits: {body}");
    let input = json!({"email": "nobody@example.cn", "code": "123456", "purpose": "RESET_PASSWORD", "password": "a-new-password-1"});
    assert_eq!(error_code(&verify_email(&app, None, input).await), "CODE_INVALID");

    let code = app.last_code("reset@example.cn", "reset_password");
    let reset = |password: &str| json!({"email": "reset@example.cn", "code": code, "purpose": "RESET_PASSWORD", "password": password});
    let body = verify_email(&app, None, reset("short")).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let body = verify_email(&app, None, reset("a-new-password-1")).await;
    assert_eq!(payload(&body)["purpose"], "RESET_PASSWORD", "{body}");
    assert!(payload(&body)["tokens"].is_null(), "{body}");

    let (_, body) = app
        .gql(
            "mutation($t: String!) { refreshToken(refreshToken: $t) { created } }",
            json!({"t": refresh(&first)}),
        )
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "every session ended: {body}");
    app.login("reset@example.cn", "a-new-password-1").await;
    let notice = app
        .outbox_entries()
        .into_iter()
        .rev()
        .find(|e| e.to == "reset@example.cn")
        .unwrap();
    assert_eq!(notice.purpose, "notice_password_reset");
    assert!(notice.text.contains("邮箱验证码"), "{}", notice.text);
}

#[tokio::test]
async fn bind_sets_an_email_once_and_refuses_a_taken_one() {
    let app = TestApp::new().await;
    email_user(&app, "taken@example.cn", "a-good-password").await;
    let token = access(&app.register_username("binder", "a-good-password").await);

    let body = ask(&app, None, "mine@example.cn", "BIND").await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    let body = ask(&app, Some(&token), "taken@example.cn", "BIND").await;
    assert_eq!(error_code(&body), "ACCOUNT_EXISTS", "{body}");

    // Taken between the send and the verify: refused, and nothing changes.
    let code = send_email(&app, Some(&token), "raced@example.cn", "BIND").await;
    app.clock.advance(61);
    email_user(&app, "raced@example.cn", "a-good-password").await;
    let input = json!({"email": "raced@example.cn", "code": code, "purpose": "BIND"});
    let body = verify_email(&app, Some(&token), input).await;
    assert_eq!(error_code(&body), "ACCOUNT_EXISTS", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "email", "{body}");

    let code = send_email(&app, Some(&token), "mine@example.cn", "BIND").await;
    let input = json!({"email": "mine@example.cn", "code": code, "purpose": "BIND"});
    let body = verify_email(&app, None, input.clone()).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    let body = verify_email(&app, Some(&token), input).await;
    assert_eq!(payload(&body)["user"]["email"], "mine@example.cn", "{body}");
    app.login("mine@example.cn", "a-good-password").await;

    app.clock.advance(61);
    let body = ask(&app, Some(&token), "other@example.cn", "BIND").await;
    assert_eq!(error_code(&body), "ALREADY_BOUND", "an email is set: {body}");
    let input = json!({"email": "other@example.cn", "code": "123456", "purpose": "BIND"});
    let body = verify_email(&app, Some(&token), input).await;
    assert_eq!(error_code(&body), "ALREADY_BOUND", "{body}");
}

#[tokio::test]
async fn verify_by_email_opens_the_window_for_set_password() {
    let app = TestApp::new().await;
    let token = access(&sms_user(&app, "13800000301").await);
    let code = send_email(&app, Some(&token), "sms-first@example.cn", "BIND").await;
    let input = json!({"email": "sms-first@example.cn", "code": code, "purpose": "BIND"});
    assert!(verify_email(&app, Some(&token), input).await["errors"].is_null());
    email_user(&app, "someone@example.cn", "a-good-password").await;

    let body = ask(&app, Some(&token), "someone@example.cn", "VERIFY").await;
    assert_eq!(
        error_code(&body),
        "BAD_USER_INPUT",
        "VERIFY is for your own email: {body}"
    );
    let body = ask(&app, None, "sms-first@example.cn", "VERIFY").await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    let named = access(&app.register_username("no_email", "a-good-password").await);
    let body = ask(&app, Some(&named), "no_email@example.cn", "VERIFY").await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "no email to verify: {body}");

    let set = "mutation { setPassword(password: \"a-first-password\") { hasPassword } }";
    let (_, body) = app.gql_as(&token, set, json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "not yet verified: {body}");

    app.clock.advance(61);
    let code = send_email(&app, Some(&token), "sms-first@example.cn", "VERIFY").await;
    let input = json!({"email": "sms-first@example.cn", "code": wrong(&code), "purpose": "VERIFY"});
    assert_eq!(
        error_code(&verify_email(&app, Some(&token), input).await),
        "CODE_INVALID"
    );
    let input = json!({"email": "sms-first@example.cn", "code": code, "purpose": "VERIFY"});
    let body = verify_email(&app, Some(&token), input).await;
    assert_eq!(payload(&body)["purpose"], "VERIFY", "{body}");

    let (_, body) = app.gql_as(&token, set, json!({})).await;
    assert_eq!(body["data"]["setPassword"]["hasPassword"], true, "{body}");
    app.login("sms-first@example.cn", "a-first-password").await;
}

#[tokio::test]
async fn tickets_carry_emails_and_mobiles_across_the_channels() {
    let app = TestApp::new().await;
    // An SMS ticket redeemed by an email sign-up: the account gets both.
    let code = crate::sms::send_code(&app, None, Some("13800000302"), "LOGIN").await;
    let sms = "mutation($input: VerifySmsInput!) { verifySms(input: $input) { created } }";
    let (_, body) = app
        .gql(
            sms,
            json!({"input": {"mobile": "13800000302", "code": code, "purpose": "LOGIN"}}),
        )
        .await;
    assert_eq!(error_code(&body), "NO_BIND_USER", "{body}");
    let ticket = body["errors"][0]["extensions"]["bindToken"]
        .as_str()
        .unwrap()
        .to_string();
    let code = send_email(&app, None, "both@example.cn", "LOGIN").await;
    let input =
        json!({"email": "both@example.cn", "code": code, "purpose": "LOGIN", "register": true, "bindToken": ticket});
    let body = verify_email(&app, None, input).await;
    assert_eq!(payload(&body)["created"], true, "{body}");
    let token = access(payload(&body));
    assert_eq!(app.me_via_graphql(&token).await["mobile"], "13800000302");

    // An email ticket cannot land on an account that has another email.
    email_user(&app, "has-one@example.cn", "a-good-password").await;
    let code = send_email(&app, None, "stray@example.cn", "LOGIN").await;
    let body = verify_email(
        &app,
        None,
        json!({"email": "stray@example.cn", "code": code, "purpose": "LOGIN"}),
    )
    .await;
    let ticket = body["errors"][0]["extensions"]["bindToken"]
        .as_str()
        .unwrap()
        .to_string();
    let login = json!({"input": {"account": "has-one@example.cn", "password": "a-good-password", "bindToken": ticket}});
    let (_, body) = app.gql(LOGIN, login).await;
    assert_eq!(error_code(&body), "ALREADY_BOUND", "{body}");
    // …but can on one without: the login carries it.
    app.register_username("no_mail", "a-good-password").await;
    let login = json!({"input": {"account": "no_mail", "password": "a-good-password", "bindToken": ticket}});
    let (_, body) = app.gql(LOGIN, login).await;
    assert_eq!(body["data"]["login"]["user"]["email"], "stray@example.cn", "{body}");
}

#[tokio::test]
async fn aliases_cannot_multiply_email_code_guesses() {
    let app = TestApp::new().await;
    send_email(&app, None, "guessed@example.cn", "LOGIN").await;
    let query = r#"mutation {
        a: verifyEmail(input: {email: "guessed@example.cn", code: "000001", purpose: LOGIN}) { created }
        b: verifyEmail(input: {email: "guessed@example.cn", code: "000002", purpose: LOGIN}) { created }
    }"#;
    let (_, body) = app.gql(query, json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body["data"].is_null(), "{body}");
    let token = access(&app.register_username("two_guesses", "a-good-password").await);
    let query = r#"mutation {
        a: changePassword(currentPassword: "guess-one-1", newPassword: "a-new-password-1") { created }
        b: changePassword(currentPassword: "guess-two-2", newPassword: "a-new-password-1") { created }
    }"#;
    let (_, body) = app.gql_as(&token, query, json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}
