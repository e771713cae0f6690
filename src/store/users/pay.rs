//! The pay password on `users`: its hash and its own lockout.

use chrono::{DateTime, Utc};
use entity::user::{Column, Entity as Users};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use super::update_columns;
use crate::domain::User;
use crate::error::AppError;
use crate::store::Conn;

/// The pay password of a user and its lockout state.
pub struct PayPasswordState {
    pub hash: Option<String>,
    pub failures: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// The pay password state of a user (`None`: no such user).
pub async fn pay_password<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<PayPasswordState>, AppError> {
    Ok(Users::find_by_id(id).one(db).await?.map(|row| PayPasswordState {
        hash: row.pay_password_hash,
        failures: row.pay_password_failures,
        locked_until: row.pay_password_locked_until,
    }))
}

/// Stores a new pay password hash and ends its lockout.
pub async fn set_pay_password_hash<C: Conn>(db: &C, id: i64, hash: &str, now: DateTime<Utc>) -> Result<User, AppError> {
    let changes = [
        (Column::PayPasswordHash, Expr::value(hash)),
        (Column::PayPasswordFailures, Expr::value(0)),
        (
            Column::PayPasswordLockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        ),
    ];
    update_columns(db, id, changes, now).await
}

/// Takes one pay-password try if the pay password is not locked and tries
/// remain; one statement decides, so concurrent guesses cannot share a try.
pub async fn reserve_pay_password_try<C: Conn>(
    db: &C,
    id: i64,
    max_tries: i32,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let result = Users::update_many()
        .col_expr(
            Column::PayPasswordFailures,
            Expr::col(Column::PayPasswordFailures).add(1),
        )
        .filter(Column::Id.eq(id))
        .filter(Column::PayPasswordFailures.lt(max_tries))
        .filter(
            Condition::any()
                .add(Column::PayPasswordLockedUntil.is_null())
                .add(Column::PayPasswordLockedUntil.lte(now)),
        )
        .exec(db)
        .await?;
    db.user_changed(id).await;
    Ok(result.rows_affected == 1)
}

/// Used by the pay-password lockout.
pub async fn set_pay_password_failures<C: Conn>(
    db: &C,
    id: i64,
    failures: i32,
    locked_until: Option<DateTime<Utc>>,
) -> Result<(), AppError> {
    Users::update_many()
        .col_expr(Column::PayPasswordFailures, Expr::value(failures))
        .col_expr(Column::PayPasswordLockedUntil, Expr::value(locked_until))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    db.user_changed(id).await;
    Ok(())
}
