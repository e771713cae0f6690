//! Queries on `captchas`.

use chrono::{DateTime, Utc};
use entity::captcha::{ActiveModel, Column, Entity as Captchas};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::error::AppError;

/// Stores a new captcha's answer HMAC.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    id: &str,
    answer_hmac: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    let row = ActiveModel {
        id: Set(id.to_string()),
        answer_hmac: Set(answer_hmac.to_string()),
        created_at: Set(now),
        expires_at: Set(expires_at),
    };
    Captchas::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// Removes the captcha and returns its answer HMAC if it was live. Only the
/// caller whose delete took effect gets it, so a captcha is used once.
pub async fn take<C: ConnectionTrait>(db: &C, id: &str, now: DateTime<Utc>) -> Result<Option<String>, AppError> {
    let Some(row) = Captchas::find_by_id(id.to_string()).one(db).await? else {
        return Ok(None);
    };
    let deleted = Captchas::delete_many().filter(Column::Id.eq(id)).exec(db).await?;
    if deleted.rows_affected != 1 || row.expires_at <= now {
        return Ok(None);
    }
    Ok(Some(row.answer_hmac))
}

/// Deletes expired captchas.
pub async fn sweep<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, AppError> {
    Ok(Captchas::delete_many()
        .filter(Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}
