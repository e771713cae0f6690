//! Queries on `settings`.

use entity::setting::{ActiveModel, Entity as Settings};
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use crate::error::AppError;

/// The stored value of `key`.
pub async fn get<C: ConnectionTrait>(db: &C, key: &str) -> Result<Option<String>, AppError> {
    Ok(Settings::find_by_id(key.to_string())
        .one(db)
        .await?
        .map(|row| row.value))
}

/// Stores `value` unless `key` already has one, then returns the winner, so
/// two nodes starting at once agree on one value.
pub async fn get_or_insert<C: ConnectionTrait>(db: &C, key: &str, value: &str) -> Result<String, AppError> {
    let row = ActiveModel {
        key: Set(key.to_string()),
        value: Set(value.to_string()),
    };
    Settings::insert(row)
        .on_conflict_do_nothing_on([entity::setting::Column::Key])
        .exec(db)
        .await?;
    get(db, key)
        .await?
        .ok_or_else(|| AppError::Internal(format!("setting {key} vanished after insert")))
}
