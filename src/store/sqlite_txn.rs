//! SQLite's writes: one connection, one writer at a time, few round trips.
//!
//! Every statement is a hand-off to the connection's worker thread and back
//! (two thread wake-ups), and the writer's turn is held across all of a
//! transaction's hand-offs, so on SQLite they bound write throughput. A
//! sign-in used to take five under the lock (a pool checkout, `BEGIN`, its
//! check, its writes, `COMMIT`). Here the writer keeps its connection, so
//! there is no checkout and its page cache stays valid (a connection that
//! finds another's commit in the WAL reads every page again); `BEGIN
//! IMMEDIATE` goes with a transaction's first statement and writes queued
//! with [`SqliteTxn::queue`] go with its `COMMIT`: the same sign-in takes two.
//! A transaction dropped without a commit is rolled back before the next
//! writer gets its turn. Checkpoints run on the writer pool's second
//! connection, outside the turn: SQLite's automatic one would run in the committing writer's turn,
//! fsyncs and all, and give every write queued behind it a tail.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use futures::TryStreamExt;
use sea_orm::sqlx::{self, Either, Executor, Sqlite, SqlitePool, pool::PoolConnection, sqlite::SqliteQueryResult};
use sea_orm::{ConnAcquireErr, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr, Statement, Values};
use sea_query_sqlx::SqlxValues;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The one connection that writes, behind the writer's turn. It is checked
/// out of a pool of two, so that a broken one is replaced and checkpoints
/// have the other (borrowing a reader would make readers open connections).
#[derive(Clone)]
pub(super) struct SqliteWriter {
    pool: SqlitePool,
    conn: Arc<Mutex<Option<PoolConnection<Sqlite>>>>,
    turns: Arc<AtomicU32>,
    checkpointing: Arc<AtomicBool>,
}

/// Write turns between two checkpoints: a few hundred pages of WAL each,
/// where SQLite's own would wait for a thousand.
const TURNS_PER_CHECKPOINT: u32 = 64;

/// A write's turn: the writer lock, with the connection in hand.
pub(super) type WriteTurn = OwnedMutexGuard<Option<PoolConnection<Sqlite>>>;

/// What a statement gave back: its rows, and what it changed.
pub(super) struct Outcome {
    pub rows: Vec<QueryResult>,
    pub done: SqliteQueryResult,
}

