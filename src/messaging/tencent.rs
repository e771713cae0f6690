//! Tencent Cloud SMS via `SendSms` (API version 2021-01-11), signed with
//! TC3-HMAC-SHA256 ([`crate::crypto::tc3`]). Implemented by hand because the official SDK would pull
//! in a large dependency tree for one signed POST.

use std::time::Duration;

use super::{DEFAULT_TIMEOUT, DeliveryError, SmsMessage, SmsSender, SmsTemplate, e164_digits, mask_phone, scrub};
use crate::crypto::tc3::{self, Tc3Call};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

const PROVIDER: &str = "tencent";

/// Public Tencent Cloud SMS endpoint.
pub const TENCENT_DEFAULT_ENDPOINT: &str = "https://sms.tencentcloudapi.com";
/// Region used when none is configured; SMS is served from Guangzhou.
pub const TENCENT_DEFAULT_REGION: &str = "ap-guangzhou";

const SERVICE: &str = "sms";
const ACTION: &str = "SendSms";
const VERSION: &str = "2021-01-11";

/// Settings for [`TencentSms`].
#[derive(Debug, Clone)]
pub struct TencentSmsConfig {
    /// API SecretId.
    pub secret_id: String,
    /// API SecretKey.
    pub secret_key: SecretString,
    /// SMS application id (SmsSdkAppId), e.g. `1400006666`.
    pub sdk_app_id: String,
    /// Approved SMS signature (签名) content.
    pub sign_name: String,
    /// Approved template id; its first parameter receives the code.
    pub template_id: String,
    /// Approved notice template id, whose one parameter names what
    /// happened; without it no security notice goes by SMS.
    pub notice_template_id: Option<String>,
    /// API region, default `ap-guangzhou`.
    pub region: String,
    /// API endpoint; settable so tests can point at loopback.
    pub endpoint: String,
    /// How long to wait for Tencent Cloud before giving up.
    pub timeout: Duration,
}

