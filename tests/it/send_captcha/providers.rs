//! The provider path of the send captcha gate: Tencent, Aliyun and GeeTest
//! tickets against loopback stand-ins that check signatures and fields.

use clap::Parser;
use serde_json::{Value, json};
use zhanghao::config::{Config, Settings};

use super::stand_ins::{self, *};
use crate::common::*;

const SEND: &str = "mutation($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { expiresIn } }";

/// Sends an SMS code to `mobile` with `extra` input fields (the captcha).
async fn send(app: &TestApp, mobile: &str, extra: Value) -> Value {
    let mut input = json!({"mobile": mobile, "purpose": "LOGIN"});
    if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        input.extend(extra.clone());
    }
    app.gql(SEND, json!({"input": input})).await.1
}

fn ticket(ticket: &str, randstr: &str) -> Value {
    json!({"captchaTicket": ticket, "captchaRandstr": randstr})
}

fn tencent_args<'a>(gate: &'a str, endpoint: &'a str) -> Vec<&'a str> {
    vec![
        "--send-captcha",
        gate,
        "--captcha-provider",
        "tencent",
        "--tencent-secret-id",
        TENCENT_SECRET_ID,
        "--tencent-secret-key",
        TENCENT_SECRET_KEY,
        "--tencent-captcha-app-id",
        "190000001",
        "--tencent-captcha-app-secret-key",
        TENCENT_APP_SECRET,
        "--tencent-captcha-endpoint",
        endpoint,
    ]
}

fn aliyun_args(endpoint: &str) -> Vec<&str> {
    vec![
        "--send-captcha",
        "always",
        "--captcha-provider",
        "aliyun",
        "--aliyun-access-key-id",
        ALIYUN_KEY_ID,
        "--aliyun-access-key-secret",
        ALIYUN_SECRET,
        "--aliyun-captcha-scene-id",
        ALIYUN_SCENE,
        "--aliyun-captcha-endpoint",
        endpoint,
    ]
}

fn geetest_args(endpoint: &str) -> Vec<&str> {
    vec![
        "--send-captcha",
        "always",
        "--captcha-provider",
        "geetest",
        "--geetest-captcha-id",
        GEETEST_ID,
        "--geetest-captcha-key",
        GEETEST_KEY,
        "--geetest-captcha-endpoint",
        endpoint,
    ]
}

fn ok(body: &Value) -> bool {
    body["errors"].is_null()
}

#[tokio::test]
async fn tencent_tickets_pass_once_and_wrong_ones_are_invalid() {
    let (endpoint, seen) = stand_ins::tencent().await;
    let app = TestApp::with_args(&tencent_args("always", &endpoint)).await;
    assert_eq!(
        error_code(&send(&app, "13800000941", json!({})).await),
        "CAPTCHA_REQUIRED"
    );
    let body = send(&app, "13800000941", ticket("pass-1", "@rnd")).await;
    assert!(ok(&body), "{body}");
    let request = seen.lock().unwrap()[0].clone();
    assert_eq!(request["UserIp"], "203.0.113.7", "the client's IP goes to Tencent");
    assert_eq!(request["Ticket"], "pass-1");
    // The same solve again, for another mobile: spent on our side too.
    let body = send(&app, "13800000942", ticket("pass-1", "@rnd")).await;
    assert_eq!(error_code(&body), "CAPTCHA_INVALID", "single use: {body}");
    let body = send(&app, "13800000942", ticket("forged", "@rnd")).await;
    assert_eq!(error_code(&body), "CAPTCHA_INVALID", "{body}");
    let body = send(&app, "13800000942", ticket("pass-2", "")).await;
    assert_eq!(
        error_code(&body),
        "CAPTCHA_INVALID",
        "Tencent needs the randstr: {body}"
    );
    // With a provider set, the image captcha is not a way round it.
    let id = app.captcha().await;
    let answer = app.last_code(&id, "captcha");
    let body = send(&app, "13800000942", json!({"captchaId": id, "captcha": answer})).await;
    assert_eq!(error_code(&body), "CAPTCHA_INVALID", "{body}");
    assert!(ok(&send(&app, "13800000942", ticket("pass-2", "@rnd")).await));
    assert_eq!(app.outbox_entries().iter().filter(|e| e.channel == "sms").count(), 2);
}

