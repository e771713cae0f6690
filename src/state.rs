//! The application state every handler and service receives: configuration,
//! database, clock, keys and message senders. Built once at start-up.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use secrecy::SecretString;

use crate::config::Config;
use crate::domain::Mobile;
use crate::error::AppError;
use crate::messaging::{self, EmailSender, Outbox, SmsSender};
use crate::platforms::PlatformClients;
use crate::service::Secrets;
use crate::service::clock::{Clock, SystemClock};
use crate::service::passwords::PasswordHasher;
use crate::service::tokens::TokenKeys;
use crate::store::{self, Db};

/// Shared, cheaply cloned state.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub passwords: PasswordHasher,
    pub tokens: Arc<TokenKeys>,
    pub secrets: Arc<Secrets>,
    pub sms: Arc<dyn SmsSender>,
    pub email: Arc<dyn EmailSender>,
    /// Present when any channel writes to the outbox; captcha answers go there too.
    pub outbox: Option<Arc<Outbox>>,
    /// E.164 mobile → fixed code, for app-store review accounts.
    pub test_numbers: Arc<HashMap<String, String>>,
    /// The WeChat, Apple, QQ and Weibo clients that verify platform credentials.
    pub platforms: Arc<PlatformClients>,
}

/// Optional replacements for tests.
#[derive(Default)]
pub struct Overrides {
    pub clock: Option<Arc<dyn Clock>>,
    pub sms: Option<Arc<dyn SmsSender>>,
    pub email: Option<Arc<dyn EmailSender>>,
}

const JWT_SECRET_SETTING: &str = "jwt_secret";

impl AppState {
    /// Resolves secrets and providers from the configuration.
    pub async fn build(config: Config, db: Db, overrides: Overrides) -> Result<AppState, AppError> {
        let secret = match &config.jwt_secret {
            Some(secret) => secret.clone(),
            None => {
                tracing::warn!(
                    "ZHANGHAO_JWT_SECRET is not set: using a secret generated once and kept in the database (development only)"
                );
                let mut bytes = [0u8; 48];
                rand::rng().fill_bytes(&mut bytes);
                let stored = store::settings::get_or_insert(&db, JWT_SECRET_SETTING, &STANDARD.encode(bytes)).await?;
                SecretString::from(stored)
            }
        };
        let tokens = TokenKeys::new(&secret, &config.jwt_issuer, &config.jwt_audience);
        let secrets = Secrets::new(&secret);
        let passwords = PasswordHasher::new(config.argon2_memory_kib, config.argon2_iterations, config.hash_workers)?;
        let mut test_numbers = HashMap::new();
        for (raw, code) in &config.test_numbers {
            let mobile = Mobile::parse(raw, config.default_region)
                .ok_or_else(|| AppError::Internal(format!("ZHANGHAO_TEST_NUMBERS: {raw} is not a valid mobile")))?;
            test_numbers.insert(mobile.as_str().to_string(), code.clone());
        }
        let outbox = Arc::new(Outbox::new(config.outbox.clone()));
        let (sms, email, outbox_used) = messaging::senders_from_config(&config, outbox.clone())?;
        let platforms = config.platforms.platforms_config().map_err(AppError::Internal)?;
        Ok(AppState {
            sms: overrides.sms.unwrap_or(sms),
            email: overrides.email.unwrap_or(email),
            outbox: outbox_used.then_some(outbox),
            clock: overrides.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            config: Arc::new(config),
            db,
            passwords,
            tokens: Arc::new(tokens),
            secrets: Arc::new(secrets),
            test_numbers: Arc::new(test_numbers),
            platforms: Arc::new(PlatformClients::new(platforms)),
        })
    }
}
