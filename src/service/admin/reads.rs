//! The ADMIN's reads: the audit log and the users export.

use super::{Admin, require_admin};
use crate::domain::User;
use crate::error::{AppError, Field, InputProblem};
use crate::service::audit::AuditAction;
use crate::service::auth::Viewer;
use crate::store::audit_events::AuditEvent;
use crate::store::{self, Db};

/// A page of `auditLog`, newest first.
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub has_next_page: bool,
}

/// Users in id order, a page at a time: the export holds one page in memory.
pub struct UserExport {
    db: Db,
    after: i64,
    page: u64,
    done: bool,
}

impl UserExport {
    /// The next page; `None` after the last.
    pub async fn next_page(&mut self) -> Result<Option<Vec<User>>, AppError> {
        if self.done {
            return Ok(None);
        }
        let users = store::users::export_page(&self.db, self.after, self.page).await?;
        self.done = (users.len() as u64) < self.page;
        match users.last() {
            Some(last) => {
                self.after = last.id;
                Ok(Some(users))
            }
            None => Ok(None),
        }
    }
}

impl Admin {
    /// `auditLog` (ADMIN only): `after` is the id of the last event seen;
    /// `user_id` keeps the events that user did or underwent.
    pub async fn audit_log(
        &self,
        viewer: &Viewer,
        first: i64,
        after: Option<i64>,
        user_id: Option<i64>,
        action: Option<&str>,
    ) -> Result<AuditPage, AppError> {
        require_admin(viewer)?;
        if !(1..=100).contains(&first) {
            return Err(AppError::bad(Field::First, InputProblem::Malformed));
        }
        let action = match action.map(str::trim).filter(|a| !a.is_empty()) {
            Some(wire) => Some(AuditAction::parse(wire).ok_or(AppError::bad(Field::Action, InputProblem::NotAllowed))?),
            None => None,
        };
        let first = first as usize;
        let mut events =
            store::audit_events::page(&self.db, first as u64, after, user_id, action.map(AuditAction::as_str)).await?;
        let has_next_page = events.len() > first;
        events.truncate(first);
        Ok(AuditPage { events, has_next_page })
    }

    /// `GET /admin/export/users.jsonl` (ADMIN only): every user, `page` at a time.
    pub fn export_users(&self, viewer: &Viewer, page: u64) -> Result<UserExport, AppError> {
        require_admin(viewer)?;
        Ok(UserExport {
            db: self.db.clone(),
            after: 0,
            page: page.max(1),
            done: false,
        })
    }
}
