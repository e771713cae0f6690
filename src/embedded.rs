//! Pages and files compiled into the binary (GraphiQL, the docs UI): served
//! with their media type, an ETag and headers that keep the pages to their
//! own origin. The vendored files are refreshed by the scripts in
//! `scripts/`; nothing here fetches anything.

use std::sync::OnceLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One embedded file.
pub struct Asset {
    pub name: &'static str,
    pub media_type: &'static str,
    pub bytes: &'static [u8],
    /// Computed on first use, not per request (the larger files are ~1 MB).
    pub etag: OnceLock<String>,
}

/// An embedded file under `assets/<dir>/`.
#[macro_export]
macro_rules! embedded_asset {
    ($dir:literal, $name:literal, $media:literal) => {
        $crate::embedded::Asset {
            name: $name,
            media_type: $media,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $dir, "/", $name)),
            etag: std::sync::OnceLock::new(),
        }
    };
}

/// An embedded HTML page under a Content-Security-Policy.
pub fn page(html: &'static [u8], content_security_policy: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(content_security_policy),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        ],
        html,
    )
        .into_response()
}

/// The file `name` of `assets`, 304 when the client's copy is current, or a
/// 404 saying `missing`.
pub fn serve(assets: &'static [Asset], name: &str, headers: &HeaderMap, missing: &'static str) -> Response {
    let Some(asset) = assets.iter().find(|asset| asset.name == name) else {
        return (StatusCode::NOT_FOUND, missing).into_response();
    };
    let etag = asset
        .etag
        .get_or_init(|| format!("\"{:x}-{:x}\"", asset.bytes.len(), fnv1a(asset.bytes)));
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let etag = HeaderValue::from_str(etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
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

/// The bytes of a page and its files, for the start-up log and the docs.
pub fn total_bytes(page: &[u8], assets: &[Asset]) -> usize {
    page.len() + assets.iter().map(|asset| asset.bytes.len()).sum::<usize>()
}

/// FNV-1a over the file: an ETag, not a security measure.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
