//! Email over SMTP with lettre, for deployments that have an ordinary mail
//! relay (corporate Exchange, Aliyun/Tencent enterprise mail, Postfix, ...).

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, Message, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use super::{DEFAULT_TIMEOUT, DeliveryError, EmailMessage, EmailSender, mask_email, scrub};

const PROVIDER: &str = "smtp";

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpMode {
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    StartTls,
    /// TLS from the first byte, "SMTPS" (usually port 465).
    Tls,
    /// No encryption at all; only for a relay on localhost or a test fake.
    Plain,
}

/// Settings for [`SmtpEmail`].
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// Relay host name; also the name checked against its TLS certificate.
    pub host: String,
    /// Relay port.
    pub port: u16,
    /// Login name; `None` sends without authenticating.
    pub username: Option<String>,
    /// Login password, used only with `username`.
    pub password: Option<SecretString>,
    /// Sender mailbox, e.g. `账号服务 <no-reply@example.cn>`.
    pub from: String,
    /// Connection security.
    pub mode: SmtpMode,
    /// How long to wait for the relay before giving up.
    pub timeout: Duration,
}

impl SmtpConfig {
    /// Settings without authentication and with the default 5 s timeout.
    pub fn new(host: impl Into<String>, port: u16, from: impl Into<String>, mode: SmtpMode) -> Self {
        SmtpConfig {
            host: host.into(),
            port,
            username: None,
            password: None,
            from: from.into(),
            mode,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Sends verification-code emails through an SMTP relay.
#[derive(Debug, Clone)]
pub struct SmtpEmail {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpEmail {
    /// Validate the sender address and build the transport once, at start-up.
    /// No connection is made until the first message.
    pub fn new(config: SmtpConfig) -> Result<Self, DeliveryError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|_| DeliveryError::Misconfigured("smtp from is not a valid mailbox".to_string()))?;
        let tls_error = |e: lettre::transport::smtp::Error| DeliveryError::Misconfigured(format!("smtp tls: {e}"));
        let builder = match config.mode {
            SmtpMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host).map_err(tls_error)?,
            SmtpMode::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host).map_err(tls_error)?
            }
            SmtpMode::Plain => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
        };
        let mut builder = builder.port(config.port).timeout(Some(config.timeout));
        if let Some(username) = config.username {
            let password = config
                .password
                .as_ref()
                .map(|p| p.expose_secret().to_string())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(username, password));
        }
        Ok(SmtpEmail {
            transport: builder.build(),
            from,
        })
    }

    async fn send(&self, msg: &EmailMessage) -> Result<(), DeliveryError> {
        let message = build_message(&self.from, msg)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| map_smtp_error(e, &msg.code))
    }
}

/// Build the plain-text UTF-8 message; separate so it can be tested offline.
fn build_message(from: &Mailbox, msg: &EmailMessage) -> Result<Message, DeliveryError> {
    let to: Mailbox = msg
        .to
        .parse()
        .map_err(|_| DeliveryError::InvalidRecipient { kind: "email address" })?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(msg.subject.as_str())
        .header(ContentType::TEXT_PLAIN)
        .body(msg.text.clone())
        .map_err(|e| DeliveryError::Misconfigured(format!("email could not be built: {e}")))
}

/// Relay refusals keep their SMTP reply code; the reply text is scrubbed in
/// case a relay quotes message content back.
fn map_smtp_error(err: lettre::transport::smtp::Error, code: &str) -> DeliveryError {
    if err.is_timeout() {
        return DeliveryError::Timeout { provider: PROVIDER };
    }
    if err.is_permanent() || err.is_transient() {
        return DeliveryError::Rejected {
            provider: PROVIDER,
            code: err.status().map(|c| c.to_string()).unwrap_or_default(),
            message: scrub(&err.to_string(), code),
        };
    }
    DeliveryError::Transport {
        provider: PROVIDER,
        detail: scrub(&err.to_string(), code),
    }
}

