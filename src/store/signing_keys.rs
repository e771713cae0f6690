//! Queries on `signing_keys`: rows are only ever added (one generation after
//! the newest) and, once their tokens are dead, deleted.

use chrono::{DateTime, Utc};
use entity::signing_key::{ActiveModel, Column, Entity as SigningKeys};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TryInsertResult};

/// A stored signing key (read-only: writes go through the functions here).
pub use entity::signing_key::Model as StoredKey;

use crate::error::AppError;

/// Every key, oldest generation first.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<StoredKey>, AppError> {
    Ok(SigningKeys::find().order_by_asc(Column::Generation).all(db).await?)
}

/// A key to add as the next generation.
pub struct NewKey {
    pub generation: i32,
    pub kid: String,
    pub algorithm: String,
    pub public_jwk: Option<String>,
    pub private_key: Option<String>,
}

/// Adds `key` as its generation, in use from `now`; `false` when another
/// process added that generation first (the caller re-reads and decides again).
pub async fn insert_generation<C: ConnectionTrait>(db: &C, key: NewKey, now: DateTime<Utc>) -> Result<bool, AppError> {
    let row = ActiveModel {
        generation: Set(key.generation),
        kid: Set(key.kid),
        algorithm: Set(key.algorithm),
        public_jwk: Set(key.public_jwk),
        private_key: Set(key.private_key),
        created_at: Set(now),
    };
    // ON CONFLICT DO NOTHING: losing the race is expected (nodes starting
    // together), not an error for the database log.
    let inserted = SigningKeys::insert(row)
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(rows) if rows > 0))
}

/// Deletes the keys of these generations (retired keys whose tokens are all expired).
pub async fn delete_generations<C: ConnectionTrait>(db: &C, generations: &[i32]) -> Result<u64, AppError> {
    if generations.is_empty() {
        return Ok(0);
    }
    Ok(SigningKeys::delete_many()
        .filter(Column::Generation.is_in(generations.iter().copied()))
        .exec(db)
        .await?
        .rows_affected)
}
