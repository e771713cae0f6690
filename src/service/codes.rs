//! Verification codes: six CSPRNG digits, five minutes, five wrong tries,
//! single use, bound to target and purpose, stored only as an HMAC.

use chrono::Duration;
use rand::Rng;

use super::{RequestMeta, limits};
use crate::config::SendCaptchaRule;
use crate::domain::{CodeDigits, Email, Mobile};
use crate::error::{AppError, InputProblem};
use crate::messaging::{EmailMessage, SmsMessage};
use crate::state::AppState;
use crate::store;

mod spend;
pub use spend::{CheckedCode, PresentedCode, check, consume, take_in};

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

/// Sends a fresh code, replacing the live one of that purpose, within the
/// per-target send limits (the caller has charged the client IP with
/// [`charge_client_ip`]). A provider failure leaves no new code behind.
pub async fn send(
    state: &AppState,
    target: &Target,
    purpose: Purpose,
    digits: CodeDigits,
) -> Result<CodeSent, AppError> {
    let ttl = state.config.code_ttl.as_secs() as i64;
    let gap = state.config.send_interval.as_secs() as i64;
    if fixed_code(state, target.key()).is_some() {
        // Review accounts: nothing is sent and no limit applies.
        return Ok(CodeSent {
            expires_in: ttl,
            resend_after: 0,
        });
    }
    ensure_deliverable(state, target)?;
    check_target_limits(state, target.key()).await?;
    if matches!(target, Target::Mobile(_)) {
        limits::spend_sms_budget(state).await?;
    }

    let digits = digits.get();
    let code = format!("{:0digits$}", rand::rng().random_range(0..10u32.pow(digits as u32)));
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
                code: code.clone(),
                text,
            };
            state.sms.send_sms(&msg).await
        }
        Target::Email(email) => {
            let msg = EmailMessage {
                to: email.as_str().to_string(),
                purpose: purpose.as_str().to_string(),
                code: code.clone(),
                subject: format!("验证码：{}", purpose.action()),
                text,
            };
            state.email.send_email(&msg).await
        }
    };
    if let Err(err) = delivered {
        return Err(AppError::ServiceUnavailable(format!(
            "delivery of a {} code failed: {err}",
            purpose.as_str()
        )));
    }
    let now = state.clock.now();
    let hmac = code_hmac(state, target.key(), purpose, &code);
    store::codes::replace(
        &state.db,
        target.key(),
        purpose.as_str(),
        &hmac,
        now,
        now + Duration::seconds(ttl),
    )
    .await?;
    metrics::counter!("zhanghao_codes_sent_total", "purpose" => purpose.as_str()).increment(1);
    Ok(CodeSent {
        expires_in: ttl,
        resend_after: gap,
    })
}

/// Answers like [`send`], under the same per-target limits, but sends and
/// stores nothing: for targets that must not learn (or let a prober learn)
/// that they have no account.
pub async fn pretend_send(state: &AppState, target: &Target) -> Result<CodeSent, AppError> {
    ensure_deliverable(state, target)?;
    check_target_limits(state, target.key()).await?;
    Ok(CodeSent {
        expires_in: state.config.code_ttl.as_secs() as i64,
        resend_after: state.config.send_interval.as_secs() as i64,
    })
}

/// Refuses SMS to numbers outside `ZHANGHAO_SMS_REGIONS` or that are not
/// mobiles, before any limit is spent or anything sent.
fn ensure_deliverable(state: &AppState, target: &Target) -> Result<(), AppError> {
    match target {
        Target::Mobile(mobile) if !mobile.can_receive_sms(&state.config.sms_regions) => {
            Err(AppError::bad("mobile", InputProblem::NoSms))
        }
        _ => Ok(()),
    }
}

/// [`send`] for a client whose IP was charged: a send refused for a reason
/// of the target or the provider (its resend gap, its day, the SMS budget,
/// a failed delivery) gives the charge back, so refused sends do not use up
/// the IP's hourly quota.
pub async fn send_for(
    state: &AppState,
    target: &Target,
    purpose: Purpose,
    mode: SendMode,
    digits: CodeDigits,
    meta: &RequestMeta,
) -> Result<CodeSent, AppError> {
    let sent = match mode {
        SendMode::Deliver => send(state, target, purpose, digits).await,
        SendMode::Pretend => pretend_send(state, target).await,
    };
    if matches!(
        sent,
        Err(AppError::RateLimited { .. } | AppError::SmsBudgetSpent { .. } | AppError::ServiceUnavailable(_))
    ) && fixed_code(state, target.key()).is_none()
        && let Some(ip) = meta.ip
    {
        limits::refund(state, &ip_charge_key(ip), IP_WINDOW_SECONDS).await?;
    }
    sent
}

