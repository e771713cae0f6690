//! Writes of one transaction whose outcome nobody reads before the commit,
//! sent together. Each statement is a round trip to sqlx's SQLite worker
//! thread and back (two thread wake-ups), and the writer lock is held
//! across all of them, so on SQLite the batch goes as one multi-statement
//! query: one round trip, the statements run in order. PostgreSQL cannot
//! prepare several statements at once; there they run one after another.

use sea_orm::{ConnectionTrait, DbBackend, QueryTrait, Statement, Value, Values};

use super::{Conn, Txn};
use crate::error::AppError;

/// Writes queued for one transaction, run by [`Writes::run`] in the order queued.
pub struct Writes {
    backend: DbBackend,
    statements: Vec<Statement>,
    /// `users` rows the writes change, told to the transaction when they run.
    users: Vec<i64>,
}

impl Writes {
    /// Nothing queued yet, for a transaction on `db`'s backend.
    pub fn new(db: &impl ConnectionTrait) -> Writes {
        Writes {
            backend: db.get_database_backend(),
            statements: Vec::new(),
            users: Vec::new(),
        }
    }

    /// Queues a statement of sea-orm's (an insert, update or delete).
    pub(super) fn push(&mut self, query: &impl QueryTrait) {
        self.statements.push(query.build(self.backend));
    }

    #[cfg(test)]
    pub(super) fn push_statement(&mut self, statement: Statement) {
        self.statements.push(statement);
    }

    /// Notes that the writes change the `users` row `id`.
    pub(super) fn user_changed(&mut self, id: i64) {
        self.users.push(id);
    }

    /// Runs every queued write inside `txn`.
    pub async fn run(self, txn: &Txn) -> Result<(), AppError> {
        self.run_counting(txn).await.map(|_| ())
    }

    /// Runs every queued write inside `txn` as part of its commit where that
    /// saves a round trip (SQLite: they go with `COMMIT`), at once elsewhere.
    /// For writes nothing reads before the commit; their failure then comes
    /// from [`super::commit`], and nothing of the transaction lands.
    pub async fn run_at_commit(self, txn: &Txn) -> Result<(), AppError> {
        if self.backend != DbBackend::Sqlite {
            return self.run(txn).await;
        }
        if let Some(statement) = joined(self.statements) {
            txn.run_at_commit(statement).await?;
        }
        for &id in &self.users {
            txn.user_changed(id).await;
        }
        Ok(())
    }

    /// Runs every queued write inside `txn`; the rows they changed, all together.
    pub(super) async fn run_counting(self, txn: &Txn) -> Result<u64, AppError> {
        let mut rows = 0;
        if self.backend == DbBackend::Sqlite {
            if let Some(statement) = joined(self.statements) {
                rows = txn.execute_raw(statement).await?.rows_affected();
            }
        } else {
            for statement in self.statements {
                rows += txn.execute_raw(statement).await?.rows_affected();
            }
        }
        for &id in &self.users {
            txn.user_changed(id).await;
        }
        Ok(rows)
    }
}

/// One SQLite query of all the statements: their texts in order, their
/// values in order (SQLite numbers `?` across the statements of one query).
pub(super) fn joined(statements: Vec<Statement>) -> Option<Statement> {
    let backend = statements.first()?.db_backend;
    let mut sql = String::new();
    let mut values: Vec<Value> = Vec::new();
    for statement in statements {
        if !sql.is_empty() {
            sql.push_str(";\n");
        }
        sql.push_str(&statement.sql);
        if let Some(Values(more)) = statement.values {
            values.extend(more);
        }
    }
    Some(Statement::from_sql_and_values(backend, sql, values))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use sea_orm::{DbBackend, Statement, Value};

    #[test]
    fn statements_join_in_order_with_their_values() {
        let first = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "UPDATE a SET x = ? WHERE id = ?",
            [1.into(), 2.into()],
        );
        let bare = Statement::from_string(DbBackend::Sqlite, "DELETE FROM b");
        let last = Statement::from_sql_and_values(DbBackend::Sqlite, "INSERT INTO c (y) VALUES (?)", ["z".into()]);
        let joined = super::joined(vec![first, bare, last]).unwrap();
        assert_eq!(
            joined.sql,
            "UPDATE a SET x = ? WHERE id = ?;\nDELETE FROM b;\nINSERT INTO c (y) VALUES (?)"
        );
        let values: Vec<Value> = joined.values.unwrap().0;
        assert_eq!(values, vec![Value::from(1), Value::from(2), Value::from("z")]);
        assert!(super::joined(Vec::new()).is_none());
    }
}