#[async_trait]
impl EmailSender for SmtpEmail {
    async fn send_email(&self, msg: &EmailMessage) -> Result<(), DeliveryError> {
        let result = self.send(msg).await;
        match &result {
            Ok(()) => {
                tracing::info!(to = %mask_email(&msg.to), purpose = %msg.purpose, "email sent via smtp")
            }
            Err(e) => {
                tracing::warn!(to = %mask_email(&msg.to), purpose = %msg.purpose, error = %e, "smtp email failed")
            }
        }
        result
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    use super::*;

    fn email(to: &str) -> EmailMessage {
        EmailMessage {
            to: to.into(),
            purpose: "register".into(),
            code: "654321".into(),
            subject: "注册验证码".into(),
            text: "您的验证码是654321，10分钟内有效。".into(),
        }
    }

    #[test]
    fn message_has_sender_recipient_and_utf8_text() {
        let from: Mailbox = "账号服务 <no-reply@example.cn>".parse().unwrap();
        let message = build_message(&from, &email("a@b.cn")).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("To: a@b.cn"), "{raw}");
        assert!(raw.contains("no-reply@example.cn"), "{raw}");
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8"), "{raw}");
        assert!(raw.contains("Subject: "), "{raw}");
    }

    #[test]
    fn bad_addresses_are_reported() {
        let from: Mailbox = "no-reply@example.cn".parse().unwrap();
        let err = build_message(&from, &email("not-an-address")).unwrap_err();
        assert!(matches!(err, DeliveryError::InvalidRecipient { .. }));
        let config = SmtpConfig::new("localhost", 25, "nonsense", SmtpMode::Plain);
        assert!(matches!(SmtpEmail::new(config), Err(DeliveryError::Misconfigured(_))));
    }

    #[test]
    fn tls_modes_build_without_connecting() {
        for (mode, port) in [(SmtpMode::Tls, 465), (SmtpMode::StartTls, 587)] {
            let mut config = SmtpConfig::new("smtp.example.cn", port, "no-reply@example.cn", mode);
            config.username = Some("no-reply@example.cn".into());
            config.password = Some("secret".into());
            assert!(SmtpEmail::new(config).is_ok(), "{mode:?}");
        }
    }

    /// A minimal SMTP server on loopback: accepts everything except
    /// recipients starting with `nobody`, and keeps the DATA it received.
    async fn fake_smtp() -> (u16, Arc<Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received: Arc<Mutex<Vec<String>>> = Arc::default();
        let store = received.clone();
        tokio::spawn(async move {
            loop {
                let (socket, _) = listener.accept().await.unwrap();
                let store = store.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                            b"250 fake\r\n"
                        } else if upper.starts_with("RCPT TO:<NOBODY") {
                            b"550 5.1.1 no such user\r\n"
                        } else if upper.starts_with("MAIL") || upper.starts_with("RCPT") || upper.starts_with("RSET") {
                            b"250 ok\r\n"
                        } else if upper == "DATA" {
                            write.write_all(b"354 go ahead\r\n").await.unwrap();
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            store.lock().unwrap().push(data);
                            b"250 queued\r\n"
                        } else if upper == "QUIT" {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            break;
                        } else {
                            b"502 unknown\r\n"
                        };
                        write.write_all(reply).await.unwrap();
                    }
                });
            }
        });
        (port, received)
    }

    #[tokio::test]
    async fn sends_through_a_loopback_relay() {
        let (port, received) = fake_smtp().await;
        let config = SmtpConfig::new("127.0.0.1", port, "账号服务 <no-reply@example.cn>", SmtpMode::Plain);
        let sender = SmtpEmail::new(config).unwrap();
        sender.send_email(&email("a@b.cn")).await.unwrap();
        let received = received.lock().unwrap();
        assert_eq!(received.len(), 1);
        assert!(received[0].contains("To: a@b.cn"), "{}", received[0]);
    }

    #[tokio::test]
    async fn relay_refusal_keeps_the_smtp_code() {
        let (port, _) = fake_smtp().await;
        let config = SmtpConfig::new("127.0.0.1", port, "no-reply@example.cn", SmtpMode::Plain);
        let sender = SmtpEmail::new(config).unwrap();
        let err = sender.send_email(&email("nobody@b.cn")).await.unwrap_err();
        assert!(
            matches!(&err, DeliveryError::Rejected { code, .. } if code == "550"),
            "{err:?}"
        );
        assert!(!err.to_string().contains("654321"));
    }
}
