//! `oneClickLogin` (本机号码一键登录): the carrier proves the mobile, which then
//! signs in, registers or gets a bind ticket exactly as a verified SMS LOGIN
//! code would (same rules, same bind tickets, same gate).

use std::fmt;

use phonenumber::country::Id as Region;

use super::Verification;
use super::login::{LoginProof, TargetLogin};
use crate::domain::Mobile;
use crate::error::{AppError, Field, InputProblem};
use crate::metrics::SignInMethod;
use crate::one_click::{CarrierToken, OneClickError, OneClickProvider};
use crate::service::accounts::AuthOutcome;
use crate::service::codes::Target;
use crate::service::{RequestMeta, limits};

/// One-click sign-ins per client IP per hour: each costs a call the provider
/// bills and rate-limits our account for; generous, because many mobile
/// users share one carrier-grade NAT address.
const LOGINS_PER_IP_HOURLY: u32 = 300;

/// Longer than any SDK token (a few hundred characters); past it, junk.
const MAX_TOKEN_CHARS: usize = 4096;

/// `oneClickLogin` as the client sent it.
#[derive(Clone)]
pub struct OneClickRequest {
    pub provider: OneClickProvider,
    /// The token the provider's SDK gave the app (a secret: never logged).
    pub token: String,
    pub register: bool,
    pub invite_code: Option<String>,
    pub bind_token: Option<String>,
}

// Hand-written so the token and the bind token never reach a log.
impl fmt::Debug for OneClickRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneClickRequest")
            .field("provider", &self.provider)
            .field("register", &self.register)
            .finish_non_exhaustive()
    }
}

impl Verification {
    /// Signs in with the mobile the carrier vouches for.
    pub async fn one_click_login(&self, req: OneClickRequest, meta: &RequestMeta) -> Result<AuthOutcome, AppError> {
        let result = self.sign_in_by_carrier(req, meta).await;
        self.sign_ins.record(SignInMethod::OneClick, None, meta, &result).await;
        result
    }

    async fn sign_in_by_carrier(&self, req: OneClickRequest, meta: &RequestMeta) -> Result<AuthOutcome, AppError> {
        let token = parse_token(req.token)?;
        let provider = req.provider;
        if !self.one_click.is_configured(provider) {
            tracing::info!(%provider, "one-click sign-in with an unconfigured provider refused");
            return Err(AppError::Forbidden);
        }
        // The provider answers a token once, so whatever else can refuse the
        // request is checked before it is asked.
        let invite = self.accounts.parse_invite(req.invite_code.as_deref()).await?;
        let ticket = self.tickets.load(req.bind_token.as_deref()).await?;
        self.charge_one_click(meta).await?;
        let phone = self.one_click.mobile(provider, &token).await.map_err(carrier_error)?;
        // The carriers are mainland China's and give 11 national digits,
        // whatever region ZHANGHAO_DEFAULT_REGION reads typed numbers in.
        let mobile = Mobile::parse(&phone, Region::CN).ok_or_else(|| {
            AppError::ServiceUnavailable(format!(
                "{provider} gave an unusable phone number ({} chars)",
                phone.len()
            ))
        })?;
        let target = Target::Mobile(mobile);
        let login = TargetLogin {
            target: &target,
            proof: LoginProof::Carrier,
            register: req.register,
            invite,
            ticket: ticket.as_ref(),
        };
        self.login_by_target(login, meta).await
    }

    /// Charges a one-click sign-in to the client IP, before the provider is called.
    async fn charge_one_click(&self, meta: &RequestMeta) -> Result<(), AppError> {
        let Some(ip) = meta.ip else {
            return Ok(());
        };
        let key = format!("one-click:ip:{}", limits::ip_key(ip));
        self.limits.hit(&key, 3600, LOGINS_PER_IP_HOURLY).await
    }
}

/// The token input: present, and not absurdly long.
fn parse_token(raw: String) -> Result<CarrierToken, AppError> {
    let token = raw.trim();
    if token.is_empty() {
        return Err(AppError::bad(Field::Token, InputProblem::Missing));
    }
    if token.chars().count() > MAX_TOKEN_CHARS {
        return Err(AppError::bad(Field::Token, InputProblem::TooLong(MAX_TOKEN_CHARS)));
    }
    Ok(CarrierToken::new(token.to_string()))
}

/// Maps a provider's failure to the API's error.
///
/// - rejected → CODE_INVALID (DESIGN §9): the token is wrong, used or expired,
///   as a LOGIN code can be; the client falls back to SMS.
/// - unavailable → SERVICE_UNAVAILABLE, also for our own credentials or key
///   (the operator's to fix, never the user's fault).
fn carrier_error(err: OneClickError) -> AppError {
    match err {
        OneClickError::NotConfigured(_) => AppError::Forbidden,
        OneClickError::Rejected { provider, detail } => {
            tracing::debug!(%provider, %detail, "one-click token refused");
            AppError::CodeInvalid
        }
        OneClickError::Unavailable { provider, detail } => {
            AppError::ServiceUnavailable(format!("{provider}: {detail}"))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_for_presence_and_length() {
        let missing = AppError::bad(Field::Token, InputProblem::Missing);
        assert_eq!(parse_token("  ".into()).unwrap_err(), missing);
        let too_long = AppError::bad(Field::Token, InputProblem::TooLong(MAX_TOKEN_CHARS));
        assert_eq!(parse_token("x".repeat(MAX_TOKEN_CHARS + 1)).unwrap_err(), too_long);
        assert!(parse_token("x".repeat(MAX_TOKEN_CHARS)).is_ok());
    }

    #[test]
    fn requests_keep_their_tokens_out_of_debug() {
        let req = OneClickRequest {
            provider: OneClickProvider::Jiguang,
            token: "STsid-SECRET".into(),
            register: true,
            invite_code: None,
            bind_token: Some("BIND-SECRET".into()),
        };
        assert!(!format!("{req:?}").contains("SECRET"));
    }
}
