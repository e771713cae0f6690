//! Every setting, as a CLI flag and an environment variable with its default
//! (`zhanghao serve --help`), parsed once into one typed [`Config`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use secrecy::SecretString;

/// The typed configuration every layer reads, through the app state only.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    pub db_max_connections: u32,
    pub db_acquire_timeout: Duration,
    pub user_cache_size: usize,
    pub environment: Environment,
    /// `None` in development until the server loads or creates the stored one.
    pub jwt_secret: Option<SecretString>,
    pub jwt_alg: crate::crypto::JwtAlgorithm,
    pub jwt_private_key_file: Option<PathBuf>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub refresh_reuse_grace: Duration,
    pub legacy_access_ttl: Duration,
    pub sms_provider: SmsProvider,
    pub email_provider: EmailProvider,
    pub outbox: PathBuf,
    pub test_numbers: Vec<(String, String)>,
    pub trusted_proxies: Vec<IpNet>,
    pub default_region: phonenumber::country::Id,
    pub sms_regions: Vec<phonenumber::country::Id>,
    pub sms_budget_hourly: u32,
    pub sms_budget_daily: u32,
    pub password_min: usize,
    pub password_max: usize,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub hash_workers: usize,
    pub code_ttl: Duration,
    pub code_max_attempts: i32,
    pub shopxo_code_digits: crate::domain::CodeDigits,
    pub send_captcha: SendCaptchaRule,
    pub send_interval: Duration,
    pub sends_per_target_daily: u32,
    pub sends_per_ip_hourly: u32,
    pub account_failures_hourly: u32,
    pub lockout: Duration,
    pub captcha_ttl: Duration,
    pub security_notices: bool,
    /// How long `loginHistory` keeps an attempt.
    pub login_history: chrono::Duration,
    pub registration_open: bool,
    pub trust_client_openid: Vec<String>,
    pub messaging: crate::messaging::MessagingSettings,
    pub platforms: crate::platforms::PlatformSettings,
    pub captcha: crate::captcha_providers::CaptchaSettings,
    pub one_click: crate::one_click::OneClickSettings,
    /// The events webhook, when one is set.
    pub events_webhook: Option<crate::service::events::WebhookSettings>,
    /// How long a requested deletion waits before the account is anonymised.
    pub deletion_grace: Duration,
    pub cors_origins: CorsOrigins,
    pub graphiql: bool,
    pub metrics: MetricsAccess,
    pub log_json: bool,
}

mod lifecycle;
mod settings;
mod values;
pub use lifecycle::LifecycleSettings;
pub use settings::{DatabaseSettings, EmailProvider, Environment, Settings, SmsProvider};
pub use values::{CorsOrigins, MetricsAccess, SendCaptchaRule};
use values::{
    ensure_key_file_fits, ensure_outbox_allowed, jwt_secret, parse_cors_origins, parse_proxies, parse_regions,
    parse_send_captcha, parse_test_numbers,
};

