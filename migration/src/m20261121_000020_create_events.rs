use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The events outbox: written in the transaction of the change it tells
/// about, delivered to the webhook from here, deleted once delivered.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Events::Id))
                    .col(big_integer(Events::UserId))
                    .col(string(Events::EventType))
                    .col(text(Events::Data))
                    .col(timestamp_with_time_zone(Events::OccurredAt))
                    .col(integer(Events::Attempts).default(0))
                    .col(timestamp_with_time_zone(Events::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Events::LeasedUntil))
                    .col(string_null(Events::LastError))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_events_user")
                    .table(Events::Table)
                    .col(Events::UserId)
                    .col(Events::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Events::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    UserId,
    EventType,
    Data,
    OccurredAt,
    Attempts,
    NextAttemptAt,
    LeasedUntil,
    LastError,
}
