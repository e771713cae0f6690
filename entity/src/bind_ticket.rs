//! A single-use, one-hour bind ticket (`bindToken`): a mobile proven by SMS,
//! an email proven by an email code, or a platform identity proven by the
//! platform, waiting for an account to attach to.

use sea_orm::entity::prelude::*;

/// One row of `bind_tickets`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bind_tickets")]
pub struct Model {
    /// SHA-256 of the ticket handed to the client, hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub mobile: Option<String>,
    pub platform: Option<String>,
    pub app_id: Option<String>,
    pub openid: Option<String>,
    pub unionid: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// A normalised email proven by an email LOGIN code.
    pub email: Option<String>,
    /// Sealed: the platform identity's revocation token, for the binding it becomes.
    pub revocation: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
