use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A sealed token that revokes the user's authorisation at the platform
/// (Sign in with Apple's refresh token), kept with the binding and carried
/// by a bind ticket until the binding exists; used when the account is deleted.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ThirdPartyBindings::Table)
                    .add_column(text_null(ThirdPartyBindings::Revocation))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(BindTickets::Table)
                    .add_column(text_null(BindTickets::Revocation))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(BindTickets::Table)
                    .drop_column(BindTickets::Revocation)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ThirdPartyBindings::Table)
                    .drop_column(ThirdPartyBindings::Revocation)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ThirdPartyBindings {
    Table,
    Revocation,
}

#[derive(DeriveIden)]
enum BindTickets {
    Table,
    Revocation,
}
