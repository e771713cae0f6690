//! One event waiting for the webhook (`user.created`, `user.signed_in`, …).

use sea_orm::entity::prelude::*;

/// One row of `events`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    /// Also the event's `id` on the wire: receivers drop an id they have seen.
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// `user.created`, `user.updated`, …
    pub event_type: String,
    /// The `data` object, JSON; never a personal value (receivers ask the API for those).
    pub data: String,
    pub occurred_at: DateTimeUtc,
    /// Failed deliveries so far.
    pub attempts: i32,
    /// Not tried again before this (back-off).
    pub next_attempt_at: DateTimeUtc,
    /// A node delivering it holds it until then; a node that dies lets it lapse.
    pub leased_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
