//! The root query: the signed-in user, user lookups, sessions, login history.

use async_graphql::{Context, ErrorExtensions, ID, MergedObject, Object, Result};
use chrono::{DateTime, Utc};

use super::types::{
    LOGIN_EVENT_CURSOR, LoginEventConnection, PageInfo, Session, User, UserConnection, UserEdge, UserStatus, cursor_of,
    parse_cursor, parse_cursor_of, parse_user_id,
};
use crate::service::accounts::UserQuery;
use crate::service::auth::Viewer;
use crate::state::AppState;

mod admin;

/// Root query type, merged from one object per area.
#[derive(MergedObject, Default)]
pub struct Query(AccountQuery, admin::AdminQuery);

#[derive(Default)]
pub struct AccountQuery;

/// Reads: the signed-in user, user lookups, sessions and login history.
#[Object]
impl AccountQuery {
    /// The signed-in user; null without an access token. A token that is
    /// invalid, expired or revoked is UNAUTHENTICATED, so clients refresh.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match ctx.data_opt::<Viewer>() {
            None | Some(Viewer::Anonymous) => Ok(None),
            Some(viewer) => {
                let me = viewer.require().map_err(|e| e.extend())?;
                Ok(Some(User::owned(me.clone())))
            }
        }
    }

    /// Yourself, or anyone for an ADMIN (null when no user has the id); else FORBIDDEN.
    async fn user(&self, ctx: &Context<'_>, #[graphql(desc = "The user's `id`.")] id: ID) -> Result<Option<User>> {
        let state = ctx.data::<AppState>()?;
        let viewer = ctx.data::<Viewer>()?;
        let id = parse_user_id(&id).map_err(|e| e.extend())?;
        let row = state
            .services
            .accounts
            .user_by_id(viewer, id)
            .await
            .map_err(|e| e.extend())?;
        Ok(row.map(|row| User::seen_by(row, viewer.user())))
    }

    /// All users, in id order (ADMIN only).
    #[allow(clippy::too_many_arguments)]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(20)", desc = "How many users to return, 1 to 100.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor: the `endCursor` of the previous page; omit for the first page.")]
        after: Option<String>,
        #[graphql(
            desc = "Only the user with this id, or users whose username, nickname, mobile (in any spelling: \
                          `13800138000`, `+86 138 0013 8000`) or email contains this text (any case)."
        )]
        search: Option<String>,
        #[graphql(desc = "Only users with this status.")] status: Option<UserStatus>,
        #[graphql(desc = "Only users created at or after this time.")] created_after: Option<DateTime<Utc>>,
        #[graphql(desc = "Only users created before this time.")] created_before: Option<DateTime<Utc>>,
    ) -> Result<UserConnection> {
        let state = ctx.data::<AppState>()?;
        let viewer = ctx.data::<Viewer>()?;
        let after = after.as_deref().map(parse_cursor).transpose().map_err(|e| e.extend())?;
        let query = UserQuery {
            search,
            status: status.map(Into::into),
            created_after,
            created_before,
        };
        let page = state
            .services
            .accounts
            .list_users(viewer, i64::from(first.unwrap_or(20)), after, &query)
            .await
            .map_err(|e| e.extend())?;
        let has_previous_page = after.is_some();
        let start_cursor = page.users.first().map(|u| cursor_of(u.id));
        let end_cursor = page.users.last().map(|u| cursor_of(u.id));
        let edges = page
            .users
            .into_iter()
            .map(|row| UserEdge {
                cursor: cursor_of(row.id),
                node: User::seen_by(row, viewer.user()),
            })
            .collect();
        Ok(UserConnection {
            edges,
            page_info: PageInfo {
                has_next_page: page.has_next_page,
                has_previous_page,
                start_cursor,
                end_cursor,
            },
            total_count: page.total_count as i64,
        })
    }

    /// Your live refresh-token sessions.
    async fn sessions(&self, ctx: &Context<'_>) -> Result<Vec<Session>> {
        let state = ctx.data::<AppState>()?;
        let viewer = ctx.data::<Viewer>()?;
        let sessions = state.services.tokens.sessions(viewer).await.map_err(|e| e.extend())?;
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

    /// Your own sign-in attempts, newest first: successes and failures (with their error code) of every sign-in
    /// that named your account, kept `ZHANGHAO_LOGIN_HISTORY_DAYS` days (180 by default).
    async fn login_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(20)", desc = "How many attempts to return, 1 to 100.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor: the `endCursor` of the previous page; omit for the newest.")]
        after: Option<String>,
    ) -> Result<LoginEventConnection> {
        let state = ctx.data::<AppState>()?;
        let viewer = ctx.data::<Viewer>()?;
        let after = after
            .as_deref()
            .map(|cursor| parse_cursor_of(LOGIN_EVENT_CURSOR, cursor))
            .transpose()
            .map_err(|e| e.extend())?;
        let page = state
            .services
            .sign_ins
            .history(viewer, i64::from(first.unwrap_or(20)), after)
            .await
            .map_err(|e| e.extend())?;
        Ok(LoginEventConnection::from_page(page, after.is_some()))
    }
}
