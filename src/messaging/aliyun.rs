//! Aliyun (Alibaba Cloud) SMS via Dysmsapi `SendSms`, RPC style, signed by
//! [`crate::crypto::aliyun_rpc`] (HMAC-SHA1). Implemented by hand because the official SDK would
//! pull in a large dependency tree for one signed POST.

use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{DEFAULT_TIMEOUT, DeliveryError, SmsMessage, SmsSender, SmsTemplate, e164_digits, mask_phone, scrub};
use crate::crypto::aliyun_rpc::{RpcSigner, signed_form};

const PROVIDER: &str = "aliyun";

/// Public Dysmsapi endpoint.
pub const ALIYUN_DEFAULT_ENDPOINT: &str = "https://dysmsapi.aliyuncs.com/";

/// Settings for [`AliyunSms`].
#[derive(Debug, Clone)]
pub struct AliyunSmsConfig {
    /// RAM AccessKey ID.
    pub access_key_id: String,
    /// RAM AccessKey secret.
    pub access_key_secret: SecretString,
    /// Approved SMS signature (签名), e.g. `账号服务`.
    pub sign_name: String,
    /// Approved template code, e.g. `SMS_123456789`; must take `${code}`.
    pub template_code: String,
    /// Approved notice template code, taking `${event}`; without it no
    /// security notice goes by SMS.
    pub notice_template_code: Option<String>,
    /// API endpoint; settable so tests can point at loopback.
    pub endpoint: String,
    /// How long to wait for Aliyun before giving up.
    pub timeout: Duration,
}

impl AliyunSmsConfig {
    /// Settings with the public endpoint and the default 5 s timeout.
    pub fn new(
        access_key_id: impl Into<String>,
        access_key_secret: SecretString,
        sign_name: impl Into<String>,
        template_code: impl Into<String>,
    ) -> Self {
        AliyunSmsConfig {
            access_key_id: access_key_id.into(),
            access_key_secret,
            sign_name: sign_name.into(),
            template_code: template_code.into(),
            notice_template_code: None,
            endpoint: ALIYUN_DEFAULT_ENDPOINT.to_string(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Sends verification-code SMS through Aliyun Dysmsapi.
#[derive(Debug)]
pub struct AliyunSms {
    client: reqwest::Client,
    endpoint: reqwest::Url,
    config: AliyunSmsConfig,
}

/// The part of Aliyun's answer we act on; success is `"Code": "OK"`.
#[derive(Deserialize)]
struct SendSmsResponse {
    #[serde(rename = "Code")]
    code: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
}

impl AliyunSms {
    /// Validate the endpoint and build the HTTP client once, at start-up.
    pub fn new(config: AliyunSmsConfig) -> Result<Self, DeliveryError> {
        let endpoint = reqwest::Url::parse(&config.endpoint)
            .map_err(|_| DeliveryError::Misconfigured("aliyun endpoint is not a valid URL".to_string()))?;
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| DeliveryError::Misconfigured(format!("aliyun client: {e}")))?;
        Ok(AliyunSms {
            client,
            endpoint,
            config,
        })
    }

    /// The template code and its parameters for `msg`.
    fn template(&self, msg: &SmsMessage) -> Result<(&str, String), DeliveryError> {
        match msg.template {
            SmsTemplate::Code => Ok((
                self.config.template_code.as_str(),
                serde_json::json!({ "code": msg.code }).to_string(),
            )),
            SmsTemplate::Notice(event) => match &self.config.notice_template_code {
                Some(template) => Ok((template.as_str(), serde_json::json!({ "event": event }).to_string())),
                None => Err(DeliveryError::Misconfigured(
                    "no aliyun notice template (ZHANGHAO_ALIYUN_NOTICE_TEMPLATE_CODE)".to_string(),
                )),
            },
        }
    }

    /// Build the signed form body for one SendSms call.
    fn signed_body(
        &self,
        phone: &str,
        msg: &SmsMessage,
        timestamp: &str,
        nonce: &str,
    ) -> Result<String, DeliveryError> {
        let (template_code, template_param) = self.template(msg)?;
        let signer = RpcSigner {
            access_key_id: &self.config.access_key_id,
            access_key_secret: self.config.access_key_secret.expose_secret(),
            timestamp,
            nonce,
        };
        let params = [
            ("PhoneNumbers", phone),
            ("RegionId", "cn-hangzhou"),
            ("SignName", self.config.sign_name.as_str()),
            ("TemplateCode", template_code),
            ("TemplateParam", template_param.as_str()),
        ];
        Ok(signed_form(&signer, "SendSms", "2017-05-25", &params))
    }

    async fn send(&self, msg: &SmsMessage) -> Result<(), DeliveryError> {
        let phone = aliyun_phone_number(&msg.to)?;
        let timestamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let nonce = uuid::Uuid::new_v4().to_string();
        let body = self.signed_body(&phone, msg, &timestamp, &nonce)?;

        let response = self
            .client
            .post(self.endpoint.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| DeliveryError::from_reqwest(PROVIDER, e))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| DeliveryError::from_reqwest(PROVIDER, e))?;

        // Aliyun reports refusals as JSON with a Code, often with a 4xx
        // status, so the body is read before the status is judged.
        match serde_json::from_str::<SendSmsResponse>(&text) {
            Ok(answer) if answer.code.as_deref() == Some("OK") && status.is_success() => Ok(()),
            Ok(SendSmsResponse {
                code: Some(code),
                message,
            }) => Err(DeliveryError::Rejected {
                provider: PROVIDER,
                code: scrub(&code, &msg.code),
                message: scrub(&message.unwrap_or_default(), &msg.code),
            }),
            _ if !status.is_success() => Err(DeliveryError::HttpStatus {
                provider: PROVIDER,
                status: status.as_u16(),
            }),
            _ => Err(DeliveryError::BadResponse { provider: PROVIDER }),
        }
    }
}

#[async_trait]
impl SmsSender for AliyunSms {
    fn sends_notices(&self) -> bool {
        self.config.notice_template_code.is_some()
    }

    async fn send_sms(&self, msg: &SmsMessage) -> Result<(), DeliveryError> {
        let result = self.send(msg).await;
        match &result {
            Ok(()) => {
                tracing::info!(to = %mask_phone(&msg.to), purpose = %msg.purpose, "sms sent via aliyun")
            }
            Err(e) => {
                tracing::warn!(to = %mask_phone(&msg.to), purpose = %msg.purpose, error = %e, "aliyun sms failed")
            }
        }
        result
    }
}

/// Aliyun wants mainland numbers as 11 bare digits and other numbers as
/// country code plus number, without `+` or `00`.
fn aliyun_phone_number(to: &str) -> Result<String, DeliveryError> {
    let digits = e164_digits(to)?;
    match digits.strip_prefix("86") {
        Some(national) if national.len() == 11 => Ok(national.to_string()),
        _ => Ok(digits.to_string()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
