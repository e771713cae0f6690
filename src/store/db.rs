//! The pool and the transactions services hold. Both wrap SeaORM's types to
//! add two things every write needs on this server:
//!
//! - **One SQLite writer at a time.** SQLite admits one writer; when several
//!   pooled connections write at once, the losers sleep in the busy handler
//!   (up to 100 ms a step) and the write paths get a tail of 100+ ms. Here a
//!   transaction takes this process's writer lock before `BEGIN IMMEDIATE`,
//!   and an autocommit write takes it for its statement, so writers queue
//!   and wake in turn. The busy timeout stays for other processes on the file.
//! - **The user cache told of changes.** A write to a `users` row notes its id
//!   ([`Conn::user_changed`]); the node forgets that row once the write has
//!   committed, so its next request reads the database (see `user_cache`).

use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::user_cache::UserCache;
use crate::error::AppError;

/// How long a write waits for its turn; the pool's SQLite busy timeout.
pub(super) const WRITER_WAIT: Duration = Duration::from_secs(10);

/// The pool services hold; only `store` looks inside.
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    /// SQLite only: held by the one transaction or statement writing now.
    writer: Option<Arc<Mutex<()>>>,
    users: Arc<UserCache>,
}

/// Writes that land together: services open one with [`begin`] and pass it
/// to the functions of `store`, never to `sea_orm`.
pub struct Txn {
    inner: DatabaseTransaction,
    /// The pool it came from: where the roll call after its commit goes.
    pool: DatabaseConnection,
    /// Users whose rows this transaction changed: forgotten once it commits.
    changed: StdMutex<Vec<i64>>,
    users: Arc<UserCache>,
    // Declared last so it is released after `inner` has ended the transaction.
    _writer: Option<OwnedMutexGuard<()>>,
}

/// A connection that can tell the user cache a row changed: the pool (the
/// write has committed already) or a transaction (it will, or not at all).
pub trait Conn: ConnectionTrait {
    /// The `users` row `id` was written through this connection: on the
    /// pool, returns once no node uses the old row any more.
    fn user_changed(&self, id: i64) -> impl Future<Output = ()> + Send;
}

impl Db {
    /// Wraps an opened pool; SQLite gets its writer lock.
    pub(super) fn new(conn: DatabaseConnection) -> Db {
        let writer = (conn.get_database_backend() == DbBackend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Db {
            conn,
            writer,
            users: Arc::new(UserCache::off()),
        }
    }

    /// Closes the pool (every clone's too): what a database outage looks like.
    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await
    }

    pub(super) fn pool(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub(super) fn users(&self) -> &UserCache {
        &self.users
    }

    pub(super) fn set_user_cache(&mut self, cache: Arc<UserCache>) {
        self.users = cache;
    }

    /// Waits for this process's SQLite writer lock (nothing on PostgreSQL),
    /// as long as SQLite's busy timeout would have waited for another writer.
    async fn write_turn(&self) -> Result<Option<OwnedMutexGuard<()>>, DbErr> {
        let Some(lock) = &self.writer else {
            return Ok(None);
        };
        match tokio::time::timeout(WRITER_WAIT, lock.clone().lock_owned()).await {
            Ok(guard) => Ok(Some(guard)),
            Err(_) => Err(DbErr::Custom("database is locked: no turn to write within 10 s".into())),
        }
    }
}

/// Starts a transaction: services group writes that must land together.
pub async fn begin(db: &Db) -> Result<Txn, AppError> {
    let writer = db.write_turn().await?;
    let options = TransactionOptions {
        sqlite_transaction_mode: writer.as_ref().map(|_| SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    let inner = db.conn.begin_with_options(options).await?;
    Ok(Txn {
        inner,
        pool: db.conn.clone(),
        changed: StdMutex::new(Vec::new()),
        users: db.users.clone(),
        _writer: writer,
    })
}

/// Commits what a service grouped, then forgets the users rows it changed.
pub async fn commit(txn: Txn) -> Result<(), AppError> {
    let Txn {
        inner,
        pool,
        changed,
        users,
        ..
    } = txn;
    let changed = changed.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    inner.commit().await?;
    users.committed(&pool, &changed).await;
    Ok(())
}

impl Conn for Db {
    async fn user_changed(&self, id: i64) {
        self.users.committed(&self.conn, &[id]).await;
    }
}

impl Conn for Txn {
    async fn user_changed(&self, id: i64) {
        let mut changed = self.changed.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        changed.push(id);
    }
}

/// True for a statement that may write: anything but a plain read.
fn may_write(sql: &str) -> bool {
    let head = sql.trim_start().get(..6).unwrap_or("");
    !head.eq_ignore_ascii_case("select")
}

#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let _turn = self.write_turn().await?;
        self.conn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let _turn = self.write_turn().await?;
        self.conn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        // An INSERT or UPDATE … RETURNING comes this way too.
        let _turn = if may_write(&stmt.sql) {
            self.write_turn().await?
        } else {
            None
        };
        self.conn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let _turn = if may_write(&stmt.sql) {
            self.write_turn().await?
        } else {
            None
        };
        self.conn.query_all_raw(stmt).await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Txn {
    fn get_database_backend(&self) -> DbBackend {
        self.inner.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.inner.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.inner.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.inner.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.inner.query_all_raw(stmt).await
    }
}

#[cfg(test)]
mod tests {
    use super::may_write;

    #[test]
    fn only_a_plain_select_reads() {
        assert!(!may_write("SELECT \"users\".\"id\" FROM \"users\""));
        assert!(!may_write("  select 1"));
        assert!(may_write("UPDATE \"users\" SET \"x\" = $1 RETURNING \"id\""));
        assert!(may_write("INSERT INTO \"sessions\" VALUES ($1) RETURNING *"));
        assert!(may_write("WITH x AS (DELETE FROM t RETURNING id) SELECT id FROM x"));
        assert!(may_write(""));
    }
}
