//! Queries on `sessions` (refresh tokens).

use chrono::{DateTime, Utc};
use entity::session::{ActiveModel, Column, Entity as Sessions};

/// A stored session row (read-only: writes go through the functions here).
pub use entity::session::Model as Session;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{Txn, Writes};
use crate::error::AppError;

/// What a new refresh token row holds.
pub struct NewSession {
    pub user_id: i64,
    pub family_id: String,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub token_version: i32,
}

/// Queues the row of a new refresh token.
pub fn insert(writes: &mut Writes, new: NewSession, now: DateTime<Utc>) {
    writes.push(&Sessions::insert(row_of(new, now)));
}

fn row_of(new: NewSession, now: DateTime<Utc>) -> ActiveModel {
    ActiveModel {
        user_id: Set(new.user_id),
        family_id: Set(new.family_id),
        token_hash: Set(new.token_hash),
        created_at: Set(now),
        expires_at: Set(new.expires_at),
        rotated_at: Set(None),
        revoked_at: Set(None),
        ip: Set(new.ip),
        user_agent: Set(new.user_agent),
        token_version: Set(new.token_version),
        ..Default::default()
    }
}

/// Rotates the token of row `id` to `next` inside `txn` if nobody did
/// first (nor revoked it); true when this caller won. Either way `next` is
/// written: the caller commits it (a loser within the grace window) or
/// drops the transaction. One round trip on SQLite: the insert changes one
/// row, so two rows changed means the rotation did too.
pub async fn rotate(txn: &Txn, id: i64, next: NewSession, now: DateTime<Utc>) -> Result<bool, AppError> {
    let mut writes = Writes::new(txn);
    insert(&mut writes, next, now);
    writes.push(
        &Sessions::update_many()
            .col_expr(Column::RotatedAt, Expr::value(now))
            .filter(Column::Id.eq(id))
            .filter(Column::RotatedAt.is_null())
            .filter(Column::RevokedAt.is_null()),
    );
    Ok(writes.run_counting(txn).await? == 2)
}

/// The row of a refresh token, live or not.
pub async fn by_hash<C: ConnectionTrait>(db: &C, token_hash: &str) -> Result<Option<Session>, AppError> {
    Ok(super::by_key(Sessions::find().filter(Column::TokenHash.eq(token_hash)), db).await?)
}

/// Revokes every token of a family (reuse detected, or logout).
pub async fn revoke_family<C: ConnectionTrait>(db: &C, family_id: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    Sessions::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::FamilyId.eq(family_id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every token of a user (password reset, rebind, ban, logout everywhere).
pub async fn revoke_user<C: ConnectionTrait>(db: &C, user_id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    Sessions::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every token of a user but those of `keep_family`, which move to
/// the user's current token version (the session that rebinds stays signed in).
pub async fn revoke_user_except<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    keep_family: &str,
    token_version: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    Sessions::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::FamilyId.ne(keep_family))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Sessions::update_many()
        .col_expr(Column::TokenVersion, Expr::value(token_version))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::FamilyId.eq(keep_family))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// True when `family_id` of `user_id` still has a live, unrevoked token
/// issued at (or moved to) `token_version`.
pub async fn family_live_at<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    family_id: &str,
    token_version: i32,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    Ok(Sessions::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::FamilyId.eq(family_id))
        .filter(Column::TokenVersion.eq(token_version))
        .filter(Column::RevokedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .is_some())
}

/// The current (unrotated, unrevoked, unexpired) token of each live family.
pub async fn live_for_user<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Session>, AppError> {
    Ok(Sessions::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RotatedAt.is_null())
        .filter(Column::RevokedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .order_by_desc(Column::CreatedAt)
        .all(db)
        .await?)
}

/// The first row of a family: when the login that started it happened.
pub async fn family_started<C: ConnectionTrait>(db: &C, family_id: &str) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(Sessions::find()
        .filter(Column::FamilyId.eq(family_id))
        .order_by_asc(Column::Id)
        .one(db)
        .await?
        .map(|row| row.created_at))
}

/// Deletes rows that expired long ago.
pub async fn sweep<C: ConnectionTrait>(db: &C, before: DateTime<Utc>) -> Result<u64, AppError> {
    Ok(Sessions::delete_many()
        .filter(Column::ExpiresAt.lte(before))
        .exec(db)
        .await?
        .rows_affected)
}
