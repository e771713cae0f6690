//! The tencent client against its provider's documented signatures and a loopback stand-in.

use std::sync::{Arc, Mutex};

use axum::{Router, body::Bytes, http::HeaderMap, routing::post};

use super::*;
use crate::messaging::test_support::serve;

// Worked example from Tencent Cloud's "Signature v3" API page (CVM
// DescribeInstances, ap-guangzhou, X-TC-Timestamp 1551113065).
const DOC_SECRET_ID: &str = "AKID**********************0123456789EXAMPLE";
const DOC_SECRET_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
const DOC_TIMESTAMP: i64 = 1551113065;
const DOC_PAYLOAD: &str = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;

#[test]
fn reproduces_the_signature_v3_doc_example() {
    let canonical = canonical_request("cvm.tencentcloudapi.com", DOC_PAYLOAD.as_bytes());
    assert_eq!(
        canonical,
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n\
         content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    );
    let date = utc_date(DOC_TIMESTAMP).unwrap();
    assert_eq!(date, "2019-02-25");
    let to_sign = string_to_sign(DOC_TIMESTAMP, &date, "cvm", &canonical);
    assert_eq!(
        to_sign,
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n\
         5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    );
    let sig = signature(DOC_SECRET_KEY, &date, "cvm", &to_sign);
    assert_eq!(sig, "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
    assert_eq!(
        authorization(DOC_SECRET_ID, &date, "cvm", &sig),
        "TC3-HMAC-SHA256 Credential=AKID**********************0123456789EXAMPLE/2019-02-25/cvm/tc3_request, \
         SignedHeaders=content-type;host, \
         Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    );
}

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
                    authorization_header("AKID-test", SECRET_KEY, &header("host"), &body, timestamp)
                        .unwrap();
                let request: serde_json::Value = serde_json::from_slice(&body).unwrap();
                let ok_headers = header("authorization") == expected
                    && header("x-tc-action") == "SendSms"
                    && header("x-tc-version") == "2021-01-11"
                    && header("x-tc-region") == "ap-guangzhou"
                    && header("content-type") == CONTENT_TYPE;
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
