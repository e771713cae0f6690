//! Queries on `oauth_states`: the single-use states of browser OAuth flows.

use chrono::{DateTime, Utc};
use entity::oauth_state::{ActiveModel, Column, Entity as States};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// A stored flow (read-only: writes go through the functions here).
pub use entity::oauth_state::Model as OAuthState;

use crate::error::AppError;

/// What a flow's end must match.
#[derive(Debug, Clone)]
pub struct NewState {
    pub platform: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub nonce: Option<String>,
}

/// Stores a flow under the hash of the state handed out.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    id: &str,
    new: NewState,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    let row = ActiveModel {
        id: Set(id.to_string()),
        platform: Set(new.platform),
        redirect_uri: Set(new.redirect_uri),
        code_challenge: Set(new.code_challenge),
        nonce: Set(new.nonce),
        created_at: Set(now),
        expires_at: Set(expires_at),
    };
    States::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// The live flow, without using it up.
pub async fn peek<C: ConnectionTrait>(db: &C, id: &str, now: DateTime<Utc>) -> Result<Option<OAuthState>, AppError> {
    Ok(States::find_by_id(id.to_string())
        .one(db)
        .await?
        .filter(|s| s.expires_at > now))
}

/// Deletes and returns the live flow; only one caller ever gets it.
pub async fn take<C: ConnectionTrait>(db: &C, id: &str, now: DateTime<Utc>) -> Result<Option<OAuthState>, AppError> {
    let Some(state) = peek(db, id, now).await? else {
        return Ok(None);
    };
    let deleted = States::delete_many().filter(Column::Id.eq(id)).exec(db).await?;
    Ok((deleted.rows_affected == 1).then_some(state))
}

/// Deletes expired flows.
pub async fn sweep<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, AppError> {
    Ok(States::delete_many()
        .filter(Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}