#[tokio::test]
async fn aliyun_verify_params_pass_or_fail_for_sms_and_email() {
    let (endpoint, seen) = stand_ins::aliyun().await;
    let app = TestApp::with_args(&aliyun_args(&endpoint)).await;
    assert!(ok(&send(&app, "13800000951", ticket("pass-ali", "")).await));
    assert_eq!(seen.lock().unwrap()[0]["SceneId"], ALIYUN_SCENE);
    let body = send(&app, "13800000952", ticket("bot-ali", "")).await;
    assert_eq!(error_code(&body), "CAPTCHA_INVALID", "{body}");
    let email = "mutation($t: String) { sendEmailCode(input: {email: \"c@example.cn\", purpose: REGISTER, captchaTicket: $t}) { expiresIn } }";
    let body = app.gql(email, json!({"t": "pass-ali-mail"})).await.1;
    assert!(ok(&body), "{body}");
    let body = app.gql(email, json!({"t": "pass-ali-mail"})).await.1;
    assert_eq!(error_code(&body), "CAPTCHA_INVALID", "single use: {body}");
}

#[tokio::test]
async fn geetest_validations_pass_once_however_the_json_is_written() {
    let (endpoint, seen) = stand_ins::geetest().await;
    let app = TestApp::with_args(&geetest_args(&endpoint)).await;
    let validation = geetest_ticket("pass-lot-1");
    assert!(ok(&send(&app, "13800000961", ticket(&validation, "")).await));
    assert_eq!(seen.lock().unwrap()[0]["gen_time"], "1700000000");
    // The same lot number, re-encoded: still the same solve.
    let replay = serde_json::to_string_pretty(&serde_json::from_str::<Value>(&validation).unwrap()).unwrap();
    let body = send(&app, "13800000962", ticket(&replay, "")).await;
    assert_eq!(error_code(&body), "CAPTCHA_INVALID", "single use: {body}");
    let body = send(&app, "13800000962", ticket(&geetest_ticket("expired-lot"), "")).await;
    assert_eq!(error_code(&body), "CAPTCHA_INVALID", "{body}");
    let body = send(&app, "13800000962", ticket("not the widget's json", "")).await;
    assert_eq!(error_code(&body), "CAPTCHA_INVALID", "{body}");
}

#[tokio::test]
async fn a_provider_that_is_down_is_service_unavailable_and_tells_nothing() {
    let closed = stand_ins::closed_port().await;
    let (tencent, _) = stand_ins::tencent().await;
    let (aliyun, _) = stand_ins::aliyun().await;
    let (geetest, _) = stand_ins::geetest().await;
    let apps = [
        (
            TestApp::with_args(&tencent_args("always", &closed)).await,
            ticket("pass-x", "@rnd"),
        ),
        (
            TestApp::with_args(&tencent_args("always", &tencent)).await,
            ticket("boom", "@rnd"),
        ),
        (TestApp::with_args(&aliyun_args(&aliyun)).await, ticket("boom", "")),
        (
            TestApp::with_args(&geetest_args(&geetest)).await,
            ticket(&geetest_ticket("boom"), ""),
        ),
    ];
    for (app, offered) in &apps {
        let body = send(app, "13800000971", offered.clone()).await;
        assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");
        let text = body.to_string();
        assert!(
            !text.contains("127.0.0.1") && !text.contains("HTTP") && !text.contains("connect"),
            "{text}"
        );
        assert!(app.outbox_entries().is_empty());
    }
}

