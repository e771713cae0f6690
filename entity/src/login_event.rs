//! One sign-in attempt that named an existing account: `loginHistory`.

use sea_orm::entity::prelude::*;

/// One row of `login_events`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub at: DateTimeUtc,
    /// `password`, `sms`, `email`, `third_party` or `one_click`.
    pub method: String,
    pub success: bool,
    /// The error code of a failed attempt (`INVALID_CREDENTIALS`, …).
    pub failure_code: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
