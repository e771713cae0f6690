//! A live verification code. At most one per (target, purpose): a resend
//! replaces it.

use sea_orm::entity::prelude::*;

/// One row of `codes`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// E.164 mobile or normalised email.
    pub target: String,
    /// Lower-case purpose, e.g. `login`.
    pub purpose: String,
    /// HMAC-SHA256 of target, purpose and code; the code itself is never stored.
    pub code_hmac: String,
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