#[tokio::test]
async fn a_provider_that_hangs_costs_one_timeout_then_service_unavailable() {
    let hanging = stand_ins::hanging().await;
    let mut args = tencent_args("always", &hanging);
    args.extend(["--provider-timeout", "1"]);
    let app = TestApp::with_args(&args).await;
    // Bounded far above the 1 s timeout: without a timeout this would hang.
    let started = std::time::Instant::now();
    let body = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        send(&app, "13800000972", ticket("pass-h", "@rnd")),
    )
    .await
    .expect("the send gave up on the provider");
    // The setting, not the 5 s default, ended the wait.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");
    assert!(app.outbox_entries().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_call_the_provider_refuses_for_our_credentials_is_service_unavailable() {
    let (endpoint, seen) = stand_ins::aliyun().await;
    let mut args = aliyun_args(&endpoint);
    let secret = args.iter().position(|a| *a == ALIYUN_SECRET).unwrap();
    args[secret] = "not-the-secret";
    let app = TestApp::with_args(&args).await;
    let body = send(&app, "13800000975", ticket("pass-ali", "")).await;
    assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");
    assert_eq!(seen.lock().unwrap().len(), 1, "the stand-in saw the badly signed call");
}

#[tokio::test]
async fn below_the_threshold_no_ticket_is_needed_and_the_provider_is_not_asked() {
    // Nothing listens there: any call to the provider would fail the send.
    let closed = stand_ins::closed_port().await;
    let app = TestApp::with_args(&tencent_args("after:2", &closed)).await;
    assert!(ok(&send(&app, "13800000981", json!({})).await));
    assert!(ok(&send(&app, "13800000982", ticket("pass-ignored", "@rnd")).await));
    assert_eq!(
        error_code(&send(&app, "13800000983", json!({})).await),
        "CAPTCHA_REQUIRED"
    );
}

#[tokio::test]
async fn a_ticket_without_a_provider_is_invalid_and_the_image_captcha_still_works() {
    let app = TestApp::with_args(&["--send-captcha", "always"]).await;
    let body = send(&app, "13800000991", ticket("pass-1", "@rnd")).await;
    assert_eq!(error_code(&body), "CAPTCHA_INVALID", "{body}");
    let id = app.captcha().await;
    let answer = app.last_code(&id, "captcha");
    assert!(ok(&send(
        &app,
        "13800000991",
        json!({"captchaId": id, "captcha": answer})
    )
    .await));
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
}

fn start_up(args: &[&str]) -> Result<Config, String> {
    let argv = ["zhanghao"].iter().chain(args).copied();
    let settings = Cli::try_parse_from(argv).map_err(|e| e.to_string())?.settings;
    Config::from_settings(settings).map_err(|e| e.to_string())
}

#[test]
fn start_up_refuses_a_provider_without_its_credentials() {
    let cases: [(&[&str], &str); 5] = [
        (&["--captcha-provider", "tencent"], "ZHANGHAO_TENCENT_CAPTCHA_APP_ID"),
        (
            &[
                "--captcha-provider",
                "tencent",
                "--tencent-captcha-app-id",
                "1",
                "--tencent-secret-id",
                "a",
            ],
            "ZHANGHAO_TENCENT_SECRET_KEY",
        ),
        (
            &["--captcha-provider", "tencent", "--tencent-captcha-app-id", "x1"],
            "ZHANGHAO_TENCENT_CAPTCHA_APP_ID",
        ),
        (
            &[
                "--captcha-provider",
                "aliyun",
                "--aliyun-access-key-id",
                "a",
                "--aliyun-access-key-secret",
                "b",
            ],
            "ZHANGHAO_ALIYUN_CAPTCHA_SCENE_ID",
        ),
        (
            &["--captcha-provider", "geetest", "--geetest-captcha-id", "a"],
            "ZHANGHAO_GEETEST_CAPTCHA_KEY",
        ),
    ];
    for (args, setting) in cases {
        let err = start_up(args).unwrap_err();
        assert!(err.contains(setting), "{args:?}: {err}");
    }
    assert!(start_up(&["--captcha-provider", "image"]).is_ok());
    assert!(start_up(&geetest_args("http://127.0.0.1:1")).is_ok());
}
