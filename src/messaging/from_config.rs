//! Adapter from the crate's typed [`Config`] to [`build_senders`]. Kept
//! apart from the providers so `mod.rs` does not depend on the config layer.

use std::sync::Arc;

use secrecy::SecretString;

use super::{
    AliyunSmsConfig, EmailChoice, EmailSender, Outbox, SmsChoice, SmsSender, SmtpConfig, SmtpMode, TencentSmsConfig,
    WebhookConfig, build_senders,
};
use crate::config::{Config, EmailProvider, SmsProvider};
use crate::error::AppError;

/// SMS sender, email sender, and whether the outbox is in use.
pub type SenderTuple = (Arc<dyn SmsSender>, Arc<dyn EmailSender>, bool);

/// Builds the SMS and email senders the config names; a chosen provider with
/// a missing setting fails start-up with the variable to set.
pub fn senders_from_config(config: &Config, outbox: Arc<Outbox>) -> Result<SenderTuple, AppError> {
    let sms = sms_choice(config)?;
    let email = email_choice(config)?;
    let senders = build_senders(sms, email, outbox).map_err(|e| setting(&format!("messaging: {e}")))?;
    Ok((senders.sms, senders.email, senders.outbox_used))
}

fn sms_choice(config: &Config) -> Result<SmsChoice, AppError> {
    let m = &config.messaging;
    Ok(match config.sms_provider {
        SmsProvider::Outbox => SmsChoice::Outbox,
        SmsProvider::Webhook => SmsChoice::Webhook(webhook(config)?),
        SmsProvider::Aliyun => {
            let mut aliyun = AliyunSmsConfig::new(
                need(&m.aliyun_access_key_id, "ZHANGHAO_ALIYUN_ACCESS_KEY_ID")?,
                secret(&m.aliyun_access_key_secret, "ZHANGHAO_ALIYUN_ACCESS_KEY_SECRET")?,
                need(&m.aliyun_sign_name, "ZHANGHAO_ALIYUN_SIGN_NAME")?,
                need(&m.aliyun_template_code, "ZHANGHAO_ALIYUN_TEMPLATE_CODE")?,
            );
            aliyun.endpoint = m.aliyun_endpoint.clone();
            aliyun.notice_template_code = optional(&m.aliyun_notice_template_code);
            aliyun.timeout = m.provider_timeout();
            SmsChoice::Aliyun(aliyun)
        }
        SmsProvider::Tencent => {
            let mut tencent = TencentSmsConfig::new(
                need(&m.tencent_secret_id, "ZHANGHAO_TENCENT_SECRET_ID")?,
                secret(&m.tencent_secret_key, "ZHANGHAO_TENCENT_SECRET_KEY")?,
                need(&m.tencent_sdk_app_id, "ZHANGHAO_TENCENT_SDK_APP_ID")?,
                need(&m.tencent_sign_name, "ZHANGHAO_TENCENT_SIGN_NAME")?,
                need(&m.tencent_template_id, "ZHANGHAO_TENCENT_TEMPLATE_ID")?,
            );
            tencent.region = m.tencent_region.clone();
            tencent.endpoint = m.tencent_endpoint.clone();
            tencent.notice_template_id = optional(&m.tencent_notice_template_id);
            tencent.timeout = m.provider_timeout();
            SmsChoice::Tencent(tencent)
        }
    })
}

fn email_choice(config: &Config) -> Result<EmailChoice, AppError> {
    let m = &config.messaging;
    Ok(match config.email_provider {
        EmailProvider::Outbox => EmailChoice::Outbox,
        EmailProvider::Webhook => EmailChoice::Webhook(webhook(config)?),
        EmailProvider::Smtp => {
            let mode = match m.smtp_mode.to_ascii_lowercase().as_str() {
                "tls" => SmtpMode::Tls,
                "starttls" => SmtpMode::StartTls,
                "plain" => SmtpMode::Plain,
                other => {
                    return Err(setting(&format!(
                        "ZHANGHAO_SMTP_MODE must be tls, starttls or plain, not {other:?}"
                    )));
                }
            };
            let mut smtp = SmtpConfig::new(
                need(&m.smtp_host, "ZHANGHAO_SMTP_HOST")?,
                m.smtp_port,
                need(&m.smtp_from, "ZHANGHAO_SMTP_FROM")?,
                mode,
            );
            smtp.username = m.smtp_username.clone().filter(|u| !u.is_empty());
            smtp.password = m
                .smtp_password
                .clone()
                .filter(|p| !p.is_empty())
                .map(SecretString::from);
            smtp.timeout = m.provider_timeout();
            EmailChoice::Smtp(smtp)
        }
    })
}

fn webhook(config: &Config) -> Result<WebhookConfig, AppError> {
    let m = &config.messaging;
    let mut webhook = WebhookConfig::new(
        need(&m.webhook_url, "ZHANGHAO_WEBHOOK_URL")?,
        secret(&m.webhook_secret, "ZHANGHAO_WEBHOOK_SECRET")?,
    );
    webhook.timeout = m.provider_timeout();
    Ok(webhook)
}

fn optional(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.trim().is_empty())
}

fn need(value: &Option<String>, variable: &str) -> Result<String, AppError> {
    value
        .clone()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| setting(&format!("{variable} must be set for the chosen message provider")))
}

fn secret(value: &Option<String>, variable: &str) -> Result<SecretString, AppError> {
    need(value, variable).map(SecretString::from)
}

fn setting(message: &str) -> AppError {
    AppError::Internal(message.to_string())
}
