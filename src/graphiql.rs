//! GraphiQL, served from the binary: pinned production builds vendored in
//! `assets/graphiql/` (refreshed by `scripts/refresh-graphiql.sh`) and
//! embedded at compile time, so the page works offline and loads nothing
//! from another origin.

use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

use crate::embedded::{self, Asset};
use crate::embedded_asset;

/// The files `index.html` refers to, under `/graphiql/`.
static ASSETS: [Asset; 6] = [
    embedded_asset!("graphiql", "graphiql.min.css", "text/css; charset=utf-8"),
    embedded_asset!("graphiql", "page.css", "text/css; charset=utf-8"),
    embedded_asset!("graphiql", "graphiql.min.js", "text/javascript; charset=utf-8"),
    embedded_asset!("graphiql", "react.production.min.js", "text/javascript; charset=utf-8"),
    embedded_asset!(
        "graphiql",
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8"
    ),
    embedded_asset!("graphiql", "init.js", "text/javascript; charset=utf-8"),
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
    embedded::page(PAGE, CONTENT_SECURITY_POLICY)
}

/// `GET /graphiql/{file}`: the page's scripts and styles.
pub fn routes() -> Router {
    Router::new().route("/graphiql/{file}", get(asset))
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    embedded::serve(&ASSETS, &file, &headers, "no such GraphiQL asset")
}

/// Total bytes embedded for GraphiQL (for the start-up log and the docs).
pub fn embedded_bytes() -> usize {
    embedded::total_bytes(PAGE, &ASSETS)
}
