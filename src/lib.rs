//! zhanghao (账号): an account server with a GraphQL API and a REST layer
//! that speaks the legacy ShopXO, Discuz! Q and third-party-bind endpoints.
//!
//! Read from here down: [`app`] builds the router; `graphql` and `rest` are
//! the front doors; `service` holds every account rule; `store` the queries.

pub mod captcha_providers;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod docs;
pub mod domain;
pub mod embedded;
pub mod error;
pub mod graphiql;
pub mod graphql;
pub mod http;
pub mod messaging;
pub mod middleware;
pub mod platforms;
pub mod rest;
pub mod service;
pub mod state;
pub mod store;

use std::sync::OnceLock;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use state::AppState;

/// Largest request body accepted (DESIGN §4).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The whole HTTP surface: GraphQL, the legacy REST paths and their docs,
/// health and metrics.
pub fn app(state: AppState) -> Router {
    // Install the recorder before the first request records anything.
    prometheus();
    let schema = graphql::build_schema(Some(state.clone()));
    let cors = middleware::cors(&state.config.cors_origins);
    let graphiql_routes = if state.config.graphiql {
        graphiql::routes()
    } else {
        Router::new()
    };
    let graphql_routes = Router::new()
        .route("/graphql", get(graphql::graphql_get).post(graphql::graphql_post))
        .with_state(graphql::http_state(state.clone(), schema));
    let ops_routes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(state.clone());
    Router::new()
        .merge(graphql_routes)
        .merge(graphiql_routes)
        .merge(docs::routes())
        .merge(ops_routes)
        .merge(rest::routes(state.clone()))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // Spans name the path only: query strings can carry `?token=` (Discuz)
        // or a legacy client's password, and must never reach the logs.
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let id = request.extensions().get::<middleware::RequestId>();
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = id.map_or("", |id| id.as_str()),
                )
            }),
        )
        .layer(cors)
        // Outermost, so every answer (a CORS preflight, a body-limit refusal) carries its id.
        .layer(axum::middleware::from_fn(middleware::request_id))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if store::ping(&state.db).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

async fn metrics_text(State(state): State<AppState>, headers: axum::http::HeaderMap) -> impl IntoResponse {
    use secrecy::ExposeSecret as _;
    let allowed = match &state.config.metrics {
        config::MetricsAccess::Open => true,
        config::MetricsAccess::Token(token) => http::bearer_token(&headers)
            .is_some_and(|given| crypto::constant_time_eq(given.as_bytes(), token.expose_secret().as_bytes())),
        config::MetricsAccess::Off => false,
    };
    if !allowed {
        // Not found rather than forbidden: production does not advertise it.
        return (StatusCode::NOT_FOUND, "not found".to_string());
    }
    match prometheus() {
        Some(handle) => (StatusCode::OK, handle.render()),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable".to_string(),
        ),
    }
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .as_ref()
}
