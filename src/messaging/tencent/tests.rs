//! The tencent client against its provider's documented signatures and a loopback stand-in.

use std::sync::{Arc, Mutex};

use axum::{Router, body::Bytes, http::HeaderMap, routing::post};

use super::*;
use crate::messaging::test_support::serve;

const SECRET_KEY: &str = "stand-in-key";

type Seen = Arc<Mutex<Vec<serde_json::Value>>>;

/// A stand-in SMS API that re-derives the signature from what it received.
async fn stand_in() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let store = seen.clone();
    let router = Router::new().route(
        "/",
        post(move |headers: HeaderMap, body: Bytes| {
            let store = store.clone();
            async move {
                let header = |name: &str| {
                    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
                };
                let timestamp: i64 = header("x-tc-timestamp").parse().unwrap_or(0);
                let expected =
                    tc3::authorization_header("sms", "AKID-test", SECRET_KEY, &header("host"), &body, timestamp)
                        .unwrap();
                let request: serde_json::Value = serde_json::from_slice(&body).unwrap();
                let ok_headers = header("authorization") == expected
                    && header("x-tc-action") == "SendSms"
                    && header("x-tc-version") == "2021-01-11"
                    && header("x-tc-region") == "ap-guangzhou"
                    && header("content-type") == tc3::CONTENT_TYPE;
                let reply = if !ok_headers {
                    serde_json::json!({"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"}, "RequestId": "r"}})
                } else if request["TemplateId"] == "BAD" {
                    serde_json::json!({"Response": {"SendStatusSet": [{"Code": "LimitExceeded.PhoneNumberDailyLimit", "Message": "too many for code 123456", "PhoneNumber": request["PhoneNumberSet"][0]}], "RequestId": "r"}})
                } else {
                    serde_json::json!({"Response": {"SendStatusSet": [{"Code": "Ok", "Message": "send success", "PhoneNumber": request["PhoneNumberSet"][0]}], "RequestId": "r"}})
                };
                store.lock().unwrap().push(request);
                axum::Json(reply)
            }
        }),
    );
    let addr = serve(router).await;
    (format!("http://{addr}"), seen)
}

fn sender(endpoint: &str, key: &str, template: &str) -> TencentSms {
    let mut config = TencentSmsConfig::new("AKID-test", key.into(), "1400006666", "账号服务", template);
    config.endpoint = endpoint.to_string();
    TencentSms::new(config).unwrap()
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
    sender(&endpoint, SECRET_KEY, "1110").send_sms(&sms()).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen[0],
        serde_json::json!({
            "PhoneNumberSet": ["+8613113690000"],
            "SmsSdkAppId": "1400006666",
            "SignName": "账号服务",
            "TemplateId": "1110",
            "TemplateParamSet": ["123456"],
        })
    );
}

#[tokio::test]
async fn response_error_is_a_delivery_error() {
    let (endpoint, _) = stand_in().await;
    let err = sender(&endpoint, "wrong", "1110").send_sms(&sms()).await.unwrap_err();
    assert!(
        matches!(&err, DeliveryError::Rejected { code, .. } if code == "AuthFailure.SignatureFailure"),
        "{err:?}"
    );
}

#[tokio::test]
async fn failed_send_status_is_a_delivery_error_without_the_code() {
    let (endpoint, _) = stand_in().await;
    let err = sender(&endpoint, SECRET_KEY, "BAD").send_sms(&sms()).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("LimitExceeded.PhoneNumberDailyLimit"), "{text}");
    assert!(!text.contains("123456"), "{text}");
}

#[test]
fn unreadable_answers_are_errors() {
    let err = interpret_response(reqwest::StatusCode::OK, "{}", "1").unwrap_err();
    assert!(matches!(err, DeliveryError::BadResponse { .. }));
    let err = interpret_response(reqwest::StatusCode::BAD_GATEWAY, "<html>", "1").unwrap_err();
    assert!(matches!(err, DeliveryError::HttpStatus { status: 502, .. }));
    let empty = r#"{"Response": {"SendStatusSet": [], "RequestId": "r"}}"#;
    assert!(interpret_response(reqwest::StatusCode::OK, empty, "1").is_err());
}

#[tokio::test]
async fn a_notice_goes_with_the_notice_template() {
    let notice = SmsMessage {
        code: String::new(),
        purpose: "notice_mobile_changed".into(),
        template: crate::messaging::SmsTemplate::Notice("手机号已更换"),
        ..sms()
    };
    let (endpoint, seen) = stand_in().await;
    let without = sender(&endpoint, SECRET_KEY, "1110");
    assert!(!without.sends_notices());
    let err = without.send_sms(&notice).await.unwrap_err();
    assert!(matches!(err, DeliveryError::Misconfigured(_)), "{err:?}");
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing reaches Tencent without a notice template"
    );

    let mut config = TencentSmsConfig::new("AKID-test", SECRET_KEY.into(), "1400006666", "账号服务", "1110");
    config.endpoint = endpoint.clone();
    config.notice_template_id = Some("2220".into());
    let with = TencentSms::new(config).unwrap();
    assert!(with.sends_notices());
    with.send_sms(&notice).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0]["TemplateId"], "2220");
    assert_eq!(seen[0]["TemplateParamSet"], serde_json::json!(["手机号已更换"]));
}
