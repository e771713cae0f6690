//! The database queries. Only this module and `migration/` use `sea_orm`
//! directly; constraint violations become domain errors here.

pub mod audit_events;
pub mod bindings;
pub mod captchas;
pub mod codes;
pub mod counters;
pub mod erasure;
pub mod events;
pub mod login_events;
pub mod oauth_states;
pub mod sessions;
pub mod settings;
pub mod signing_keys;
pub mod tickets;
pub mod users;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, SqlErr};

use crate::error::{AppError, Field};

/// The pool services hold; only this module looks inside.
pub use sea_orm::DatabaseConnection as Db;
/// Writes that land together: services open one with [`begin`] and pass it
/// to the functions here, never to `sea_orm`.
pub use sea_orm::DatabaseTransaction as Txn;

/// Starts a transaction: services group writes that must land together.
pub async fn begin(db: &DatabaseConnection) -> Result<Txn, AppError> {
    use sea_orm::TransactionTrait;
    Ok(db.begin().await?)
}

/// Commits what a service grouped.
pub async fn commit(txn: Txn) -> Result<(), AppError> {
    Ok(txn.commit().await?)
}

/// Opens the pool; SQLite gets WAL and a busy timeout so concurrent requests
/// wait for the writer instead of failing. A request waits at most
/// `acquire_timeout` for a connection, so an outage answers quickly.
pub async fn connect(
    url: &str,
    max_connections: u32,
    acquire_timeout: std::time::Duration,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .sqlx_logging(false)
        .acquire_timeout(acquire_timeout)
        .connect_timeout(acquire_timeout);
    let is_sqlite = url.starts_with("sqlite:");
    if is_sqlite {
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(std::time::Duration::from_secs(10))
                .foreign_keys(true)
        });
    }
    Database::connect(options).await
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    use migration::MigratorTrait;
    migration::Migrator::up(db, None).await
}

/// True when the database answers a trivial query (`/readyz`).
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// How many pooled connections are busy and how many idle, for `/metrics`.
pub fn pool_counts(db: &DatabaseConnection) -> (u32, u32) {
    let (size, idle) = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    (size - idle, idle)
}

/// Turns a unique violation on users into ACCOUNT_EXISTS on the right field.
pub(crate) fn account_conflict(err: DbErr) -> AppError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message)) => {
            let field = if message.contains("username") {
                Field::Username
            } else if message.contains("mobile") {
                Field::Mobile
            } else if message.contains("email") {
                Field::Email
            } else {
                Field::Account
            };
            AppError::AccountExists { field }
        }
        _ => AppError::from(err),
    }
}

/// True for a unique-constraint violation (used where a race means "someone else won").
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
