//! The one HTTP client all platforms share, and the error mapping they have in common.

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::{Platform, PlatformError};

/// The shared HTTP client plus the error mapping every platform needs.
#[derive(Clone)]
pub(super) struct Http {
    pub(super) client: reqwest::Client,
    timeout: Duration,
}

impl Http {
    pub(super) fn new(timeout: Duration) -> Self {
        let client = match reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
        {
            Ok(client) => client,
            Err(err) => {
                // Only a broken TLS backend gets here; per-request timeouts below still apply.
                tracing::error!(error = %err, "could not build platform HTTP client, using defaults");
                reqwest::Client::new()
            }
        };
        Http { client, timeout }
    }

    /// Sends a request and parses the JSON body, whatever the status, because
    /// several platforms report bad codes as 4xx with a JSON error body.
    /// 5xx, transport errors and unparseable bodies mean the platform is unavailable.
    pub(super) async fn send_json<T: DeserializeOwned>(
        &self,
        platform: Platform,
        request: reqwest::RequestBuilder,
    ) -> Result<T, PlatformError> {
        let response = request
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|err| PlatformError::unavailable(platform, transport_error(err)))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(PlatformError::unavailable(platform, format!("HTTP {status}")));
        }
        let body = response
            .bytes()
            .await
            .map_err(|err| PlatformError::unavailable(platform, transport_error(err)))?;
        serde_json::from_slice(&body)
            .map_err(|err| PlatformError::unavailable(platform, format!("unexpected response (HTTP {status}): {err}")))
    }
}

/// Describes a transport failure without the URL, whose query string carries secrets and codes
/// (the captcha providers use it too).
pub(crate) fn transport_error(err: reqwest::Error) -> String {
    if err.is_timeout() {
        "request timed out".to_string()
    } else if err.is_connect() {
        "could not connect".to_string()
    } else {
        format!("request failed: {}", err.without_url())
    }
}

/// Some platforms send numbers as strings and vice versa; this reads either.
pub(super) fn lenient_string(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads an error code that may arrive as a number or a numeric string.
pub(super) fn lenient_i64(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
