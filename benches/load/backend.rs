//! The database a round runs on: a fresh SQLite file, or a fresh PostgreSQL
//! database created through the `--database` server and dropped afterwards.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

/// Which backend a row or a server was measured on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    /// The name used in the table, the JSON and the target names.
    pub fn label(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "SQLite",
            BackendKind::Postgres => "PostgreSQL",
        }
    }
}

/// A backend of this run, with what it needs to make a fresh database.
pub enum Backend {
    Sqlite,
    /// The server URL given with `--database` (its database is only used to
    /// create and drop the bench's own databases).
    Postgres {
        admin_url: String,
    },
}

/// A fresh database for one round; a PostgreSQL one is dropped with it.
pub struct FreshDatabase {
    pub url: String,
    _dropped_with: Option<PostgresDatabase>,
}

/// Numbers the databases of one run: `zhanghao_bench_<pid>_<n>`.
static NEXT_DATABASE: AtomicUsize = AtomicUsize::new(0);

impl Backend {
    pub fn kind(&self) -> BackendKind {
        match self {
            Backend::Sqlite => BackendKind::Sqlite,
            Backend::Postgres { .. } => BackendKind::Postgres,
        }
    }

    /// For the run's header: which server, never its password.
    pub async fn describe(&self) -> Result<String, String> {
        match self {
            Backend::Sqlite => Ok("SQLite (a fresh file per user count)".to_string()),
            Backend::Postgres { admin_url } => {
                let db = connect(admin_url).await?;
                let version = query_text(&db, "SHOW server_version").await?;
                let _ = db.close().await;
                let at = url::Url::parse(admin_url)
                    .map(|u| format!("{}:{}", u.host_str().unwrap_or("?"), u.port().unwrap_or(5432)))
                    .unwrap_or_default();
                Ok(format!(
                    "PostgreSQL {version} at {at} (a fresh database per user count)"
                ))
            }
        }
    }

    /// An empty database (no schema yet: `zhanghao migrate` makes it).
    pub async fn fresh_database(&self, dir: &Path) -> Result<FreshDatabase, String> {
        match self {
            Backend::Sqlite => Ok(FreshDatabase {
                url: format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
                _dropped_with: None,
            }),
            Backend::Postgres { admin_url } => {
                let name = format!(
                    "zhanghao_bench_{}_{}",
                    std::process::id(),
                    NEXT_DATABASE.fetch_add(1, Ordering::Relaxed)
                );
                let db = connect(admin_url).await?;
                db.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .map_err(|e| format!("CREATE DATABASE {name} (does the role have CREATEDB?): {e}"))?;
                let _ = db.close().await;
                // From here on the guard drops it, whatever happens next.
                let guard = PostgresDatabase {
                    admin_url: admin_url.clone(),
                    name: name.clone(),
                };
                let mut url = url::Url::parse(admin_url).map_err(|e| format!("--database: {e}"))?;
                url.set_path(&format!("/{name}"));
                Ok(FreshDatabase {
                    url: url.to_string(),
                    _dropped_with: Some(guard),
                })
            }
        }
    }
}

/// A database this run created; dropped (`WITH (FORCE)`: the server's pool
/// may still be connected) when this goes out of scope, also on error.
struct PostgresDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        // Drop cannot await, and the bench's runtime is busy running us: the
        // statement runs on a thread of its own with its own small runtime.
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("tokio runtime: {e}"))?;
            runtime.block_on(async {
                let db = connect(&admin_url).await?;
                db.execute_unprepared(&sql).await.map_err(|e| e.to_string())?;
                let _ = db.close().await;
                Ok(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("loadbench: could not drop database {}: {e}", self.name),
            Err(_) => eprintln!("loadbench: could not drop database {}: the thread panicked", self.name),
        }
    }
}

async fn connect(url: &str) -> Result<DatabaseConnection, String> {
    let mut options = sea_orm::ConnectOptions::new(url);
    options.max_connections(1).sqlx_logging(false);
    Database::connect(options)
        .await
        .map_err(|e| format!("cannot connect to the --database server: {e}"))
}

async fn query_text(db: &DatabaseConnection, sql: &str) -> Result<String, String> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .map_err(|e| format!("{sql}: {e}"))?
        .ok_or(format!("{sql}: no row"))?;
    row.try_get_by_index::<String>(0).map_err(|e| format!("{sql}: {e}"))
}
