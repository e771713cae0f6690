//! The composition root: builds the infrastructure (keys, hasher, senders,
//! platform clients) once from the configuration and wires each service
//! with exactly the pieces it uses. The front doors hold the result.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use secrecy::SecretString;

use crate::captcha_providers::{self, CaptchaProvider};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::crypto::signing_keys::KeyPair;
use crate::crypto::{CodeGenerator, HmacKey, PasswordHasher, RandomCodes, TokenKeys};
use crate::domain::{Mobile, PasswordPolicy};
use crate::error::AppError;
use crate::messaging::{self, EmailSender, Outbox, SmsSender};
use crate::metrics::Metrics;
use crate::one_click::OneClickClients;
use crate::platforms::{Platform, PlatformClients};
use crate::service::accounts::AccountParts;
use crate::service::codes::{CodeParts, CodeSettings};
use crate::service::keys::KeySettings;
use crate::service::limits::LimitSettings;
use crate::service::rules::AccountRules;
use crate::service::third_party::{BrowserSettings, PlatformApps, ThirdPartyParts};
use crate::service::tokens::TokenSettings;
use crate::service::verification::VerificationParts;
use crate::service::{
    Accounts, Admin, Authenticator, Captchas, Codes, Erasure, Events, Housekeeping, Limits, Notices, Services, SignIns,
    SigningKeys, ThirdParty, Tickets, Tokens, Verification,
};
use crate::store::{self, Db};

/// Shared, cheaply cloned state: the services the front doors call, and
/// what the transports themselves read (settings, the pool for `/readyz`).
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// This app's own registry: `/metrics` and the request layer write here.
    pub metrics: Arc<Metrics>,
    /// Behind an `Arc`: handlers clone the state on every request.
    pub services: Arc<Services>,
}

/// Optional replacements for tests.
#[derive(Default)]
pub struct Overrides {
    pub clock: Option<Arc<dyn Clock>>,
    pub sms: Option<Arc<dyn SmsSender>>,
    pub email: Option<Arc<dyn EmailSender>>,
    pub codes: Option<Arc<dyn CodeGenerator>>,
}

const JWT_SECRET_SETTING: &str = "jwt_secret";

/// The infrastructure the services are built from, made once.
struct Infrastructure {
    db: Db,
    clock: Arc<dyn Clock>,
    hmac: Arc<HmacKey>,
    codes: Arc<dyn CodeGenerator>,
    keys: Arc<TokenKeys>,
    /// Keeps `keys` filled from the database.
    signing_keys: SigningKeys,
    passwords: PasswordHasher,
    sms: Arc<dyn SmsSender>,
    email: Arc<dyn EmailSender>,
    /// Present when any channel writes to the outbox; captcha answers go there too.
    outbox: Option<Arc<Outbox>>,
    platforms: Arc<PlatformClients>,
    one_click: Arc<OneClickClients>,
    /// `None` when sends are gated with the built-in image captcha.
    captcha_provider: Option<Arc<dyn CaptchaProvider>>,
    review_numbers: Arc<HashMap<String, String>>,
    metrics: Arc<Metrics>,
}

impl AppState {
    /// Resolves secrets and providers from the configuration and wires the services.
    pub async fn build(config: Config, db: Db, overrides: Overrides) -> Result<AppState, AppError> {
        let db = store::with_user_cache(db, &config.database_url, config.user_cache_size);
        if let Some(listener) = store::user_cache_listener(&db) {
            tracing::info!(%listener, "the user cache listens for changes (pg_stat_activity.application_name)");
        }
        let infra = infrastructure(&config, db, overrides).await?;
        let services = services(&config, &infra);
        services.keys.start().await?;
        Ok(AppState {
            config: Arc::new(config),
            db: infra.db,
            clock: infra.clock,
            metrics: infra.metrics,
            services: Arc::new(services),
        })
    }
}

/// ZHANGHAO_JWT_SECRET, or in development the one generated once and kept in the database.
async fn jwt_secret(config: &Config, db: &Db) -> Result<SecretString, AppError> {
    if let Some(secret) = &config.jwt_secret {
        return Ok(secret.clone());
    }
    tracing::warn!(
        "ZHANGHAO_JWT_SECRET is not set: using a secret generated once and kept in the database (development only)"
    );
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let stored = store::settings::get_or_insert(db, JWT_SECRET_SETTING, &STANDARD.encode(bytes)).await?;
    Ok(SecretString::from(stored))
}

