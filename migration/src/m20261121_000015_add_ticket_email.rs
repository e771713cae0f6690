use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A bind ticket may carry an email proven by an email LOGIN code, as it
/// carries a mobile proven by SMS.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(BindTickets::Table)
                    .add_column(string_null(BindTickets::Email))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(BindTickets::Table)
                    .drop_column(BindTickets::Email)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum BindTickets {
    Table,
    Email,
}
