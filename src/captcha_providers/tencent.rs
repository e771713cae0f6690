//! Tencent Cloud captcha: `DescribeCaptchaResult` (service `captcha`,
//! version 2019-07-22, endpoint `captcha.tencentcloudapi.com`), a JSON POST
//! signed with TC3-HMAC-SHA256 ([`crate::crypto::tc3`]).
//!
//! Per Tencent's API page (cloud.tencent.com/document/product/1110/36926,
//! tencentcloud.com/document/product/1159/50367): the body holds
//! `CaptchaType` 9, `Ticket` and `Randstr` from the widget callback, `UserIp`
//! (the client's public IP), `CaptchaAppId` (an integer) and `AppSecretKey`.
//! The answer is `Response.CaptchaCode`: 1 is a pass; 7 randstr mismatch,
//! 8 expired (a ticket lives 5 minutes), 9 reused, 15 undecryptable and the
//! others are refusals of the ticket; `Response.Error` (e.g.
//! `AuthFailure.SignatureFailure`) is a refusal of our own call. Tencent
//! refuses a reused ticket itself (code 9); the code service remembers
//! passes anyway, so the rule does not hang on one provider's word.

use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{CaptchaProvider, DEFAULT_TIMEOUT, Http, ProviderError, Verdict, reject};
use crate::crypto::tc3::{self, Tc3Call};

const PROVIDER: &str = "tencent";

/// Public Tencent Cloud captcha endpoint.
pub const TENCENT_CAPTCHA_DEFAULT_ENDPOINT: &str = "https://captcha.tencentcloudapi.com";

const CALL: Tc3Call<'static> = Tc3Call {
    service: "captcha",
    action: "DescribeCaptchaResult",
    version: "2019-07-22",
    // "Region: not required for this API."
    region: None,
};

/// `CaptchaCode` values that blame our configuration or Tencent, not the ticket:
/// 26 system internal error, 100 CaptchaAppId / AppSecretKey mismatch.
const NOT_THE_TICKETS_FAULT: [i64; 2] = [26, 100];

/// Settings for [`TencentCaptcha`].
#[derive(Debug, Clone)]
pub struct TencentCaptchaConfig {
    /// Tencent Cloud API SecretId (signs the call).
    pub secret_id: String,
    /// Tencent Cloud API SecretKey.
    pub secret_key: SecretString,
    /// The captcha app's `CaptchaAppId`.
    pub app_id: u64,
    /// The captcha app's `AppSecretKey`.
    pub app_secret_key: SecretString,
    /// API endpoint; settable so tests can point at loopback.
    pub endpoint: String,
    pub timeout: Duration,
}

