//! A file-backed "provider" for development and tests: every message becomes
//! one JSON line in a file, so a developer or a test can read the code that
//! would have been sent without any real SMS or mail account.

use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use chrono::{DateTime, SecondsFormat, Utc};

use super::{DeliveryError, EmailMessage, EmailSender, SmsMessage, SmsSender, mask_email, mask_phone};

/// One line of the outbox file. Field names and order are part of the
/// contract with tests and developer tooling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// `sms`, `email` or `captcha` (captcha entries are recorded by the
    /// service layer so tests can solve captchas; `to` is then the captcha id).
    pub channel: String,
    /// Phone number, email address or captcha id.
    pub to: String,
    /// Lower-case purpose, e.g. `login`.
    pub purpose: String,
    /// The code that was "sent".
    pub code: String,
    /// Full message text.
    pub text: String,
    /// RFC 3339 UTC, seconds precision, `Z` suffix.
    pub sent_at: String,
}

impl OutboxEntry {
    /// Build an entry; `at` comes from the caller so a test clock shows up
    /// in `sent_at` (formatted RFC 3339 UTC, seconds precision, `Z`).
    pub fn new(channel: &str, to: &str, purpose: &str, code: &str, text: &str, at: DateTime<Utc>) -> Self {
        OutboxEntry {
            channel: channel.to_string(),
            to: to.to_string(),
            purpose: purpose.to_string(),
            code: code.to_string(),
            text: text.to_string(),
            sent_at: at.to_rfc3339_opts(SecondsFormat::Secs, true),
        }
    }
}

/// Appends [`OutboxEntry`] lines to a file. Implements both [`SmsSender`] and
/// [`EmailSender`]; share one instance through an `Arc` for both channels.
#[derive(Debug)]
pub struct Outbox {
    path: PathBuf,
    // Serialises appends from this process so lines never interleave, even
    // if a future change splits a write.
    lock: tokio::sync::Mutex<()>,
}

impl Outbox {
    /// Create an outbox writing to `path`; the file is created on first use.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Outbox {
            path: path.into(),
            lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The file this outbox appends to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one entry. When this returns `Ok` the line has been handed to
    /// the OS, so a reader opening the file afterwards sees it.
    pub async fn record(&self, entry: &OutboxEntry) -> std::io::Result<()> {
        let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
        line.push('\n');
        let _guard = self.lock.lock().await;
        let path = self.path.clone();
        // Open-append-write-close per entry: one write(2) on an O_APPEND file
        // keeps lines whole even across processes, and a test that deletes
        // the file between cases gets a fresh one.
        tokio::task::spawn_blocking(move || {
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
            file.write_all(line.as_bytes())?;
            file.flush()
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

#[async_trait]
impl SmsSender for Outbox {
    async fn send_sms(&self, msg: &SmsMessage) -> Result<(), DeliveryError> {
        let entry = OutboxEntry::new("sms", &msg.to, &msg.purpose, &msg.code, &msg.text, Utc::now());
        self.record(&entry).await?;
        tracing::info!(
            to = %mask_phone(&msg.to),
            purpose = %msg.purpose,
            "sms written to outbox"
        );
        Ok(())
    }
}

#[async_trait]
impl EmailSender for Outbox {
    async fn send_email(&self, msg: &EmailMessage) -> Result<(), DeliveryError> {
        let entry = OutboxEntry::new("email", &msg.to, &msg.purpose, &msg.code, &msg.text, Utc::now());
        self.record(&entry).await?;
        tracing::info!(
            to = %mask_email(&msg.to),
            purpose = %msg.purpose,
            "email written to outbox"
        );
        Ok(())
    }
}

/// Read every entry from an outbox file, oldest first, for tests and dev
/// tooling. A missing file reads as empty; unparsable lines are skipped so a
/// half-written line from a crashed run cannot break a test helper.
pub fn read_entries(path: impl AsRef<Path>) -> Vec<OutboxEntry> {
    let Ok(content) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    content
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("zhanghao-outbox-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[tokio::test]
    async fn line_has_the_contract_shape() {
        let path = temp_path("outbox.jsonl");
        let outbox = Outbox::new(&path);
        let msg = SmsMessage {
            to: "+8613113690000".into(),
            purpose: "login".into(),
            code: "123456".into(),
            text: "您的验证码是123456，5分钟内有效。".into(),
            template: crate::messaging::SmsTemplate::Code,
        };
        outbox.send_sms(&msg).await.unwrap();

        let raw = std::fs::read_to_string(&path).unwrap();
        let value: serde_json::Value = serde_json::from_str(raw.trim_end()).unwrap();
        let obj = value.as_object().unwrap();
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ["channel", "code", "purpose", "sent_at", "text", "to"]);
        assert_eq!(obj["channel"], "sms");
        assert_eq!(obj["to"], "+8613113690000");
        assert_eq!(obj["code"], "123456");
        let sent_at = obj["sent_at"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(sent_at).is_ok());
        assert!(sent_at.ends_with('Z') && !sent_at.contains('.'));
    }

    #[tokio::test]
    async fn email_and_captcha_entries_round_trip() {
        let path = temp_path("outbox.jsonl");
        let outbox = Outbox::new(&path);
        let msg = EmailMessage {
            to: "a@b.cn".into(),
            purpose: "reset_password".into(),
            code: "654321".into(),
            subject: "验证码".into(),
            text: "您的验证码是654321".into(),
        };
        outbox.send_email(&msg).await.unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-21T08:00:00.123+08:00")
            .unwrap()
            .with_timezone(&Utc);
        let captcha = OutboxEntry::new("captcha", "cap-1", "captcha", "x7k2", "图片验证码 x7k2", at);
        assert_eq!(captcha.sent_at, "2026-11-21T00:00:00Z");
        outbox.record(&captcha).await.unwrap();

        let entries = read_entries(&path);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].channel, "email");
        assert_eq!(entries[0].to, "a@b.cn");
        assert_eq!(entries[0].code, "654321");
        assert_eq!(entries[1], captcha);
    }

    #[tokio::test]
    async fn concurrent_callers_produce_whole_lines() {
        let path = temp_path("outbox.jsonl");
        let outbox = Arc::new(Outbox::new(&path));
        let mut tasks = Vec::new();
        for i in 0..40 {
            let outbox = outbox.clone();
            tasks.push(tokio::spawn(async move {
                let msg = SmsMessage {
                    to: format!("+86131136900{i:02}"),
                    purpose: "login".into(),
                    code: format!("{i:06}"),
                    text: "长".repeat(2000),
                    template: crate::messaging::SmsTemplate::Code,
                };
                outbox.send_sms(&msg).await.unwrap();
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let raw = std::fs::read_to_string(&path).unwrap();
        assert_eq!(raw.lines().count(), 40);
        let entries = read_entries(&path);
        assert_eq!(entries.len(), 40);
        let mut codes: Vec<String> = entries.into_iter().map(|e| e.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 40);
    }

    #[test]
    fn missing_file_reads_empty() {
        assert!(read_entries(temp_path("absent.jsonl")).is_empty());
    }
}
