//! `GET /docs`: the REST layer's description (`/openapi.json`) rendered by
//! Redoc, served from the binary like GraphiQL: a pinned standalone build
//! vendored in `assets/docs/` (refreshed by `scripts/refresh-docs.sh`) and
//! embedded at compile time, so the page works offline and loads nothing
//! from another origin. Always on, as `/openapi.json` is: the page only
//! reads the document and has no request console.

use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

use crate::embedded::{self, Asset};
use crate::embedded_asset;

/// The files `index.html` refers to, under `/docs/`.
static ASSETS: [Asset; 2] = [
    embedded_asset!("docs", "redoc.standalone.js", "text/javascript; charset=utf-8"),
    embedded_asset!("docs", "init.js", "text/javascript; charset=utf-8"),
];

static PAGE: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/docs/index.html"));

/// Only our own origin may supply the page. Redoc styles itself with
/// injected `<style>` elements (styled-components), hence `'unsafe-inline'`
/// for styles only, and runs its search index in a worker made from a blob.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `GET /docs` (and `/docs/`) and `GET /docs/{file}`.
pub fn routes() -> Router {
    Router::new()
        .route("/docs", get(page))
        .route("/docs/", get(page))
        .route("/docs/{file}", get(asset))
}

async fn page() -> Response {
    embedded::page(PAGE, CONTENT_SECURITY_POLICY)
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    embedded::serve(&ASSETS, &file, &headers, "no such docs asset")
}

/// Total bytes embedded for the docs UI (for the start-up log and the docs).
pub fn embedded_bytes() -> usize {
    embedded::total_bytes(PAGE, &ASSETS)
}
