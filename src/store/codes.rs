//! Queries on `codes`: one live code per (target, purpose).

use chrono::{DateTime, Utc};
use entity::code::{ActiveModel, Column, Entity as Codes};

/// A stored code row (read-only: writes go through the functions here).
pub use entity::code::Model as CodeRow;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::error::AppError;

/// Stores the code's HMAC, replacing any live code of the same target and purpose.
pub async fn replace<C: ConnectionTrait>(
    db: &C,
    target: &str,
    purpose: &str,
    code_hmac: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    let row = ActiveModel {
        target: Set(target.to_string()),
        purpose: Set(purpose.to_string()),
        code_hmac: Set(code_hmac.to_string()),
        attempts: Set(0),
        created_at: Set(now),
        expires_at: Set(expires_at),
        ..Default::default()
    };
    Codes::insert(row)
        .on_conflict(
            OnConflict::columns([Column::Target, Column::Purpose])
                .update_columns([Column::CodeHmac, Column::Attempts, Column::CreatedAt, Column::ExpiresAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The live code row of a target and purpose, if any.
pub async fn find<C: ConnectionTrait>(db: &C, target: &str, purpose: &str) -> Result<Option<CodeRow>, AppError> {
    let select = Codes::find()
        .filter(Column::Target.eq(target))
        .filter(Column::Purpose.eq(purpose));
    Ok(super::by_key(select, db).await?)
}

/// Deletes the row if it still holds this HMAC, is unexpired and unburnt:
/// true for exactly one of any number of concurrent callers.
pub async fn take_matching<C: ConnectionTrait>(
    db: &C,
    id: i64,
    code_hmac: &str,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let result = Codes::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::CodeHmac.eq(code_hmac))
        .filter(Column::Attempts.lt(max_attempts))
        .filter(Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Counts a wrong try; deletes the code once it reaches `max_attempts`.
/// Returns true when this try burnt it.
pub async fn record_wrong_try<C: ConnectionTrait>(db: &C, id: i64, max_attempts: i32) -> Result<bool, AppError> {
    Codes::update_many()
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    let burnt = Codes::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::Attempts.gte(max_attempts))
        .exec(db)
        .await?;
    Ok(burnt.rows_affected == 1)
}

/// Removes the live code of a target and purpose.
pub async fn delete<C: ConnectionTrait>(db: &C, target: &str, purpose: &str) -> Result<(), AppError> {
    Codes::delete_many()
        .filter(Column::Target.eq(target))
        .filter(Column::Purpose.eq(purpose))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes expired codes.
pub async fn sweep<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, AppError> {
    Ok(Codes::delete_many()
        .filter(Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}
