use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `auditLog`: one row per admin action and security event. No foreign keys:
/// the log outlives what it tells about (a deleted account, a demoted admin).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .col(big_integer_null(AuditEvents::ActorId))
                    .col(string(AuditEvents::Action))
                    .col(big_integer_null(AuditEvents::TargetUserId))
                    .col(string_null(AuditEvents::Ip))
                    .col(string_null(AuditEvents::Detail))
                    .to_owned(),
            )
            .await?;
        // `auditLog(userId:)` pages, newest first, by target and by actor.
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_events_target")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::TargetUserId)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_events_actor")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::ActorId)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    ActorId,
    Action,
    TargetUserId,
    Ip,
    Detail,
}
