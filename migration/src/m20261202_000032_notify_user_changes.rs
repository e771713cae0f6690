use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// PostgreSQL: every changed or deleted `users` row is announced on the
/// channel `zhanghao_users` (payload: the id) when its transaction commits,
/// so every node's user cache forgets it — whoever wrote it: another node,
/// an operator's SQL, a migration. SQLite needs nothing: its nodes watch
/// `PRAGMA data_version`, which moves on every commit to the file.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE OR REPLACE FUNCTION zhanghao_notify_user_changed() RETURNS trigger AS $$
             BEGIN
                 PERFORM pg_notify('zhanghao_users', OLD.id::text);
                 RETURN NULL;
             END
             $$ LANGUAGE plpgsql",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TRIGGER users_notify_changed AFTER UPDATE OR DELETE ON users
             FOR EACH ROW EXECUTE FUNCTION zhanghao_notify_user_changed()",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP TRIGGER IF EXISTS users_notify_changed ON users")
            .await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS zhanghao_notify_user_changed()")
            .await?;
        Ok(())
    }
}