impl TencentSmsConfig {
    /// Settings with the public endpoint, default region and 5 s timeout.
    pub fn new(
        secret_id: impl Into<String>,
        secret_key: SecretString,
        sdk_app_id: impl Into<String>,
        sign_name: impl Into<String>,
        template_id: impl Into<String>,
    ) -> Self {
        TencentSmsConfig {
            secret_id: secret_id.into(),
            secret_key,
            sdk_app_id: sdk_app_id.into(),
            sign_name: sign_name.into(),
            template_id: template_id.into(),
            notice_template_id: None,
            region: TENCENT_DEFAULT_REGION.to_string(),
            endpoint: TENCENT_DEFAULT_ENDPOINT.to_string(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Sends verification-code SMS through Tencent Cloud.
#[derive(Debug)]
pub struct TencentSms {
    client: reqwest::Client,
    endpoint: reqwest::Url,
    // The Host value exactly as reqwest will send it; it is signed.
    host: String,
    config: TencentSmsConfig,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SendSmsRequest<'a> {
    phone_number_set: [&'a str; 1],
    sms_sdk_app_id: &'a str,
    sign_name: &'a str,
    template_id: &'a str,
    template_param_set: [&'a str; 1],
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Response")]
    response: ResponseBody,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResponseBody {
    error: Option<CodeAndMessage>,
    send_status_set: Option<Vec<CodeAndMessage>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CodeAndMessage {
    code: String,
    #[serde(default)]
    message: String,
}

impl TencentSms {
    /// Validate the endpoint and build the HTTP client once, at start-up.
    pub fn new(config: TencentSmsConfig) -> Result<Self, DeliveryError> {
        let endpoint = reqwest::Url::parse(&config.endpoint)
            .map_err(|_| DeliveryError::Misconfigured("tencent endpoint is not a valid URL".to_string()))?;
        let host = tc3::signed_host(&endpoint)
            .ok_or_else(|| DeliveryError::Misconfigured("tencent endpoint has no host".to_string()))?;
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| DeliveryError::Misconfigured(format!("tencent client: {e}")))?;
        Ok(TencentSms {
            client,
            endpoint,
            host,
            config,
        })
    }

    async fn send(&self, msg: &SmsMessage) -> Result<(), DeliveryError> {
        // Tencent takes E.164 as is; validate so a typo fails here, clearly.
        e164_digits(&msg.to)?;
        let (template_id, param) = match msg.template {
            SmsTemplate::Code => (self.config.template_id.as_str(), msg.code.as_str()),
            SmsTemplate::Notice(event) => match &self.config.notice_template_id {
                Some(template) => (template.as_str(), event),
                None => {
                    return Err(DeliveryError::Misconfigured(
                        "no tencent notice template (ZHANGHAO_TENCENT_NOTICE_TEMPLATE_ID)".to_string(),
                    ));
                }
            },
        };
        let payload = serde_json::to_vec(&SendSmsRequest {
            phone_number_set: [&msg.to],
            sms_sdk_app_id: &self.config.sdk_app_id,
            sign_name: &self.config.sign_name,
            template_id,
            template_param_set: [param],
        })
        .map_err(|_| DeliveryError::BadResponse { provider: PROVIDER })?;

        let call = Tc3Call {
            service: SERVICE,
            action: ACTION,
            version: VERSION,
            region: Some(&self.config.region),
        };
        let headers = tc3::headers(
            &call,
            &self.config.secret_id,
            self.config.secret_key.expose_secret(),
            &self.host,
            &payload,
            chrono::Utc::now().timestamp(),
        )
        .map_err(|e| DeliveryError::Misconfigured(e.to_string()))?;
        let request = self.client.post(self.endpoint.clone()).headers(headers);
        let response = request
            .body(payload)
            .send()
            .await
            .map_err(|e| DeliveryError::from_reqwest(PROVIDER, e))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| DeliveryError::from_reqwest(PROVIDER, e))?;
        interpret_response(status, &text, &msg.code)
    }
}

/// Tencent answers HTTP 200 even for failures; the verdict is in the body,
/// either as `Response.Error` or per-number in `Response.SendStatusSet`.
fn interpret_response(status: reqwest::StatusCode, text: &str, code: &str) -> Result<(), DeliveryError> {
    let rejected = |e: CodeAndMessage| DeliveryError::Rejected {
        provider: PROVIDER,
        code: scrub(&e.code, code),
        message: scrub(&e.message, code),
    };
    let Ok(Envelope { response }) = serde_json::from_str::<Envelope>(text) else {
        if status.is_success() {
            return Err(DeliveryError::BadResponse { provider: PROVIDER });
        }
        return Err(DeliveryError::HttpStatus {
            provider: PROVIDER,
            status: status.as_u16(),
        });
    };
    if let Some(error) = response.error {
        return Err(rejected(error));
    }
    let statuses = response.send_status_set.unwrap_or_default();
    if statuses.is_empty() {
        return Err(DeliveryError::BadResponse { provider: PROVIDER });
    }
    match statuses.into_iter().find(|s| s.code != "Ok") {
        Some(failed) => Err(rejected(failed)),
        None => Ok(()),
    }
}

#[async_trait]
impl SmsSender for TencentSms {
    fn sends_notices(&self) -> bool {
        self.config.notice_template_id.is_some()
    }

    async fn send_sms(&self, msg: &SmsMessage) -> Result<(), DeliveryError> {
        let result = self.send(msg).await;
        match &result {
            Ok(()) => {
                tracing::info!(to = %mask_phone(&msg.to), purpose = %msg.purpose, "sms sent via tencent")
            }
            Err(e) => {
                tracing::warn!(to = %mask_phone(&msg.to), purpose = %msg.purpose, error = %e, "tencent sms failed")
            }
        }
        result
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
