//! Tencent Cloud SMS via `SendSms` (API version 2021-01-11), signed with
//! TC3-HMAC-SHA256. Implemented by hand because the official SDK would pull
//! in a large dependency tree for one signed POST.

use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::{DEFAULT_TIMEOUT, DeliveryError, SmsMessage, SmsSender, e164_digits, hmac_sha256, mask_phone, scrub};

const PROVIDER: &str = "tencent";

/// Public Tencent Cloud SMS endpoint.
pub const TENCENT_DEFAULT_ENDPOINT: &str = "https://sms.tencentcloudapi.com";
/// Region used when none is configured; SMS is served from Guangzhou.
pub const TENCENT_DEFAULT_REGION: &str = "ap-guangzhou";

const SERVICE: &str = "sms";
const ACTION: &str = "SendSms";
const VERSION: &str = "2021-01-11";
const ALGORITHM: &str = "TC3-HMAC-SHA256";
const CONTENT_TYPE: &str = "application/json; charset=utf-8";
const SIGNED_HEADERS: &str = "content-type;host";

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
        let host = match (endpoint.host_str(), endpoint.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            (None, _) => {
                return Err(DeliveryError::Misconfigured("tencent endpoint has no host".to_string()));
            }
        };
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
        let payload = serde_json::to_vec(&SendSmsRequest {
            phone_number_set: [&msg.to],
            sms_sdk_app_id: &self.config.sdk_app_id,
            sign_name: &self.config.sign_name,
            template_id: &self.config.template_id,
            template_param_set: [&msg.code],
        })
        .map_err(|_| DeliveryError::BadResponse { provider: PROVIDER })?;

        let timestamp = chrono::Utc::now().timestamp();
        let authorization = authorization_header(
            &self.config.secret_id,
            self.config.secret_key.expose_secret(),
            &self.host,
            &payload,
            timestamp,
        )?;

        let response = self
            .client
            .post(self.endpoint.clone())
            .header(reqwest::header::AUTHORIZATION, authorization)
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header("X-TC-Action", ACTION)
            .header("X-TC-Version", VERSION)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Region", &self.config.region)
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
    fn sends_text(&self) -> bool {
        false
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

/// Build the full `Authorization` header for a SendSms POST.
fn authorization_header(
    secret_id: &str,
    secret_key: &str,
    host: &str,
    payload: &[u8],
    timestamp: i64,
) -> Result<String, DeliveryError> {
    let date = utc_date(timestamp)?;
    let canonical = canonical_request(host, payload);
    let to_sign = string_to_sign(timestamp, &date, SERVICE, &canonical);
    let signature = signature(secret_key, &date, SERVICE, &to_sign);
    Ok(authorization(secret_id, &date, SERVICE, &signature))
}

/// The UTC date of the timestamp; Tencent rejects a local-time date.
fn utc_date(timestamp: i64) -> Result<String, DeliveryError> {
    chrono::DateTime::from_timestamp(timestamp, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .ok_or_else(|| DeliveryError::Misconfigured("system clock out of range".to_string()))
}

/// Step 1: canonical request for a POST to `/` signing content-type and host.
fn canonical_request(host: &str, payload: &[u8]) -> String {
    let hashed_payload = hex::encode(sha2::Sha256::digest(payload));
    format!(
        "POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{}\n\n{SIGNED_HEADERS}\n{hashed_payload}",
        host.to_ascii_lowercase()
    )
}

/// Step 2: string to sign.
fn string_to_sign(timestamp: i64, date: &str, service: &str, canonical_request: &str) -> String {
    let hashed = hex::encode(sha2::Sha256::digest(canonical_request.as_bytes()));
    format!("{ALGORITHM}\n{timestamp}\n{date}/{service}/tc3_request\n{hashed}")
}

/// Step 3: derive date → service → tc3_request keys and sign.
fn signature(secret_key: &str, date: &str, service: &str, string_to_sign: &str) -> String {
    let secret_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let secret_service = hmac_sha256(&secret_date, service.as_bytes());
    let secret_signing = hmac_sha256(&secret_service, b"tc3_request");
    hex::encode(hmac_sha256(&secret_signing, string_to_sign.as_bytes()))
}

/// Step 4: the Authorization header value.
fn authorization(secret_id: &str, date: &str, service: &str, signature: &str) -> String {
    format!(
        "{ALGORITHM} Credential={secret_id}/{date}/{service}/tc3_request, \
         SignedHeaders={SIGNED_HEADERS}, Signature={signature}"
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
