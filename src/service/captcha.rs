//! Image captchas: a PNG with four characters, single use, short-lived.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Duration;

use std::sync::Arc;

use super::{Limits, RequestMeta, limits};
use crate::clock::Clock;
use crate::crypto::{HmacKey, constant_time_eq};
use crate::error::AppError;
use crate::messaging::{Outbox, OutboxEntry};
use crate::store::{self, Db};

/// Image captchas: drawn, stored as HMACs of their answers, solved once.
#[derive(Clone)]
pub struct Captchas {
    db: Db,
    clock: Arc<dyn Clock>,
    hmac: Arc<HmacKey>,
    /// Answers are written here too when the outbox is on (development, tests).
    outbox: Option<Arc<Outbox>>,
    limits: Limits,
    ttl: std::time::Duration,
}

impl Captchas {
    /// Captchas in `db`, answers keyed by `hmac`, living `ttl`.
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        hmac: Arc<HmacKey>,
        outbox: Option<Arc<Outbox>>,
        limits: Limits,
        ttl: std::time::Duration,
    ) -> Self {
        Captchas {
            db,
            clock,
            hmac,
            outbox,
            limits,
            ttl,
        }
    }

    /// Draws a captcha under `id` (a fresh UUID when `None`; ShopXO clients
    /// choose their own `uuid`) and stores its answer's HMAC.
    pub async fn create(&self, id: Option<String>, meta: &RequestMeta) -> Result<NewCaptcha, AppError> {
        // Drawing costs CPU and a row: a client IP gets a bounded number an hour.
        if let Some(ip) = meta.ip {
            let key = format!("captcha:ip:{}", limits::ip_key(ip));
            self.limits.hit(&key, 3_600, CAPTCHAS_PER_IP_HOURLY).await?;
        }
        let id = id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let (answer, png) = tokio::task::spawn_blocking(draw)
            .await
            .map_err(|e| AppError::Internal(format!("captcha task: {e}")))??;
        let now = self.clock.now();
        let ttl = self.ttl.as_secs() as i64;
        // A reused id (ShopXO's uuid) replaces the old captcha.
        store::captchas::take(&self.db, &id, now).await?;
        store::captchas::insert(
            &self.db,
            &id,
            &self.hmac.hex(&["captcha", &id, &answer]),
            now,
            now + Duration::seconds(ttl),
        )
        .await?;
        if let Some(outbox) = &self.outbox {
            let entry = OutboxEntry::new("captcha", &id, "captcha", &answer, &format!("图片验证码 {answer}"), now);
            outbox
                .record(&entry)
                .await
                .map_err(|e| AppError::Internal(format!("outbox: {e}")))?;
        }
        Ok(NewCaptcha {
            id,
            png,
            expires_in: ttl,
        })
    }

    /// Consumes the captcha: true only for the right answer (any letter case),
    /// and only once, right or wrong.
    /// Spends the captcha `id`: Ok when `answer` is right, CAPTCHA_EXPIRED when
    /// there is no live captcha of that id (unknown, used or expired; ShopXO
    /// tells these apart), CAPTCHA_INVALID when the answer is wrong.
    pub async fn solve(&self, id: &str, answer: &str) -> Result<(), AppError> {
        let now = self.clock.now();
        let Some(stored) = store::captchas::take(&self.db, id, now).await? else {
            return Err(AppError::CaptchaExpired);
        };
        let expected = self.hmac.hex(&["captcha", id, &answer.trim().to_lowercase()]);
        if constant_time_eq(stored.as_bytes(), expected.as_bytes()) {
            Ok(())
        } else {
            Err(AppError::CaptchaInvalid)
        }
    }
}

/// Characters that survive distortion without being confused (no 0/o, 1/l/i, 2/z, q/g…).
const ALPHABET: &[char] = &[
    '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'd', 'e', 'f', 'h', 'k', 'm', 'n', 'p', 'r', 's', 't', 'u', 'w', 'x',
    'y',
];

/// Captchas one client IP may draw an hour.
const CAPTCHAS_PER_IP_HOURLY: u32 = 120;

/// A freshly drawn captcha.
pub struct NewCaptcha {
    pub id: String,
    pub png: Vec<u8>,
    pub expires_in: i64,
}

impl NewCaptcha {
    /// `data:image/png;base64,…`, for GraphQL.
    pub fn data_url(&self) -> String {
        format!("data:image/png;base64,{}", STANDARD.encode(&self.png))
    }
}

fn draw() -> Result<(String, Vec<u8>), AppError> {
    let mut captcha = captcha::Captcha::new();
    captcha.set_chars(ALPHABET);
    captcha
        .add_chars(4)
        .apply_filter(captcha::filters::Noise::new(0.2))
        .apply_filter(captcha::filters::Wave::new(2.0, 12.0))
        .view(160, 60)
        .apply_filter(captcha::filters::Dots::new(8));
    let answer = captcha.chars_as_string().to_lowercase();
    let png = captcha
        .as_png()
        .ok_or_else(|| AppError::Internal("captcha PNG encoding failed".into()))?;
    Ok((answer, png))
}
