//! SQLite's own change counter: `PRAGMA data_version` answers a different
//! number after any other connection — pooled, or another process's — has
//! committed to the file. Asked on a connection of its own, through rusqlite
//! in the calling thread: sqlx would hand it to a worker thread and back.

use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

/// A connection that only ever asks `PRAGMA data_version`, and its last answer.
pub struct DataVersion {
    state: Mutex<(Connection, Option<i64>)>,
}

impl DataVersion {
    /// Watches the SQLite file of `url`; `None` for an in-memory database
    /// (no other connection can see it, so there is nothing to watch).
    pub fn open(url: &str) -> Result<Option<DataVersion>, rusqlite::Error> {
        let Some(path) = file_of(url) else {
            return Ok(None);
        };
        // Never creates the file: the pool has opened (and migrated) it.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        Ok(Some(DataVersion {
            state: Mutex::new((conn, None)),
        }))
    }

    /// True when the file changed since the last call (and on the first).
    pub fn moved(&self) -> Result<bool, rusqlite::Error> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (conn, last) = &mut *state;
        let now: i64 = conn.query_row("PRAGMA data_version", [], |row| row.get(0))?;
        let moved = *last != Some(now);
        *last = Some(now);
        Ok(moved)
    }
}

/// The file path of a `sqlite:` URL, without its query.
fn file_of(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    let in_memory = path.is_empty() || path == ":memory:" || url.contains("mode=memory");
    (!in_memory).then_some(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_path_of_a_sqlite_url() {
        assert_eq!(file_of("sqlite:///tmp/z.db?mode=rwc"), Some("/tmp/z.db"));
        assert_eq!(file_of("sqlite://zhanghao.db?mode=rwc"), Some("zhanghao.db"));
        assert_eq!(file_of("sqlite:zhanghao.db"), Some("zhanghao.db"));
        assert_eq!(file_of("sqlite::memory:"), None);
        assert_eq!(file_of("sqlite://shared?mode=memory&cache=shared"), None);
        assert_eq!(file_of("postgres://x/y"), None);
    }

    #[test]
    fn another_connection_s_commit_moves_the_version_a_read_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (x INTEGER);")
            .unwrap();
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let version = DataVersion::open(&url).unwrap().unwrap();
        assert!(version.moved().unwrap(), "the first answer counts as a change");
        assert!(!version.moved().unwrap());
        let _: i64 = writer.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert!(!version.moved().unwrap());
        writer.execute("INSERT INTO t VALUES (1)", []).unwrap();
        assert!(version.moved().unwrap());
        assert!(!version.moved().unwrap());
    }
}