/// What a send request offers to pass the captcha gate (`ZHANGHAO_SEND_CAPTCHA`).
#[derive(Debug, Clone, Copy)]
pub enum SendCaptcha<'a> {
    /// Nothing solved: refused with CAPTCHA_REQUIRED once the gate is up.
    None,
    /// The built-in image captcha (single use): its id and the typed answer.
    Image { id: &'a str, answer: &'a str },
    /// A legacy client whose protocol has no captcha (Discuz! Q's send):
    /// the regions, the budget and the per-IP and per-target limits bound it.
    NotAsked,
}

impl<'a> SendCaptcha<'a> {
    /// From optional id and answer fields: both present (and non-empty) or None.
    pub fn from_fields(id: Option<&'a str>, answer: Option<&'a str>) -> Self {
        match (id.map(str::trim), answer.map(str::trim)) {
            (Some(id), Some(answer)) if !id.is_empty() && !answer.is_empty() => SendCaptcha::Image { id, answer },
            _ => SendCaptcha::None,
        }
    }
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

/// Charges one send to the client's IP (20 an hour by default). Called
/// before anything about the target is looked up, so neither sending nor
/// the "taken / unknown" answers can be had without paying for them.
pub async fn charge_client_ip(
    state: &AppState,
    target: &str,
    captcha: SendCaptcha<'_>,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    if fixed_code(state, target).is_some() {
        return Ok(());
    }
    if let Some(ip) = meta.ip {
        let required = match state.config.send_captcha {
            SendCaptchaRule::Off => false,
            SendCaptchaRule::Always => true,
            SendCaptchaRule::After(n) => {
                limits::sliding_count(state, &ip_charge_key(ip), IP_WINDOW_SECONDS).await? >= i64::from(n)
            }
        };
        if required {
            match captcha {
                SendCaptcha::Image { id, answer } => super::captcha::solve(state, id, answer).await?,
                SendCaptcha::None => return Err(AppError::CaptchaRequired),
                SendCaptcha::NotAsked => {}
            }
        }
        limits::hit(
            state,
            &ip_charge_key(ip),
            IP_WINDOW_SECONDS,
            state.config.sends_per_ip_hourly,
        )
        .await?;
    }
    Ok(())
}

async fn check_target_limits(state: &AppState, target: &str) -> Result<(), AppError> {
    let now = state.clock.now().timestamp();
    let gap = state.config.send_interval.as_secs() as i64;
    if gap > 0
        && let Some(wait) = store::counters::claim_gap(&state.db, &format!("send:gap:{target}"), now, gap).await?
    {
        return Err(AppError::RateLimited {
            retry_after: wait as u64,
        });
    }
    limits::hit(
        state,
        &format!("send:day:{target}"),
        86_400,
        state.config.sends_per_target_daily,
    )
    .await
}

fn code_hmac(state: &AppState, target: &str, purpose: Purpose, code: &str) -> String {
    state.secrets.hmac_hex(&["code", target, purpose.as_str(), code])
}

fn fixed_code<'a>(state: &'a AppState, target: &str) -> Option<&'a str> {
    state.test_numbers.get(target).map(String::as_str)
}

/// True while `target` holds an unexpired, unburnt code of `purpose`. Only
/// reads: ShopXO tells "expired" (no live code) from "wrong" (a live code,
/// another value) after a refusal, and this is how its envelope knows which.
pub async fn has_live_code(state: &AppState, target: &str, purpose: Purpose) -> Result<bool, AppError> {
    if fixed_code(state, target).is_some() {
        return Ok(true);
    }
    let row = store::codes::find(&state.db, target, purpose.as_str()).await?;
    Ok(row.is_some_and(|row| row.expires_at > state.clock.now() && row.attempts < state.config.code_max_attempts))
}
