//! Writes of one transaction whose outcome nobody reads before the commit,
//! sent together. Each statement is a round trip to sqlx's SQLite worker
//! thread and back (two thread wake-ups), and the writer lock is held
//! across all of them, so on SQLite the batch goes as one multi-statement
//! query: one round trip, the statements run in order. PostgreSQL cannot
//! prepare several statements at once; there they run one after another,
//! or, for a sign-in's writes, as the parts of one statement.

use sea_orm::{ConnectionTrait, DbBackend, QueryTrait, Statement, Value, Values};

use super::Txn;
use crate::error::AppError;

/// Writes queued for one transaction, run by [`Writes::run`] in the order queued.
pub struct Writes {
    backend: DbBackend,
    statements: Vec<Statement>,
    /// `users` rows whose sign-in bookkeeping alone the writes change, told
    /// to the transaction when they run. (Writes that change what a token
    /// check reads go through the `users` store's own functions, which wait
    /// for every node; none are queued here.)
    touched: Vec<i64>,
}

impl Writes {
    /// Nothing queued yet, for a transaction on `db`'s backend.
    pub fn new(db: &impl ConnectionTrait) -> Writes {
        Writes {
            backend: db.get_database_backend(),
            statements: Vec::new(),
            touched: Vec::new(),
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

    /// Notes that the writes change only the sign-in bookkeeping of the
    /// `users` row `id` (when and from where it last signed in). No token
    /// check refuses on those columns, so this node forgets the row at the
    /// commit but does not wait for every other node to (they still learn
    /// of it from the trigger's notification, a moment later).
    pub(super) fn user_touched(&mut self, id: i64) {
        self.touched.push(id);
    }

    /// Runs every queued write inside `txn`.
    pub async fn run(self, txn: &Txn) -> Result<(), AppError> {
        self.run_counting(txn).await.map(|_| ())
    }

    /// Runs every queued write inside `txn` with its commit, in the
    /// commit's round trip: on SQLite they go with `COMMIT`, on PostgreSQL
    /// as one statement of `WITH` parts (see [`joined_as_one_statement`]),
    /// alone when the transaction sent nothing else. For writes nothing
    /// reads before the commit and that touch different rows; their failure
    /// comes from [`super::commit`], and nothing of the transaction lands.
    pub async fn run_at_commit(mut self, txn: &Txn) {
        let statements = std::mem::take(&mut self.statements);
        let statement = match self.backend {
            DbBackend::Sqlite => joined(statements),
            _ => joined_as_one_statement(statements),
        };
        if let Some(statement) = statement {
            txn.run_at_commit(statement).await;
        }
        self.tell(txn);
    }

    /// Runs every queued write inside `txn`; the rows they changed, all together.
    pub(super) async fn run_counting(mut self, txn: &Txn) -> Result<u64, AppError> {
        let mut rows = 0;
        if self.backend == DbBackend::Sqlite {
            if let Some(statement) = joined(std::mem::take(&mut self.statements)) {
                rows = txn.execute_raw(statement).await?.rows_affected();
            }
        } else {
            for statement in std::mem::take(&mut self.statements) {
                rows += txn.execute_raw(statement).await?.rows_affected();
            }
        }
        self.tell(txn);
        Ok(rows)
    }

    /// Tells `txn` which `users` rows the writes touched.
    fn tell(&self, txn: &Txn) {
        for &id in &self.touched {
            txn.user_touched(id);
        }
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

/// One PostgreSQL statement of all the writes: each but the last becomes a
/// data-modifying `WITH` part, the last the main statement, and each one's
/// `$n` placeholders are numbered on after those before it. PostgreSQL
/// runs every part exactly once, all on one snapshot, so the parts must not
/// read or write one another's rows.
pub(super) fn joined_as_one_statement(statements: Vec<Statement>) -> Option<Statement> {
    let backend = statements.first()?.db_backend;
    let mut parts = Vec::with_capacity(statements.len());
    let mut values: Vec<Value> = Vec::new();
    for statement in statements {
        parts.push(renumbered(&statement.sql, values.len()));
        if let Some(Values(more)) = statement.values {
            values.extend(more);
        }
    }
    let main = parts.pop()?;
    let sql = if parts.is_empty() {
        main
    } else {
        let with: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(n, part)| format!("w{n} AS ({part})"))
            .collect();
        format!("WITH {} {main}", with.join(", "))
    };
    Some(Statement::from_sql_and_values(backend, sql, values))
}

/// One PostgreSQL statement of a write that returns rows and a read beside
/// it: the write becomes the `WITH` part `name`, and `main` is given the
/// read's text, renumbered after the write's placeholders, to place in the
/// main query. Both run on one snapshot, so the read must not read the
/// write's table.
pub(super) fn beside_write(
    name: &str,
    write: Statement,
    read: Statement,
    main: impl FnOnce(&str) -> String,
) -> Statement {
    let mut values = write.values.map_or_else(Vec::new, |Values(values)| values);
    let read_sql = renumbered(&read.sql, values.len());
    if let Some(Values(more)) = read.values {
        values.extend(more);
    }
    let sql = format!("WITH {name} AS ({}) {}", write.sql, main(&read_sql));
    Statement::from_sql_and_values(write.db_backend, sql, values)
}

/// `sql` with every `$n` placeholder outside quotes made `$(n + offset)`.
fn renumbered(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        match (quote, c) {
            (Some(open), _) if c == open => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '$') => {
                let mut digits = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    digits.push(d);
                }
                match digits.parse::<usize>() {
                    Ok(number) => out.push_str(&(number + offset).to_string()),
                    Err(_) => out.push_str(&digits),
                }
            }
            (None, _) => {}
        }
    }
    out
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

