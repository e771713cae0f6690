//! The ADMIN's reads that are not about one user: the audit log.

use async_graphql::{Context, ErrorExtensions, ID, Object, Result};

use crate::graphql::types::{AUDIT_EVENT_CURSOR, AuditEventConnection, parse_cursor_of, parse_user_id};
use crate::service::auth::Viewer;
use crate::state::AppState;

#[derive(Default)]
pub struct AdminQuery;

/// Operators' reads.
#[Object]
impl AdminQuery {
    /// Admin actions and security events, newest first (ADMIN only).
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(50)", desc = "How many events to return, 1 to 100.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor: the `endCursor` of the previous page; omit for the newest.")]
        after: Option<String>,
        #[graphql(desc = "Only events this user did or underwent.")] user_id: Option<ID>,
        #[graphql(desc = "Only events of this action, e.g. `user.disabled`.")] action: Option<String>,
    ) -> Result<AuditEventConnection> {
        let state = ctx.data::<AppState>()?;
        let viewer = ctx.data::<Viewer>()?;
        let after = after
            .as_deref()
            .map(|cursor| parse_cursor_of(AUDIT_EVENT_CURSOR, cursor))
            .transpose()
            .map_err(|e| e.extend())?;
        let user_id = user_id
            .as_ref()
            .map(|id| {
                parse_user_id(id).map_err(|_| {
                    crate::error::AppError::bad(crate::error::Field::UserId, crate::error::InputProblem::Malformed)
                })
            })
            .transpose()
            .map_err(|e| e.extend())?;
        let page = state
            .services
            .admin
            .audit_log(
                viewer,
                i64::from(first.unwrap_or(50)),
                after,
                user_id,
                action.as_deref(),
            )
            .await
            .map_err(|e| e.extend())?;
        Ok(AuditEventConnection::from_page(page, after.is_some()))
    }
}
