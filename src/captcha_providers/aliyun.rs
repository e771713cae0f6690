//! Aliyun captcha 2.0: `VerifyIntelligentCaptcha` (product `captcha`,
//! version 2023-03-05, endpoint `captcha.cn-shanghai.aliyuncs.com`, or
//! `captcha.ap-southeast-1.aliyuncs.com` outside the mainland), an RPC-style
//! POST signed by [`crate::crypto::aliyun_rpc`].
//!
//! Per Aliyun's "Server-side integration" page (help.aliyun.com/zh/captcha/
//! captcha2-0/user-guide/server-integration; alibabacloud.com/help/doc-detail/
//! 2360571.htm): the request holds `CaptchaVerifyParam`, the widget's verify
//! parameter forwarded unchanged, and `SceneId`, which must be the scene the
//! widget was built for (else F012). The answer is `Result.VerifyResult`
//! (true is a pass) with `Result.VerifyCode` (T001 pass, T005 test mode; F001
//! suspected attack, F002 empty, F003 malformed, …). A refusal of our own
//! call (e.g. `SignatureDoesNotMatch`, often HTTP 4xx) carries a `Code` and no
//! `Result`. The client-side page says each verify parameter "can be
//! submitted only once"; the server API documents no reuse code, so the
//! code service remembers passes itself.

use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{CaptchaProvider, DEFAULT_TIMEOUT, Http, ProviderError, Verdict, reject};
use crate::crypto::aliyun_rpc::{RpcSigner, signed_form};

const PROVIDER: &str = "aliyun";

/// Public captcha 2.0 endpoint (mainland China, Shanghai).
pub const ALIYUN_CAPTCHA_DEFAULT_ENDPOINT: &str = "https://captcha.cn-shanghai.aliyuncs.com/";

/// Settings for [`AliyunCaptcha`].
#[derive(Debug, Clone)]
pub struct AliyunCaptchaConfig {
    /// RAM AccessKey ID (needs AliyunYundunAFSFullAccess).
    pub access_key_id: String,
    /// RAM AccessKey secret.
    pub access_key_secret: SecretString,
    /// The verification scene's id, as the widget was configured with.
    pub scene_id: String,
    /// API endpoint; settable so tests can point at loopback.
    pub endpoint: String,
    pub timeout: Duration,
}

impl AliyunCaptchaConfig {
    /// Settings with the public endpoint and the default timeout.
    pub fn new(access_key_id: String, access_key_secret: SecretString, scene_id: String) -> Self {
        AliyunCaptchaConfig {
            access_key_id,
            access_key_secret,
            scene_id,
            endpoint: ALIYUN_CAPTCHA_DEFAULT_ENDPOINT.to_string(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Checks Aliyun captcha 2.0 verify parameters.
#[derive(Debug)]
pub struct AliyunCaptcha {
    http: Http,
    endpoint: reqwest::Url,
    config: AliyunCaptchaConfig,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    code: Option<String>,
    result: Option<VerifyResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VerifyResult {
    verify_result: bool,
    #[serde(default)]
    verify_code: String,
}

impl AliyunCaptcha {
    /// Validates the endpoint and builds the HTTP client once, at start-up.
    pub fn new(config: AliyunCaptchaConfig) -> Result<Self, String> {
        let endpoint = reqwest::Url::parse(&config.endpoint)
            .map_err(|_| "ZHANGHAO_ALIYUN_CAPTCHA_ENDPOINT is not a valid URL".to_string())?;
        Ok(AliyunCaptcha {
            http: Http::new(PROVIDER, config.timeout)?,
            endpoint,
            config,
        })
    }
}

#[async_trait]
impl CaptchaProvider for AliyunCaptcha {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    /// Aliyun's verify parameter carries everything (the client IP too).
    async fn verify(&self, ticket: &str, _randstr: &str, _client_ip: IpAddr) -> Result<Verdict, ProviderError> {
        if ticket.is_empty() {
            return Ok(reject("aliyun needs captchaTicket"));
        }
        let timestamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let nonce = uuid::Uuid::new_v4().to_string();
        let signer = RpcSigner {
            access_key_id: &self.config.access_key_id,
            access_key_secret: self.config.access_key_secret.expose_secret(),
            timestamp: &timestamp,
            nonce: &nonce,
        };
        let params = [
            ("CaptchaVerifyParam", ticket),
            ("SceneId", self.config.scene_id.as_str()),
        ];
        let body = signed_form(&signer, "VerifyIntelligentCaptcha", "2023-03-05", &params);
        let request = self
            .http
            .client
            .post(self.endpoint.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        let (status, text) = self.http.send(request).await?;
        judge(status, &text, ticket).map_err(|detail| self.http.error(detail))
    }
}

/// Reads Aliyun's answer: a `Result` is a verdict, its absence our fault.
fn judge(status: reqwest::StatusCode, text: &str, ticket: &str) -> Result<Verdict, String> {
    let answer: Answer = serde_json::from_str(text).map_err(|_| format!("unreadable answer (HTTP {status})"))?;
    match answer.result {
        Some(result) if result.verify_result && status.is_success() => Ok(Verdict::Pass {
            once_key: ticket.to_string(),
        }),
        Some(result) => Ok(Verdict::Reject {
            reason: format!("VerifyCode {}", result.verify_code),
        }),
        None => Err(format!(
            "refused the call: {} (HTTP {status})",
            answer.code.unwrap_or_default()
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const OK: reqwest::StatusCode = reqwest::StatusCode::OK;

    #[test]
    fn verify_result_decides() {
        let pass =
            r#"{"RequestId":"r","Code":"Success","Success":true,"Result":{"VerifyResult":true,"VerifyCode":"T001"}}"#;
        assert_eq!(judge(OK, pass, "p").unwrap(), Verdict::Pass { once_key: "p".into() });
        let fail = r#"{"Code":"Success","Success":true,"Result":{"VerifyResult":false,"VerifyCode":"F001"}}"#;
        assert_eq!(
            judge(OK, fail, "p").unwrap(),
            Verdict::Reject {
                reason: "VerifyCode F001".into()
            }
        );
    }

    #[test]
    fn a_refused_call_is_an_error() {
        let refused = r#"{"Code":"SignatureDoesNotMatch","Message":"bad"}"#;
        let err = judge(reqwest::StatusCode::BAD_REQUEST, refused, "p").unwrap_err();
        assert!(err.contains("SignatureDoesNotMatch"), "{err}");
        assert!(judge(OK, "not json", "p").is_err());
    }
}
