//! A per-node cache of `users` rows, so a token check (and `me`) need not
//! read the database, without giving up immediate revocation.
//!
//! A row is used only while the cache can prove it is current:
//! - **This node's writes** forget their rows as soon as they commit
//!   (`Db`/`Txn` note every `users` write).
//! - **SQLite**: any commit to the file, by any connection of any process,
//!   changes `PRAGMA data_version`; the cache asks it (on its own connection,
//!   in the calling thread: microseconds) before every use and drops every
//!   row when it moved. Exact, and a write-heavy minute just means misses.
//! - **PostgreSQL**: a trigger announces every changed `users` row on the
//!   channel `zhanghao_users`; a listener thread forgets them, and a commit
//!   that changed users answers only once every node's listener has (a roll
//!   call, see `postgres`). While its connection is down, the cache is not
//!   used at all; once it has listened again it starts empty.
//!
//! A read that began before a change must not store what it read after the
//! change was forgotten: every forget bumps a generation, and a row is kept
//! only when the generation is the one seen before its read began.

mod postgres;
mod sqlite;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::ConnectionTrait;

use crate::domain::User;

/// The rows, and what proves them current.
pub struct UserCache {
    rows: Mutex<HashMap<i64, User>>,
    /// At most this many rows; a full cache starts again empty.
    capacity: usize,
    generation: AtomicU64,
    freshness: Freshness,
}

enum Freshness {
    /// Every check reads the database.
    Off,
    Sqlite(sqlite::DataVersion),
    Postgres(postgres::Listener),
}

/// Taken before a read: the cache was usable then, at this generation.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    generation: u64,
}

impl UserCache {
    /// No cache (commands, in-memory databases, `--user-cache-size 0`).
    pub fn off() -> UserCache {
        UserCache::with(Freshness::Off, 0)
    }

    fn with(freshness: Freshness, capacity: usize) -> UserCache {
        UserCache {
            rows: Mutex::new(HashMap::new()),
            capacity,
            generation: AtomicU64::new(0),
            freshness,
        }
    }

    /// A cache of at most `capacity` rows for the database at `url`, or no
    /// cache when it cannot watch that database (logged).
    pub fn for_database(url: &str, capacity: usize) -> std::sync::Arc<UserCache> {
        if capacity == 0 {
            return std::sync::Arc::new(UserCache::off());
        }
        if url.starts_with("postgres") {
            return postgres::Listener::start(url, move |listener| {
                UserCache::with(Freshness::Postgres(listener), capacity)
            });
        }
        let cache = match sqlite::DataVersion::open(url) {
            Ok(Some(version)) => UserCache::with(Freshness::Sqlite(version), capacity),
            Ok(None) => UserCache::off(),
            Err(err) => {
                tracing::warn!(%err, "the user cache cannot watch the SQLite file; every check reads it");
                UserCache::off()
            }
        };
        std::sync::Arc::new(cache)
    }

    /// `Some` when cached rows may be used now (and a row read from now on
    /// may be stored with this stamp).
    pub fn stamp(&self) -> Option<Stamp> {
        let usable = match &self.freshness {
            Freshness::Off => false,
            Freshness::Sqlite(version) => match version.moved() {
                Ok(false) => true,
                Ok(true) => {
                    self.clear();
                    true
                }
                Err(err) => {
                    tracing::warn!(%err, "PRAGMA data_version failed; reading the database");
                    self.clear();
                    false
                }
            },
            Freshness::Postgres(listener) => listener.trusted(),
        };
        usable.then(|| Stamp {
            generation: self.generation.load(Ordering::Acquire),
        })
    }

    /// The row of user `id`, if cached.
    pub fn get(&self, _stamp: Stamp, id: i64) -> Option<User> {
        self.lock().get(&id).cloned()
    }

    /// Keeps `user`, read after `stamp`, unless something changed since.
    pub fn put(&self, stamp: Stamp, user: &User) {
        let mut rows = self.lock();
        // Checked under the lock: `forget` bumps before it takes the lock.
        if self.generation.load(Ordering::Acquire) != stamp.generation {
            return;
        }
        if rows.len() >= self.capacity {
            rows.clear();
        }
        rows.insert(user.id, user.clone());
    }

    /// Forgets user `id` (a write to its row has committed).
    pub fn forget(&self, id: i64) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.lock().remove(&id);
    }

    /// Forgets every row.
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.lock().clear();
    }

    /// Writes that changed `ids` have committed: forget them here at once;
    /// on PostgreSQL, also wait until every other node has forgotten them
    /// (its listener answered a roll call, or lost its connection), so the
    /// change holds everywhere before the request answers.
    pub async fn committed(&self, db: &impl ConnectionTrait, ids: &[i64]) {
        for &id in ids {
            self.forget(id);
        }
        if let Freshness::Postgres(listener) = &self.freshness
            && !ids.is_empty()
        {
            listener.everyone_heard(db).await;
        }
    }

    /// PostgreSQL: the `application_name` of this node's listener connection.
    pub fn listener_name(&self) -> Option<String> {
        match &self.freshness {
            Freshness::Postgres(listener) => Some(listener.application_name()),
            Freshness::Off | Freshness::Sqlite(_) => None,
        }
    }

    /// True while the cache is in use (PostgreSQL: the listener is connected).
    pub fn is_trusted(&self) -> bool {
        match &self.freshness {
            Freshness::Off => false,
            Freshness::Sqlite(_) => true,
            Freshness::Postgres(listener) => listener.trusted(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, User>> {
        self.rows.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
