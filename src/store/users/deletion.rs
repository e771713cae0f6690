//! Account deletion on `users`: the grace period, and the anonymisation
//! that leaves a tombstone (the id, `DELETED`, when it was created).

use chrono::{DateTime, Utc};
use entity::user::{Column, Entity as Users};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::update_columns;
use crate::domain::{Gender, User, UserStatus};
use crate::error::AppError;
use crate::store::Conn;

/// PENDING_DELETION until `at`.
pub async fn schedule_deletion<C: Conn>(
    db: &C,
    id: i64,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<User, AppError> {
    let changes = [
        (Column::Status, Expr::value(UserStatus::PendingDeletion)),
        (Column::DeletionScheduledAt, Expr::value(Some(at))),
    ];
    update_columns(db, id, changes, now).await
}

/// Back to ACTIVE, only while the grace lasts; `None` when it is over (or
/// nothing was pending), so a cancel cannot race the anonymisation.
pub async fn cancel_deletion<C: Conn>(db: &C, id: i64, now: DateTime<Utc>) -> Result<Option<User>, AppError> {
    let done = Users::update_many()
        .col_expr(Column::Status, Expr::value(UserStatus::Active))
        .col_expr(Column::DeletionScheduledAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(UserStatus::PendingDeletion))
        .filter(Column::DeletionScheduledAt.gt(now))
        .exec(db)
        .await?;
    db.user_changed(id).await;
    if done.rows_affected == 0 {
        return Ok(None);
    }
    super::by_id(db, id).await
}

/// Accounts whose grace is over, oldest first.
pub async fn due_for_erasure<C: ConnectionTrait>(db: &C, now: DateTime<Utc>, limit: u64) -> Result<Vec<i64>, AppError> {
    Ok(Users::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::Status.eq(UserStatus::PendingDeletion))
        .filter(Column::DeletionScheduledAt.lte(now))
        .order_by_asc(Column::DeletionScheduledAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Turns a due account into its tombstone: every personal column nulled,
/// every token dead. Its first statement is the claim, a conditional update:
/// of two nodes (or a cancel) racing for one account, one changes the row and
/// the others find nothing, so the anonymisation happens once; and being a
/// write, it takes SQLite's write lock before anything is read. Answers the
/// user as it was, for the traces elsewhere, or `None` when someone else got it.
pub async fn erase<C: Conn>(db: &C, id: i64, now: DateTime<Utc>) -> Result<Option<User>, AppError> {
    let claimed = Users::update_many()
        .col_expr(Column::Status, Expr::value(UserStatus::Deleted))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(UserStatus::PendingDeletion))
        .filter(Column::DeletionScheduledAt.lte(now))
        .exec(db)
        .await?;
    db.user_changed(id).await;
    if claimed.rows_affected != 1 {
        return Ok(None);
    }
    let before = super::by_id(db, id).await?;
    let none = || Expr::value(Option::<String>::None);
    let no_time = || Expr::value(Option::<DateTime<Utc>>::None);
    Users::update_many()
        .col_expr(Column::Username, none())
        .col_expr(Column::UsernameKey, none())
        .col_expr(Column::Nickname, none())
        .col_expr(Column::Mobile, none())
        .col_expr(Column::Email, none())
        .col_expr(Column::Avatar, none())
        .col_expr(Column::Gender, Expr::value(Gender::Unknown))
        .col_expr(Column::Birthday, Expr::value(Option::<chrono::NaiveDate>::None))
        .col_expr(Column::PasswordHash, none())
        .col_expr(Column::PayPasswordHash, none())
        .col_expr(Column::InviteCode, none())
        .col_expr(Column::ReferrerId, Expr::value(Option::<i64>::None))
        .col_expr(Column::RegisterIp, none())
        .col_expr(Column::LastLoginIp, none())
        .col_expr(Column::LastLoginAt, no_time())
        .col_expr(Column::MobileVerifiedAt, no_time())
        .col_expr(Column::MobileVerifiedSession, none())
        .col_expr(Column::LockedUntil, no_time())
        .col_expr(Column::PayPasswordLockedUntil, no_time())
        .col_expr(Column::DeletionScheduledAt, no_time())
        .col_expr(Column::TokenVersion, Expr::col(Column::TokenVersion).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    db.user_changed(id).await;
    Ok(before)
}
