//! The REST compatibility layer (DESIGN §3): the paths and envelopes of the
//! legacy apps, so their clients work unchanged. Each handler decodes the
//! legacy parameters, calls one service function and encodes the legacy
//! envelope; no account rule lives here.

pub mod chickenshop;
pub mod discuz;
pub mod openapi;
pub mod params;
pub mod shopxo;

use axum::Router;
use axum::http::request::Parts;
use axum::routing::{get, post};
use chrono::{DateTime, FixedOffset, Utc};

use crate::http::request_meta;
use crate::service::RequestMeta;
use crate::state::AppState;

/// Every legacy path, plus `GET /openapi.json` describing them.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/api.php", get(shopxo::entry).post(shopxo::entry))
        .route("/index.php", get(shopxo::entry).post(shopxo::entry))
        .route("/user/reg", get(shopxo::reg).post(shopxo::reg))
        .route("/api/user/reg", get(shopxo::reg).post(shopxo::reg))
        .route(
            "/user/regverifysend",
            get(shopxo::verify_send).post(shopxo::verify_send),
        )
        .route(
            "/api/user/regverifysend",
            get(shopxo::verify_send).post(shopxo::verify_send),
        )
        .route(
            "/user/userverifyentry",
            get(shopxo::verify_entry).post(shopxo::verify_entry),
        )
        .route(
            "/api/user/userverifyentry",
            get(shopxo::verify_entry).post(shopxo::verify_entry),
        )
        .route("/api/sms/send", post(discuz::sms_send))
        .route("/api/sms/verify", post(discuz::sms_verify))
        .route("/api/refresh-token", post(discuz::refresh_token))
        .route(
            "/module/chickenshop/threeRegisterAndBind",
            post(chickenshop::three_register_and_bind),
        )
        .route("/openapi.json", get(openapi::openapi_json))
        .with_state(state)
}

/// Client IP, user agent and language, as GraphQL reads them; the caller is
/// a legacy client (its tokens live `ZHANGHAO_LEGACY_ACCESS_TTL`).
pub(crate) fn meta(state: &AppState, parts: &Parts) -> RequestMeta {
    RequestMeta {
        legacy_client: true,
        ..request_meta(&parts.headers, &parts.extensions, &state.config.trusted_proxies)
    }
}

/// The legacy apps all run on Beijing time (UTC+8, no daylight saving).
pub(crate) fn beijing(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!("+08:00 is a valid offset"));
    at.with_timezone(&offset)
}

/// PHP's `date('Y-m-d H:i:s')` in Beijing time.
pub(crate) fn beijing_text(at: DateTime<Utc>) -> String {
    beijing(at).format("%Y-%m-%d %H:%M:%S").to_string()
}
