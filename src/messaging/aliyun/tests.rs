//! The aliyun client against its provider's documented signatures and a loopback stand-in.

use std::sync::{Arc, Mutex};

use axum::{Router, http::StatusCode, routing::post};
use percent_encoding::percent_decode_str;

use std::collections::BTreeMap;

use super::*;
use crate::crypto::aliyun_rpc::expected_signature;
use crate::messaging::test_support::serve;

#[test]
fn phone_numbers_take_aliyun_form() {
    assert_eq!(aliyun_phone_number("+8613113690000").unwrap(), "13113690000");
    assert_eq!(aliyun_phone_number("+85261234567").unwrap(), "85261234567");
    assert_eq!(aliyun_phone_number("+14155550100").unwrap(), "14155550100");
    assert!(aliyun_phone_number("13113690000").is_err());
}

const SECRET: &str = "stand-in-secret";

fn decode_form(body: &str) -> BTreeMap<String, String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            let d = |s: &str| percent_decode_str(s).decode_utf8().unwrap().into_owned();
            (d(k), d(v))
        })
        .collect()
}

/// A stand-in Dysmsapi that checks the signature the way Aliyun does.
async fn stand_in() -> (String, Arc<Mutex<Vec<BTreeMap<String, String>>>>) {
    let seen: Arc<Mutex<Vec<BTreeMap<String, String>>>> = Arc::default();
    let store = seen.clone();
    let router = Router::new().route(
        "/",
        post(move |body: String| {
            let store = store.clone();
            async move {
                let mut form = decode_form(&body);
                let given = form.remove("Signature").unwrap_or_default();
                let params: BTreeMap<&str, &str> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let expected = expected_signature(SECRET, "POST", &params);
                let reply = if given != expected {
                    (
                        StatusCode::BAD_REQUEST,
                        r#"{"Code":"SignatureDoesNotMatch","Message":"bad sig"}"#.to_string(),
                    )
                } else if form["TemplateCode"] == "SMS_BAD" {
                    let message = format!("template rejected param {}", form["TemplateParam"]);
                    (
                        StatusCode::OK,
                        serde_json::json!({"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": message}).to_string(),
                    )
                } else {
                    (
                        StatusCode::OK,
                        r#"{"Code":"OK","Message":"OK","RequestId":"r","BizId":"b"}"#.to_string(),
                    )
                };
                store.lock().unwrap().push(form);
                reply
            }
        }),
    );
    let addr = serve(router).await;
    (format!("http://{addr}/"), seen)
}

fn config(endpoint: &str, secret: &str, template: &str) -> AliyunSmsConfig {
    let mut config = AliyunSmsConfig::new("LTAI-test", secret.into(), "账号服务", template);
    config.endpoint = endpoint.to_string();
    config
}

fn sms() -> SmsMessage {
    SmsMessage {
        to: "+8613113690000".into(),
        purpose: "login".into(),
        code: "123456".into(),
        text: "您的验证码是123456".into(),
        template: crate::messaging::SmsTemplate::Code,
    }
}

#[tokio::test]
async fn full_send_is_signed_and_accepted() {
    let (endpoint, seen) = stand_in().await;
    let sender = AliyunSms::new(config(&endpoint, SECRET, "SMS_1")).unwrap();
    sender.send_sms(&sms()).await.unwrap();

    let seen = seen.lock().unwrap();
    let form = &seen[0];
    assert_eq!(form["Action"], "SendSms");
    assert_eq!(form["Version"], "2017-05-25");
    assert_eq!(form["PhoneNumbers"], "13113690000");
    assert_eq!(form["SignName"], "账号服务");
    assert_eq!(form["TemplateCode"], "SMS_1");
    assert_eq!(form["TemplateParam"], r#"{"code":"123456"}"#);
    assert_eq!(form["AccessKeyId"], "LTAI-test");
}

#[tokio::test]
async fn provider_refusal_is_an_error_without_the_code() {
    let (endpoint, _) = stand_in().await;
    let sender = AliyunSms::new(config(&endpoint, SECRET, "SMS_BAD")).unwrap();
    let err = sender.send_sms(&sms()).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("isv.SMS_TEMPLATE_ILLEGAL"), "{text}");
    assert!(!text.contains("123456"), "{text}");
}

#[tokio::test]
async fn wrong_secret_surfaces_signature_mismatch() {
    let (endpoint, _) = stand_in().await;
    let sender = AliyunSms::new(config(&endpoint, "wrong", "SMS_1")).unwrap();
    let err = sender.send_sms(&sms()).await.unwrap_err();
    assert!(
        matches!(&err, DeliveryError::Rejected { code, .. } if code == "SignatureDoesNotMatch"),
        "{err:?}"
    );
}

fn notice() -> SmsMessage {
    SmsMessage {
        code: String::new(),
        purpose: "notice_password_reset".into(),
        template: crate::messaging::SmsTemplate::Notice("密码已重设"),
        ..sms()
    }
}

#[tokio::test]
async fn a_notice_goes_with_the_notice_template() {
    let (endpoint, seen) = stand_in().await;
    let without = AliyunSms::new(config(&endpoint, SECRET, "SMS_1")).unwrap();
    assert!(!without.sends_notices());
    let err = without.send_sms(&notice()).await.unwrap_err();
    assert!(matches!(err, DeliveryError::Misconfigured(_)), "{err:?}");
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing reaches Aliyun without a notice template"
    );

    let mut with = config(&endpoint, SECRET, "SMS_1");
    with.notice_template_code = Some("SMS_NOTICE".into());
    let sender = AliyunSms::new(with).unwrap();
    assert!(sender.sends_notices());
    sender.send_sms(&notice()).await.unwrap();
    sender.send_sms(&sms()).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0]["TemplateCode"], "SMS_NOTICE");
    assert_eq!(seen[0]["TemplateParam"], r#"{"event":"密码已重设"}"#);
    assert_eq!(seen[1]["TemplateCode"], "SMS_1", "codes keep the code template");
}
