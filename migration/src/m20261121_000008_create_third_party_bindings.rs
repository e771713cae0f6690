use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::m20261121_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ThirdPartyBindings::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ThirdPartyBindings::Id))
                    .col(big_integer(ThirdPartyBindings::UserId))
                    .col(string(ThirdPartyBindings::Platform))
                    .col(string(ThirdPartyBindings::AppId))
                    .col(string(ThirdPartyBindings::Openid))
                    .col(string_null(ThirdPartyBindings::Unionid))
                    .col(timestamp_with_time_zone(ThirdPartyBindings::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_third_party_bindings_user")
                            .from(ThirdPartyBindings::Table, ThirdPartyBindings::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // An openid belongs to one user; a user has one identity per platform.
        manager
            .create_index(
                Index::create()
                    .name("uq_bindings_identity")
                    .table(ThirdPartyBindings::Table)
                    .col(ThirdPartyBindings::Platform)
                    .col(ThirdPartyBindings::AppId)
                    .col(ThirdPartyBindings::Openid)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_bindings_user_platform")
                    .table(ThirdPartyBindings::Table)
                    .col(ThirdPartyBindings::UserId)
                    .col(ThirdPartyBindings::Platform)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_bindings_unionid")
                    .table(ThirdPartyBindings::Table)
                    .col(ThirdPartyBindings::Unionid)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ThirdPartyBindings::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ThirdPartyBindings {
    Table,
    Id,
    UserId,
    Platform,
    AppId,
    Openid,
    Unionid,
    CreatedAt,
}
