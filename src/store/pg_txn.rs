//! PostgreSQL's transactions, begun by their first statement. `BEGIN` is
//! then sent with the first statement's round trip instead of one of its
//! own (PostgreSQL takes no snapshot at `BEGIN` anyway), and a transaction
//! whose only write is the one statement kept for its commit — a sign-in's
//! (see `Writes::run_at_commit`) — sends just that statement: one statement
//! lands whole or not at all on its own, so it needs neither `BEGIN` nor
//! `COMMIT`. On this 2-core host each round trip costs the database and the
//! server CPU that a login's password hash would otherwise get.

use std::sync::Mutex;

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, Statement, TransactionTrait};
use tokio::sync::OnceCell;

pub(super) struct PgTxn {
    open: OnceCell<DatabaseTransaction>,
    /// Statements to run at the commit, in order.
    at_commit: Mutex<Vec<Statement>>,
}

impl PgTxn {
    /// Nothing sent yet.
    pub(super) fn new() -> PgTxn {
        PgTxn {
            open: OnceCell::new(),
            at_commit: Mutex::new(Vec::new()),
        }
    }

    /// The transaction, begun on `pool` by the first statement that asks.
    pub(super) async fn open(&self, pool: &DatabaseConnection) -> Result<&DatabaseTransaction, DbErr> {
        self.open.get_or_try_init(|| pool.begin()).await
    }

    /// Keeps `statement` for the commit.
    pub(super) fn run_at_commit(&self, statement: Statement) {
        self.at_commit
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(statement);
    }

    /// Runs the statements kept for the commit and commits: a transaction
    /// never begun with one statement kept sends that statement alone.
    pub(super) async fn commit(self, pool: &DatabaseConnection) -> Result<(), DbErr> {
        let mut at_commit = self
            .at_commit
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let txn = match self.open.into_inner() {
            Some(txn) => txn,
            None if at_commit.is_empty() => return Ok(()),
            None if at_commit.len() == 1 => {
                let statement = at_commit.remove(0);
                return pool.execute_raw(statement).await.map(|_| ());
            }
            None => pool.begin().await?,
        };
        for statement in at_commit {
            txn.execute_raw(statement).await?;
        }
        txn.commit().await
    }
}
