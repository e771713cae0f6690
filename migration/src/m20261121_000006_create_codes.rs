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
                    .table(Codes::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Codes::Id))
                    .col(string(Codes::Target))
                    .col(string(Codes::Purpose))
                    .col(string(Codes::CodeHmac))
                    .col(integer(Codes::Attempts).default(0))
                    .col(timestamp_with_time_zone(Codes::CreatedAt))
                    .col(timestamp_with_time_zone(Codes::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        // One live code per target and purpose: a resend replaces it.
        manager
            .create_index(
                Index::create()
                    .name("uq_codes_target_purpose")
                    .table(Codes::Table)
                    .col(Codes::Target)
                    .col(Codes::Purpose)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Codes::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Codes {
    Table,
    Id,
    Target,
    Purpose,
    CodeHmac,
    Attempts,
    CreatedAt,
    ExpiresAt,
}