impl SqliteWriter {
    /// The writer on `pool` (two connections, made without automatic checkpoints).
    pub(super) fn new(pool: SqlitePool) -> Self {
        SqliteWriter {
            pool,
            conn: Arc::new(Mutex::new(None)),
            turns: Arc::new(AtomicU32::new(0)),
            checkpointing: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Every so many turns, copies the WAL into the database in the
    /// background (PASSIVE: it waits for nobody and nobody waits for it).
    fn checkpoint_now_and_then(&self) {
        if !self
            .turns
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(TURNS_PER_CHECKPOINT)
            || self.checkpointing.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let pool = self.pool.clone();
        let checkpointing = self.checkpointing.clone();
        tokio::spawn(async move {
            if let Err(err) = Executor::execute(&pool, "PRAGMA wal_checkpoint(PASSIVE)").await {
                tracing::debug!(%err, "WAL checkpoint did not run");
            }
            checkpointing.store(false, Ordering::Release);
        });
    }

    /// Waits (at most `wait`, as SQLite's busy timeout would) for the turn to write.
    pub(super) async fn turn(&self, wait: Duration) -> Result<WriteTurn, DbErr> {
        let Ok(mut turn) = tokio::time::timeout(wait, self.conn.clone().lock_owned()).await else {
            return Err(DbErr::Custom("database is locked: no turn to write within 10 s".into()));
        };
        if turn.is_none() {
            let conn = self.pool.acquire().await.map_err(|err| match err {
                sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
                sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
                other => DbErr::Conn(RuntimeErr::SqlxError(other.into())),
            })?;
            *turn = Some(conn);
        }
        self.checkpoint_now_and_then();
        Ok(turn)
    }

    /// Gives the connection back and closes the pool: what an outage looks like.
    pub(super) async fn close(&self) {
        self.conn.lock().await.take();
        self.pool.close().await;
    }
}

/// One round trip to the writer's worker thread: `stmt`, behind `BEGIN
/// IMMEDIATE` with `begin`. A failure that is not the statement's own
/// (the connection broke) lets the connection go, to be replaced.
pub(super) async fn send(turn: &mut WriteTurn, stmt: Statement, begin: bool) -> Result<Outcome, sqlx::Error> {
    let conn = turn.as_mut().ok_or(sqlx::Error::PoolClosed)?;
    let sql = if begin {
        format!("BEGIN IMMEDIATE;\n{}", stmt.sql)
    } else {
        stmt.sql
    };
    let values = stmt.values.unwrap_or(Values(Vec::new()));
    let query = sqlx::query_with(sqlx::AssertSqlSafe(sql), SqlxValues(values));
    let mut outcome = Outcome {
        rows: Vec::new(),
        done: SqliteQueryResult::default(),
    };
    let mut results = Executor::fetch_many(&mut **conn, query);
    let mut leading = usize::from(begin);
    let result = loop {
        match results.try_next().await {
            Ok(None) => break Ok(()),
            // SQLite reports `BEGIN`'s changes as the previous statement's: skip them.
            Ok(Some(Either::Left(_))) if leading > 0 => leading -= 1,
            Ok(Some(Either::Left(done))) => outcome.done.extend([done]),
            Ok(Some(Either::Right(row))) => outcome.rows.push(QueryResult::from(row)),
            Err(err) => break Err(err),
        }
    };
    drop(results);
    match result {
        Ok(()) => Ok(outcome),
        Err(err) => {
            if !matches!(err, sqlx::Error::Database(_)) {
                retire(turn);
            }
            Err(err)
        }
    }
}

/// Closes the turn's connection instead of reusing it; the next turn opens another.
fn retire(turn: &mut WriteTurn) {
    if let Some(mut conn) = turn.take() {
        conn.close_on_drop();
    }
}

/// A write transaction on the writer's connection, holding its turn.
pub(super) struct SqliteTxn {
    state: Mutex<State>,
}

struct State {
    turn: Option<WriteTurn>,
    /// `BEGIN IMMEDIATE` has been sent (it may have failed): a drop rolls back.
    begun: bool,
    /// Writes to send with the next statement's turn or the commit.
    queued: Vec<Statement>,
}

impl SqliteTxn {
    /// A transaction that starts with its first statement.
    pub(super) fn open(turn: WriteTurn) -> Self {
        let state = State {
            turn: Some(turn),
            begun: false,
            queued: Vec::new(),
        };
        SqliteTxn {
            state: Mutex::new(state),
        }
    }

    /// Runs `stmt` (after any queued writes, which go first on their own,
    /// so that what `stmt` reports is its own).
    pub(super) async fn run(&self, stmt: Statement) -> Result<Outcome, sqlx::Error> {
        let mut state = self.state.lock().await;
        let queued = std::mem::take(&mut state.queued);
        if let Some(writes) = super::batch::joined(queued) {
            state.send(writes).await?;
        }
        state.send(stmt).await
    }

    /// Keeps `stmt` to send with the commit (or before the next statement).
    pub(super) async fn queue(&self, stmt: Statement) {
        self.state.lock().await.queued.push(stmt);
    }

    /// Sends the queued writes and `COMMIT` together. On failure nothing
    /// lands: the drop rolls back what is left of the transaction.
    pub(super) async fn commit(mut self) -> Result<(), sqlx::Error> {
        let state = self.state.get_mut();
        if !state.begun && state.queued.is_empty() {
            return Ok(());
        }
        let mut statements = std::mem::take(&mut state.queued);
        statements.push(Statement::from_string(DbBackend::Sqlite, "COMMIT"));
        if let Some(commit) = super::batch::joined(statements) {
            state.send(commit).await?;
        }
        state.begun = false;
        Ok(())
    }
}

impl State {
    async fn send(&mut self, stmt: Statement) -> Result<Outcome, sqlx::Error> {
        let turn = self.turn.as_mut().ok_or(sqlx::Error::PoolClosed)?;
        let begin = !self.begun;
        self.begun = true;
        send(turn, stmt, begin).await
    }
}

impl Drop for SqliteTxn {
    fn drop(&mut self) {
        let state = self.state.get_mut();
        let Some(mut turn) = state.turn.take() else {
            return;
        };
        if !state.begun {
            return;
        }
        // The turn stays held until the rollback is through, so the next
        // writer never meets this transaction on the file.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let rolled_back = match turn.as_mut() {
                        Some(conn) => Executor::execute(&mut **conn, "ROLLBACK").await.is_ok(),
                        None => true,
                    };
                    if !rolled_back {
                        // Nothing left to undo, or a broken connection: do not reuse it.
                        retire(&mut turn);
                    }
                });
            }
            // Closing the connection rolls its transaction back.
            Err(_) => retire(&mut turn),
        }
    }
}

