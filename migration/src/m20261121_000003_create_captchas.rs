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
                    .table(Captchas::Table)
                    .if_not_exists()
                    .col(string(Captchas::Id).primary_key())
                    .col(string(Captchas::AnswerHmac))
                    .col(timestamp_with_time_zone(Captchas::CreatedAt))
                    .col(timestamp_with_time_zone(Captchas::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Captchas::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Captchas {
    Table,
    Id,
    AnswerHmac,
    CreatedAt,
    ExpiresAt,
}
