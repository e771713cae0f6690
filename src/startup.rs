//! What can stop the server from starting, each said in one line that names
//! what to fix: the listen address, the database's host and port (never its
//! password), the SQLite file. The address is taken before migrations run,
//! so a second copy started by mistake changes nothing.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use sea_orm::DbErr;

/// Binds the listen address, or says who holds it.
pub async fn bind(listen: SocketAddr) -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind(listen).await.map_err(|err| match err.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "cannot listen on {listen}: the address is in use (is another zhanghao running?); free it or set ZHANGHAO_LISTEN"
        ),
        std::io::ErrorKind::PermissionDenied => {
            format!("cannot listen on {listen}: permission denied (ports below 1024 need privileges); set ZHANGHAO_LISTEN")
        }
        _ => format!("cannot listen on {listen}: {err}; set ZHANGHAO_LISTEN"),
    })
}

/// One line for a failure to open or migrate the database at `url`.
pub fn database_error(url: &str, err: &DbErr) -> String {
    let mut cause = innermost(err);
    if cause.contains("pool timed out") {
        // What sqlx says when no connection opened within the acquire timeout.
        cause = "no connection within ZHANGHAO_DB_ACQUIRE_TIMEOUT".to_string();
    }
    if let Some(path) = sqlite_path(url) {
        let directory = path.parent().filter(|dir| !dir.as_os_str().is_empty());
        if let Some(dir) = directory.filter(|dir| !dir.exists()) {
            return format!(
                "cannot create the SQLite database {}: the directory {} does not exist; create it or change DATABASE_URL",
                path.display(),
                dir.display()
            );
        }
        return format!(
            "cannot open the SQLite database {}: {cause}; check that it is writable or change DATABASE_URL",
            path.display()
        );
    }
    match host_and_port(url) {
        Some(place) => format!("cannot reach the database at {place}: {cause}; check DATABASE_URL and that it runs"),
        None => format!("cannot use the database: {cause}; check DATABASE_URL"),
    }
}

/// The last error in the chain: the one that says what happened, once.
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| Path::new(path).to_path_buf())
}

/// `host:port` of a server URL, without user or password.
fn host_and_port(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    let port = parsed.port().unwrap_or(match parsed.scheme() {
        "postgres" | "postgresql" => 5432,
        _ => 0,
    });
    Some(format!("{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_error_names_the_place_and_never_the_password() {
        let err = DbErr::Conn(sea_orm::RuntimeErr::Internal("connection refused".into()));
        let line = database_error("postgres://app:s3cret@db.internal:6543/accounts", &err);
        assert!(line.contains("db.internal:6543"), "{line}");
        assert!(line.contains("connection refused"), "{line}");
        assert!(!line.contains("s3cret") && !line.contains("app:"), "{line}");
        let line = database_error("postgres://app:s3cret@db.internal/accounts", &err);
        assert!(line.contains("db.internal:5432"), "{line}");
    }

    #[test]
    fn a_missing_sqlite_directory_is_named() {
        let err = DbErr::Conn(sea_orm::RuntimeErr::Internal("unable to open database file".into()));
        let line = database_error("sqlite:///no/such/dir/zhanghao.db?mode=rwc", &err);
        assert!(line.contains("the directory /no/such/dir does not exist"), "{line}");
    }
}
