//! Delivery of verification codes by SMS and email.
//!
//! The service layer talks only to the object-safe traits [`SmsSender`] and
//! [`EmailSender`]; which provider sits behind them (outbox file, signed
//! webhook, Aliyun, Tencent Cloud, SMTP) is a configuration choice. Codes and
//! secrets never appear in errors or logs: errors carry only provider status
//! codes and messages, and logs carry masked recipients.

use std::sync::Arc;

use async_trait::async_trait;

pub mod aliyun;
mod delivery_error;
mod from_config;
pub mod outbox;
mod settings;
pub mod smtp;
pub mod tencent;
pub mod webhook;

pub use aliyun::{AliyunSms, AliyunSmsConfig};
pub use delivery_error::DeliveryError;
pub use from_config::senders_from_config;
pub use outbox::{Outbox, OutboxEntry, read_entries};
pub use settings::MessagingSettings;
pub use smtp::{SmtpConfig, SmtpEmail, SmtpMode};
pub use tencent::{TencentSms, TencentSmsConfig};
pub use webhook::{WebhookConfig, WebhookSender, sign_webhook_body};

/// Default time a provider call may take before it counts as failed, so a
/// hung provider cannot hold a request handler open indefinitely.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// One SMS carrying a verification code, as the service layer hands it over.
/// Its `Debug` output hides the code and text so it is safe in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsMessage {
    /// Recipient in E.164 form, e.g. `+8613113690000`.
    pub to: String,
    /// Lower-case purpose, e.g. `login`, `reset_password`, `register`.
    pub purpose: String,
    /// The verification code itself (empty for a notice).
    pub code: String,
    /// Full Chinese message text, for providers that send free text.
    pub text: String,
    /// What a template provider (Aliyun, Tencent) sends instead of `text`.
    pub template: SmsTemplate,
}

/// Which approved template a template provider sends a message with, since
/// Aliyun and Tencent carry no free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsTemplate {
    /// The code template; its one parameter is the message's `code`.
    Code,
    /// The security-notice template; its one parameter is this short name
    /// of what happened (at most 6 characters, e.g. `密码已重设`), within
    /// the providers' limits on a template variable.
    Notice(&'static str),
}

/// One email carrying a verification code, as the service layer hands it over.
/// Its `Debug` output hides the code and text so it is safe in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailMessage {
    /// Recipient address.
    pub to: String,
    /// Lower-case purpose, e.g. `login`, `reset_password`, `register`.
    pub purpose: String,
    /// The verification code itself.
    pub code: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
}

impl std::fmt::Debug for SmsMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsMessage")
            .field("to", &mask_phone(&self.to))
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for EmailMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailMessage")
            .field("to", &mask_email(&self.to))
            .field("purpose", &self.purpose)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Anything that can deliver an SMS; used as `Arc<dyn SmsSender>` so the
/// provider can be chosen at start-up.
#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Deliver one message; `Ok` means the provider accepted it.
    async fn send_sms(&self, msg: &SmsMessage) -> Result<(), DeliveryError>;

    /// Whether this sender can deliver a security notice: template
    /// providers (Aliyun, Tencent) only when a notice template is set.
    fn sends_notices(&self) -> bool {
        true
    }
}

/// Anything that can deliver an email; used as `Arc<dyn EmailSender>` so the
/// provider can be chosen at start-up.
#[async_trait]
pub trait EmailSender: Send + Sync {
    /// Deliver one message; `Ok` means the provider accepted it.
    async fn send_email(&self, msg: &EmailMessage) -> Result<(), DeliveryError>;
}

/// Which SMS provider to build, with its settings; the config layer maps its
/// flags onto this so provider construction lives in one place.
#[derive(Debug, Clone)]
pub enum SmsChoice {
    /// Append to the outbox file.
    Outbox,
    /// POST to a signed webhook.
    Webhook(WebhookConfig),
    /// Aliyun Dysmsapi.
    Aliyun(AliyunSmsConfig),
    /// Tencent Cloud SMS.
    Tencent(TencentSmsConfig),
}

/// Which email provider to build, with its settings.
#[derive(Debug, Clone)]
pub enum EmailChoice {
    /// Append to the outbox file.
    Outbox,
    /// POST to a signed webhook.
    Webhook(WebhookConfig),
    /// An SMTP relay.
    Smtp(SmtpConfig),
}

/// The senders the app state holds, plus whether the outbox is in use (so
/// captcha answers are recorded there too).
pub struct Senders {
    /// SMS channel.
    pub sms: Arc<dyn SmsSender>,
    /// Email channel.
    pub email: Arc<dyn EmailSender>,
    /// True when either channel writes to `outbox`.
    pub outbox_used: bool,
}

