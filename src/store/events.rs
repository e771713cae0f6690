//! Queries on `events`, the webhook outbox.
//!
//! Order per user: only a user's oldest event is ever due, so the next one
//! waits until it is delivered. Exactly one node delivers an event at a time:
//! it leases the row with a conditional update, and a lease that lapses (a
//! node killed mid-delivery) makes the event due again: at least once.

use chrono::{DateTime, Utc};
use entity::event::{ActiveModel, Column, Entity as Events};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

/// A stored event (read-only: writes go through the functions here).
pub use entity::event::Model as Event;

use super::Writes;
use crate::error::AppError;

/// Appends an event; callers pass the transaction of the change it tells about.
pub async fn append<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    event_type: &str,
    data: String,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    Events::insert(row_of(user_id, event_type, data, now))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Queues an event with the writes of the change it tells about.
pub fn queue(writes: &mut Writes, user_id: i64, event_type: &str, data: String, now: DateTime<Utc>) {
    writes.push(&Events::insert(row_of(user_id, event_type, data, now)));
}

fn row_of(user_id: i64, event_type: &str, data: String, now: DateTime<Utc>) -> ActiveModel {
    ActiveModel {
        user_id: Set(user_id),
        event_type: Set(event_type.to_string()),
        data: Set(data),
        occurred_at: Set(now),
        attempts: Set(0),
        next_attempt_at: Set(now),
        leased_until: Set(None),
        last_error: Set(None),
        ..Default::default()
    }
}

/// Each user's oldest event, when it is due and nobody holds it; oldest first.
pub async fn due_heads<C: ConnectionTrait>(db: &C, now: DateTime<Utc>, limit: u64) -> Result<Vec<Event>, AppError> {
    let heads = Query::select()
        .expr(Expr::col(Column::Id).min())
        .from(Events)
        .group_by_col(Column::UserId)
        .to_owned();
    Ok(Events::find()
        .filter(Column::Id.in_subquery(heads))
        .filter(Column::NextAttemptAt.lte(now))
        .filter(free(now))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

fn free(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(Column::LeasedUntil.is_null())
        .add(Column::LeasedUntil.lte(now))
}

/// Takes the event for delivery until `until`; false when another node has it.
pub async fn lease<C: ConnectionTrait>(
    db: &C,
    id: i64,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, AppError> {
    let taken = Events::update_many()
        .col_expr(Column::LeasedUntil, Expr::value(until))
        .filter(Column::Id.eq(id))
        .filter(free(now))
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// The receiver took it: it is gone.
pub async fn delivered<C: ConnectionTrait>(db: &C, id: i64) -> Result<(), AppError> {
    Events::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// The receiver failed: tried again from `next_attempt_at`.
pub async fn failed<C: ConnectionTrait>(
    db: &C,
    id: i64,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    error: &str,
) -> Result<(), AppError> {
    Events::update_many()
        .col_expr(Column::Attempts, Expr::value(attempts))
        .col_expr(Column::NextAttemptAt, Expr::value(next_attempt_at))
        .col_expr(Column::LeasedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(
            Column::LastError,
            Expr::value(error.chars().take(200).collect::<String>()),
        )
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Events still waiting (for `/metrics` and tests).
pub async fn waiting<C: ConnectionTrait>(db: &C) -> Result<u64, AppError> {
    use sea_orm::PaginatorTrait;
    Ok(Events::find().count(db).await?)
}
