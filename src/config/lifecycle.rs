//! The account lifecycle's settings: the events webhook and account deletion.

use std::time::Duration;

use clap::Args;
use secrecy::SecretString;

use super::ConfigError;
use crate::service::events::WebhookSettings;

/// Flags of the events webhook and of account deletion.
#[derive(Args, Clone)]
#[command(next_help_heading = "Account lifecycle")]
pub struct LifecycleSettings {
    /// Where events (`user.created`, `user.signed_in`, …) are POSTed as signed JSON; empty: no events.
    #[arg(long, env = "ZHANGHAO_EVENTS_WEBHOOK_URL", default_value = "")]
    pub events_webhook_url: String,
    /// The HMAC-SHA256 key of `X-Zhanghao-Signature` (at least 16 characters).
    #[arg(
        long,
        env = "ZHANGHAO_EVENTS_WEBHOOK_SECRET",
        default_value = "",
        hide_env_values = true
    )]
    pub events_webhook_secret: String,
    /// Days between `requestAccountDeletion` and the account's anonymisation; 0: at once.
    #[arg(long, env = "ZHANGHAO_DELETION_GRACE_DAYS", default_value_t = 15)]
    pub deletion_grace_days: u32,
}

// Hand-written so the webhook secret never reaches a log.
impl std::fmt::Debug for LifecycleSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LifecycleSettings")
            .field("events_webhook_url", &self.events_webhook_url)
            .field("deletion_grace_days", &self.deletion_grace_days)
            .finish_non_exhaustive()
    }
}

impl LifecycleSettings {
    /// The webhook, if one is set; a URL without a proper secret is a start-up error.
    pub fn webhook(&self, timeout: Duration) -> Result<Option<WebhookSettings>, ConfigError> {
        let url = self.events_webhook_url.trim();
        if url.is_empty() {
            return Ok(None);
        }
        if reqwest::Url::parse(url).map_or(true, |u| !matches!(u.scheme(), "http" | "https")) {
            return Err(ConfigError(format!(
                "ZHANGHAO_EVENTS_WEBHOOK_URL must be an http(s) URL, not {url:?}"
            )));
        }
        let secret = self.events_webhook_secret.trim();
        if secret.chars().count() < 16 {
            return Err(ConfigError(
                "ZHANGHAO_EVENTS_WEBHOOK_URL needs ZHANGHAO_EVENTS_WEBHOOK_SECRET of at least 16 characters".into(),
            ));
        }
        Ok(Some(WebhookSettings {
            url: url.to_string(),
            secret: SecretString::from(secret.to_string()),
            timeout,
        }))
    }
}
