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
use axum::routing::{MethodRouter, any, get, post};
use chrono::{DateTime, FixedOffset, Utc};

use crate::http::request_meta;
use crate::service::RequestMeta;
use crate::state::AppState;

/// Every legacy path, plus `GET /openapi.json` describing them. Each legacy
/// path also answers with a trailing slash, and a method its system refused
/// gets that system's own refusal, never an empty 404 or 405 (DESIGN §8).
pub fn routes(state: AppState) -> Router {
    let router = Router::new().route("/openapi.json", get(openapi::openapi_json));
    let legacy: [(&str, MethodRouter<AppState>); 14] = [
        // ThinkPHP runs any method; ShopXO's handlers refuse the wrong ones
        // in its own envelope.
        ("/api.php", any(shopxo::entry)),
        ("/index.php", any(shopxo::entry)),
        ("/user/reg", any(shopxo::reg)),
        ("/api/user/reg", any(shopxo::reg)),
        ("/user/regverifysend", any(shopxo::verify_send)),
        ("/api/user/regverifysend", any(shopxo::verify_send)),
        ("/user/userverifyentry", any(shopxo::verify_entry)),
        ("/api/user/userverifyentry", any(shopxo::verify_entry)),
        (
            "/api/sms/send",
            post(discuz::sms_send).fallback(discuz::resources::method_not_allowed),
        ),
        (
            "/api/sms/verify",
            post(discuz::sms_verify).fallback(discuz::resources::method_not_allowed),
        ),
        (
            "/api/refresh-token",
            post(discuz::refresh_token).fallback(discuz::resources::method_not_allowed),
        ),
        (
            "/api/login",
            post(discuz::login).fallback(discuz::resources::method_not_allowed),
        ),
        (
            "/api/register",
            post(discuz::register).fallback(discuz::resources::method_not_allowed),
        ),
        (
            "/module/chickenshop/threeRegisterAndBind",
            post(chickenshop::three_register_and_bind).fallback(chickenshop::method_not_allowed),
        ),
    ];
    legacy
        .into_iter()
        .fold(router, |router, (path, handler)| {
            router.route(path, handler.clone()).route(&format!("{path}/"), handler)
        })
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
