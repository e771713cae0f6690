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

/// Runs against `ZHANGHAO_TEST_DATABASE_URL` (PostgreSQL's test run), in a
/// table of its own; on SQLite's run there is nothing to test.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

    use super::PgTxn;

    async fn rows(pool: &DatabaseConnection, table: &str) -> Vec<i32> {
        let sql = format!("SELECT id FROM {table} ORDER BY id");
        let found = pool
            .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .unwrap();
        found.iter().map(|row| row.try_get("", "id").unwrap()).collect()
    }

    fn insert(table: &str, id: i32) -> Statement {
        Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("INSERT INTO {table} (id) VALUES ($1)"),
            [id.into()],
        )
    }

    /// A transaction begun by inserting `id`.
    async fn begun_with(pool: &DatabaseConnection, table: &str, id: i32) -> PgTxn {
        let txn = PgTxn::new();
        txn.open(pool)
            .await
            .unwrap()
            .execute_raw(insert(table, id))
            .await
            .unwrap();
        txn
    }

    #[tokio::test]
    async fn kept_statements_land_with_the_commit_and_only_with_it() {
        let Some(url) = std::env::var("ZHANGHAO_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            return;
        };
        let pool = Database::connect(url.as_str()).await.unwrap();
        let table = format!("pg_txn_test_{}", uuid::Uuid::new_v4().simple());
        let create = format!("CREATE TABLE {table} (id INT PRIMARY KEY)");
        pool.execute_unprepared(&create).await.unwrap();

        // Never begun, one statement kept: sent alone, autocommitted.
        let txn = PgTxn::new();
        txn.run_at_commit(insert(&table, 1));
        assert_eq!(
            rows(&pool, &table).await,
            Vec::<i32>::new(),
            "nothing before the commit"
        );
        txn.commit(&pool).await.unwrap();
        assert_eq!(rows(&pool, &table).await, vec![1]);

        // Never begun, two kept: one transaction.
        let txn = PgTxn::new();
        txn.run_at_commit(insert(&table, 2));
        txn.run_at_commit(insert(&table, 1));
        assert!(txn.commit(&pool).await.is_err(), "the second one is a duplicate");
        assert_eq!(rows(&pool, &table).await, vec![1], "so the first did not land either");

        // Begun by a statement, kept one run after it, then dropped: nothing lands.
        let txn = begun_with(&pool, &table, 3).await;
        txn.run_at_commit(insert(&table, 4));
        drop(txn);
        assert_eq!(rows(&pool, &table).await, vec![1]);

        // Begun by a statement, committed: both land.
        let txn = begun_with(&pool, &table, 5).await;
        txn.run_at_commit(insert(&table, 6));
        txn.commit(&pool).await.unwrap();
        assert_eq!(rows(&pool, &table).await, vec![1, 5, 6]);

        pool.execute_unprepared(&format!("DROP TABLE {table}")).await.unwrap();
    }
}
