//! Image captchas: a PNG with four characters, single use, short-lived.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Duration;

use super::{RequestMeta, limits};
use crate::error::AppError;
use crate::messaging::OutboxEntry;
use crate::state::AppState;
use crate::store;

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

/// Draws a captcha under `id` (a fresh UUID when `None`; ShopXO clients
/// choose their own `uuid`) and stores its answer's HMAC.
pub async fn create(state: &AppState, id: Option<String>, meta: &RequestMeta) -> Result<NewCaptcha, AppError> {
    // Drawing costs CPU and a row: a client IP gets a bounded number an hour.
    if let Some(ip) = meta.ip {
        let key = format!("captcha:ip:{}", limits::ip_key(ip));
        limits::hit(state, &key, 3_600, CAPTCHAS_PER_IP_HOURLY).await?;
    }
    let id = id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let (answer, png) = tokio::task::spawn_blocking(draw)
        .await
        .map_err(|e| AppError::Internal(format!("captcha task: {e}")))??;
    let now = state.clock.now();
    let ttl = state.config.captcha_ttl.as_secs() as i64;
    // A reused id (ShopXO's uuid) replaces the old captcha.
    store::captchas::take(&state.db, &id, now).await?;
    store::captchas::insert(
        &state.db,
        &id,
        &state.secrets.hmac_hex(&["captcha", &id, &answer]),
        now,
        now + Duration::seconds(ttl),
    )
    .await?;
    if let Some(outbox) = &state.outbox {
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
pub async fn solve(state: &AppState, id: &str, answer: &str) -> Result<(), AppError> {
    let now = state.clock.now();
    let Some(stored) = store::captchas::take(&state.db, id, now).await? else {
        return Err(AppError::CaptchaExpired);
    };
    let expected = state.secrets.hmac_hex(&["captcha", id, &answer.trim().to_lowercase()]);
    if crate::service::constant_time_eq(stored.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(AppError::CaptchaInvalid)
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
