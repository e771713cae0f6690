//! Every setting, as a CLI flag and an environment variable with its default
//! (`zhanghao serve --help`), parsed once into one typed [`Config`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use ipnet::IpNet;
use secrecy::SecretString;

/// Where the server runs: production refuses unsafe defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

/// How SMS codes leave the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SmsProvider {
    Outbox,
    Webhook,
    Aliyun,
    Tencent,
}

/// How email codes leave the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EmailProvider {
    Outbox,
    Smtp,
    Webhook,
}

/// The raw settings as clap reads them from flags and the environment.
#[derive(Args, Clone, Debug)]
pub struct Settings {
    /// Address to bind.
    #[arg(long, global = true, env = "ZHANGHAO_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    /// `sqlite://…` or `postgres://…`.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://zhanghao.db?mode=rwc"
    )]
    pub database_url: String,
    /// Maximum pooled database connections.
    #[arg(long, global = true, env = "ZHANGHAO_DB_MAX_CONNECTIONS", default_value_t = 20)]
    pub db_max_connections: u32,
    /// Seconds a request waits for a database connection before it answers
    /// SERVICE_UNAVAILABLE (a database outage must not hang every request).
    #[arg(long, global = true, env = "ZHANGHAO_DB_ACQUIRE_TIMEOUT", default_value_t = 2)]
    pub db_acquire_timeout: u64,
    /// `production` refuses to start without a JWT secret and with the outbox.
    #[arg(
        long = "env",
        global = true,
        env = "ZHANGHAO_ENV",
        value_enum,
        default_value = "development"
    )]
    pub environment: Environment,
    /// HS256 key, at least 32 bytes; also seals ES256/EdDSA private keys kept in
    /// the database. Development generates one and keeps it in the database.
    #[arg(long, global = true, env = "ZHANGHAO_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// HS256 (only this server verifies), or ES256 / EdDSA (anyone verifies with /.well-known/jwks.json).
    #[arg(
        long,
        global = true,
        env = "ZHANGHAO_JWT_ALG",
        value_enum,
        ignore_case = true,
        default_value = "HS256"
    )]
    pub jwt_alg: crate::crypto::JwtAlgorithm,
    /// PEM private key (P-256 or Ed25519) to sign with instead of one kept in the database.
    #[arg(long, global = true, env = "ZHANGHAO_JWT_PRIVATE_KEY_FILE")]
    pub jwt_private_key_file: Option<PathBuf>,
    /// `iss` claim of access tokens.
    #[arg(long, global = true, env = "ZHANGHAO_JWT_ISSUER", default_value = "zhanghao")]
    pub jwt_issuer: String,
    /// `aud` claim of access tokens.
    #[arg(long, global = true, env = "ZHANGHAO_JWT_AUDIENCE", default_value = "zhanghao")]
    pub jwt_audience: String,
    /// Access token lifetime, seconds.
    #[arg(long, global = true, env = "ZHANGHAO_ACCESS_TTL", default_value_t = 3600)]
    pub access_ttl: u64,
    /// Access token lifetime for tokens issued through the legacy REST paths,
    /// seconds (Discuz! Q's `expires_in`; ShopXO and chickenshop clients never refresh).
    #[arg(long, global = true, env = "ZHANGHAO_LEGACY_ACCESS_TTL", default_value_t = 2_592_000)]
    pub legacy_access_ttl: u64,
    /// Seconds after its rotation in which a refresh token presented again
    /// still yields a pair of its family (two tabs, a retry); 0 turns it off.
    #[arg(long, global = true, env = "ZHANGHAO_REFRESH_REUSE_GRACE", default_value_t = 10)]
    pub refresh_reuse_grace: u64,
    /// Refresh token lifetime, seconds.
    #[arg(long, global = true, env = "ZHANGHAO_REFRESH_TTL", default_value_t = 30 * 24 * 3600)]
    pub refresh_ttl: u64,
    /// SMS delivery.
    #[arg(
        long,
        global = true,
        env = "ZHANGHAO_SMS_PROVIDER",
        value_enum,
        default_value = "outbox"
    )]
    pub sms_provider: SmsProvider,
    /// Email delivery.
    #[arg(
        long,
        global = true,
        env = "ZHANGHAO_EMAIL_PROVIDER",
        value_enum,
        default_value = "outbox"
    )]
    pub email_provider: EmailProvider,
    /// File the outbox provider appends to.
    #[arg(long, global = true, env = "ZHANGHAO_OUTBOX", default_value = "outbox.jsonl")]
    pub outbox: PathBuf,
    /// Allow the outbox provider in production (`1`).
    #[arg(long, global = true, env = "ZHANGHAO_ALLOW_OUTBOX", default_value_t = false, value_parser = parse_flag, action = clap::ArgAction::Set)]
    pub allow_outbox: bool,
    /// `+8613800000000=246810,…`: fixed codes for review accounts; nothing is sent to them.
    #[arg(long, global = true, env = "ZHANGHAO_TEST_NUMBERS", default_value = "")]
    pub test_numbers: String,
    /// Comma-separated IPs or CIDRs whose `X-Forwarded-For` is believed.
    #[arg(long, global = true, env = "ZHANGHAO_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Comma-separated ISO regions whose mobiles may receive SMS codes;
    /// numbers elsewhere (and landlines, premium numbers) are refused before
    /// anything is sent, which stops SMS pumping to costly destinations.
    #[arg(long, global = true, env = "ZHANGHAO_SMS_REGIONS", default_value = "CN")]
    pub sms_regions: String,
    /// SMS codes all nodes together may send in an hour; past it sends answer
    /// SERVICE_UNAVAILABLE until the hour ends (a cap on what pumping can cost).
    #[arg(long, global = true, env = "ZHANGHAO_SMS_BUDGET_HOURLY", default_value_t = 1000)]
    pub sms_budget_hourly: u32,
    /// SMS codes all nodes together may send in a day.
    #[arg(long, global = true, env = "ZHANGHAO_SMS_BUDGET_DAILY", default_value_t = 10000)]
    pub sms_budget_daily: u32,
    /// Region for mobiles written without a country code.
    #[arg(long, global = true, env = "ZHANGHAO_DEFAULT_REGION", default_value = "CN")]
    pub default_region: String,
    /// Shortest password accepted.
    #[arg(long, global = true, env = "ZHANGHAO_PASSWORD_MIN", default_value_t = 8)]
    pub password_min: usize,
    /// Longest password accepted.
    #[arg(long, global = true, env = "ZHANGHAO_PASSWORD_MAX", default_value_t = 128)]
    pub password_max: usize,
    /// argon2id memory cost, KiB.
    #[arg(long, global = true, env = "ZHANGHAO_ARGON2_MEMORY_KIB", default_value_t = 19456)]
    pub argon2_memory_kib: u32,
    /// argon2id iterations.
    #[arg(long, global = true, env = "ZHANGHAO_ARGON2_ITERATIONS", default_value_t = 2)]
    pub argon2_iterations: u32,
    /// Concurrent password hashes (0 = one per core).
    #[arg(long, global = true, env = "ZHANGHAO_HASH_WORKERS", default_value_t = 0)]
    pub hash_workers: usize,
    /// Verification code lifetime, seconds.
    #[arg(long, global = true, env = "ZHANGHAO_CODE_TTL", default_value_t = 300)]
    pub code_ttl: u64,
    /// Digits of the registration codes ShopXO's `regverifysend` sends (4, what
    /// ShopXO's own apps accept, or 6); every other code has 6.
    #[arg(long, global = true, env = "ZHANGHAO_SHOPXO_CODE_LENGTH", default_value_t = 4)]
    pub shopxo_code_length: usize,
    /// When `sendSmsCode` / `sendEmailCode` need a solved captcha (the one
    /// `ZHANGHAO_CAPTCHA_PROVIDER` names): `off`, `always`, or `after:N` (once a
    /// client IP has had N codes sent in the last hour; refused sends do not count).
    #[arg(long, global = true, env = "ZHANGHAO_SEND_CAPTCHA", default_value = "after:3")]
    pub send_captcha: String,
    /// Wrong tries that burn a code.
    #[arg(long, global = true, env = "ZHANGHAO_CODE_MAX_ATTEMPTS", default_value_t = 5)]
    pub code_max_attempts: i32,
    /// Seconds between two sends to one target.
    #[arg(long, global = true, env = "ZHANGHAO_SEND_INTERVAL", default_value_t = 60)]
    pub send_interval: u64,
    /// Sends per target per day.
    #[arg(long, global = true, env = "ZHANGHAO_SENDS_PER_TARGET_DAILY", default_value_t = 10)]
    pub sends_per_target_daily: u32,
    /// Sends per client IP per hour.
    #[arg(long, global = true, env = "ZHANGHAO_SENDS_PER_IP_HOURLY", default_value_t = 20)]
    pub sends_per_ip_hourly: u32,
    /// Wrong passwords per sign-in identifier per hour before its password sign-in locks.
    #[arg(long, global = true, env = "ZHANGHAO_ACCOUNT_FAILURES_HOURLY", default_value_t = 100)]
    pub account_failures_hourly: u32,
    /// How long the first password lock (and a pay-password lock) lasts, seconds;
    /// further password locks of one identifier within a day double it.
    #[arg(long, global = true, env = "ZHANGHAO_LOCKOUT", default_value_t = 900)]
    pub lockout: u64,
    /// Image captcha lifetime, seconds.
    #[arg(long, global = true, env = "ZHANGHAO_CAPTCHA_TTL", default_value_t = 300)]
    pub captcha_ttl: u64,
    /// Tell the owner (old mobile, email) after a password reset or a change of mobile.
    #[arg(long, global = true, env = "ZHANGHAO_SECURITY_NOTICES", default_value_t = true, value_parser = parse_flag, action = clap::ArgAction::Set)]
    pub security_notices: bool,
    /// Accept new accounts (`false` answers REGISTRATION_CLOSED).
    #[arg(long, global = true, env = "ZHANGHAO_REGISTRATION_OPEN", default_value_t = true, value_parser = parse_flag, action = clap::ArgAction::Set)]
    pub registration_open: bool,
    /// Platforms whose openid the seed's register-and-bind may take on the
    /// client's word (the weaker, compatible mode); others need `thirdPartyLogin`.
    #[arg(
        long,
        env = "ZHANGHAO_TRUST_CLIENT_OPENID",
        default_value = "wx_app,wx_public,wx_small,apple,qq,wb"
    )]
    pub trust_client_openid: String,
    /// Message provider settings.
    #[command(flatten)]
    pub messaging: crate::messaging::MessagingSettings,
    /// Third-party login platform settings.
    #[command(flatten)]
    pub platforms: crate::platforms::PlatformSettings,
    /// Captcha provider settings (`ZHANGHAO_CAPTCHA_PROVIDER`).
    #[command(flatten)]
    pub captcha: crate::captcha_providers::CaptchaSettings,
    /// Origins allowed to call from a browser: comma-separated exact origins
    /// (`https://app.example.com`), or `*`. Default: `*` in development, none in production.
    #[arg(long, global = true, env = "ZHANGHAO_CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// Serve GraphiQL at GET /graphql (`1`/`0`). Default: on in development, off in production.
    #[arg(long, global = true, env = "ZHANGHAO_GRAPHIQL", value_parser = parse_flag)]
    pub graphiql: Option<bool>,
    /// Bearer token `GET /metrics` requires when set. Without one, /metrics
    /// is open in development and off (404) in production.
    #[arg(long, global = true, env = "ZHANGHAO_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true, env = "ZHANGHAO_LOG_JSON", default_value_t = false, value_parser = parse_flag, action = clap::ArgAction::Set)]
    pub log_json: bool,
}

fn parse_flag(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(format!("expected 1/0 or true/false, got {other:?}")),
    }
}

/// The typed configuration every layer reads, through the app state only.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    pub db_max_connections: u32,
    pub db_acquire_timeout: Duration,
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
    pub registration_open: bool,
    pub trust_client_openid: Vec<String>,
    pub messaging: crate::messaging::MessagingSettings,
    pub platforms: crate::platforms::PlatformSettings,
    pub captcha: crate::captcha_providers::CaptchaSettings,
    pub cors_origins: CorsOrigins,
    pub graphiql: bool,
    pub metrics: MetricsAccess,
    pub log_json: bool,
}

mod values;
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
        s.platforms.platforms_config().map_err(ConfigError)?;
        s.captcha.provider_choice(&s.messaging).map_err(ConfigError)?;
        Ok(Config {
            listen: s.listen,
            database_url: s.database_url,
            db_max_connections: s.db_max_connections.max(1),
            db_acquire_timeout: Duration::from_secs(s.db_acquire_timeout.max(1)),
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
