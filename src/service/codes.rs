//! Verification codes: six CSPRNG digits, five minutes, five wrong tries,
//! single use, bound to target and purpose, stored only as an HMAC.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Duration;

use super::{Captchas, Limits, RequestMeta, limits};
use crate::captcha_providers::CaptchaProvider;
use crate::clock::Clock;
use crate::config::SendCaptchaRule;
use crate::crypto::{CodeGenerator, HmacKey};
use crate::domain::{CodeDigits, Email, Mobile};
use crate::error::{AppError, Field, InputProblem};
use crate::messaging::{EmailMessage, EmailSender, SmsMessage, SmsSender, SmsTemplate};
use crate::metrics::Metrics;
use crate::store::{self, Db};

mod gate;
mod spend;
pub use gate::SendCaptcha;
pub use spend::{CheckedCode, PresentedCode};

/// Sending codes and spending them.
#[derive(Clone)]
pub struct Codes {
    db: Db,
    clock: Arc<dyn Clock>,
    hmac: Arc<HmacKey>,
    generator: Arc<dyn CodeGenerator>,
    sms: Arc<dyn SmsSender>,
    email: Arc<dyn EmailSender>,
    limits: Limits,
    captchas: Captchas,
    /// The third-party captcha of `ZHANGHAO_CAPTCHA_PROVIDER`; `None` is the image captcha.
    captcha_provider: Option<Arc<dyn CaptchaProvider>>,
    /// E.164 mobile → fixed code, for app-store review accounts.
    review_numbers: Arc<HashMap<String, String>>,
    metrics: Arc<Metrics>,
    settings: CodeSettings,
}

/// How codes live and how often they may be sent.
#[derive(Debug, Clone)]
pub struct CodeSettings {
    pub ttl: std::time::Duration,
    /// Wrong tries that burn a code.
    pub max_attempts: i32,
    /// Least time between two sends to one target.
    pub send_interval: std::time::Duration,
    pub sends_per_ip_hourly: u32,
    pub sends_per_target_daily: u32,
    pub send_captcha: SendCaptchaRule,
    /// Regions SMS may go to (`ZHANGHAO_SMS_REGIONS`).
    pub sms_regions: Vec<phonenumber::country::Id>,
}

/// What a [`Codes`] is made of.
pub struct CodeParts {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub hmac: Arc<HmacKey>,
    pub generator: Arc<dyn CodeGenerator>,
    pub sms: Arc<dyn SmsSender>,
    pub email: Arc<dyn EmailSender>,
    pub limits: Limits,
    pub captchas: Captchas,
    pub captcha_provider: Option<Arc<dyn CaptchaProvider>>,
    pub review_numbers: Arc<HashMap<String, String>>,
    pub metrics: Arc<Metrics>,
    pub settings: CodeSettings,
}

impl Codes {
    /// Assembles the code service.
    pub fn new(parts: CodeParts) -> Self {
        Codes {
            db: parts.db,
            clock: parts.clock,
            hmac: parts.hmac,
            generator: parts.generator,
            sms: parts.sms,
            email: parts.email,
            limits: parts.limits,
            captchas: parts.captchas,
            captcha_provider: parts.captcha_provider,
            review_numbers: parts.review_numbers,
            metrics: parts.metrics,
            settings: parts.settings,
        }
    }

    /// A review account's fixed code, if `target` is one.
    fn fixed_code(&self, target: &str) -> Option<&str> {
        self.review_numbers.get(target).map(String::as_str)
    }

