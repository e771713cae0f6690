//! One log line and one metrics sample per request (DESIGN §7): method,
//! matched route, status, latency, request id, client IP, and what the
//! handler learnt (the user, the GraphQL operation) through a
//! [`RequestNote`] it finds in the request's extensions.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;
use crate::middleware::RequestId;

/// Where handlers leave what the request's log line should name.
#[derive(Clone, Default)]
pub struct RequestNote(Arc<Mutex<Noted>>);

#[derive(Default)]
struct Noted {
    user_id: Option<i64>,
    operation: Option<String>,
}

impl RequestNote {
    /// The signed-in caller.
    pub fn user(&self, id: i64) {
        if let Ok(mut noted) = self.0.lock() {
            noted.user_id = Some(id);
        }
    }

    /// The GraphQL operation's name.
    pub fn operation(&self, name: &str) {
        if let Ok(mut noted) = self.0.lock() {
            noted.operation = Some(name.to_string());
        }
    }

    fn take(&self) -> Noted {
        self.0
            .lock()
            .map(|mut noted| std::mem::take(&mut *noted))
            .unwrap_or_default()
    }
}

/// Times the request, counts it under its route template and logs it.
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    // The template (`/api/users/{id}`), never the path: bounded labels, no ids.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |path| path.as_str())
        .to_string();
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.as_str().to_string());
    let client_ip = crate::http::request_ip(request.headers(), request.extensions(), &state.config.trusted_proxies);
    let note = RequestNote::default();
    request.extensions_mut().insert(note.clone());

    let response = next.run(request).await;

    let took = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.http_request(&route, method.as_str(), status, took);
    let noted = note.take();
    tracing::info!(
        method = %method,
        route = %route,
        status,
        latency_ms = took.as_secs_f64() * 1000.0,
        request_id = %request_id.as_deref().unwrap_or(""),
        client_ip = %client_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        user_id = noted.user_id,
        operation = noted.operation.as_deref().map(tracing::field::display),
        "request"
    );
    response
}
