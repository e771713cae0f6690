//! zhanghao (账号): an account server with a GraphQL API and a REST layer
//! that speaks the legacy ShopXO, Discuz! Q and third-party-bind endpoints.
//!
//! Read from here down: [`app`] builds the router; `graphql` and `rest` are
//! the front doors; `service` holds every account rule; `store` the queries.

pub mod admin_console;
pub mod admin_export;
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
pub mod metrics;
pub mod middleware;
pub mod oauth_callback;
pub mod one_click;
pub mod platforms;
pub mod request_log;
pub mod rest;
pub mod service;
pub mod startup;
pub mod state;
pub mod store;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use state::AppState;

/// Largest request body accepted (DESIGN §4).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The whole HTTP surface: GraphQL, the legacy REST paths and their docs,
/// health, metrics, the JWKS.
pub fn app(state: AppState) -> Router {
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
        .route("/.well-known/jwks.json", get(jwks))
        .with_state(state.clone());
    Router::new()
        .merge(graphql_routes)
        .merge(graphiql_routes)
        .merge(docs::routes())
        .merge(admin_console::routes())
        .merge(admin_export::routes(state.clone()))
        .merge(ops_routes)
        .merge(rest::routes(state.clone()))
        .merge(oauth_callback::routes(state.clone()))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // Spans name the path only: query strings can carry `?token=` (Discuz)
        // or a legacy client's password, and must never reach the logs.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<_>| {
                    let id = request.extensions().get::<middleware::RequestId>();
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id = id.map_or("", |id| id.as_str()),
                    )
                })
                // The request line (request_log) has every status; a 5xx is often a
                // legacy envelope's deliberate answer (Discuz's 500s), and a real
                // fault is logged where it happens (`AppError::log_if_server_side`).
                .on_failure(()),
        )
        .layer(cors)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_log::observe,
        ))
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

/// The public keys access tokens are signed with (RFC 7517), for app back
/// ends that verify tokens themselves; empty with HS256. Cached briefly: a
/// verifier meeting an unknown `kid` fetches again anyway.
async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(axum::http::header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(state.services.keys.jwks().await),
    )
}

async fn metrics_text(State(state): State<AppState>, headers: axum::http::HeaderMap) -> axum::response::Response {
    use secrecy::ExposeSecret as _;
    let allowed = match &state.config.metrics {
        config::MetricsAccess::Open => true,
        config::MetricsAccess::Token(token) => http::bearer_token(&headers)
            .is_some_and(|given| crypto::constant_time_eq(given.as_bytes(), token.expose_secret().as_bytes())),
        config::MetricsAccess::Off => false,
    };
    if !allowed {
        // Not found rather than forbidden: production does not advertise it.
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let (in_use, idle) = store::pool_counts(&state.db);
    let text = state.metrics.render(in_use, idle);
    ([(axum::http::header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response()
}
