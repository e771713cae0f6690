use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::m20261121_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `loginHistory`: one row per sign-in attempt that named an existing account.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(LoginEvents::Id))
                    .col(big_integer(LoginEvents::UserId))
                    .col(timestamp_with_time_zone(LoginEvents::At))
                    .col(string(LoginEvents::Method))
                    .col(boolean(LoginEvents::Success))
                    .col(string_null(LoginEvents::FailureCode))
                    .col(string_null(LoginEvents::Ip))
                    .col(string_null(LoginEvents::UserAgent))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_login_events_user")
                            .from(LoginEvents::Table, LoginEvents::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A user's page, newest first: (user_id, id) serves both the filter and the order.
        manager
            .create_index(
                Index::create()
                    .name("idx_login_events_user_id")
                    .table(LoginEvents::Table)
                    .col(LoginEvents::UserId)
                    .col(LoginEvents::Id)
                    .to_owned(),
            )
            .await?;
        // The retention sweep deletes by age.
        manager
            .create_index(
                Index::create()
                    .name("idx_login_events_at")
                    .table(LoginEvents::Table)
                    .col(LoginEvents::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LoginEvents {
    Table,
    Id,
    UserId,
    At,
    Method,
    Success,
    FailureCode,
    Ip,
    UserAgent,
}
