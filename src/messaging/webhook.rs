//! Generic signed webhook provider: POSTs each message as JSON to an
//! operator-run endpoint, which relays it to whatever SMS or mail system the
//! operator has. Lets deployments use providers we do not support natively.
//!
//! Request: `Content-Type: application/json`, body
//! `{"channel","to","purpose","code",["subject",]"text","sent_at"}`, headers
//! `X-Zhanghao-Timestamp: <unix seconds>` and
//! `X-Zhanghao-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`.
//! Any 2xx answer counts as accepted.

use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::{
    DEFAULT_TIMEOUT, DeliveryError, EmailMessage, EmailSender, SmsMessage, SmsSender, mask_email, mask_phone,
    now_rfc3339,
};

const PROVIDER: &str = "webhook";

/// Header carrying the body signature.
pub const SIGNATURE_HEADER: &str = "X-Zhanghao-Signature";
/// Header carrying the send time in Unix seconds, for receivers that want to
/// reject stale deliveries.
pub const TIMESTAMP_HEADER: &str = "X-Zhanghao-Timestamp";

/// Settings for [`WebhookSender`].
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Endpoint that receives the POSTs.
    pub url: String,
    /// Shared secret for the body signature.
    pub secret: SecretString,
    /// How long to wait for the endpoint before giving up.
    pub timeout: Duration,
}

