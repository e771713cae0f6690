//! Carrier one-click sign-in (DESIGN §9 `oneClickLogin`) against loopback
//! stand-ins of Aliyun Dypnsapi and JiGuang JVerify: the carrier's mobile is
//! treated as a verified SMS LOGIN code would be, a refused token is
//! CODE_INVALID, a provider fault SERVICE_UNAVAILABLE with nothing written.

mod stand_ins;

use std::time::Duration;

use rsa::RsaPublicKey;
use rsa::rand_core::OsRng;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use self::stand_ins::*;
use crate::common::*;
use crate::third_party::standins::app_with_platforms;

const ONE_CLICK: &str = "mutation($input: OneClickLoginInput!) { oneClickLogin(input: $input) { user { id mobile bindings { platform } } tokens { accessToken } created } }";
const SEND: &str = "mutation($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { expiresIn } }";
const VERIFY: &str = "mutation($input: VerifySmsInput!) { verifySms(input: $input) { created user { id mobile } } }";
const TPL: &str = "mutation($input: ThirdPartyLoginInput!) { thirdPartyLogin(input: $input) { user { id } created } }";
const PROVIDERS: [&str; 3] = ["ALIYUN", "ALIYUN_H5", "JIGUANG"];

/// An app pointed at both stand-ins.
struct Rig {
    app: TestApp,
    aliyun: StandIn,
    jiguang: StandIn,
}

impl Rig {
    async fn new(extra: &[&str]) -> Rig {
        Rig::with(
            |args| Box::pin(async move { TestApp::with_args(&refs(&args)).await }),
            extra,
        )
        .await
    }

    /// The stand-ins, and the app `build` makes from their flags plus `extra`.
    async fn with<F>(build: F, extra: &[&str]) -> Rig
    where
        F: FnOnce(Vec<String>) -> std::pin::Pin<Box<dyn std::future::Future<Output = TestApp>>>,
    {
        let aliyun = aliyun().await;
        let jiguang = jiguang(RsaPublicKey::from(jiguang_key())).await;
        let mut args = provider_args(&aliyun.url, &jiguang.url);
        args.extend(extra.iter().map(|a| a.to_string()));
        Rig {
            app: build(args).await,
            aliyun,
            jiguang,
        }
    }

    /// A fresh token of `provider` for the national mobile `phone`.
    fn token(&self, provider: &str, phone: &str) -> String {
        match provider {
            "ALIYUN" => self.aliyun.issue(Sdk::AliyunApp, phone),
            "ALIYUN_H5" => self.aliyun.issue(Sdk::AliyunH5, phone),
            _ => self.jiguang.issue(Sdk::Jiguang, phone),
        }
    }

    fn calls(&self) -> usize {
        self.aliyun.calls() + self.jiguang.calls()
    }
}

fn refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

async fn one_click(app: &TestApp, input: Value) -> Value {
    app.gql(ONE_CLICK, json!({ "input": input })).await.1
}

fn signed_in(body: &Value) -> &Value {
    assert!(body["errors"].is_null(), "{body}");
    &body["data"]["oneClickLogin"]
}

fn bind_token(body: &Value) -> String {
    assert_eq!(error_code(body), "NO_BIND_USER", "{body}");
    body["errors"][0]["extensions"]["bindToken"]
        .as_str()
        .expect("bindToken")
        .to_string()
}

