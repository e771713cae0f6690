//! Carrier one-click sign-in (本机号码一键登录, DESIGN §9): the providers that
//! turn the token their SDK gave the app into the mobile the carrier vouches
//! for. Aliyun 号码认证 (Dypnsapi `GetMobile` for apps, `GetPhoneWithToken`
//! for H5 pages) and JiGuang JVerify (`loginTokenVerify`).
//!
//! Infrastructure only: each call answers a mobile, a refusal of the token,
//! or that the provider could not say. What a proven mobile signs in to is
//! the verification service's rule. Tokens and mobiles are never logged.

pub mod aliyun;
pub mod jiguang;
mod settings;

use std::fmt;
use std::time::Duration;

pub use aliyun::{AliyunPnvs, AliyunPnvsConfig};
pub use jiguang::{JVerify, JVerifyConfig};
pub use settings::OneClickSettings;

use crate::platforms::http::transport_error;

/// Who vouches for the mobile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OneClickProvider {
    /// Aliyun 号码认证, app SDK: `GetMobile` with the `AccessToken`.
    Aliyun,
    /// Aliyun 号码认证, H5 JS SDK: `GetPhoneWithToken` with the `SpToken`.
    AliyunH5,
    /// JiGuang JVerify: `loginTokenVerify` with the `loginToken`.
    Jiguang,
}

impl OneClickProvider {
    /// The name in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            OneClickProvider::Aliyun => "aliyun",
            OneClickProvider::AliyunH5 => "aliyun_h5",
            OneClickProvider::Jiguang => "jiguang",
        }
    }
}

impl fmt::Display for OneClickProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The token the provider's SDK gave the app: single use, and whoever holds
/// it can have the provider tell them the phone number.
#[derive(Clone)]
pub struct CarrierToken(String);

impl CarrierToken {
    /// Wraps a token already checked for length at the edge.
    pub fn new(token: String) -> Self {
        CarrierToken(token)
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

// Hand-written so a token never reaches a log line through `{:?}`.
impl fmt::Debug for CarrierToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CarrierToken(<redacted>)")
    }
}

/// Why no mobile came back.
#[derive(Debug, thiserror::Error)]
pub enum OneClickError {
    /// The operator has not configured this provider.
    #[error("one-click provider {0} is not configured")]
    NotConfigured(OneClickProvider),
    /// The provider answered that the token proves nothing: wrong, used,
    /// expired or forged. `detail` is the provider's code, for logs.
    #[error("{provider} refused the token: {detail}")]
    Rejected { provider: OneClickProvider, detail: String },
    /// No verdict: unreachable, timed out, 5xx, an unreadable answer, a
    /// refusal of our own credentials, or a phone our key cannot decrypt.
    /// Never the client's fault; the detail is for logs only.
    #[error("{provider} is unavailable: {detail}")]
    Unavailable { provider: OneClickProvider, detail: String },
}

/// The providers' settings, checked at start-up.
#[derive(Debug, Clone, Default)]
pub struct OneClickConfig {
    /// ALIYUN and ALIYUN_H5 (one AccessKey serves both).
    pub aliyun: Option<AliyunPnvsConfig>,
    pub jiguang: Option<JVerifyConfig>,
}

/// The configured providers; a provider left out answers `NotConfigured`.
#[derive(Debug)]
pub struct OneClickClients {
    aliyun: Option<AliyunPnvs>,
    jiguang: Option<JVerify>,
}

impl OneClickClients {
    /// Builds the clients once, at start-up.
    pub fn new(config: OneClickConfig, timeout: Duration) -> Result<Self, String> {
        Ok(OneClickClients {
            aliyun: config.aliyun.map(|c| AliyunPnvs::new(c, timeout)).transpose()?,
            jiguang: config.jiguang.map(|c| JVerify::new(c, timeout)).transpose()?,
        })
    }

    /// Whether the operator offers `provider`.
    pub fn is_configured(&self, provider: OneClickProvider) -> bool {
        match provider {
            OneClickProvider::Aliyun | OneClickProvider::AliyunH5 => self.aliyun.is_some(),
            OneClickProvider::Jiguang => self.jiguang.is_some(),
        }
    }

    /// Asks `provider` whose phone `token` was issued on: the mobile as the
    /// provider gives it (mainland numbers: 11 digits, no `+86`).
    pub async fn mobile(&self, provider: OneClickProvider, token: &CarrierToken) -> Result<String, OneClickError> {
        let not_configured = || OneClickError::NotConfigured(provider);
        match provider {
            OneClickProvider::Aliyun | OneClickProvider::AliyunH5 => {
                let aliyun = self.aliyun.as_ref().ok_or_else(not_configured)?;
                aliyun.mobile(provider, token).await
            }
            OneClickProvider::Jiguang => self.jiguang.as_ref().ok_or_else(not_configured)?.mobile(token).await,
        }
    }
}

/// The HTTP client both providers use, with the failures they share.
#[derive(Debug, Clone)]
struct Http {
    client: reqwest::Client,
}

impl Http {
    fn new(timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| format!("one-click HTTP client: {e}"))?;
        Ok(Http { client })
    }

    /// Sends the request and reads the body. A transport failure or a 5xx is
    /// `Unavailable`; any other status is the caller's to judge with the body,
    /// since both providers answer refusals as JSON, sometimes with a 4xx.
    async fn send(
        &self,
        provider: OneClickProvider,
        request: reqwest::RequestBuilder,
    ) -> Result<(reqwest::StatusCode, String), OneClickError> {
        let unavailable = |detail: String| OneClickError::Unavailable { provider, detail };
        let response = request.send().await.map_err(|e| unavailable(transport_error(e)))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(unavailable(format!("HTTP {status}")));
        }
        let text = response.text().await.map_err(|e| unavailable(transport_error(e)))?;
        Ok((status, text))
    }
}

/// A JSON value that should be a phone number: providers send it as a
/// string, and Aliyun's own examples show it as a number too.
fn phone_text(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_stay_out_of_debug() {
        let token = CarrierToken::new("STsid0000001542695429579SECRET".into());
        assert!(!format!("{token:?}").contains("SECRET"));
    }

    #[tokio::test]
    async fn unconfigured_providers_say_so_without_network() {
        let clients = OneClickClients::new(OneClickConfig::default(), Duration::from_secs(1)).unwrap();
        for provider in [
            OneClickProvider::Aliyun,
            OneClickProvider::AliyunH5,
            OneClickProvider::Jiguang,
        ] {
            assert!(!clients.is_configured(provider));
            let err = clients
                .mobile(provider, &CarrierToken::new("t".into()))
                .await
                .unwrap_err();
            assert!(matches!(err, OneClickError::NotConfigured(p) if p == provider), "{err}");
        }
    }

    #[test]
    fn phones_come_as_strings_or_numbers() {
        let value = serde_json::json!({"a": "13900001234", "b": 13900001234_u64, "c": " ", "d": null});
        assert_eq!(phone_text(value.get("a")).as_deref(), Some("13900001234"));
        assert_eq!(phone_text(value.get("b")).as_deref(), Some("13900001234"));
        assert_eq!(phone_text(value.get("c")), None);
        assert_eq!(phone_text(value.get("d")), None);
        assert_eq!(phone_text(value.get("e")), None);
    }
}
