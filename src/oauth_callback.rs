//! `POST /oauth/apple/callback`: Sign in with Apple for the web answers with a
//! form_post (its `response_mode` when names or emails are asked for), which a
//! single-page app cannot receive. This turns it into the GET redirect every
//! other platform makes: 303 to the flow's redirect URI with `code` and `state`
//! only, so the page finishes with `thirdPartyLogin` like the others do.

use std::collections::HashMap;

use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::AppState;
use crate::error::AppError;

/// The callback route.
pub fn routes(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/oauth/apple/callback", post(apple_callback))
        .with_state(state)
}

async fn apple_callback(State(state): State<AppState>, Form(form): Form<HashMap<String, String>>) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str);
    let target = state
        .services
        .third_party
        .apple_return(field("code"), field("state"), field("error"))
        .await;
    match target {
        Ok(location) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, location),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
        )
            .into_response(),
        Err(err) => {
            err.log_if_server_side();
            // No redirect URI is known without a live state, so the browser is told here.
            let (status, text) = match err {
                AppError::Internal(_) | AppError::ServiceUnavailable(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "登录服务暂时不可用，请稍后重试。\nSign-in is unavailable for a moment; try again shortly.\n",
                ),
                _ => (
                    StatusCode::BAD_REQUEST,
                    "这次登录已过期或已完成，请回到应用重新登录。\nThis sign-in has expired or was already used; go back to the app and sign in again.\n",
                ),
            };
            (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
        }
    }
}
