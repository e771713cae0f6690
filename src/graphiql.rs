//! GraphiQL, served from the binary: pinned production builds vendored in
//! `assets/graphiql/` (refreshed by `scripts/refresh-graphiql.sh`) and
//! embedded at compile time, so the page works offline and loads nothing
//! from another origin.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One embedded file.
struct Asset {
    name: &'static str,
    media_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $media:literal) => {
        Asset {
            name: $name,
            media_type: $media,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/graphiql/", $name)),
        }
    };
}

/// The files `index.html` refers to, under `/graphiql/`.
static ASSETS: &[Asset] = &[
    asset!("graphiql.min.css", "text/css; charset=utf-8"),
    asset!("page.css", "text/css; charset=utf-8"),
    asset!("graphiql.min.js", "text/javascript; charset=utf-8"),
    asset!("react.production.min.js", "text/javascript; charset=utf-8"),
    asset!("react-dom.production.min.js", "text/javascript; charset=utf-8"),
    asset!("init.js", "text/javascript; charset=utf-8"),
];

static PAGE: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/graphiql/index.html"));

/// Only our own origin may supply scripts, styles and data to the page where
/// people paste bearer tokens. GraphiQL sets inline `style` attributes, hence
/// `'unsafe-inline'` for styles only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The GraphiQL page itself.
pub fn page() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        ],
        PAGE,
    )
        .into_response()
}

/// `GET /graphiql/{file}`: the page's scripts and styles.
pub fn routes() -> Router {
    Router::new().route("/graphiql/{file}", get(asset))
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|asset| asset.name == file) else {
        return (StatusCode::NOT_FOUND, "no such GraphiQL asset").into_response();
    };
    let etag = etag_of(asset);
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let etag = HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    if unchanged {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.media_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::ETAG, etag),
        ],
        asset.bytes,
    )
        .into_response()
}

/// The build embeds fixed bytes, so their length and a hash name the version;
/// computed once per asset, not per request.
fn etag_of(asset: &Asset) -> String {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    let etags = ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|asset| format!("\"{:x}-{:x}\"", asset.bytes.len(), fnv1a(asset.bytes)))
            .collect()
    });
    ASSETS
        .iter()
        .position(|candidate| candidate.name == asset.name)
        .and_then(|index| etags.get(index).cloned())
        .unwrap_or_default()
}

/// FNV-1a over the asset: an ETag, not a security measure.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Total bytes embedded for GraphiQL (for the start-up log and the docs).
pub fn embedded_bytes() -> usize {
    PAGE.len() + ASSETS.iter().map(|asset| asset.bytes.len()).sum::<usize>()
}
