//! The node's ear on PostgreSQL: `LISTEN zhanghao_users` on a connection of
//! its own, in a thread of its own (a node busy with requests still hears a
//! revocation as soon as the database sends it). The migration's trigger
//! sends each changed `users` id when its transaction commits.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::{Notify, oneshot};

use super::UserCache;

/// The channel the trigger notifies.
const CHANNEL: &str = "zhanghao_users";
/// The listener's `application_name`, to find it in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "zhanghao-user-cache";
/// How long a commit waits to hear its own announcement.
const ECHO_WAIT: Duration = Duration::from_secs(1);
/// How long a node waits before it listens again after losing its connection.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);
/// How many announcements are remembered for those waits.
const HEARD_KEPT: usize = 4096;

/// Whether the listener is connected, and what it heard lately.
pub struct Listener {
    shared: Arc<Shared>,
    /// Dropped with the cache: the thread then ends.
    _stop: oneshot::Sender<()>,
}

#[derive(Default)]
struct Shared {
    trusted: AtomicBool,
    heard: Mutex<Heard>,
    news: Notify,
}

#[derive(Default)]
struct Heard {
    count: u64,
    /// (number, user id) of the latest announcements.
    recent: VecDeque<(u64, i64)>,
}

impl Listener {
    /// Builds the cache around a listener and starts its thread.
    pub fn start(url: &str, make: impl FnOnce(Listener) -> UserCache) -> Arc<UserCache> {
        let shared = Arc::new(Shared::default());
        let (stop, stopped) = oneshot::channel();
        let cache = Arc::new(make(Listener {
            shared: shared.clone(),
            _stop: stop,
        }));
        let (url, weak) = (url.to_string(), Arc::downgrade(&cache));
        let spawned = std::thread::Builder::new().name("user-cache".into()).spawn(move || {
            match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime.block_on(listen(url, shared, weak, stopped)),
                Err(err) => tracing::warn!(%err, "the user cache has no runtime; every check reads the database"),
            }
        });
        if let Err(err) = spawned {
            tracing::warn!(%err, "the user cache has no listener; every check reads the database");
        }
        cache
    }

    /// True while connected and listening.
    pub fn trusted(&self) -> bool {
        self.shared.trusted.load(Ordering::Acquire)
    }

    /// How many announcements were heard so far.
    pub fn mark(&self) -> u64 {
        self.shared.lock().count
    }

    /// Waits until every id of `ids` was announced after `mark` (or the
    /// listener is down, or a second has passed: logged).
    pub async fn heard_after(&self, mark: u64, ids: &[i64]) {
        let deadline = tokio::time::Instant::now() + ECHO_WAIT;
        loop {
            let news = self.shared.news.notified();
            tokio::pin!(news);
            news.as_mut().enable();
            if !self.trusted() || self.shared.lock().all_after(mark, ids) {
                return;
            }
            if tokio::time::timeout_at(deadline, news).await.is_err() {
                tracing::warn!(?ids, "a users change was not announced back within 1 s");
                return;
            }
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Heard> {
        self.heard.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn hear(&self, id: i64) {
        let mut heard = self.lock();
        heard.count += 1;
        let number = heard.count;
        heard.recent.push_back((number, id));
        if heard.recent.len() > HEARD_KEPT {
            heard.recent.pop_front();
        }
        drop(heard);
        self.news.notify_waiters();
    }
}

impl Heard {
    fn all_after(&self, mark: u64, ids: &[i64]) -> bool {
        let oldest = self.recent.front().map_or(u64::MAX, |(number, _)| *number);
        if oldest > mark + 1 && self.count > mark {
            // Announcements after the mark were dropped from memory: long past.
            return true;
        }
        ids.iter()
            .all(|id| self.recent.iter().any(|(number, heard)| heard == id && *number > mark))
    }
}

/// Connects, listens, forgets what is announced; on a lost connection stops
/// trusting the cache and starts again. Ends when the cache is dropped.
async fn listen(url: String, shared: Arc<Shared>, cache: Weak<UserCache>, mut stopped: oneshot::Receiver<()>) {
    let mut first = true;
    loop {
        // After a loss, a pause: a restarting database is not hammered, and
        // the node reads it meanwhile.
        if !std::mem::take(&mut first) {
            tokio::select! {
                _ = &mut stopped => return,
                _ = tokio::time::sleep(RECONNECT_PAUSE) => {}
            }
        }
        let connected = tokio::select! {
            _ = &mut stopped => return,
            connected = connect(&url) => connected,
        };
        let mut listener = match connected {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(%err, "the user cache cannot listen; every check reads the database");
                continue;
            }
        };
        // Whatever changed while nobody listened is unknown: start empty.
        let Some(rows) = cache.upgrade() else { return };
        rows.clear();
        drop(rows);
        shared.trusted.store(true, Ordering::Release);
        loop {
            let next = tokio::select! {
                _ = &mut stopped => return,
                next = listener.try_recv() => next,
            };
            let Some(rows) = cache.upgrade() else { return };
            match next {
                Ok(Some(notification)) => match notification.payload().parse::<i64>() {
                    Ok(id) => {
                        rows.forget(id);
                        shared.hear(id);
                    }
                    Err(_) => rows.clear(),
                },
                Ok(None) | Err(_) => {
                    // Untrusted first, so no row read from now on is stored.
                    shared.trusted.store(false, Ordering::Release);
                    rows.clear();
                    tracing::warn!("the user cache lost its listener; reading the database until it is back");
                    break;
                }
            }
        }
    }
}

async fn connect(url: &str) -> Result<PgListener, sea_orm::sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options.application_name(APPLICATION_NAME))
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::Heard;

    #[test]
    fn an_id_counts_as_heard_only_after_the_mark() {
        let mut heard = Heard::default();
        for (number, id) in [(1, 7), (2, 8)] {
            heard.count = number;
            heard.recent.push_back((number, id));
        }
        assert!(heard.all_after(0, &[7, 8]));
        assert!(heard.all_after(1, &[8]));
        assert!(!heard.all_after(1, &[7]));
        assert!(!heard.all_after(2, &[8]));
    }
}