    /// Sends a fresh code, replacing the live one of that purpose, within the
    /// per-target send limits (the caller has charged the client IP with
    /// [`charge_client_ip`]). A provider failure leaves no new code behind.
    pub async fn send(&self, target: &Target, purpose: Purpose, digits: CodeDigits) -> Result<CodeSent, AppError> {
        let ttl = self.settings.ttl.as_secs() as i64;
        let gap = self.settings.send_interval.as_secs() as i64;
        if self.fixed_code(target.key()).is_some() {
            // Review accounts: nothing is sent and no limit applies.
            return Ok(CodeSent {
                expires_in: ttl,
                resend_after: 0,
            });
        }
        self.ensure_deliverable(target)?;
        self.check_target_limits(target.key()).await?;
        if matches!(target, Target::Mobile(_)) {
            self.limits.spend_sms_budget().await?;
        }

        let digits = digits.get();
        let code = self.generator.generate(digits);
        self.deliver(target, purpose, &code, ttl).await?;
        let now = self.clock.now();
        let hmac = self.code_hmac(target.key(), purpose, &code);
        store::codes::replace(
            &self.db,
            target.key(),
            purpose.as_str(),
            &hmac,
            now,
            now + Duration::seconds(ttl),
        )
        .await?;
        Ok(CodeSent {
            expires_in: ttl,
            resend_after: gap,
        })
    }

    /// Sends `code` to `target`; a provider failure is SERVICE_UNAVAILABLE
    /// (its detail, which never holds the code, is logged only).
    async fn deliver(&self, target: &Target, purpose: Purpose, code: &str, ttl: i64) -> Result<(), AppError> {
        let minutes = (ttl / 60).max(1);
        let text = format!(
            "您的验证码是 {code}，用于{}，{minutes} 分钟内有效。如非本人操作，请忽略本消息。",
            purpose.action()
        );
        let delivered = match target {
            Target::Mobile(mobile) => {
                let msg = SmsMessage {
                    to: mobile.as_str().to_string(),
                    purpose: purpose.as_str().to_string(),
                    code: code.to_string(),
                    text,
                    template: SmsTemplate::Code,
                };
                self.sms.send_sms(&msg).await
            }
            Target::Email(email) => {
                let msg = EmailMessage {
                    to: email.as_str().to_string(),
                    purpose: purpose.as_str().to_string(),
                    code: code.to_string(),
                    subject: format!("验证码：{}", purpose.action()),
                    text,
                };
                self.email.send_email(&msg).await
            }
        };
        let channel = match target {
            Target::Mobile(_) => "sms",
            Target::Email(_) => "email",
        };
        let outcome = if delivered.is_ok() { "sent" } else { "failed" };
        self.metrics.code_sent(channel, purpose.as_str(), outcome);
        delivered.map_err(|err| {
            AppError::ServiceUnavailable(format!("delivery of a {} code failed: {err}", purpose.as_str()))
        })
    }

    /// Answers like [`send`], under the same per-target limits, but sends and
    /// stores nothing: for targets that must not learn (or let a prober learn)
    /// that they have no account.
    pub async fn pretend_send(&self, target: &Target) -> Result<CodeSent, AppError> {
        self.ensure_deliverable(target)?;
        self.check_target_limits(target.key()).await?;
        Ok(CodeSent {
            expires_in: self.settings.ttl.as_secs() as i64,
            resend_after: self.settings.send_interval.as_secs() as i64,
        })
    }

    /// Refuses SMS to numbers outside `ZHANGHAO_SMS_REGIONS` or that are not
    /// mobiles, before any limit is spent or anything sent.
    fn ensure_deliverable(&self, target: &Target) -> Result<(), AppError> {
        match target {
            Target::Mobile(mobile) if !mobile.can_receive_sms(&self.settings.sms_regions) => {
                Err(AppError::bad(Field::Mobile, InputProblem::NoSms))
            }
            _ => Ok(()),
        }
    }