/// Build both senders at start-up, failing early on bad settings.
pub fn build_senders(sms: SmsChoice, email: EmailChoice, outbox: Arc<Outbox>) -> Result<Senders, DeliveryError> {
    let mut outbox_used = false;
    let sms: Arc<dyn SmsSender> = match sms {
        SmsChoice::Outbox => {
            outbox_used = true;
            outbox.clone()
        }
        SmsChoice::Webhook(c) => Arc::new(WebhookSender::new(c)?),
        SmsChoice::Aliyun(c) => Arc::new(AliyunSms::new(c)?),
        SmsChoice::Tencent(c) => Arc::new(TencentSms::new(c)?),
    };
    let email: Arc<dyn EmailSender> = match email {
        EmailChoice::Outbox => {
            outbox_used = true;
            outbox
        }
        EmailChoice::Webhook(c) => Arc::new(WebhookSender::new(c)?),
        EmailChoice::Smtp(c) => Arc::new(SmtpEmail::new(c)?),
    };
    Ok(Senders {
        sms,
        email,
        outbox_used,
    })
}

/// Remove the verification code from provider-supplied text, in case a
/// provider echoes request parameters back in its error message.
pub(crate) fn scrub(text: &str, code: &str) -> String {
    if code.is_empty() {
        return text.to_string();
    }
    text.replace(code, "******")
}

/// Check that `to` is E.164 (`+` then 6 to 15 digits) and return the digits.
pub(crate) fn e164_digits(to: &str) -> Result<&str, DeliveryError> {
    // A missing `+` yields "", which the length check rejects.
    let digits = to.strip_prefix('+').unwrap_or("");
    let valid = (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    if valid {
        Ok(digits)
    } else {
        Err(DeliveryError::InvalidRecipient { kind: "phone number" })
    }
}

/// Mask a phone number for logs: `+8613113690000` becomes `+86131****0000`,
/// enough to correlate with a user report without exposing the number.
pub fn mask_phone(to: &str) -> String {
    let chars: Vec<char> = to.chars().collect();
    if chars.len() < 10 {
        return "****".to_string();
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// Mask an email address for logs: `alice@example.cn` becomes `a***@example.cn`.
pub fn mask_email(to: &str) -> String {
    match to.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// Current UTC time as RFC 3339 with seconds precision and a `Z` suffix, the
/// one timestamp format every provider payload and outbox line uses.
pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Loopback HTTP stand-ins for provider tests.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod test_support {
    use std::net::SocketAddr;

    /// Serve `router` on an ephemeral loopback port and return its address.
    pub async fn serve(router: axum::Router) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        addr
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_code() {
        let sms = SmsMessage {
            to: "+8613113690000".into(),
            purpose: "login".into(),
            code: "123456".into(),
            text: "验证码123456".into(),
            template: SmsTemplate::Code,
        };
        let shown = format!("{sms:?}");
        assert!(!shown.contains("123456") && shown.contains("+86131****0000"), "{shown}");
        let email = EmailMessage {
            to: "a@b.cn".into(),
            purpose: "login".into(),
            code: "123456".into(),
            subject: "验证码".into(),
            text: "验证码123456".into(),
        };
        assert!(!format!("{email:?}").contains("123456"));
    }

    #[test]
    fn build_senders_reports_outbox_use() {
        let outbox = Arc::new(Outbox::new(std::env::temp_dir().join("unused.jsonl")));
        let both = build_senders(SmsChoice::Outbox, EmailChoice::Outbox, outbox.clone()).unwrap();
        assert!(both.outbox_used);
        let hook = WebhookConfig::new("http://127.0.0.1:9/hook", "s".into());
        let none = build_senders(
            SmsChoice::Webhook(hook.clone()),
            EmailChoice::Webhook(hook),
            outbox.clone(),
        )
        .unwrap();
        assert!(!none.outbox_used);
        let bad = WebhookConfig::new("nope", "s".into());
        assert!(build_senders(SmsChoice::Webhook(bad), EmailChoice::Outbox, outbox).is_err());
    }

    #[test]
    fn phone_mask_matches_the_log_format() {
        assert_eq!(mask_phone("+8613113690000"), "+86131****0000");
        assert_eq!(mask_phone("+1234"), "****");
    }

    #[test]
    fn email_mask_keeps_only_first_letter_and_domain() {
        assert_eq!(mask_email("alice@example.cn"), "a***@example.cn");
        assert_eq!(mask_email("nonsense"), "***");
    }

    #[test]
    fn e164_accepts_plus_and_digits_only() {
        assert_eq!(e164_digits("+8613113690000").ok(), Some("8613113690000"));
        assert!(e164_digits("8613113690000").is_err());
        assert!(e164_digits("+86 131").is_err());
        assert!(e164_digits("+").is_err());
    }

    #[test]
    fn scrub_removes_the_code() {
        assert_eq!(scrub("bad param 123456", "123456"), "bad param ******");
        assert_eq!(scrub("fine", ""), "fine");
    }

    #[test]
    fn errors_display_without_code() {
        let err = DeliveryError::Rejected {
            provider: "aliyun",
            code: "isv.BUSINESS_LIMIT_CONTROL".into(),
            message: scrub("limit for 123456", "123456"),
        };
        assert!(!err.to_string().contains("123456"));
    }

    #[test]
    fn timestamp_is_seconds_precision_utc() {
        let ts = now_rfc3339();
        assert_eq!(ts.len(), "2026-11-21T08:00:00Z".len());
        assert!(ts.ends_with('Z'));
    }
}
