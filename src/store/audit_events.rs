//! Queries on `audit_events` (`auditLog`).

use chrono::{DateTime, Utc};
/// A stored audit event (read-only: writes go through [`insert`]).
pub use entity::audit_event::Model as AuditEvent;
use entity::audit_event::{ActiveModel, Column, Entity as AuditEvents};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::error::AppError;

/// One event to store.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub action: &'static str,
    pub target_user_id: Option<i64>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

/// Stores one event.
pub async fn insert<C: ConnectionTrait>(db: &C, new: NewAuditEvent) -> Result<(), AppError> {
    let row = ActiveModel {
        at: Set(new.at),
        actor_id: Set(new.actor_id),
        action: Set(new.action.to_string()),
        target_user_id: Set(new.target_user_id),
        ip: Set(new.ip),
        detail: Set(new.detail),
        ..Default::default()
    };
    AuditEvents::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// Up to `first + 1` events, newest first, older than `before_id` when
/// given; only those `user_id` did or underwent, only `action`, when given.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    first: u64,
    before_id: Option<i64>,
    user_id: Option<i64>,
    action: Option<&str>,
) -> Result<Vec<AuditEvent>, AppError> {
    let mut query = AuditEvents::find().order_by_desc(Column::Id).limit(first + 1);
    if let Some(before) = before_id {
        query = query.filter(Column::Id.lt(before));
    }
    if let Some(user) = user_id {
        query = query.filter(
            Condition::any()
                .add(Column::ActorId.eq(user))
                .add(Column::TargetUserId.eq(user)),
        );
    }
    if let Some(action) = action {
        query = query.filter(Column::Action.eq(action));
    }
    Ok(query.all(db).await?)
}