    /// [`send`] for a client whose IP was charged: a send refused for a reason
    /// of the target or the provider (its resend gap, its day, the SMS budget,
    /// a failed delivery) gives the charge back, so refused sends do not use up
    /// the IP's hourly quota.
    pub async fn send_for(
        &self,
        target: &Target,
        purpose: Purpose,
        mode: SendMode,
        digits: CodeDigits,
        meta: &RequestMeta,
    ) -> Result<CodeSent, AppError> {
        let sent = match mode {
            SendMode::Deliver => self.send(target, purpose, digits).await,
            SendMode::Pretend => self.pretend_send(target).await,
        };
        if matches!(
            sent,
            Err(AppError::RateLimited { .. } | AppError::SmsBudgetSpent { .. } | AppError::ServiceUnavailable(_))
        ) && self.fixed_code(target.key()).is_none()
            && let Some(ip) = meta.ip
        {
            self.limits.refund(&ip_charge_key(ip), IP_WINDOW_SECONDS).await?;
        }
        sent
    }

    async fn check_target_limits(&self, target: &str) -> Result<(), AppError> {
        let now = self.clock.now().timestamp();
        let gap = self.settings.send_interval.as_secs() as i64;
        if gap > 0
            && let Some(wait) = store::counters::claim_gap(&self.db, &format!("send:gap:{target}"), now, gap).await?
        {
            self.metrics.rate_limited("send:gap");
            return Err(AppError::RateLimited {
                retry_after: wait as u64,
            });
        }
        self.limits
            .hit(
                &format!("send:day:{target}"),
                86_400,
                self.settings.sends_per_target_daily,
            )
            .await
    }

    fn code_hmac(&self, target: &str, purpose: Purpose, code: &str) -> String {
        self.hmac.hex(&["code", target, purpose.as_str(), code])
    }

    /// How a code that cannot be right is refused: CODE_INVALID while
    /// `target` holds a live code of `purpose`, CODE_EXPIRED otherwise.
    pub async fn judge_wrong_code(&self, target: &str, purpose: Purpose) -> Result<AppError, AppError> {
        if self.fixed_code(target).is_some() {
            return Ok(AppError::CodeInvalid);
        }
        let row = store::codes::find(&self.db, target, purpose.as_str()).await?;
        let live =
            row.is_some_and(|row| row.expires_at > self.clock.now() && row.attempts < self.settings.max_attempts);
        Ok(if live {
            AppError::CodeInvalid
        } else {
            AppError::CodeExpired
        })
    }
}

/// What a code may be used for; a code of one purpose never serves another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    Register,
    Login,
    Bind,
    Rebind,
    ResetPassword,
    ResetPayPassword,
    Verify,
}

impl Purpose {
    /// Lower-case name: the outbox `purpose` and the stored key.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::Login => "login",
            Purpose::Bind => "bind",
            Purpose::Rebind => "rebind",
            Purpose::ResetPassword => "reset_password",
            Purpose::ResetPayPassword => "reset_pay_password",
            Purpose::Verify => "verify",
        }
    }

    fn action(self) -> &'static str {
        match self {
            Purpose::Register => "注册账号",
            Purpose::Login => "登录",
            Purpose::Bind => "绑定手机号",
            Purpose::Rebind => "更换手机号",
            Purpose::ResetPassword => "重设登录密码",
            Purpose::ResetPayPassword => "重设支付密码",
            Purpose::Verify => "验证身份",
        }
    }
}

/// Where a code goes.
#[derive(Debug, Clone)]
pub enum Target {
    Mobile(Mobile),
    Email(Email),
}

impl Target {
    /// The stored key: E.164 or the normalised email.
    pub fn key(&self) -> &str {
        match self {
            Target::Mobile(m) => m.as_str(),
            Target::Email(e) => e.as_str(),
        }
    }
}

/// How long the code lives and when another may be sent.
#[derive(Debug, Clone, Copy)]
pub struct CodeSent {
    pub expires_in: i64,
    pub resend_after: i64,
}

/// Whether [`send_for`] really sends, or answers alike and sends nothing
/// (a reset for a number without an account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendMode {
    Deliver,
    Pretend,
}

const IP_WINDOW_SECONDS: i64 = 3_600;

fn ip_charge_key(ip: std::net::IpAddr) -> String {
    format!("send:ip:{}", limits::ip_key(ip))
}
