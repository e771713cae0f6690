//! A platform identity (WeChat, Apple, QQ, Weibo) bound to a user.

use sea_orm::entity::prelude::*;

/// One row of `third_party_bindings`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "third_party_bindings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// Wire name, e.g. `wx_app`.
    pub platform: String,
    /// The platform app the openid belongs to (openids are per app).
    pub app_id: String,
    pub openid: String,
    pub unionid: Option<String>,
    pub created_at: DateTimeUtc,
    /// True when the platform proved the identity; false for an openid the
    /// client only claimed (seed flow), which never captures a verified sign-in.
    pub verified: bool,
    /// Sealed: what revokes the authorisation at the platform on deletion (Apple).
    pub revocation: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