/// A setting that cannot work, with what to set instead.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Checks and converts the raw settings; the message says what to change.
    pub fn from_settings(s: Settings) -> Result<Self, ConfigError> {
        let production = s.environment == Environment::Production;
        let jwt_secret = jwt_secret(s.jwt_secret.clone(), production)?;
        ensure_key_file_fits(s.jwt_alg, s.jwt_private_key_file.as_deref())?;
        ensure_outbox_allowed(&s, production)?;
        let default_region = s.default_region.parse().map_err(|_| {
            ConfigError(format!(
                "ZHANGHAO_DEFAULT_REGION {:?} is not a region code such as CN",
                s.default_region
            ))
        })?;
        if s.password_min == 0 || s.password_min > s.password_max {
            return Err(ConfigError(
                "ZHANGHAO_PASSWORD_MIN must be at least 1 and at most ZHANGHAO_PASSWORD_MAX".into(),
            ));
        }
        // Checked here so a half-configured platform stops start-up, not a login.
        s.platforms.platforms_config(s.listen).map_err(ConfigError)?;
        s.platforms.oauth_redirect_uris().map_err(ConfigError)?;
        s.captcha.provider_choice(&s.messaging).map_err(ConfigError)?;
        s.one_click.one_click_config(&s.messaging).map_err(ConfigError)?;
        let events_webhook = s.lifecycle.webhook(s.messaging.provider_timeout())?;
        Ok(Config {
            listen: s.listen,
            database_url: s.database.database_url,
            db_max_connections: s.database.db_max_connections.max(1),
            db_acquire_timeout: Duration::from_secs(s.database.db_acquire_timeout.max(1)),
            user_cache_size: s.database.user_cache_size,
            environment: s.environment,
            jwt_secret,
            jwt_alg: s.jwt_alg,
            jwt_private_key_file: s.jwt_private_key_file,
            jwt_issuer: s.jwt_issuer,
            jwt_audience: s.jwt_audience,
            access_ttl: Duration::from_secs(s.access_ttl),
            refresh_ttl: Duration::from_secs(s.refresh_ttl),
            refresh_reuse_grace: Duration::from_secs(s.refresh_reuse_grace),
            legacy_access_ttl: Duration::from_secs(s.legacy_access_ttl),
            sms_provider: s.sms_provider,
            email_provider: s.email_provider,
            outbox: s.outbox,
            test_numbers: parse_test_numbers(&s.test_numbers)?,
            trusted_proxies: parse_proxies(&s.trusted_proxies)?,
            default_region,
            sms_regions: parse_regions(&s.sms_regions)?,
            sms_budget_hourly: s.sms_budget_hourly,
            sms_budget_daily: s.sms_budget_daily,
            password_min: s.password_min,
            password_max: s.password_max,
            argon2_memory_kib: s.argon2_memory_kib,
            argon2_iterations: s.argon2_iterations,
            hash_workers: s.hash_workers,
            code_ttl: Duration::from_secs(s.code_ttl),
            code_max_attempts: s.code_max_attempts.max(1),
            send_captcha: parse_send_captcha(&s.send_captcha)?,
            shopxo_code_digits: crate::domain::CodeDigits::new(s.shopxo_code_length)
                .ok_or_else(|| ConfigError("ZHANGHAO_SHOPXO_CODE_LENGTH must be 4 or 6".into()))?,
            send_interval: Duration::from_secs(s.send_interval),
            sends_per_target_daily: s.sends_per_target_daily,
            sends_per_ip_hourly: s.sends_per_ip_hourly,
            account_failures_hourly: s.account_failures_hourly,
            lockout: Duration::from_secs(s.lockout),
            captcha_ttl: Duration::from_secs(s.captcha_ttl),
            security_notices: s.security_notices,
            login_history: chrono::Duration::days(i64::from(s.login_history_days)),
            registration_open: s.registration_open,
            trust_client_openid: s
                .trust_client_openid
                .split(',')
                .map(|p| p.trim().to_ascii_lowercase())
                .filter(|p| !p.is_empty())
                .collect(),
            messaging: s.messaging,
            platforms: s.platforms,
            captcha: s.captcha,
            one_click: s.one_click,
            events_webhook,
            deletion_grace: Duration::from_secs(u64::from(s.lifecycle.deletion_grace_days) * 86_400),
            cors_origins: parse_cors_origins(s.cors_origins.as_deref(), production)?,
            graphiql: s.graphiql.unwrap_or(!production),
            metrics: match s.metrics_token.filter(|t| !t.is_empty()) {
                Some(token) => MetricsAccess::Token(SecretString::from(token)),
                None if production => MetricsAccess::Off,
                None => MetricsAccess::Open,
            },
            log_json: s.log_json,
        })
    }

    /// True when GraphQL introspection and suggestions must be off.
    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }
}

#[cfg(test)]
mod tests;
