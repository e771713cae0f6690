//! `GET /admin/export/users.jsonl` (DESIGN §11): every user as one JSON line
//! with the `User` fields an ADMIN sees (never a hash), streamed a page at a
//! time from the database, so memory stays flat however many users there are.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::domain::{Gender, Role, User, UserStatus};
use crate::service::admin::UserExport;
use crate::service::auth::Viewer;
use crate::service::privacy::{Audience, visible_email, visible_mobile};
use crate::state::AppState;

/// Users read per database round trip (and held in memory at once).
const PAGE: u64 = 500;

/// The route.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/admin/export/users.jsonl", get(export))
        .with_state(state)
}

async fn export(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let bearer = crate::http::bearer_token(&headers);
    let viewer = match state.services.auth.authenticate(bearer).await {
        Ok(viewer) => viewer,
        Err(err) => return refusal(StatusCode::INTERNAL_SERVER_ERROR, err.code()),
    };
    let pages = match state.services.admin.export_users(&viewer, PAGE) {
        Ok(pages) => pages,
        Err(_) if matches!(viewer, Viewer::User { .. }) => return refusal(StatusCode::FORBIDDEN, "FORBIDDEN"),
        Err(_) => return refusal(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
    };
    let now = state.clock.now();
    let stream = futures::stream::try_unfold(pages, move |mut pages: UserExport| async move {
        // A fault mid-stream ends the body early: the client sees a cut, never a short success.
        let page = pages.next_page().await.map_err(|err| {
            err.log_if_server_side();
            std::io::Error::other(err.describe())
        })?;
        Ok::<_, std::io::Error>(page.map(|users| (lines(&users, now), pages)))
    });
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jsonl; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"users.jsonl\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

fn refusal(status: StatusCode, code: &'static str) -> Response {
    (status, axum::Json(serde_json::json!({ "code": code }))).into_response()
}

/// One user as an ADMIN sees them, in the `User` type's field names.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line<'a> {
    id: String,
    username: Option<&'a str>,
    nickname: Option<&'a str>,
    mobile: Option<String>,
    email: Option<String>,
    avatar: Option<&'a str>,
    gender: &'static str,
    birthday: Option<String>,
    role: &'static str,
    status: &'static str,
    disabled_reason: Option<&'a str>,
    disabled_until: Option<String>,
    has_password: bool,
    has_pay_password: bool,
    created_at: String,
    updated_at: String,
    last_login_at: Option<String>,
}

fn lines(users: &[User], now: DateTime<Utc>) -> Bytes {
    let mut out = Vec::with_capacity(users.len() * 256);
    for user in users {
        // A struct of strings and flags always serialises.
        if serde_json::to_writer(&mut out, &line(user, now)).is_ok() {
            out.push(b'\n');
        }
    }
    Bytes::from(out)
}

fn line(user: &User, now: DateTime<Utc>) -> Line<'_> {
    let time = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Secs, true);
    Line {
        id: user.id.to_string(),
        username: user.username.as_deref(),
        nickname: user.nickname.as_deref(),
        mobile: visible_mobile(Audience::Admin, user),
        email: visible_email(Audience::Admin, user),
        avatar: user.avatar.as_deref(),
        gender: match user.gender {
            Gender::Unknown => "UNKNOWN",
            Gender::Male => "MALE",
            Gender::Female => "FEMALE",
        },
        birthday: user.birthday.map(|d| d.to_string()),
        role: match user.role {
            Role::Admin => "ADMIN",
            Role::User => "USER",
        },
        status: status_name(user.status_at(now)),
        disabled_reason: user.disabled_reason.as_deref(),
        disabled_until: user.disabled_until.map(time),
        has_password: user.has_password,
        has_pay_password: user.has_pay_password,
        created_at: time(user.created_at),
        updated_at: time(user.updated_at),
        last_login_at: user.last_login_at.map(time),
    }
}

fn status_name(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Active => "ACTIVE",
        UserStatus::Disabled => "DISABLED",
        UserStatus::PendingDeletion => "PENDING_DELETION",
        UserStatus::Deleted => "DELETED",
    }
}
