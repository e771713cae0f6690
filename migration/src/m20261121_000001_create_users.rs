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
                    .table(Users::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Users::Id))
                    .col(string_null(Users::Username))
                    .col(string_null(Users::UsernameKey).unique_key())
                    .col(string_null(Users::Nickname))
                    .col(string_null(Users::Mobile).unique_key())
                    .col(string_null(Users::Email).unique_key())
                    .col(string_null(Users::Avatar))
                    .col(integer(Users::Gender).default(0))
                    .col(string_null(Users::PasswordHash))
                    .col(string_null(Users::PayPasswordHash))
                    .col(integer(Users::PayPasswordFailures).default(0))
                    .col(timestamp_with_time_zone_null(Users::PayPasswordLockedUntil))
                    .col(string(Users::Role).default("USER"))
                    .col(string(Users::Status).default("ACTIVE"))
                    .col(integer(Users::TokenVersion).default(0))
                    .col(big_integer_null(Users::ReferrerId))
                    .col(string_null(Users::InviteCode))
                    .col(timestamp_with_time_zone_null(Users::MobileVerifiedAt))
                    .col(timestamp_with_time_zone_null(Users::LockedUntil))
                    .col(string_null(Users::RegisterIp))
                    .col(string_null(Users::LastLoginIp))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                    .to_owned(),
            )
            .await?;
        // Keyset pagination of `users` walks the primary key; search scans these.
        manager
            .create_index(
                Index::create()
                    .name("idx_users_created_at")
                    .table(Users::Table)
                    .col(Users::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Users::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Username,
    UsernameKey,
    Nickname,
    Mobile,
    Email,
    Avatar,
    Gender,
    PasswordHash,
    PayPasswordHash,
    PayPasswordFailures,
    PayPasswordLockedUntil,
    Role,
    Status,
    TokenVersion,
    ReferrerId,
    InviteCode,
    MobileVerifiedAt,
    LockedUntil,
    RegisterIp,
    LastLoginIp,
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
}