impl WebhookConfig {
    /// Settings with the default 5 s timeout.
    pub fn new(url: impl Into<String>, secret: SecretString) -> Self {
        WebhookConfig {
            url: url.into(),
            secret,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Delivers SMS and email by signed webhook; implements both sender traits.
#[derive(Debug)]
pub struct WebhookSender {
    client: reqwest::Client,
    url: reqwest::Url,
    secret: SecretString,
}

#[derive(Serialize)]
struct Payload<'a> {
    channel: &'static str,
    to: &'a str,
    purpose: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a str>,
    text: &'a str,
    sent_at: String,
}

/// Compute the `X-Zhanghao-Signature` value for a raw body, so receivers
/// (and our tests) can verify deliveries with the same code.
pub fn sign_webhook_body(secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex::encode(crate::crypto::hmac_sha256(secret, body)))
}

impl WebhookSender {
    /// Validate the settings and build the HTTP client once, so a bad URL is
    /// caught at start-up rather than on the first login attempt.
    pub fn new(config: WebhookConfig) -> Result<Self, DeliveryError> {
        // The URL itself stays out of the error: it may embed a token.
        let url = reqwest::Url::parse(&config.url)
            .map_err(|_| DeliveryError::Misconfigured("webhook url is not a valid URL".to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(DeliveryError::Misconfigured(
                "webhook url must be http or https".to_string(),
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| DeliveryError::Misconfigured(format!("webhook client: {e}")))?;
        Ok(WebhookSender {
            client,
            url,
            secret: config.secret,
        })
    }

    async fn post(&self, payload: &Payload<'_>) -> Result<(), DeliveryError> {
        let body = serde_json::to_vec(payload).map_err(|_| DeliveryError::BadResponse { provider: PROVIDER })?;
        let signature = sign_webhook_body(self.secret.expose_secret().as_bytes(), &body);
        let response = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(TIMESTAMP_HEADER, chrono::Utc::now().timestamp().to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| DeliveryError::from_reqwest(PROVIDER, e))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(DeliveryError::HttpStatus {
                provider: PROVIDER,
                status: status.as_u16(),
            })
        }
    }
}

#[async_trait]
impl SmsSender for WebhookSender {
    async fn send_sms(&self, msg: &SmsMessage) -> Result<(), DeliveryError> {
        let payload = Payload {
            channel: "sms",
            to: &msg.to,
            purpose: &msg.purpose,
            code: &msg.code,
            subject: None,
            text: &msg.text,
            sent_at: now_rfc3339(),
        };
        let result = self.post(&payload).await;
        match &result {
            Ok(()) => {
                tracing::info!(to = %mask_phone(&msg.to), purpose = %msg.purpose, "sms sent via webhook")
            }
            Err(e) => {
                tracing::warn!(to = %mask_phone(&msg.to), purpose = %msg.purpose, error = %e, "sms webhook failed")
            }
        }
        result
    }
}

#[async_trait]
impl EmailSender for WebhookSender {
    async fn send_email(&self, msg: &EmailMessage) -> Result<(), DeliveryError> {
        let payload = Payload {
            channel: "email",
            to: &msg.to,
            purpose: &msg.purpose,
            code: &msg.code,
            subject: Some(&msg.subject),
            text: &msg.text,
            sent_at: now_rfc3339(),
        };
        let result = self.post(&payload).await;
        match &result {
            Ok(()) => {
                tracing::info!(to = %mask_email(&msg.to), purpose = %msg.purpose, "email sent via webhook")
            }
            Err(e) => {
                tracing::warn!(to = %mask_email(&msg.to), purpose = %msg.purpose, error = %e, "email webhook failed")
            }
        }
        result
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::http::{HeaderMap, StatusCode};
    use axum::{Router, body::Bytes, routing::post};

    use super::*;
    use crate::messaging::test_support::serve;

    const SECRET: &str = "whsec-test";

    type Seen = Arc<Mutex<Vec<serde_json::Value>>>;

    /// A stand-in receiver that accepts only correctly signed bodies.
    async fn stand_in() -> (String, Seen) {
        let seen: Seen = Arc::default();
        let store = seen.clone();
        let router = Router::new()
            .route(
                "/hook",
                post(move |headers: HeaderMap, body: Bytes| {
                    let store = store.clone();
                    async move {
                        let expected = sign_webhook_body(SECRET.as_bytes(), &body);
                        let given = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
                        let stamped = headers
                            .get(TIMESTAMP_HEADER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.parse::<i64>().ok())
                            .is_some();
                        if given != Some(expected.as_str()) || !stamped {
                            return StatusCode::UNAUTHORIZED;
                        }
                        store.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
                        StatusCode::NO_CONTENT
                    }
                }),
            )
            .route("/broken", post(|| async { StatusCode::BAD_GATEWAY }))
            .route(
                "/slow",
                post(|| async {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    StatusCode::OK
                }),
            );
        let addr = serve(router).await;
        (format!("http://{addr}"), seen)
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

    #[test]
    fn signature_is_hex_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            sign_webhook_body(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[tokio::test]
    async fn signed_sms_and_email_reach_the_receiver() {
        let (base, seen) = stand_in().await;
        let sender = WebhookSender::new(WebhookConfig::new(format!("{base}/hook"), SECRET.into())).unwrap();
        sender.send_sms(&sms()).await.unwrap();
        let email = EmailMessage {
            to: "a@b.cn".into(),
            purpose: "register".into(),
            code: "654321".into(),
            subject: "注册验证码".into(),
            text: "您的验证码是654321".into(),
        };
        sender.send_email(&email).await.unwrap();

        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0]["channel"], "sms");
        assert_eq!(seen[0]["to"], "+8613113690000");
        assert_eq!(seen[0]["code"], "123456");
        assert_eq!(seen[0]["purpose"], "login");
        assert!(seen[0].get("subject").is_none());
        assert!(seen[0]["sent_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(seen[1]["channel"], "email");
        assert_eq!(seen[1]["subject"], "注册验证码");
    }

    #[tokio::test]
    async fn wrong_secret_is_refused() {
        let (base, _) = stand_in().await;
        let sender = WebhookSender::new(WebhookConfig::new(format!("{base}/hook"), "nope".into())).unwrap();
        let err = sender.send_sms(&sms()).await.unwrap_err();
        assert!(matches!(err, DeliveryError::HttpStatus { status: 401, .. }));
        assert!(!err.to_string().contains("123456"));
    }

    #[tokio::test]
    async fn non_2xx_is_an_error() {
        let (base, _) = stand_in().await;
        let sender = WebhookSender::new(WebhookConfig::new(format!("{base}/broken"), SECRET.into())).unwrap();
        let err = sender.send_sms(&sms()).await.unwrap_err();
        assert!(matches!(err, DeliveryError::HttpStatus { status: 502, .. }));
    }

    #[tokio::test]
    async fn slow_receiver_times_out() {
        let (base, _) = stand_in().await;
        let mut config = WebhookConfig::new(format!("{base}/slow"), SECRET.into());
        config.timeout = Duration::from_millis(200);
        let sender = WebhookSender::new(config).unwrap();
        let err = sender.send_sms(&sms()).await.unwrap_err();
        assert!(matches!(err, DeliveryError::Timeout { .. }), "{err:?}");
    }

    #[test]
    fn bad_url_is_misconfiguration() {
        let err = WebhookSender::new(WebhookConfig::new("not a url", SECRET.into())).unwrap_err();
        assert!(matches!(err, DeliveryError::Misconfigured(_)));
        let err = WebhookSender::new(WebhookConfig::new("ftp://x.example/", SECRET.into())).unwrap_err();
        assert!(matches!(err, DeliveryError::Misconfigured(_)));
    }
}