/// `ExecResult` of an outcome, as sea-orm reports one.
pub(super) fn exec_result(outcome: Outcome) -> ExecResult {
    ExecResult::from(outcome.done)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    use crate::store::{self, Db, Writes};

    async fn db_with_table(dir: &tempfile::TempDir) -> Db {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = store::connect(&url, 4, std::time::Duration::from_secs(2))
            .await
            .unwrap();
        db.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)")
            .await
            .unwrap();
        db
    }

    fn insert(v: &str) -> Statement {
        Statement::from_sql_and_values(DbBackend::Sqlite, "INSERT INTO t (v) VALUES (?)", [v.into()])
    }

    async fn values(db: &Db) -> Vec<String> {
        let rows = db
            .query_all_raw(Statement::from_string(DbBackend::Sqlite, "SELECT v FROM t ORDER BY id"))
            .await
            .unwrap();
        rows.iter().map(|row| row.try_get::<String>("", "v").unwrap()).collect()
    }

    #[tokio::test]
    async fn a_dropped_transaction_leaves_nothing_and_the_next_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let db = db_with_table(&dir).await;
        // A write on the writer's connection first: SQLite reports it again as `BEGIN`'s changes.
        db.execute_raw(insert("before")).await.unwrap();
        let txn = store::begin(&db).await.unwrap();
        let done = txn.execute_raw(insert("dropped")).await.unwrap();
        assert_eq!(done.rows_affected(), 1, "BEGIN's changes are not the statement's");
        drop(txn);
        db.execute_raw(insert("kept")).await.unwrap();
        assert_eq!(values(&db).await, ["before", "kept"]);
    }

    #[tokio::test]
    async fn a_write_queued_for_the_commit_that_fails_undoes_the_whole_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let db = db_with_table(&dir).await;
        db.execute_raw(insert("taken")).await.unwrap();
        let txn = store::begin(&db).await.unwrap();
        txn.execute_raw(insert("first")).await.unwrap();
        let mut writes = Writes::new(&txn);
        writes.push_statement(insert("taken"));
        writes.run_at_commit(&txn).await;
        assert!(
            store::commit(txn).await.is_err(),
            "the unique violation surfaces at the commit"
        );
        assert_eq!(values(&db).await, ["taken"]);
        let txn = store::begin(&db).await.unwrap();
        let mut writes = Writes::new(&txn);
        writes.push_statement(insert("second"));
        writes.run_at_commit(&txn).await;
        store::commit(txn).await.unwrap();
        assert_eq!(values(&db).await, ["taken", "second"]);
    }
}
