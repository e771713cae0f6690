//! The raw settings as clap reads them from flags and environment
//! variables, grouped under the headings of `zhanghao serve --help`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

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
    #[arg(
        long,
        help_heading = "HTTP",
        env = "ZHANGHAO_LISTEN",
        default_value = "127.0.0.1:8000"
    )]
    pub listen: SocketAddr,
    /// Database settings.
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// `production` refuses to start without a JWT secret and with the outbox.
    #[arg(
        long = "env",
        help_heading = "Accounts",
        env = "ZHANGHAO_ENV",
        value_enum,
        default_value = "development"
    )]
    pub environment: Environment,
    /// HS256 key, at least 32 bytes; also seals ES256/EdDSA private keys kept in
    /// the database. Development generates one and keeps it in the database.
    #[arg(long, help_heading = "Tokens", env = "ZHANGHAO_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// HS256 (only this server verifies), or ES256 / EdDSA (anyone verifies with /.well-known/jwks.json).
    #[arg(
        long,
        help_heading = "Tokens",
        env = "ZHANGHAO_JWT_ALG",
        value_enum,
        ignore_case = true,
        default_value = "HS256"
    )]
    pub jwt_alg: crate::crypto::JwtAlgorithm,
    /// PEM private key (P-256 or Ed25519) to sign with instead of one kept in the database.
    #[arg(long, help_heading = "Tokens", env = "ZHANGHAO_JWT_PRIVATE_KEY_FILE")]
    pub jwt_private_key_file: Option<PathBuf>,
    /// `iss` claim of access tokens.
    #[arg(
        long,
        help_heading = "Tokens",
        env = "ZHANGHAO_JWT_ISSUER",
        default_value = "zhanghao"
    )]
    pub jwt_issuer: String,
    /// `aud` claim of access tokens.
    #[arg(
        long,
        help_heading = "Tokens",
        env = "ZHANGHAO_JWT_AUDIENCE",
        default_value = "zhanghao"
    )]
    pub jwt_audience: String,
    /// Access token lifetime, seconds.
    #[arg(long, help_heading = "Tokens", env = "ZHANGHAO_ACCESS_TTL", default_value_t = 3600)]
    pub access_ttl: u64,
    /// Access token lifetime for tokens issued through the legacy REST paths,
    /// seconds (Discuz! Q's `expires_in`; ShopXO and chickenshop clients never refresh).
    #[arg(
        long,
        help_heading = "Tokens",
        env = "ZHANGHAO_LEGACY_ACCESS_TTL",
        default_value_t = 2_592_000
    )]
    pub legacy_access_ttl: u64,
    /// Seconds after its rotation in which a refresh token presented again
    /// still yields a pair of its family (two tabs, a retry); 0 turns it off.
    #[arg(
        long,
        help_heading = "Tokens",
        env = "ZHANGHAO_REFRESH_REUSE_GRACE",
        default_value_t = 10
    )]
    pub refresh_reuse_grace: u64,
    /// Refresh token lifetime, seconds.
    #[arg(long, help_heading = "Tokens", env = "ZHANGHAO_REFRESH_TTL", default_value_t = 30 * 24 * 3600)]
    pub refresh_ttl: u64,
    /// SMS delivery.
    #[arg(
        long,
        help_heading = "Messaging",
        env = "ZHANGHAO_SMS_PROVIDER",
        value_enum,
        default_value = "outbox"
    )]
    pub sms_provider: SmsProvider,
    /// Email delivery.
    #[arg(
        long,
        help_heading = "Messaging",
        env = "ZHANGHAO_EMAIL_PROVIDER",
        value_enum,
        default_value = "outbox"
    )]
    pub email_provider: EmailProvider,
    /// File the outbox provider appends to.
    #[arg(
        long,
        help_heading = "Messaging",
        env = "ZHANGHAO_OUTBOX",
        default_value = "outbox.jsonl"
    )]
    pub outbox: PathBuf,
    /// Allow the outbox provider in production (`1`).
    #[arg(long, help_heading = "Messaging", env = "ZHANGHAO_ALLOW_OUTBOX", default_value_t = false, value_parser = parse_flag, action = clap::ArgAction::Set)]
    pub allow_outbox: bool,
    /// `+8613800000000=246810,…`: fixed codes for review accounts; nothing is sent to them.
    #[arg(
        long,
        help_heading = "Codes and limits",
        env = "ZHANGHAO_TEST_NUMBERS",
        default_value = ""
    )]
    pub test_numbers: String,
    /// Comma-separated IPs or CIDRs whose `X-Forwarded-For` is believed.
    #[arg(long, help_heading = "HTTP", env = "ZHANGHAO_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Comma-separated ISO regions whose mobiles may receive SMS codes;
    /// numbers elsewhere (and landlines, premium numbers) are refused before
    /// anything is sent, which stops SMS pumping to costly destinations.
    #[arg(
        long,
        help_heading = "Codes and limits",
        env = "ZHANGHAO_SMS_REGIONS",
        default_value = "CN"
    )]
    pub sms_regions: String,
    /// SMS codes all nodes together may send in an hour; past it sends answer
    /// SERVICE_UNAVAILABLE until the hour ends (a cap on what pumping can cost).
    #[arg(
        long,
        help_heading = "Codes and limits",
        env = "ZHANGHAO_SMS_BUDGET_HOURLY",
        default_value_t = 1000
    )]
    pub sms_budget_hourly: u32,
    /// SMS codes all nodes together may send in a day.
    #[arg(
        long,
        help_heading = "Codes and limits",
        env = "ZHANGHAO_SMS_BUDGET_DAILY",
        default_value_t = 10000
    )]
    pub sms_budget_daily: u32,
    /// Region for mobiles written without a country code.
    #[arg(
        long,
        help_heading = "Accounts",
        env = "ZHANGHAO_DEFAULT_REGION",
        default_value = "CN"
    )]
    pub default_region: String,
    /// Shortest password accepted.
    #[arg(long, help_heading = "Accounts", env = "ZHANGHAO_PASSWORD_MIN", default_value_t = 8)]
    pub password_min: usize,
    /// Longest password accepted.
    #[arg(
        long,
        help_heading = "Accounts",
        env = "ZHANGHAO_PASSWORD_MAX",
        default_value_t = 128
    )]
    pub password_max: usize,
    /// argon2id memory cost, KiB.
    #[arg(
        long,
        help_heading = "Accounts",
        env = "ZHANGHAO_ARGON2_MEMORY_KIB",
        default_value_t = 19456
    )]
    pub argon2_memory_kib: u32,
    /// argon2id iterations.
    #[arg(
        long,
        help_heading = "Accounts",
        env = "ZHANGHAO_ARGON2_ITERATIONS",
        default_value_t = 2
    )]
    pub argon2_iterations: u32,
    /// Concurrent password hashes (0 = one per core).
    #[arg(long, help_heading = "Accounts", env = "ZHANGHAO_HASH_WORKERS", default_value_t = 0)]
    pub hash_workers: usize,
    /// Verification code lifetime, seconds.
    #[arg(
        long,
        help_heading = "Codes and limits",
        env = "ZHANGHAO_CODE_TTL",
        default_value_t = 300
    )]
    pub code_ttl: u64,
    /// Digits of the registration codes ShopXO's `regverifysend` sends (4, what
    /// ShopXO's own apps accept, or 6); every other code has 6.
    #[arg(
        long,
        help_heading = "Codes and limits",
        env = "ZHANGHAO_SHOPXO_CODE_LENGTH",
        default_value_t = 4
    )]
    pub shopxo_code_length: usize,
    /// When `sendSmsCode` / `sendEmailCode` need a solved captcha (the one
    /// `ZHANGHAO_CAPTCHA_PROVIDER` names): `off`, `always`, or `after:N` (once a
    /// client IP has had N codes sent in the last hour; refused sends do not count).
    #[arg(
        long,
        help_heading = "Codes and limits",
        env = "ZHANGHAO_SEND_CAPTCHA",
        default_value = "after:3"
    )]
    pub send_captcha: String,
    /// Wrong tries that burn a code.
    #[arg(
        long,
        help_heading = "Codes and limits",
        env = "ZHANGHAO_CODE_MAX_ATTEMPTS",
        default_value_t = 5
    )]
    pub code_max_attempts: i32,
    /// Seconds between two sends to one target.
    #[arg(
        long,
        help_heading = "Codes and limits",
        env = "ZHANGHAO_SEND_INTERVAL",
        default_value_t = 60
    )]
    pub send_interval: u64,
    /// Sends per target per day.
    #[arg(
        long,
        help_heading = "Codes and limits",
        env = "ZHANGHAO_SENDS_PER_TARGET_DAILY",
        default_value_t = 10
    )]
    pub sends_per_target_daily: u32,
    /// Sends per client IP per hour.
    #[arg(
        long,
        help_heading = "Codes and limits",
        env = "ZHANGHAO_SENDS_PER_IP_HOURLY",
        default_value_t = 20
    )]
    pub sends_per_ip_hourly: u32,
    /// Wrong passwords per sign-in identifier per hour before its password sign-in locks.
    #[arg(
        long,
        help_heading = "Codes and limits",
        env = "ZHANGHAO_ACCOUNT_FAILURES_HOURLY",
        default_value_t = 100
    )]
    pub account_failures_hourly: u32,
    /// How long the first password lock (and a pay-password lock) lasts, seconds;
    /// further password locks of one identifier within a day double it.
    #[arg(
        long,
        help_heading = "Codes and limits",
        env = "ZHANGHAO_LOCKOUT",
        default_value_t = 900
    )]
    pub lockout: u64,
    /// Image captcha lifetime, seconds.
    #[arg(
        long,
        help_heading = "Codes and limits",
        env = "ZHANGHAO_CAPTCHA_TTL",
        default_value_t = 300
    )]
    pub captcha_ttl: u64,
    /// Tell the owner (old mobile, email) after a password reset or a change of mobile.
    #[arg(long, help_heading = "Accounts", env = "ZHANGHAO_SECURITY_NOTICES", default_value_t = true, value_parser = parse_flag, action = clap::ArgAction::Set)]
    pub security_notices: bool,
    /// Days a sign-in attempt stays in `loginHistory` before it is pruned.
    #[arg(
        long,
        help_heading = "Accounts",
        env = "ZHANGHAO_LOGIN_HISTORY_DAYS",
        default_value_t = 180,
        value_parser = clap::value_parser!(u32).range(1..=3650)
    )]
    pub login_history_days: u32,
    /// Accept new accounts (`false` answers REGISTRATION_CLOSED).
    #[arg(long, help_heading = "Accounts", env = "ZHANGHAO_REGISTRATION_OPEN", default_value_t = true, value_parser = parse_flag, action = clap::ArgAction::Set)]
    pub registration_open: bool,
    /// Platforms whose openid the seed's register-and-bind may take on the
    /// client's word (the weaker, compatible mode); others need `thirdPartyLogin`.
    #[arg(
        long,
        help_heading = "Platforms",
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
    /// Carrier one-click sign-in providers (`oneClickLogin`).
    #[command(flatten)]
    pub one_click: crate::one_click::OneClickSettings,
    /// The events webhook and account deletion.
    #[command(flatten)]
    pub lifecycle: super::lifecycle::LifecycleSettings,
    /// Origins allowed to call from a browser: comma-separated exact origins
    /// (`https://app.example.com`), or `*`. Default: `*` in development, none in production.
    #[arg(long, help_heading = "HTTP", env = "ZHANGHAO_CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// Serve GraphiQL at GET /graphql (`1`/`0`). Default: on in development, off in production.
    #[arg(long, help_heading = "HTTP", env = "ZHANGHAO_GRAPHIQL", value_parser = parse_flag)]
    pub graphiql: Option<bool>,
    /// Bearer token `GET /metrics` requires when set. Without one, /metrics
    /// is open in development and off (404) in production.
    #[arg(
        long,
        help_heading = "Logging and metrics",
        env = "ZHANGHAO_METRICS_TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,
    /// Log as JSON lines instead of text.
    #[arg(long, help_heading = "Logging and metrics", env = "ZHANGHAO_LOG_JSON", default_value_t = false, value_parser = parse_flag, action = clap::ArgAction::Set)]
    pub log_json: bool,
}

/// Where the data lives: all `migrate` needs.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Database")]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://zhanghao.db?mode=rwc")]
    pub database_url: String,
    /// Maximum pooled database connections.
    #[arg(long, env = "ZHANGHAO_DB_MAX_CONNECTIONS", default_value_t = 20)]
    pub db_max_connections: u32,
    /// Seconds a request waits for a database connection before it answers
    /// SERVICE_UNAVAILABLE (a database outage must not hang every request).
    #[arg(long, env = "ZHANGHAO_DB_ACQUIRE_TIMEOUT", default_value_t = 2)]
    pub db_acquire_timeout: u64,
    /// Users rows each node keeps for token checks, forgotten the moment they
    /// change (SQLite: `PRAGMA data_version`; PostgreSQL: LISTEN/NOTIFY);
    /// 0 reads the database on every request.
    #[arg(long, env = "ZHANGHAO_USER_CACHE_SIZE", default_value_t = 100_000)]
    pub user_cache_size: usize,
}

fn parse_flag(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(format!("expected 1/0 or true/false, got {other:?}")),
    }
}
