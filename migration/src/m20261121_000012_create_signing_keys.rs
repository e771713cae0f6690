use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The JWT signing keys, one row per generation: the newest is the one
/// tokens are signed with, older ones verify until their tokens expire. The
/// generation is the primary key (never auto-assigned), so two nodes that
/// both try to add "the next" key cannot both succeed.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .if_not_exists()
                    .col(integer(SigningKeys::Generation).primary_key())
                    .col(string(SigningKeys::Kid))
                    .col(string(SigningKeys::Algorithm))
                    .col(text_null(SigningKeys::PublicJwk))
                    .col(text_null(SigningKeys::PrivateKey))
                    .col(timestamp_with_time_zone(SigningKeys::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SigningKeys::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Generation,
    Kid,
    Algorithm,
    PublicJwk,
    PrivateKey,
    CreatedAt,
}
