use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Whether the platform itself proved the identity (verified sign-in) or the
/// client only claimed it (the seed's register-and-bind).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ThirdPartyBindings::Table)
                    .add_column(boolean(ThirdPartyBindings::Verified).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ThirdPartyBindings::Table)
                    .drop_column(ThirdPartyBindings::Verified)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ThirdPartyBindings {
    Table,
    Verified,
}