/// What the signing keys need: the algorithm, the key file's key (read and
/// checked here, so a bad file stops start-up), the secret, the longest token.
fn key_settings(config: &Config, secret: SecretString) -> Result<KeySettings, AppError> {
    let file_key = match &config.jwt_private_key_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| AppError::Internal(format!("ZHANGHAO_JWT_PRIVATE_KEY_FILE {}: {e}", path.display())))?;
            let pair = KeyPair::from_pem(&text)
                .map_err(|e| AppError::Internal(format!("ZHANGHAO_JWT_PRIVATE_KEY_FILE {}: {e}", path.display())))?;
            if pair.algorithm() != config.jwt_alg {
                return Err(AppError::Internal(format!(
                    "ZHANGHAO_JWT_PRIVATE_KEY_FILE holds an {} key but ZHANGHAO_JWT_ALG is {}",
                    pair.algorithm().as_str(),
                    config.jwt_alg.as_str()
                )));
            }
            Some(pair)
        }
        None => None,
    };
    Ok(KeySettings {
        algorithm: config.jwt_alg,
        file_key,
        secret,
        longest_token: config.access_ttl.max(config.legacy_access_ttl),
    })
}

/// The signing keys alone, for `zhanghao keys …` (no other part is built).
pub async fn signing_keys(config: &Config, db: Db) -> Result<SigningKeys, AppError> {
    let secret = jwt_secret(config, &db).await?;
    let settings = key_settings(config, secret)?;
    let tokens = Arc::new(TokenKeys::new(&config.jwt_issuer, &config.jwt_audience));
    Ok(SigningKeys::new(db, Arc::new(SystemClock), tokens, settings))
}

async fn infrastructure(config: &Config, db: Db, overrides: Overrides) -> Result<Infrastructure, AppError> {
    let secret = jwt_secret(config, &db).await?;
    let mut review_numbers = HashMap::new();
    for (raw, code) in &config.test_numbers {
        let mobile = Mobile::parse(raw, config.default_region)
            .ok_or_else(|| AppError::Internal(format!("ZHANGHAO_TEST_NUMBERS: {raw} is not a valid mobile")))?;
        review_numbers.insert(mobile.as_str().to_string(), code.clone());
    }
    let outbox = Arc::new(Outbox::new(config.outbox.clone()));
    let (sms, email, outbox_used) = messaging::senders_from_config(config, outbox.clone())?;
    let platforms = config
        .platforms
        .platforms_config(config.listen)
        .map_err(AppError::Internal)?;
    let captcha_choice = config
        .captcha
        .provider_choice(&config.messaging)
        .map_err(AppError::Internal)?;
    let captcha_provider = captcha_providers::build_provider(captcha_choice).map_err(AppError::Internal)?;
    let one_click = config
        .one_click
        .one_click_config(&config.messaging)
        .and_then(|c| OneClickClients::new(c, config.messaging.provider_timeout()))
        .map_err(AppError::Internal)?;
    let clock = overrides.clock.unwrap_or_else(|| Arc::new(SystemClock));
    let keys = Arc::new(TokenKeys::new(&config.jwt_issuer, &config.jwt_audience));
    let signing_keys = SigningKeys::new(
        db.clone(),
        clock.clone(),
        keys.clone(),
        key_settings(config, secret.clone())?,
    );
    Ok(Infrastructure {
        db,
        clock,
        hmac: Arc::new(HmacKey::new(&secret)),
        codes: overrides.codes.unwrap_or_else(|| Arc::new(RandomCodes)),
        keys,
        signing_keys,
        passwords: PasswordHasher::new(config.argon2_memory_kib, config.argon2_iterations, config.hash_workers)?,
        sms: overrides.sms.unwrap_or(sms),
        email: overrides.email.unwrap_or(email),
        outbox: outbox_used.then_some(outbox),
        platforms: Arc::new(PlatformClients::new(platforms).keep_revocation_tokens(&secret)),
        one_click: Arc::new(one_click),
        captcha_provider,
        review_numbers: Arc::new(review_numbers),
        metrics: Arc::new(Metrics::default()),
    })
}

