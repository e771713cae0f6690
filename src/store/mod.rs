//! The database queries. Only this module and `migration/` use `sea_orm`
//! directly; constraint violations become domain errors here.

pub mod audit_events;
mod batch;
pub mod bindings;
pub mod captchas;
pub mod codes;
pub mod counters;
mod db;
pub mod erasure;
pub mod events;
pub mod login_events;
pub mod oauth_states;
mod pg_txn;
pub mod sessions;
pub mod settings;
pub mod signing_keys;
mod sqlite_txn;
pub mod tickets;
pub mod user_cache;
pub mod users;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbErr, EntityTrait, Select, SqlErr};

pub use batch::Writes;
pub use db::{Conn, Db, Txn, begin, commit};
use user_cache::UserCache;

use crate::error::{AppError, Field};

/// How long a pooled PostgreSQL connection may sit idle before it is
/// pinged at checkout.
const PING_IF_IDLE_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens the pool; SQLite gets WAL and a busy timeout so concurrent requests
/// wait for the writer instead of failing. A request waits at most
/// `acquire_timeout` for a connection, so an outage answers quickly.
pub async fn connect(url: &str, max_connections: u32, acquire_timeout: std::time::Duration) -> Result<Db, DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .sqlx_logging(false)
        .acquire_timeout(acquire_timeout)
        .connect_timeout(acquire_timeout);
    let is_sqlite = url.starts_with("sqlite:");
    if is_sqlite {
        // A pooled SQLite connection is a thread in this process, not a
        // socket that can drop: pinging it on every checkout only costs a
        // round trip to that thread (inside the writer lock, for a write).
        options.test_before_acquire(false);
        options.map_sqlx_sqlite_opts(sqlite_settings);
    } else {
        // sqlx pings a PostgreSQL connection when it goes back to the pool
        // and drops it if that fails; pinging again at every checkout would
        // add a round trip to each (two of a password login's four). Only a
        // connection idle long enough for a proxy, a firewall or a restart
        // to have cut it is pinged first. A connection cut sooner fails the
        // one request that gets it, and its release ping then drops it.
        options.test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
    }
    let writer = if is_sqlite {
        // The one connection every write goes through, and the one its
        // checkpoints run on (see `sqlite_txn`).
        let mut writer = options.clone();
        writer
            .max_connections(2)
            .min_connections(2)
            .map_sqlx_sqlite_opts(|opts| sqlite_settings(opts).pragma("wal_autocheckpoint", "0"));
        Some(Database::connect(writer).await?)
    } else {
        None
    };
    Ok(Db::new(Database::connect(options).await?, writer))
}

/// WAL, `synchronous = NORMAL` (a commit survives `kill -9`; only a power
/// cut may lose the last ones), a busy timeout for other processes on the
/// file, and foreign keys.
fn sqlite_settings(opts: SqliteConnectOptions) -> SqliteConnectOptions {
    opts.journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(std::time::Duration::from_secs(10))
        .foreign_keys(true)
}

/// Gives `db` a user cache of at most `capacity` rows (0: none), watching
/// its database for changes (see `user_cache`); the server does this, the
/// one-shot commands do not.
pub fn with_user_cache(mut db: Db, url: &str, capacity: usize) -> Db {
    db.set_user_cache(UserCache::for_database(url, capacity));
    db
}

/// True while the user cache is in use (PostgreSQL: its listener is connected).
pub fn user_cache_trusted(db: &Db) -> bool {
    db.users().is_trusted()
}

/// PostgreSQL: how this node's user cache listener shows in `pg_stat_activity`.
pub fn user_cache_listener(db: &Db) -> Option<String> {
    db.users().listener_name()
}

/// Applies pending migrations.
pub async fn migrate(db: &Db) -> Result<(), DbErr> {
    use migration::MigratorTrait;
    migration::Migrator::up(db.pool(), None).await
}

/// True when the database answers a trivial query (`/readyz`).
pub async fn ping(db: &Db) -> bool {
    db.pool().ping().await.is_ok()
}

/// How many pooled connections are busy and how many idle, for `/metrics`.
pub fn pool_counts(db: &Db) -> (u32, u32) {
    let db = db.pool();
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

/// The row a unique key (or the primary key) names. Not `.one()`: that binds
/// its `LIMIT 1` as a parameter, and SQLite (3.51, built with STAT4) plans a
/// statement with a bound LIMIT for that value, so every run, with the same
/// value bound again, parses and plans the statement anew.
pub(crate) async fn by_key<E: EntityTrait, C: ConnectionTrait>(
    select: Select<E>,
    db: &C,
) -> Result<Option<E::Model>, DbErr> {
    Ok(select.all(db).await?.into_iter().next())
}
