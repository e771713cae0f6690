//! Queries on `bind_tickets`.

use chrono::{DateTime, Utc};
use entity::bind_ticket::{ActiveModel, Column, Entity as Tickets};

/// A stored bind ticket (read-only: writes go through the functions here).
pub use entity::bind_ticket::Model as Ticket;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::error::AppError;

/// What a ticket proves: a mobile, an email, or a platform identity.
#[derive(Debug, Clone, Default)]
pub struct NewTicket {
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub platform: Option<String>,
    pub app_id: Option<String>,
    pub openid: Option<String>,
    pub unionid: Option<String>,
    /// Sealed revocation token of the identity (Apple on the web).
    pub revocation: Option<String>,
}

/// Stores a ticket under the hash of the token handed out.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    id: &str,
    new: NewTicket,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    let row = ActiveModel {
        id: Set(id.to_string()),
        mobile: Set(new.mobile),
        email: Set(new.email),
        platform: Set(new.platform),
        app_id: Set(new.app_id),
        openid: Set(new.openid),
        unionid: Set(new.unionid),
        revocation: Set(new.revocation),
        created_at: Set(now),
        expires_at: Set(expires_at),
    };
    Tickets::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// The live ticket, without using it up.
pub async fn peek<C: ConnectionTrait>(db: &C, id: &str, now: DateTime<Utc>) -> Result<Option<Ticket>, AppError> {
    Ok(Tickets::find_by_id(id.to_string())
        .one(db)
        .await?
        .filter(|t| t.expires_at > now))
}

/// Deletes and returns the live ticket; only one caller ever gets it.
pub async fn take<C: ConnectionTrait>(db: &C, id: &str, now: DateTime<Utc>) -> Result<Option<Ticket>, AppError> {
    let Some(ticket) = peek(db, id, now).await? else {
        return Ok(None);
    };
    let deleted = Tickets::delete_many().filter(Column::Id.eq(id)).exec(db).await?;
    Ok((deleted.rows_affected == 1).then_some(ticket))
}

/// Deletes expired tickets.
pub async fn sweep<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, AppError> {
    Ok(Tickets::delete_many()
        .filter(Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}
