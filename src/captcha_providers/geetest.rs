//! GeeTest captcha v4: the secondary validation `POST /validate?captcha_id=…`
//! of `gcaptcha4.geetest.com`, form-encoded.
//!
//! Per GeeTest's server API page (docs.geetest.com/gt4/apirefer/api/server,
//! docs.geetest.com/BehaviorVerification/apirefer/api/server): the form
//! holds `lot_number`, `captcha_output`, `pass_token`, `gen_time` (from the
//! widget's `getValidate()`), `captcha_id` and `sign_token`, the hex
//! HMAC-SHA256 of `lot_number` keyed with the captcha key. The answer is
//! `result`: `success` is a pass, `fail` (with a `reason` such as `pass_token
//! expire`) is not; `{"status":"error","code":"-50005",…}` means our request
//! was malformed. GeeTest documents no reuse refusal, so the code service
//! remembers each passed `lot_number` itself.

use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{CaptchaProvider, DEFAULT_TIMEOUT, Http, ProviderError, Verdict, reject};
use crate::crypto::hmac_sha256;

const PROVIDER: &str = "geetest";

/// Public GeeTest v4 API server.
pub const GEETEST_DEFAULT_ENDPOINT: &str = "https://gcaptcha4.geetest.com";

/// Settings for [`GeetestCaptcha`].
#[derive(Debug, Clone)]
pub struct GeetestConfig {
    /// The public `captcha_id` the widget is built with.
    pub captcha_id: String,
    /// The private `captcha_key` that signs validations.
    pub captcha_key: SecretString,
    /// API server (`/validate` is appended); settable so tests can point at loopback.
    pub endpoint: String,
    pub timeout: Duration,
}

impl GeetestConfig {
    /// Settings with the public API server and the default timeout.
    pub fn new(captcha_id: String, captcha_key: SecretString) -> Self {
        GeetestConfig {
            captcha_id,
            captcha_key,
            endpoint: GEETEST_DEFAULT_ENDPOINT.to_string(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Checks GeeTest v4 validations.
#[derive(Debug)]
pub struct GeetestCaptcha {
    http: Http,
    validate_url: reqwest::Url,
    config: GeetestConfig,
}

/// What the widget's `getValidate()` returns, as the client sends it in
/// `captchaTicket` (a JSON object; `gen_time` as a string or a number).
#[derive(Deserialize)]
struct Validation {
    lot_number: String,
    captcha_output: String,
    pass_token: String,
    gen_time: serde_json::Value,
    captcha_id: Option<String>,
}

#[derive(Serialize)]
struct ValidateForm<'a> {
    lot_number: &'a str,
    captcha_output: &'a str,
    pass_token: &'a str,
    gen_time: &'a str,
    captcha_id: &'a str,
    sign_token: String,
}

#[derive(Deserialize)]
struct Answer {
    result: Option<String>,
    #[serde(default)]
    reason: String,
    code: Option<String>,
}

impl GeetestCaptcha {
    /// Validates the endpoint and builds the HTTP client once, at start-up.
    pub fn new(config: GeetestConfig) -> Result<Self, String> {
        let base = config.endpoint.trim_end_matches('/');
        let mut validate_url = reqwest::Url::parse(&format!("{base}/validate"))
            .map_err(|_| "ZHANGHAO_GEETEST_CAPTCHA_ENDPOINT is not a valid URL".to_string())?;
        // GeeTest recommends the id in the query too, for their logs.
        validate_url
            .query_pairs_mut()
            .append_pair("captcha_id", &config.captcha_id);
        Ok(GeetestCaptcha {
            http: Http::new(PROVIDER, config.timeout)?,
            validate_url,
            config,
        })
    }
}

/// `sign_token`: hex HMAC-SHA256 of `lot_number` keyed with the captcha key.
pub fn sign_token(captcha_key: &str, lot_number: &str) -> String {
    hex::encode(hmac_sha256(captcha_key.as_bytes(), lot_number.as_bytes()))
}

/// `gen_time` as GeeTest wants it: digits only (else -50005).
fn gen_time(value: &serde_json::Value) -> Option<String> {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then_some(text)
}

#[async_trait]
impl CaptchaProvider for GeetestCaptcha {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    /// GeeTest ties the validation to the client itself; the IP is not sent.
    async fn verify(&self, ticket: &str, _randstr: &str, _client_ip: IpAddr) -> Result<Verdict, ProviderError> {
        let Ok(validation) = serde_json::from_str::<Validation>(ticket) else {
            return Ok(reject("geetest captchaTicket is not the getValidate() JSON"));
        };
        let Some(gen_time) = gen_time(&validation.gen_time) else {
            return Ok(reject("geetest gen_time is not a number"));
        };
        if validation
            .captcha_id
            .as_ref()
            .is_some_and(|id| id != &self.config.captcha_id)
        {
            return Ok(reject("geetest validation of another captcha_id"));
        }
        let form = ValidateForm {
            lot_number: &validation.lot_number,
            captcha_output: &validation.captcha_output,
            pass_token: &validation.pass_token,
            gen_time: &gen_time,
            captcha_id: &self.config.captcha_id,
            sign_token: sign_token(self.config.captcha_key.expose_secret(), &validation.lot_number),
        };
        let request = self.http.client.post(self.validate_url.clone()).form(&form);
        let (status, text) = self.http.send(request).await?;
        let answer: Answer =
            serde_json::from_str(&text).map_err(|_| self.http.error(format!("unreadable answer (HTTP {status})")))?;
        match answer.result.as_deref() {
            Some("success") => Ok(Verdict::Pass {
                once_key: validation.lot_number,
            }),
            Some("fail") => Ok(Verdict::Reject { reason: answer.reason }),
            _ => Err(self.http.error(format!(
                "refused the call: {} (HTTP {status})",
                answer.code.unwrap_or_default()
            ))),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// GeeTest's page gives the algorithm, not a worked value; RFC 4231's
    /// test case 2 (key "Jefe") pins that `sign_token` is hex HMAC-SHA256 of
    /// the lot number under the key, in that order.
    #[test]
    fn sign_token_is_hex_hmac_sha256_of_the_lot_number() {
        assert_eq!(
            sign_token("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn gen_time_must_be_digits() {
        assert_eq!(gen_time(&serde_json::json!("1700000000")).unwrap(), "1700000000");
        assert_eq!(gen_time(&serde_json::json!(1700000000)).unwrap(), "1700000000");
        assert!(gen_time(&serde_json::json!("17e9")).is_none());
        assert!(gen_time(&serde_json::json!(null)).is_none());
    }

    #[tokio::test]
    async fn a_ticket_that_is_not_the_widget_json_is_refused_without_a_call() {
        let mut config = GeetestConfig::new("id".into(), "key".into());
        config.endpoint = "http://127.0.0.1:9".into();
        let provider = GeetestCaptcha::new(config).unwrap();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let verdict = provider.verify("not json", "", ip).await.unwrap();
        assert!(matches!(verdict, Verdict::Reject { .. }));
    }
}