impl TencentCaptchaConfig {
    /// Settings with the public endpoint and the default timeout.
    pub fn new(secret_id: String, secret_key: SecretString, app_id: u64, app_secret_key: SecretString) -> Self {
        TencentCaptchaConfig {
            secret_id,
            secret_key,
            app_id,
            app_secret_key,
            endpoint: TENCENT_CAPTCHA_DEFAULT_ENDPOINT.to_string(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Checks Tencent captcha tickets.
#[derive(Debug)]
pub struct TencentCaptcha {
    http: Http,
    endpoint: reqwest::Url,
    // The Host value exactly as reqwest will send it; it is signed.
    host: String,
    config: TencentCaptchaConfig,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeCaptchaResult<'a> {
    captcha_type: u8,
    ticket: &'a str,
    user_ip: String,
    randstr: &'a str,
    captcha_app_id: u64,
    app_secret_key: &'a str,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Response")]
    response: Answer,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    error: Option<ApiError>,
    captcha_code: Option<i64>,
    #[serde(default)]
    captcha_msg: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ApiError {
    code: String,
}

impl TencentCaptcha {
    /// Validates the endpoint and builds the HTTP client once, at start-up.
    pub fn new(config: TencentCaptchaConfig) -> Result<Self, String> {
        let endpoint = reqwest::Url::parse(&config.endpoint)
            .map_err(|_| "ZHANGHAO_TENCENT_CAPTCHA_ENDPOINT is not a valid URL".to_string())?;
        let host = tc3::signed_host(&endpoint).ok_or("ZHANGHAO_TENCENT_CAPTCHA_ENDPOINT has no host")?;
        Ok(TencentCaptcha {
            http: Http::new(PROVIDER, config.timeout)?,
            endpoint,
            host,
            config,
        })
    }
}

#[async_trait]
impl CaptchaProvider for TencentCaptcha {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn verify(&self, ticket: &str, randstr: &str, client_ip: IpAddr) -> Result<Verdict, ProviderError> {
        if ticket.is_empty() || randstr.is_empty() {
            return Ok(reject("tencent needs both captchaTicket and captchaRandstr"));
        }
        let payload = serde_json::to_vec(&DescribeCaptchaResult {
            captcha_type: 9,
            ticket,
            user_ip: client_ip.to_string(),
            randstr,
            captcha_app_id: self.config.app_id,
            app_secret_key: self.config.app_secret_key.expose_secret(),
        })
        .map_err(|e| self.http.error(format!("request body: {e}")))?;
        let headers = tc3::headers(
            &CALL,
            &self.config.secret_id,
            self.config.secret_key.expose_secret(),
            &self.host,
            &payload,
            chrono::Utc::now().timestamp(),
        )
        .map_err(|e| self.http.error(e.to_string()))?;
        let request = self.http.client.post(self.endpoint.clone()).headers(headers);
        let (status, text) = self.http.send(request.body(payload)).await?;
        judge(status, &text, ticket).map_err(|detail| self.http.error(detail))
    }
}

/// Reads Tencent's answer (HTTP 200 whatever the verdict; it is in the body).
fn judge(status: reqwest::StatusCode, text: &str, ticket: &str) -> Result<Verdict, String> {
    let Envelope { response } = serde_json::from_str(text).map_err(|_| format!("unreadable answer (HTTP {status})"))?;
    if let Some(error) = response.error {
        return Err(format!("refused the call: {}", error.code));
    }
    match response.captcha_code {
        Some(1) => Ok(Verdict::Pass {
            once_key: ticket.to_string(),
        }),
        Some(code) if NOT_THE_TICKETS_FAULT.contains(&code) => Err(format!("CaptchaCode {code}")),
        Some(code) => Ok(Verdict::Reject {
            reason: format!("CaptchaCode {code} {}", response.captcha_msg.unwrap_or_default()),
        }),
        None => Err(format!("answer without CaptchaCode (HTTP {status})")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const OK: reqwest::StatusCode = reqwest::StatusCode::OK;

    #[test]
    fn code_one_passes_and_names_the_ticket() {
        let pass = r#"{"Response":{"CaptchaCode":1,"CaptchaMsg":"OK","EvilLevel":0,"RequestId":"r"}}"#;
        assert_eq!(judge(OK, pass, "t1").unwrap(), Verdict::Pass { once_key: "t1".into() });
    }

    #[test]
    fn ticket_codes_reject_and_our_faults_are_errors() {
        let reused = r#"{"Response":{"CaptchaCode":9,"CaptchaMsg":"ticket reused","RequestId":"r"}}"#;
        assert!(matches!(judge(OK, reused, "t").unwrap(), Verdict::Reject { .. }));
        let mismatch = r#"{"Response":{"CaptchaCode":100,"CaptchaMsg":"appid-secretkey-ticket mismatch"}}"#;
        assert!(judge(OK, mismatch, "t").is_err());
        let auth = r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"x"},"RequestId":"r"}}"#;
        assert!(
            judge(OK, auth, "t")
                .unwrap_err()
                .contains("AuthFailure.SignatureFailure")
        );
        assert!(judge(OK, "<html>", "t").is_err());
    }
}
