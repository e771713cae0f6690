//! Third-party captchas a send may be gated with (DESIGN §8,
//! `ZHANGHAO_CAPTCHA_PROVIDER`): Tencent Cloud captcha, Aliyun captcha 2.0,
//! GeeTest v4. Infrastructure only: each provider answers whether a ticket
//! the client's widget produced is a pass; when a captcha is needed, and that
//! a ticket is spent once, are the code service's rules (`service::codes`).
//!
//! What travels from the client (GraphQL `captchaTicket` + `captchaRandstr`):
//! - Tencent: the widget callback's `ticket` and `randstr`.
//! - Aliyun: the `captchaVerifyParam` string in `captchaTicket`; no randstr.
//! - GeeTest: the JSON object `captcha.getValidate()` returns (`lot_number`,
//!   `captcha_output`, `pass_token`, `gen_time`) in `captchaTicket`; no randstr.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::platforms::http::transport_error;

pub mod aliyun;
pub mod geetest;
mod settings;
pub mod tencent;

pub use aliyun::{AliyunCaptcha, AliyunCaptchaConfig};
pub use geetest::{GeetestCaptcha, GeetestConfig};
pub use settings::{CaptchaProviderKind, CaptchaSettings, ProviderChoice};
pub use tencent::{TencentCaptcha, TencentCaptchaConfig};

/// Time a provider has to answer before the send is SERVICE_UNAVAILABLE,
/// so a hung provider cannot hold request handlers open.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// What a provider says of one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A pass. `once_key` names the solved challenge (Tencent's ticket,
    /// Aliyun's verify param, GeeTest's `lot_number`): the caller remembers
    /// it so the same solve is not accepted twice, however it is re-encoded.
    Pass { once_key: String },
    /// Not a pass (wrong, expired, reused, malformed); `reason` is for logs.
    Reject { reason: String },
}

/// The provider could not give a verdict: unreachable, timed out, 5xx, an
/// unreadable answer, or a refusal of our own credentials. Never the
/// client's fault, so never CAPTCHA_INVALID; the detail is for logs only.
#[derive(Debug, thiserror::Error)]
#[error("{provider} captcha: {detail}")]
pub struct ProviderError {
    pub provider: &'static str,
    pub detail: String,
}

/// One captcha provider's server-side check.
#[async_trait]
pub trait CaptchaProvider: Send + Sync {
    /// The wire name (`tencent`, `aliyun`, `geetest`), for logs and keys.
    fn name(&self) -> &'static str;

    /// Asks the provider whether `ticket` (with `randstr` where the provider
    /// has one) is a pass for a client at `client_ip`.
    async fn verify(&self, ticket: &str, randstr: &str, client_ip: IpAddr) -> Result<Verdict, ProviderError>;
}

/// Builds the chosen provider once, at start-up; `None` for the built-in
/// image captcha.
pub fn build_provider(choice: ProviderChoice) -> Result<Option<Arc<dyn CaptchaProvider>>, String> {
    Ok(match choice {
        ProviderChoice::Image => None,
        ProviderChoice::Tencent(config) => Some(Arc::new(TencentCaptcha::new(config)?)),
        ProviderChoice::Aliyun(config) => Some(Arc::new(AliyunCaptcha::new(config)?)),
        ProviderChoice::Geetest(config) => Some(Arc::new(GeetestCaptcha::new(config)?)),
    })
}

/// The HTTP client every provider uses, with the error mapping they share.
#[derive(Debug, Clone)]
struct Http {
    client: reqwest::Client,
    provider: &'static str,
}

impl Http {
    fn new(provider: &'static str, timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| format!("{provider} captcha client: {e}"))?;
        Ok(Http { client, provider })
    }

    fn error(&self, detail: impl Into<String>) -> ProviderError {
        ProviderError {
            provider: self.provider,
            detail: detail.into(),
        }
    }

    /// Sends the request and reads the body; a transport failure or a 5xx is
    /// an error, any other status is the caller's to judge with the body
    /// (Aliyun answers refusals of our signature as 4xx JSON).
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<(reqwest::StatusCode, String), ProviderError> {
        let response = request.send().await.map_err(|e| self.error(transport_error(e)))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(self.error(format!("HTTP {status}")));
        }
        let text = response.text().await.map_err(|e| self.error(transport_error(e)))?;
        Ok((status, text))
    }
}

/// A verdict of "not a pass" for a ticket refused before any call.
fn reject(reason: &str) -> Verdict {
    Verdict::Reject {
        reason: reason.to_string(),
    }
}
