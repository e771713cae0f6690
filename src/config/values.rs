//! The typed values of the settings that need more than a number, and the
//! parsers that turn the raw strings into them (each error says what to set).

use ipnet::IpNet;
use secrecy::SecretString;

use super::{ConfigError, EmailProvider, Settings, SmsProvider};

/// When a code send needs a solved captcha (DESIGN §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendCaptchaRule {
    Off,
    Always,
    /// Once the client IP has had this many codes sent in the last hour.
    After(u32),
}

/// Who may read `GET /metrics`.
#[derive(Clone, Debug)]
pub enum MetricsAccess {
    /// Anyone who can reach the port (development default).
    Open,
    /// Only requests with `Authorization: Bearer <token>`.
    Token(SecretString),
    /// Nobody: production without `ZHANGHAO_METRICS_TOKEN`.
    Off,
}

/// Which browser origins may call the API (DESIGN §6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsOrigins {
    /// Any origin (development default).
    Any,
    /// Exactly these origins, as browsers send them (`scheme://host[:port]`);
    /// empty means no cross-origin access at all.
    List(Vec<String>),
}

/// Raw `mobile=code` pairs; mobiles are normalised later, with the region known.
pub(super) fn parse_test_numbers(raw: &str) -> Result<Vec<(String, String)>, ConfigError> {
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (mobile, code) = entry
                .split_once('=')
                .ok_or_else(|| ConfigError(format!("ZHANGHAO_TEST_NUMBERS entry {entry:?} is not mobile=code")))?;
            let code = code.trim();
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ConfigError(format!(
                    "ZHANGHAO_TEST_NUMBERS code for {mobile} must be 6 digits"
                )));
            }
            Ok((mobile.trim().to_string(), code.to_string()))
        })
        .collect()
}

pub(super) fn parse_send_captcha(raw: &str) -> Result<SendCaptchaRule, ConfigError> {
    let raw = raw.trim().to_ascii_lowercase();
    match raw.as_str() {
        "off" => Ok(SendCaptchaRule::Off),
        "always" => Ok(SendCaptchaRule::Always),
        _ => raw
            .strip_prefix("after:")
            .and_then(|n| n.parse().ok())
            .map(SendCaptchaRule::After)
            .ok_or_else(|| ConfigError(format!("ZHANGHAO_SEND_CAPTCHA {raw:?} is not off, always or after:N"))),
    }
}

pub(super) fn parse_regions(raw: &str) -> Result<Vec<phonenumber::country::Id>, ConfigError> {
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry.to_ascii_uppercase().parse().map_err(|_| {
                ConfigError(format!(
                    "ZHANGHAO_SMS_REGIONS entry {entry:?} is not a region code such as CN"
                ))
            })
        })
        .collect()
}

pub(super) fn parse_cors_origins(raw: Option<&str>, production: bool) -> Result<CorsOrigins, ConfigError> {
    let Some(raw) = raw else {
        return Ok(if production {
            CorsOrigins::List(Vec::new())
        } else {
            CorsOrigins::Any
        });
    };
    if raw.trim() == "*" {
        return Ok(CorsOrigins::Any);
    }
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let origin = entry.trim_end_matches('/').to_ascii_lowercase();
            let (scheme, host) = origin.split_once("://").unwrap_or(("", ""));
            let valid = matches!(scheme, "http" | "https")
                && !host.is_empty()
                && !host.contains(['/', '?', '#', '*', ' '])
                && axum::http::HeaderValue::from_str(&origin).is_ok();
            if valid {
                Ok(origin)
            } else {
                Err(ConfigError(format!(
                    "ZHANGHAO_CORS_ORIGINS entry {entry:?} is not an origin such as https://app.example.com (or use *)"
                )))
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(CorsOrigins::List)
}

pub(super) fn parse_proxies(raw: &str) -> Result<Vec<IpNet>, ConfigError> {
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| ConfigError(format!("ZHANGHAO_TRUSTED_PROXIES entry {entry:?} is not an IP or CIDR")))
        })
        .collect()
}

/// The JWT secret: at least 32 bytes; production must set one.
pub(super) fn jwt_secret(raw: Option<String>, production: bool) -> Result<Option<SecretString>, ConfigError> {
    match raw.filter(|v| !v.is_empty()) {
        Some(secret) if secret.len() < 32 => Err(ConfigError("ZHANGHAO_JWT_SECRET must be at least 32 bytes".into())),
        Some(secret) => Ok(Some(SecretString::from(secret))),
        None if production => Err(ConfigError(
            "ZHANGHAO_ENV=production needs ZHANGHAO_JWT_SECRET (at least 32 random bytes, e.g. `openssl rand -base64 48`)"
                .into(),
        )),
        None => Ok(None),
    }
}

/// A key file signs ES256 or EdDSA; HS256 signs with the secret.
pub(super) fn ensure_key_file_fits(
    algorithm: crate::crypto::JwtAlgorithm,
    file: Option<&std::path::Path>,
) -> Result<(), ConfigError> {
    if file.is_some() && algorithm == crate::crypto::JwtAlgorithm::Hs256 {
        return Err(ConfigError(
            "ZHANGHAO_JWT_PRIVATE_KEY_FILE needs ZHANGHAO_JWT_ALG=ES256 or EdDSA (HS256 signs with ZHANGHAO_JWT_SECRET)"
                .into(),
        ));
    }
    Ok(())
}

/// Production refuses the outbox unless explicitly allowed.
pub(super) fn ensure_outbox_allowed(s: &Settings, production: bool) -> Result<(), ConfigError> {
    let uses_outbox = s.sms_provider == SmsProvider::Outbox || s.email_provider == EmailProvider::Outbox;
    if production && uses_outbox && !s.allow_outbox {
        return Err(ConfigError(
            "ZHANGHAO_ENV=production refuses the outbox message provider: set ZHANGHAO_SMS_PROVIDER and ZHANGHAO_EMAIL_PROVIDER to a real provider, or ZHANGHAO_ALLOW_OUTBOX=1".into(),
        ));
    }
    Ok(())
}
