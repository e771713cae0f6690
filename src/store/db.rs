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
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr,
    Statement,
};

use super::pg_txn::PgTxn;
use super::sqlite_txn::{self, SqliteTxn, SqliteWriter, WriteTurn};
use super::user_cache::UserCache;
use crate::error::AppError;

/// How long a write waits for its turn; the pool's SQLite busy timeout.
pub(super) const WRITER_WAIT: Duration = Duration::from_secs(10);

/// The pool services hold; only `store` looks inside.
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    /// SQLite only: the one connection that writes, and its turn (see `sqlite_txn`).
    writer: Option<SqliteWriter>,
    users: Arc<UserCache>,
}

/// Writes that land together: services open one with [`begin`] and pass it
/// to the functions of `store`, never to `sea_orm`.
pub struct Txn {
    inner: Inner,
    /// The pool it came from: where the roll call after its commit goes.
    pool: DatabaseConnection,
    /// Users whose rows this transaction changed: forgotten once it commits,
    /// on every node before the commit returns.
    changed: StdMutex<Vec<i64>>,
    /// Users whose sign-in bookkeeping alone it changed: forgotten on this
    /// node once it commits (see [`super::Writes::user_touched`]).
    touched: StdMutex<Vec<i64>>,
    users: Arc<UserCache>,
}

/// Both backends' transactions are this module's own (see `sqlite_txn` and
/// `pg_txn`), around sea-orm's connections.
enum Inner {
    Sqlite(SqliteTxn),
    Postgres(PgTxn),
}

/// A connection that can tell the user cache a row changed: the pool (the
/// write has committed already) or a transaction (it will, or not at all).
pub trait Conn: ConnectionTrait {
    /// The `users` row `id` was written through this connection: on the
    /// pool, returns once no node uses the old row any more.
    fn user_changed(&self, id: i64) -> impl Future<Output = ()> + Send;
}

impl Db {
    /// Wraps an opened pool; on SQLite, `writer` is the pool of the one
    /// connection that writes.
    pub(super) fn new(conn: DatabaseConnection, writer: Option<DatabaseConnection>) -> Db {
        let writer = writer.map(|pool| SqliteWriter::new(pool.get_sqlite_connection_pool().clone()));
        Db {
            conn,
            writer,
            users: Arc::new(UserCache::off()),
        }
    }

    /// Closes the pool (every clone's too): what a database outage looks like.
    pub async fn close(self) -> Result<(), DbErr> {
        if let Some(writer) = self.writer {
            writer.close().await;
        }
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

    /// SQLite: waits for the writer's turn, as long as SQLite's busy timeout
    /// would have waited for another writer. PostgreSQL: nothing to wait for.
    async fn write_turn(&self) -> Result<Option<WriteTurn>, DbErr> {
        match &self.writer {
            Some(writer) => writer.turn(WRITER_WAIT).await.map(Some),
            None => Ok(None),
        }
    }
}

/// Starts a transaction: services group writes that must land together.
pub async fn begin(db: &Db) -> Result<Txn, AppError> {
    let inner = match db.write_turn().await? {
        Some(turn) => Inner::Sqlite(SqliteTxn::open(turn)),
        None => Inner::Postgres(PgTxn::new()),
    };
    Ok(Txn {
        inner,
        pool: db.conn.clone(),
        changed: StdMutex::new(Vec::new()),
        touched: StdMutex::new(Vec::new()),
        users: db.users.clone(),
    })
}

/// Commits what a service grouped, then forgets the users rows it changed.
pub async fn commit(txn: Txn) -> Result<(), AppError> {
    let Txn {
        inner,
        pool,
        changed,
        touched,
        users,
    } = txn;
    let changed = changed.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    let touched = touched.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    match inner {
        Inner::Sqlite(txn) => txn.commit().await.map_err(exec_err)?,
        Inner::Postgres(txn) => txn.commit(&pool).await?,
    }
    for id in touched {
        users.forget(id);
    }
    users.committed(&pool, &changed).await;
    Ok(())
}

impl Txn {
    /// Runs `stmt` with the commit, after every other statement of the
    /// transaction, in the commit's round trip where there is one; its
    /// failure is the commit's.
    pub(super) async fn run_at_commit(&self, stmt: Statement) {
        match &self.inner {
            Inner::Sqlite(txn) => txn.queue(stmt).await,
            Inner::Postgres(txn) => txn.run_at_commit(stmt),
        }
    }

    /// The sign-in bookkeeping of `users` row `id` was written in this
    /// transaction: this node forgets the row once it commits.
    pub(super) fn user_touched(&self, id: i64) {
        let mut touched = self.touched.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        touched.push(id);
    }

    /// PostgreSQL: the transaction, begun now if nothing has begun it yet.
    async fn postgres<'a>(&'a self, txn: &'a PgTxn) -> Result<&'a DatabaseTransaction, DbErr> {
        txn.open(&self.pool).await
    }
}

fn exec_err(err: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(err.into()))
}

fn query_err(err: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(err.into()))
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
        match self.write_turn().await? {
            Some(mut turn) => sqlite_txn::send(&mut turn, stmt, false)
                .await
                .map(sqlite_txn::exec_result)
                .map_err(exec_err),
            None => self.conn.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self.writer {
            Some(_) => self.execute_raw(Statement::from_string(DbBackend::Sqlite, sql)).await,
            None => self.conn.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        if self.writer.is_some() && may_write(&stmt.sql) {
            return Ok(self.query_all_raw(stmt).await?.into_iter().next());
        }
        self.conn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        // An INSERT or UPDATE … RETURNING comes this way too.
        let turn = if may_write(&stmt.sql) {
            self.write_turn().await?
        } else {
            None
        };
        match turn {
            Some(mut turn) => Ok(sqlite_txn::send(&mut turn, stmt, false).await.map_err(query_err)?.rows),
            None => self.conn.query_all_raw(stmt).await,
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Txn {
    fn get_database_backend(&self) -> DbBackend {
        self.pool.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match &self.inner {
            Inner::Sqlite(txn) => txn.run(stmt).await.map(sqlite_txn::exec_result).map_err(exec_err),
            Inner::Postgres(txn) => self.postgres(txn).await?.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match &self.inner {
            Inner::Sqlite(_) => self.execute_raw(Statement::from_string(DbBackend::Sqlite, sql)).await,
            Inner::Postgres(txn) => self.postgres(txn).await?.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match &self.inner {
            Inner::Sqlite(txn) => Ok(txn.run(stmt).await.map_err(query_err)?.rows.into_iter().next()),
            Inner::Postgres(txn) => self.postgres(txn).await?.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match &self.inner {
            Inner::Sqlite(txn) => Ok(txn.run(stmt).await.map_err(query_err)?.rows),
            Inner::Postgres(txn) => self.postgres(txn).await?.query_all_raw(stmt).await,
        }
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
