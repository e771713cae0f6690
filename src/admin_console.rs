//! `GET /admin/`: the operators' console, plain HTML, CSS and JavaScript
//! written for this server (no framework, nothing vendored) and embedded at
//! compile time. It calls only the public GraphQL API, with an ADMIN's
//! tokens kept in `sessionStorage`.

use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::{Redirect, Response};
use axum::routing::get;

use crate::embedded::{self, Asset};
use crate::embedded_asset;

/// The files `index.html` refers to, under `/admin/`.
static ASSETS: [Asset; 2] = [
    embedded_asset!("admin", "admin.css", "text/css; charset=utf-8"),
    embedded_asset!("admin", "admin.js", "text/javascript; charset=utf-8"),
];

static PAGE: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/admin/index.html"));

/// Our own origin only, and no inline script or style at all: the page
/// holds an ADMIN's tokens.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `GET /admin` (to `/admin/`), `GET /admin/` and `GET /admin/{file}`.
pub fn routes() -> Router {
    Router::new()
        .route("/admin", get(|| async { Redirect::permanent("/admin/") }))
        .route("/admin/", get(page))
        .route("/admin/{file}", get(asset))
}

async fn page() -> Response {
    embedded::page(PAGE, CONTENT_SECURITY_POLICY)
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    embedded::serve(&ASSETS, &file, &headers, "no such console asset")
}
