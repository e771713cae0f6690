//! Queries on `login_events` (`loginHistory`).

use chrono::{DateTime, Utc};
use entity::login_event::{ActiveModel, Column, Entity as LoginEvents};

/// A stored sign-in attempt (read-only: writes go through the functions here).
pub use entity::login_event::Model as LoginEvent;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use super::Writes;
use crate::error::AppError;

/// One attempt to store.
#[derive(Debug, Clone)]
pub struct NewLoginEvent {
    pub user_id: i64,
    pub method: &'static str,
    /// `None` for a success.
    pub failure_code: Option<&'static str>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Stores one attempt made at `at`.
pub async fn insert<C: ConnectionTrait>(db: &C, new: NewLoginEvent, at: DateTime<Utc>) -> Result<(), AppError> {
    LoginEvents::insert(row_of(new, at)).exec_without_returning(db).await?;
    Ok(())
}

/// Queues one attempt made at `at` (a success, with the writes of its session).
pub fn queue(writes: &mut Writes, new: NewLoginEvent, at: DateTime<Utc>) {
    writes.push(&LoginEvents::insert(row_of(new, at)));
}

fn row_of(new: NewLoginEvent, at: DateTime<Utc>) -> ActiveModel {
    ActiveModel {
        user_id: Set(new.user_id),
        at: Set(at),
        method: Set(new.method.to_string()),
        success: Set(new.failure_code.is_none()),
        failure_code: Set(new.failure_code.map(str::to_string)),
        ip: Set(new.ip),
        user_agent: Set(new.user_agent),
        ..Default::default()
    }
}

/// Up to `first + 1` of the user's attempts, newest first, older than the
/// attempt `before_id` when given (the extra row tells whether more follow).
pub async fn page<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    first: u64,
    before_id: Option<i64>,
) -> Result<Vec<LoginEvent>, AppError> {
    let mut query = LoginEvents::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_desc(Column::Id)
        .limit(first + 1);
    if let Some(before) = before_id {
        query = query.filter(Column::Id.lt(before));
    }
    Ok(query.all(db).await?)
}

/// Deletes attempts made before `cutoff`.
pub async fn sweep<C: ConnectionTrait>(db: &C, cutoff: DateTime<Utc>) -> Result<u64, AppError> {
    Ok(LoginEvents::delete_many()
        .filter(Column::At.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}
