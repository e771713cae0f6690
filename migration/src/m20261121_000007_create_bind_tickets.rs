use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BindTickets::Table)
                    .if_not_exists()
                    .col(string(BindTickets::Id).primary_key())
                    .col(string_null(BindTickets::Mobile))
                    .col(string_null(BindTickets::Platform))
                    .col(string_null(BindTickets::AppId))
                    .col(string_null(BindTickets::Openid))
                    .col(string_null(BindTickets::Unionid))
                    .col(timestamp_with_time_zone(BindTickets::CreatedAt))
                    .col(timestamp_with_time_zone(BindTickets::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BindTickets::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum BindTickets {
    Table,
    Id,
    Mobile,
    Platform,
    AppId,
    Openid,
    Unionid,
    CreatedAt,
    ExpiresAt,
}
