//! One admin action or security event: `auditLog`.

use sea_orm::entity::prelude::*;

/// One row of `audit_events`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    /// Who did it; null for the command line.
    pub actor_id: Option<i64>,
    /// `user.disabled`, `user.password_changed`, …
    pub action: String,
    pub target_user_id: Option<i64>,
    pub ip: Option<String>,
    /// Operator words (a disable reason, the new role); never a secret.
    pub detail: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