async fn user_count(app: &TestApp) -> i64 {
    let db = &app.state.db;
    let statement = sea_orm::Statement::from_string(db.get_database_backend(), "SELECT COUNT(*) AS n FROM users");
    let row = db.query_one_raw(statement).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn has_account(app: &TestApp, phone: &str) -> bool {
    let mobile = format!("+86{phone}");
    zhanghao::store::users::by_mobile(&app.state.db, &mobile)
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn each_provider_registers_signs_in_and_takes_a_token_once() {
    let rig = Rig::new(&[]).await;
    let app = &rig.app;
    for (i, provider) in PROVIDERS.iter().enumerate() {
        let phone = format!("1390000100{i}");
        let first = rig.token(provider, &phone);
        let body = one_click(app, json!({"provider": provider, "token": first, "register": true})).await;
        let created = signed_in(&body);
        assert_eq!(created["created"], true, "{provider}: {body}");
        assert_eq!(created["user"]["mobile"], phone, "{body}");
        assert!(created["tokens"]["accessToken"].is_string());

        let body = one_click(app, json!({"provider": provider, "token": rig.token(provider, &phone)})).await;
        assert_eq!(signed_in(&body)["created"], false, "{provider}: {body}");
        assert_eq!(signed_in(&body)["user"]["id"], created["user"]["id"]);

        for spent in [first, format!("STsid-forged-{i}")] {
            let body = one_click(app, json!({"provider": provider, "token": spent, "register": true})).await;
            assert_eq!(error_code(&body), "CODE_INVALID", "{provider}: {body}");
        }
    }
    // A token of Aliyun's app SDK is not one of its H5 SDK, nor the other way round.
    let app_token = rig.token("ALIYUN", "13900001000");
    let body = one_click(app, json!({"provider": "ALIYUN_H5", "token": app_token})).await;
    assert_eq!(error_code(&body), "CODE_INVALID", "{body}");
    assert_eq!(user_count(app).await, 3);

    let (_, _, metrics) = app
        .send(
            axum::http::Request::get("/metrics")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(
        metrics.contains(r#"zhanghao_sign_ins_total{method="one_click",outcome="success"} 6"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"zhanghao_sign_ins_total{method="one_click",outcome="CODE_INVALID"} 7"#));
}

#[tokio::test]
async fn an_unknown_mobile_gets_a_bind_token_that_login_register_and_verify_sms_redeem() {
    let rig = Rig::new(&[]).await;
    let app = &rig.app;
    let mut tickets = Vec::new();
    for (i, provider) in PROVIDERS.iter().enumerate() {
        let phone = format!("1370000200{i}");
        let body = one_click(app, json!({"provider": provider, "token": rig.token(provider, &phone)})).await;
        tickets.push((phone.clone(), bind_token(&body)));
        assert!(!has_account(app, &phone).await, "{provider} created an account");
    }

    // ALIYUN's ticket: a password sign-in attaches the mobile.
    let (phone, ticket) = &tickets[0];
    app.register_username("olga_pw", "a-long-password-1").await;
    let input = json!({"account": "olga_pw", "password": "a-long-password-1", "bindToken": ticket});
    let (_, body) = app.gql(LOGIN, json!({ "input": input })).await;
    assert_eq!(body["data"]["login"]["user"]["mobile"], *phone, "{body}");

    // ALIYUN_H5's ticket: a new username account gets the mobile.
    let (phone, ticket) = &tickets[1];
    let captcha = app.captcha().await;
    let answer = app.last_code(&captcha, "captcha");
    let input = json!({"method": "USERNAME", "account": "pavel_new", "password": "a-long-password-2",
                       "verify": answer, "captchaId": captcha, "bindToken": ticket});
    let (_, body) = app.gql(REGISTER, json!({ "input": input })).await;
    assert_eq!(body["data"]["register"]["user"]["mobile"], *phone, "{body}");

    // JIGUANG's ticket: an SMS LOGIN of that mobile that registers redeems it, once.
    let (phone, ticket) = &tickets[2];
    let (_, body) = app
        .gql(SEND, json!({"input": {"mobile": phone, "purpose": "LOGIN"}}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let code = app.last_code(&format!("+86{phone}"), "login");
    let input = json!({"mobile": phone, "code": code, "purpose": "LOGIN", "register": true, "bindToken": ticket});
    let (_, body) = app.gql(VERIFY, json!({ "input": input })).await;
    assert_eq!(body["data"]["verifySms"]["created"], true, "{body}");
    let body = one_click(
        app,
        json!({"provider": "JIGUANG", "token": rig.token("JIGUANG", phone), "bindToken": ticket}),
    )
    .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "bindToken");
}

#[tokio::test]
async fn a_platform_ticket_is_bound_and_a_dead_ticket_spends_no_token() {
    let rig = Rig::with(
        |args| Box::pin(async move { app_with_platforms(&refs(&args)).await }),
        &[],
    )
    .await;
    let app = &rig.app;
    let (_, body) = app
        .gql(TPL, json!({"input": {"platform": "QQ", "code": "quinn"}}))
        .await;
    let qq_ticket = bind_token(&body);

    let token = rig.token("JIGUANG", "13600003000");
    let body = one_click(
        app,
        json!({"provider": "JIGUANG", "token": token, "bindToken": "not-a-live-ticket"}),
    )
    .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "bindToken");
    let body = one_click(
        app,
        json!({"provider": "JIGUANG", "token": token, "inviteCode": "x".repeat(65)}),
    )
    .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "inviteCode", "{body}");
    assert_eq!(rig.calls(), 0, "the token was spent on a request refused anyway");

    // The QQ identity the ticket carries registers the mobile, as verifySms LOGIN does.
    let body = one_click(
        app,
        json!({"provider": "JIGUANG", "token": token, "bindToken": qq_ticket}),
    )
    .await;
    let payload = signed_in(&body);
    assert_eq!(payload["created"], true, "{body}");
    assert_eq!(payload["user"]["bindings"][0]["platform"], "QQ", "{body}");
    let (_, body) = app
        .gql(TPL, json!({"input": {"platform": "QQ", "code": "quinn#2"}}))
        .await;
    assert_eq!(
        body["data"]["thirdPartyLogin"]["user"]["id"], payload["user"]["id"],
        "{body}"
    );
}

#[tokio::test]
async fn a_provider_fault_is_service_unavailable_and_writes_nothing() {
    let rig = Rig::new(&[]).await;
    let app = &rig.app;
    let ticket = bind_token(
        &one_click(
            app,
            json!({"provider": "ALIYUN", "token": rig.token("ALIYUN", "13500004000")}),
        )
        .await,
    );
    for provider in PROVIDERS {
        let input = json!({"provider": provider, "token": "boom", "register": true, "bindToken": ticket});
        let body = one_click(app, input).await;
        assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{provider}: {body}");
    }
    assert_eq!(user_count(app).await, 0);
    // The ticket was not used up by the failed sign-ins.
    let token = rig.token("ALIYUN", "13500004000");
    let body = one_click(
        app,
        json!({"provider": "ALIYUN", "token": token, "register": true, "bindToken": ticket}),
    )
    .await;
    assert_eq!(signed_in(&body)["created"], true, "{body}");

    // JiGuang encrypting for a key that is not ours: no phone, no account.
    let other = rsa::RsaPrivateKey::new(&mut OsRng, 1024).unwrap();
    let stranger = jiguang(RsaPublicKey::from(&other)).await;
    let args = provider_args(&rig.aliyun.url, &stranger.url);
    let app = TestApp::with_args(&refs(&args)).await;
    let token = stranger.issue(Sdk::Jiguang, "13500004001");
    let body = one_click(&app, json!({"provider": "JIGUANG", "token": token, "register": true})).await;
    assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");
    assert_eq!(user_count(&app).await, 0);
}

#[tokio::test]
async fn hanging_providers_and_wrong_credentials_are_service_unavailable() {
    let hung = hanging().await;
    let mut args = provider_args(&hung, &hung);
    args.extend(["--provider-timeout", "1"].map(str::to_string));
    let app = TestApp::with_args(&refs(&args)).await;
    for provider in PROVIDERS {
        let call = one_click(
            &app,
            json!({"provider": provider, "token": "STsid-any", "register": true}),
        );
        let body = tokio::time::timeout(Duration::from_secs(10), call)
            .await
            .expect("bounded by the timeout");
        assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{provider}: {body}");
    }
    assert_eq!(user_count(&app).await, 0);

    // Our own secrets refused (Aliyun's signature, JiGuang's Basic auth): not the user's fault.
    let rig = Rig::new(&[]).await;
    let wrong = |arg: String| match arg.as_str() {
        ALIYUN_SECRET | JIGUANG_MASTER_SECRET => "wrong".to_string(),
        _ => arg,
    };
    let args: Vec<String> = provider_args(&rig.aliyun.url, &rig.jiguang.url)
        .into_iter()
        .map(wrong)
        .collect();
    let app = TestApp::with_args(&refs(&args)).await;
    for provider in PROVIDERS {
        let token = rig.token(provider, "13400005000");
        let body = one_click(&app, json!({"provider": provider, "token": token, "register": true})).await;
        assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{provider}: {body}");
        // The stand-in refused the call before looking at the token, which still works.
        let body = one_click(&rig.app, json!({"provider": provider, "token": token})).await;
        assert_eq!(error_code(&body), "NO_BIND_USER", "{provider}: {body}");
    }
    assert_eq!(rig.calls(), 6);
}

#[tokio::test]
async fn disabled_accounts_and_closed_registration_are_refused() {
    let rig = Rig::new(&[]).await;
    let app = &rig.app;
    for (i, provider) in PROVIDERS.iter().enumerate() {
        let phone = format!("1330000600{i}");
        signed_in(
            &one_click(
                app,
                json!({"provider": provider, "token": rig.token(provider, &phone), "register": true}),
            )
            .await,
        );
    }
    let closed_args = [
        provider_args(&rig.aliyun.url, &rig.jiguang.url),
        vec!["--registration-open".into(), "false".into()],
    ]
    .concat();
    let closed = app.another_node(&refs(&closed_args)).await;
    for (i, provider) in PROVIDERS.iter().enumerate() {
        let known = rig.token(provider, &format!("1330000600{i}"));
        signed_in(&one_click(&closed, json!({"provider": provider, "token": known})).await);
        let unknown = rig.token(provider, &format!("1330000700{i}"));
        let body = one_click(
            &closed,
            json!({"provider": provider, "token": unknown, "register": true}),
        )
        .await;
        assert_eq!(error_code(&body), "REGISTRATION_CLOSED", "{provider}: {body}");
    }

    app.state
        .db
        .execute_unprepared("UPDATE users SET status = 'DISABLED'")
        .await
        .unwrap();
    for (i, provider) in PROVIDERS.iter().enumerate() {
        let token = rig.token(provider, &format!("1330000600{i}"));
        let body = one_click(app, json!({"provider": provider, "token": token})).await;
        assert_eq!(error_code(&body), "ACCOUNT_DISABLED", "{provider}: {body}");
    }
    assert_eq!(user_count(app).await, 3);
}

#[tokio::test]
async fn unoffered_providers_are_forbidden_and_tokens_are_checked_at_the_edge() {
    let app = TestApp::new().await;
    for provider in PROVIDERS {
        let body = one_click(&app, json!({"provider": provider, "token": "STsid-any"})).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{provider}: {body}");
    }

    let rig = Rig::new(&[]).await;
    for token in [String::new(), "  ".into(), "x".repeat(4097)] {
        let body = one_click(&rig.app, json!({"provider": "JIGUANG", "token": token})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "token");
    }
    assert_eq!(rig.calls(), 0);
}
