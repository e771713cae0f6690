//! The `User` fields that read more than the row: its sessions and login
//! history (the user themself or an ADMIN).

use std::borrow::Cow;

use async_graphql::{Context, ErrorExtensions, ID, Result};

use super::{LOGIN_EVENT_CURSOR, LoginEventConnection, Session, parse_cursor_of};
use crate::domain;
use crate::service::auth::Viewer;
use crate::state::AppState;

/// Who reads: the user of a sign-in payload is its own viewer (the request
/// carried no token yet), anyone else is the request's viewer.
fn viewer<'a>(ctx: &'a Context<'_>, owner: Option<&domain::User>) -> Result<Cow<'a, Viewer>> {
    Ok(match owner {
        Some(user) => Cow::Owned(Viewer::User {
            user: Box::new(user.clone()),
            session: String::new(),
        }),
        None => Cow::Borrowed(ctx.data::<Viewer>()?),
    })
}

/// `User.loginHistory`.
pub async fn login_history(
    ctx: &Context<'_>,
    owner: Option<&domain::User>,
    user_id: i64,
    first: Option<i32>,
    after: Option<String>,
) -> Result<LoginEventConnection> {
    let state = ctx.data::<AppState>()?;
    let viewer = viewer(ctx, owner)?;
    let after = after
        .as_deref()
        .map(|cursor| parse_cursor_of(LOGIN_EVENT_CURSOR, cursor))
        .transpose()
        .map_err(|e| e.extend())?;
    let page = state
        .services
        .sign_ins
        .history_of(&viewer, user_id, i64::from(first.unwrap_or(20)), after)
        .await
        .map_err(|e| e.extend())?;
    Ok(LoginEventConnection::from_page(page, after.is_some()))
}

/// `User.sessions`.
pub async fn sessions(ctx: &Context<'_>, owner: Option<&domain::User>, user_id: i64) -> Result<Vec<Session>> {
    let state = ctx.data::<AppState>()?;
    let viewer = viewer(ctx, owner)?;
    let sessions = state
        .services
        .tokens
        .sessions_of(&viewer, user_id)
        .await
        .map_err(|e| e.extend())?;
    Ok(sessions
        .into_iter()
        .map(|s| Session {
            id: ID(s.id),
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
            ip: s.ip,
            user_agent: s.user_agent,
        })
        .collect())
}