/// Wires every service from the pieces it needs, leaves first.
fn services(config: &Config, infra: &Infrastructure) -> Services {
    let (db, clock) = (&infra.db, &infra.clock);
    let keys = infra.signing_keys.clone();
    let rules = account_rules(config, clock);
    let limits = limits(config, infra);
    let captchas = Captchas::new(
        db.clone(),
        clock.clone(),
        infra.hmac.clone(),
        infra.outbox.clone(),
        limits.clone(),
        config.captcha_ttl,
    );
    let codes = codes(config, infra, &limits, &captchas);
    let tokens = tokens(config, infra);
    let tickets = Tickets::new(db.clone(), clock.clone());
    let notices = notices(config, infra);
    let events = Events::new(db.clone(), clock.clone(), config.events_webhook.clone());
    let erasure = Erasure::new(db.clone(), clock.clone(), events.clone(), infra.platforms.clone());
    let sign_ins = SignIns::new(
        db.clone(),
        clock.clone(),
        infra.metrics.clone(),
        config.default_region,
        events.clone(),
    );
    let accounts = Accounts::new(AccountParts {
        db: db.clone(),
        clock: clock.clone(),
        passwords: infra.passwords.clone(),
        limits: limits.clone(),
        captchas: captchas.clone(),
        codes: codes.clone(),
        tokens: tokens.clone(),
        tickets: tickets.clone(),
        rules: rules.clone(),
        sign_ins: sign_ins.clone(),
        notices: notices.clone(),
        events: events.clone(),
        erasure: erasure.clone(),
        deletion_grace: config.deletion_grace,
    });
    let third_party = ThirdParty::new(ThirdPartyParts {
        db: db.clone(),
        clock: clock.clone(),
        platforms: infra.platforms.clone(),
        limits: limits.clone(),
        codes: codes.clone(),
        tickets: tickets.clone(),
        accounts: accounts.clone(),
        rules: rules.clone(),
        apps: platform_apps(config),
        sign_ins: sign_ins.clone(),
    });
    let admin = Admin::new(db.clone(), clock.clone(), tokens.clone(), events.clone(), rules.clone());
    let verification = Verification::new(VerificationParts {
        db: db.clone(),
        clock: clock.clone(),
        passwords: infra.passwords.clone(),
        codes: codes.clone(),
        tokens: tokens.clone(),
        tickets,
        accounts: accounts.clone(),
        rules,
        pay_lockout: config.lockout,
        notices,
        sign_ins: sign_ins.clone(),
        one_click: infra.one_click.clone(),
        limits,
        events: events.clone(),
    });
    Services {
        accounts,
        verification,
        third_party,
        tokens,
        captchas,
        codes,
        auth: Authenticator::new(db.clone(), clock.clone(), infra.keys.clone(), keys.clone()),
        housekeeping: Housekeeping::new(db.clone(), clock.clone(), config.login_history),
        keys,
        events,
        erasure,
        sign_ins,
        admin,
    }
}

fn account_rules(config: &Config, clock: &Arc<dyn Clock>) -> AccountRules {
    AccountRules {
        clock: clock.clone(),
        registration_open: config.registration_open,
        region: config.default_region,
        password: PasswordPolicy {
            min_chars: config.password_min,
            max_chars: config.password_max,
        },
    }
}

fn notices(config: &Config, infra: &Infrastructure) -> Notices {
    Notices::new(infra.sms.clone(), infra.email.clone(), config.security_notices)
}

fn limits(config: &Config, infra: &Infrastructure) -> Limits {
    Limits::new(
        infra.db.clone(),
        infra.clock.clone(),
        infra.metrics.clone(),
        LimitSettings {
            account_failures_hourly: config.account_failures_hourly,
            lockout: config.lockout,
            sms_budget_hourly: config.sms_budget_hourly,
            sms_budget_daily: config.sms_budget_daily,
        },
    )
}

fn codes(config: &Config, infra: &Infrastructure, limits: &Limits, captchas: &Captchas) -> Codes {
    Codes::new(CodeParts {
        db: infra.db.clone(),
        clock: infra.clock.clone(),
        hmac: infra.hmac.clone(),
        generator: infra.codes.clone(),
        sms: infra.sms.clone(),
        email: infra.email.clone(),
        limits: limits.clone(),
        captchas: captchas.clone(),
        captcha_provider: infra.captcha_provider.clone(),
        review_numbers: infra.review_numbers.clone(),
        metrics: infra.metrics.clone(),
        settings: CodeSettings {
            ttl: config.code_ttl,
            max_attempts: config.code_max_attempts,
            send_interval: config.send_interval,
            sends_per_ip_hourly: config.sends_per_ip_hourly,
            sends_per_target_daily: config.sends_per_target_daily,
            send_captcha: config.send_captcha,
            sms_regions: config.sms_regions.clone(),
        },
    })
}

fn tokens(config: &Config, infra: &Infrastructure) -> Tokens {
    Tokens::new(
        infra.db.clone(),
        infra.clock.clone(),
        infra.keys.clone(),
        infra.metrics.clone(),
        TokenSettings {
            access_ttl: config.access_ttl,
            legacy_access_ttl: config.legacy_access_ttl,
            refresh_ttl: config.refresh_ttl,
            refresh_reuse_grace: config.refresh_reuse_grace,
        },
    )
}

fn platform_apps(config: &Config) -> PlatformApps {
    PlatformApps {
        app_ids: Platform::all()
            .into_iter()
            .map(|platform| (platform, config.platforms.app_id(platform)))
            .collect(),
        trust_client_openid: config
            .trust_client_openid
            .iter()
            .filter_map(|wire| wire.parse().ok())
            .collect(),
        browser: BrowserSettings {
            // Checked at start-up (Config::from_settings), so an error cannot happen here.
            redirect_uris: config.platforms.oauth_redirect_uris().unwrap_or_default(),
            apple_callback: format!("{}/oauth/apple/callback", config.platforms.public_url(config.listen)),
        },
    }
}