    #[test]
    fn postgres_statements_join_as_with_parts_numbered_on() {
        let delete = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM \"a\" WHERE \"key\" IN ($1, $2)",
            ["k".into(), "l".into()],
        );
        let update = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE \"u\" SET \"note\" = 'costs $5', \"n\" = $1 WHERE \"id\" = $2",
            [3.into(), 4.into()],
        );
        let insert =
            Statement::from_sql_and_values(DbBackend::Postgres, "INSERT INTO \"b$1\" (y) VALUES ($1)", ["z".into()]);
        let joined = super::joined_as_one_statement(vec![delete, update, insert]).unwrap();
        assert_eq!(
            joined.sql,
            "WITH w0 AS (DELETE FROM \"a\" WHERE \"key\" IN ($1, $2)), \
             w1 AS (UPDATE \"u\" SET \"note\" = 'costs $5', \"n\" = $3 WHERE \"id\" = $4) \
             INSERT INTO \"b$1\" (y) VALUES ($5)"
        );
        let values: Vec<Value> = joined.values.unwrap().0;
        assert_eq!(values, vec!["k".into(), "l".into(), 3.into(), 4.into(), "z".into()]);
        let alone = Statement::from_sql_and_values(DbBackend::Postgres, "DELETE FROM b WHERE x = $1", [1.into()]);
        assert_eq!(
            super::joined_as_one_statement(vec![alone]).unwrap().sql,
            "DELETE FROM b WHERE x = $1"
        );
        assert!(super::joined_as_one_statement(Vec::new()).is_none());
    }

    #[test]
    fn a_read_beside_a_write_is_numbered_after_it() {
        let write = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO c (k, n) VALUES ($1, $2) RETURNING n",
            ["k".into(), 1.into()],
        );
        let read = Statement::from_sql_and_values(DbBackend::Postgres, "SELECT * FROM u WHERE name = $1", ["x".into()]);
        let both = super::beside_write("w", write, read, |read| {
            format!("SELECT w.n, r.* FROM w LEFT JOIN ({read}) r ON TRUE")
        });
        assert_eq!(
            both.sql,
            "WITH w AS (INSERT INTO c (k, n) VALUES ($1, $2) RETURNING n) \
             SELECT w.n, r.* FROM w LEFT JOIN (SELECT * FROM u WHERE name = $3) r ON TRUE"
        );
        assert_eq!(both.values.unwrap().0, vec!["k".into(), 1.into(), "x".into()]);
    }
}
