//! The events webhook (DESIGN §10): what happened to users, told to the
//! app's own back end. An event is written in the transaction of the change
//! it tells about (so there is no change without its event and no event
//! without its change), then delivered from the `events` table by whichever
//! node gets to it first: at least once, in order per user, retried with
//! back-off while the receiver fails, kept until it is delivered.
//!
//! Payloads carry ids and kinds, never personal values: the receiver asks
//! the API for the user as it is now (and a deleted user leaves nothing
//! behind in this table either).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::clock::Clock;
use crate::crypto::hmac_sha256;
use crate::error::AppError;
use crate::store::{self, Db, Txn, Writes, events::Event};

/// How long a node holds an event it is delivering; longer than any request to the receiver.
const LEASE_SECONDS: i64 = 60;
/// Events taken per round; each is the oldest of its user.
const ROUND: u64 = 64;
/// Deliveries in flight at once (to different users).
const IN_FLIGHT: usize = 8;
/// How often every node looks for due events.
const EVERY: Duration = Duration::from_secs(5);
/// The longest wait between two tries of one event.
const MAX_BACKOFF_SECONDS: i64 = 3600;

/// What happened, by its wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    UserCreated,
    UserUpdated,
    MobileChanged,
    PasswordChanged,
    Disabled,
    Enabled,
    DeletionRequested,
    Deleted,
    SignedIn,
}

impl EventType {
    /// The `type` of the payload.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::UserCreated => "user.created",
            EventType::UserUpdated => "user.updated",
            EventType::MobileChanged => "user.mobile_changed",
            EventType::PasswordChanged => "user.password_changed",
            EventType::Disabled => "user.disabled",
            EventType::Enabled => "user.enabled",
            EventType::DeletionRequested => "user.deletion_requested",
            EventType::Deleted => "user.deleted",
            EventType::SignedIn => "user.signed_in",
        }
    }
}

/// `ZHANGHAO_EVENTS_WEBHOOK_URL` and its secret.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub url: String,
    pub secret: SecretString,
    pub timeout: Duration,
}

/// Records events and delivers them.
#[derive(Clone)]
pub struct Events {
    db: Db,
    clock: Arc<dyn Clock>,
    webhook: Option<Arc<Webhook>>,
}

struct Webhook {
    url: String,
    secret: SecretString,
    http: reqwest::Client,
}

impl Events {
    /// Events for `webhook`; without one nothing is recorded.
    pub fn new(db: Db, clock: Arc<dyn Clock>, webhook: Option<WebhookSettings>) -> Self {
        let webhook = webhook.map(|settings| {
            let http = reqwest::Client::builder()
                .timeout(settings.timeout)
                .connect_timeout(settings.timeout)
                .build()
                .unwrap_or_else(|_| reqwest::Client::new());
            Arc::new(Webhook {
                url: settings.url,
                secret: settings.secret,
                http,
            })
        });
        Events { db, clock, webhook }
    }

    /// Writes an event about `user_id` into `txn`, the transaction of the change itself.
    pub async fn record(&self, txn: &Txn, user_id: i64, event: EventType, data: Value) -> Result<(), AppError> {
        if self.webhook.is_none() {
            return Ok(());
        }
        store::events::append(txn, user_id, event.as_str(), data.to_string(), self.clock.now()).await
    }

    /// Queues an event about `user_id` with the writes of the change itself.
    pub fn record_to(&self, writes: &mut Writes, user_id: i64, event: EventType, data: Value) {
        if self.webhook.is_some() {
            store::events::queue(writes, user_id, event.as_str(), data.to_string(), self.clock.now());
        }
    }

    /// Delivers what is due until nothing is, forever (every node runs this).
    pub async fn deliver_forever(self) {
        let mut interval = tokio::time::interval(EVERY);
        loop {
            interval.tick().await;
            loop {
                match self.deliver_due().await {
                    Ok(0) => break,
                    Ok(_) => continue,
                    Err(err) => {
                        tracing::warn!(err = err.describe(), "event delivery round failed");
                        break;
                    }
                }
            }
        }
    }

    /// One round: each user's oldest due event, leased, posted, then deleted
    /// (delivered) or put off (failed). Answers how many were delivered.
    pub async fn deliver_due(&self) -> Result<usize, AppError> {
        let Some(webhook) = &self.webhook else {
            return Ok(0);
        };
        let now = self.clock.now();
        let due = store::events::due_heads(&self.db, now, ROUND).await?;
        let results: Vec<Result<bool, AppError>> = futures::stream::iter(due)
            .map(|event| self.deliver_one(webhook, event, now))
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        let mut delivered = 0;
        for result in results {
            delivered += usize::from(result?);
        }
        Ok(delivered)
    }

    async fn deliver_one(&self, webhook: &Webhook, event: Event, now: DateTime<Utc>) -> Result<bool, AppError> {
        let until = now + chrono::Duration::seconds(LEASE_SECONDS);
        if !store::events::lease(&self.db, event.id, now, until).await? {
            return Ok(false);
        }
        match webhook.post(&event, self.clock.now()).await {
            Ok(()) => {
                store::events::delivered(&self.db, event.id).await?;
                Ok(true)
            }
            Err(why) => {
                let attempts = event.attempts.saturating_add(1);
                let next = self.clock.now() + chrono::Duration::seconds(backoff_seconds(attempts));
                tracing::warn!(event_id = event.id, attempts, %why, "event delivery failed; will retry");
                store::events::failed(&self.db, event.id, attempts, next, &why).await?;
                Ok(false)
            }
        }
    }
}

/// 5 s, 10 s, 20 s, … at most an hour.
fn backoff_seconds(attempts: i32) -> i64 {
    let doublings = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    (5i64 << doublings).min(MAX_BACKOFF_SECONDS)
}

/// The payload the receiver gets for `event`.
pub fn payload(event: &Event) -> Value {
    json!({
        "id": event.id.to_string(),
        "type": event.event_type,
        "occurred_at": event.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "user_id": event.user_id.to_string(),
        "data": serde_json::from_str::<Value>(&event.data).unwrap_or_else(|_| json!({})),
    })
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the receiver
/// recomputes it with the shared secret and refuses old timestamps.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mac = hmac_sha256(secret.as_bytes(), format!("{timestamp}.{body}").as_bytes());
    format!("t={timestamp},v1={}", hex::encode(mac))
}

impl Webhook {
    async fn post(&self, event: &Event, now: DateTime<Utc>) -> Result<(), String> {
        let body = payload(event).to_string();
        let signed = signature(self.secret.expose_secret(), now.timestamp(), &body);
        let answer = self
            .http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Zhanghao-Signature", signed)
            .header("X-Zhanghao-Event-Id", event.id.to_string())
            .body(body)
            .send()
            .await
            .map_err(crate::platforms::http::transport_error)?;
        if answer.status().is_success() {
            Ok(())
        } else {
            Err(format!("the receiver answered HTTP {}", answer.status()))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_an_hour() {
        let waits: Vec<i64> = (1..=12).map(backoff_seconds).collect();
        assert_eq!(&waits[..5], &[5, 10, 20, 40, 80]);
        assert_eq!(*waits.last().unwrap_or(&0), 3600);
        assert_eq!(backoff_seconds(i32::MAX), 3600);
    }

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed with Python: hmac.new(b"s3cret", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            signature("s3cret", 1_700_000_000, "{}"),
            "t=1700000000,v1=97926816e98fbb41ccb1673225ff29a2f35369099990e1b1561651e7bd097ebf"
        );
    }
}
