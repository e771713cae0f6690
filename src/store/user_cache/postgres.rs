//! The node's ear on PostgreSQL: `LISTEN zhanghao_users` on a connection of
//! its own, in a thread of its own (a node busy with requests still hears a
//! revocation as soon as the database sends it). The migration's trigger
//! sends each changed `users` id when its transaction commits.
//!
//! Hearing is not enough for "refused by the next request on every node":
//! another node may be slower to read its NOTIFY than the writer is to
//! answer. So a commit that changed users is followed by a roll call: the
//! writer sends `sync <node> <n>` on the same channel and reads, in the same
//! statement, which listeners are connected. PostgreSQL delivers a channel's
//! notifications in commit order, so a listener that reads the roll call has
//! already forgotten the rows before it; it answers on `zhanghao_users_ack`.
//! The writer's request answers once every listener has answered; one that
//! has not within a second has its connection ended, and a node without its
//! connection does not use its cache.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgNotification, PgPoolOptions};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use tokio::sync::{Notify, oneshot};

use super::UserCache;

/// The channel the trigger notifies, and roll calls go out on.
const CHANNEL: &str = "zhanghao_users";
/// Where listeners answer roll calls.
const ACK_CHANNEL: &str = "zhanghao_users_ack";
/// The listeners' `application_name`: this, a space and the node's id, set
/// once the node listens (so every listener a roll call finds will hear it).
pub const APPLICATION_NAME: &str = "zhanghao-user-cache";
/// How long a commit waits for every node to answer its roll call.
const ACK_WAIT: Duration = Duration::from_secs(1);
/// How long a node waits before it listens again after losing its
/// connection: short, since its own roll calls wait for it meanwhile, and
/// doubled after each failed attempt up to `RECONNECT_PAUSE_MAX`.
const RECONNECT_PAUSE: Duration = Duration::from_millis(200);
const RECONNECT_PAUSE_MAX: Duration = Duration::from_secs(5);

/// Sends a roll call and lists the connected listeners, in one statement.
const ROLL_CALL: &str = "SELECT pg_notify($1, $2)::text AS sent, \
     (SELECT string_agg(pid::text || ' ' || substr(application_name, $3), ',') FROM pg_stat_activity \
      WHERE datname = current_database() AND application_name LIKE $4) AS listeners";

/// Whether the listener is connected, and the roll calls it is waiting on.
pub struct Listener {
    shared: Arc<Shared>,
    /// Dropped with the cache: the thread then ends.
    _stop: oneshot::Sender<()>,
}

struct Shared {
    /// This node's id among listeners.
    node: u64,
    trusted: AtomicBool,
    next_call: AtomicU64,
    /// This node's roll calls not yet over: the nodes that answered each.
    answered: Mutex<HashMap<u64, HashSet<u64>>>,
    news: Notify,
}

/// A connected listener, as a roll call found it.
struct Present {
    pid: i32,
    node: u64,
}

impl Listener {
    /// Builds the cache around a listener and starts its thread.
    pub fn start(url: &str, make: impl FnOnce(Listener) -> UserCache) -> Arc<UserCache> {
        let shared = Arc::new(Shared {
            node: rand::random(),
            trusted: AtomicBool::new(false),
            next_call: AtomicU64::new(0),
            answered: Mutex::new(HashMap::new()),
            news: Notify::new(),
        });
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

    /// The `application_name` this node's listener has in `pg_stat_activity`.
    pub fn application_name(&self) -> String {
        listener_name(self.shared.node)
    }

    /// True while connected and listening.
    pub fn trusted(&self) -> bool {
        self.shared.trusted.load(Ordering::Acquire)
    }

    /// After a commit that changed users rows: returns once every node's
    /// listener has forgotten them, or has lost its connection (logged).
    pub async fn everyone_heard(&self, db: &impl ConnectionTrait) {
        let deadline = tokio::time::Instant::now() + ACK_WAIT;
        loop {
            // Answers come to this node's listener: without it, nobody hears them.
            let listening = self.shared.until_trusted(deadline).await;
            let call = self.shared.next_call.fetch_add(1, Ordering::Relaxed);
            self.shared.lock().insert(call, HashSet::new());
            let present = match roll_call(db, self.shared.node, call).await {
                Ok(present) => present,
                Err(err) => {
                    // The database is failing: so are the other nodes' listeners.
                    tracing::warn!(%err, "no roll call after a users change");
                    self.shared.lock().remove(&call);
                    return;
                }
            };
            let missing = if listening {
                self.shared.answers(call, &present, deadline).await
            } else {
                present.iter().collect()
            };
            self.shared.lock().remove(&call);
            // Lost its own listener while waiting, with time left: call again
            // once it is back (answers sent meanwhile were not heard).
            if !missing.is_empty() && !self.trusted() && tokio::time::Instant::now() < deadline {
                continue;
            }
            if !missing.is_empty() {
                let pids: Vec<i32> = missing.iter().map(|node| node.pid).collect();
                tracing::warn!(
                    ?pids,
                    "user cache listeners did not answer a roll call; ending their connections"
                );
                end_connections(db, &pids).await;
            }
            return;
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, HashSet<u64>>> {
        self.answered.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits until this node listens, or `deadline`; true if it does.
    async fn until_trusted(&self, deadline: tokio::time::Instant) -> bool {
        loop {
            let news = self.news.notified();
            tokio::pin!(news);
            news.as_mut().enable();
            if self.trusted.load(Ordering::Acquire) {
                return true;
            }
            if tokio::time::timeout_at(deadline, news).await.is_err() {
                return false;
            }
        }
    }

    /// Waits for every listener of `present` to answer `call`, until
    /// `deadline` or this node's own listener is lost; returns who has not.
    async fn answers<'a>(&self, call: u64, present: &'a [Present], deadline: tokio::time::Instant) -> Vec<&'a Present> {
        loop {
            let news = self.news.notified();
            tokio::pin!(news);
            news.as_mut().enable();
            let missing = self.missing(call, present);
            if missing.is_empty() || !self.trusted.load(Ordering::Acquire) {
                return missing;
            }
            if tokio::time::timeout_at(deadline, news).await.is_err() {
                return missing;
            }
        }
    }

    fn missing<'a>(&self, call: u64, present: &'a [Present]) -> Vec<&'a Present> {
        let answered = self.lock();
        let answered = answered.get(&call);
        present
            .iter()
            .filter(|node| !answered.is_some_and(|nodes| nodes.contains(&node.node)))
            .collect()
    }

    /// Takes an answer on `ACK_CHANNEL`: "<caller> <call> <answerer>".
    fn answer(&self, payload: &str) {
        let mut words = payload.split(' ').map(|word| u64::from_str_radix(word, 16));
        let (Some(Ok(caller)), Some(Ok(call)), Some(Ok(answerer))) = (words.next(), words.next(), words.next()) else {
            return;
        };
        if caller != self.node {
            return;
        }
        if let Some(nodes) = self.lock().get_mut(&call) {
            nodes.insert(answerer);
            self.news.notify_waiters();
        }
    }
}

/// Announces roll call `call` of `node` and lists who must answer it.
async fn roll_call(db: &impl ConnectionTrait, node: u64, call: u64) -> Result<Vec<Present>, DbErr> {
    let prefix = format!("{APPLICATION_NAME} ");
    let values = [
        CHANNEL.into(),
        format!("sync {node:x} {call:x}").into(),
        i32::try_from(prefix.len() + 1).unwrap_or(i32::MAX).into(),
        format!("{prefix}%").into(),
    ];
    let row = db
        .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, ROLL_CALL, values))
        .await?;
    let listeners: Option<String> = match row {
        Some(row) => row.try_get("", "listeners")?,
        None => None,
    };
    Ok(listeners.as_deref().map(parse_present).unwrap_or_default())
}

/// "pid node,pid node" as the roll call's query writes it.
fn parse_present(listeners: &str) -> Vec<Present> {
    listeners
        .split(',')
        .filter_map(|entry| {
            let (pid, node) = entry.split_once(' ')?;
            Some(Present {
                pid: pid.parse().ok()?,
                node: u64::from_str_radix(node, 16).ok()?,
            })
        })
        .collect()
}

/// Ends listener connections that did not answer: their nodes stop using
/// their caches until they listen again, empty.
async fn end_connections(db: &impl ConnectionTrait, pids: &[i32]) {
    for &pid in pids {
        let end = Statement::from_sql_and_values(DbBackend::Postgres, "SELECT pg_terminate_backend($1)", [pid.into()]);
        if let Err(err) = db.execute_raw(end).await {
            tracing::warn!(%err, pid, "could not end a silent user cache listener");
        }
    }
}

/// Connects, listens, forgets what is announced and answers roll calls; on a
/// lost connection stops trusting the cache and starts again. Ends when the
/// cache is dropped.
async fn listen(url: String, shared: Arc<Shared>, cache: Weak<UserCache>, mut stopped: oneshot::Receiver<()>) {
    let (mut first, mut failed_attempts) = (true, 0u32);
    loop {
        // After a loss, a pause: a restarting database is not hammered, and
        // the node reads it meanwhile.
        if !std::mem::take(&mut first) {
            let pause = RECONNECT_PAUSE.saturating_mul(2u32.saturating_pow(failed_attempts));
            tokio::select! {
                _ = &mut stopped => return,
                _ = tokio::time::sleep(pause.min(RECONNECT_PAUSE_MAX)) => {}
            }
        }
        let connected = tokio::select! {
            _ = &mut stopped => return,
            connected = connect(&url, shared.node) => connected,
        };
        let mut listener = match connected {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(%err, "the user cache cannot listen; every check reads the database");
                failed_attempts = failed_attempts.saturating_add(1);
                continue;
            }
        };
        // Whatever changed while nobody listened is unknown: start empty.
        let Some(rows) = cache.upgrade() else { return };
        rows.clear();
        drop(rows);
        shared.trusted.store(true, Ordering::Release);
        // Roll calls waiting for this node to listen go out now.
        shared.news.notify_waiters();
        failed_attempts = 0;
        loop {
            let next = tokio::select! {
                _ = &mut stopped => return,
                next = listener.try_recv() => next,
            };
            let Some(rows) = cache.upgrade() else { return };
            let heard = match next {
                Ok(Some(notification)) => hear(&mut listener, &shared, &rows, &notification).await,
                Ok(None) | Err(_) => Err(()),
            };
            if heard.is_err() {
                // Untrusted first, so no row read from now on is stored.
                shared.trusted.store(false, Ordering::Release);
                rows.clear();
                shared.news.notify_waiters();
                tracing::warn!("the user cache lost its listener; reading the database until it is back");
                break;
            }
        }
    }
}

/// One notification: a changed user to forget, a roll call to answer (after
/// everything before it was forgotten), or an answer to this node's call.
async fn hear(
    listener: &mut PgListener,
    shared: &Shared,
    rows: &UserCache,
    notification: &PgNotification,
) -> Result<(), ()> {
    let payload = notification.payload();
    if notification.channel() == ACK_CHANNEL {
        shared.answer(payload);
    } else if let Some(call) = payload.strip_prefix("sync ") {
        let answer = format!("{call} {:x}", shared.node);
        let sent = sea_orm::sqlx::query("SELECT pg_notify($1, $2)")
            .bind(ACK_CHANNEL)
            .bind(answer)
            .execute(&mut *listener)
            .await;
        sent.map_err(|err| tracing::warn!(%err, "the user cache could not answer a roll call"))?;
    } else {
        match payload.parse::<i64>() {
            Ok(id) => rows.forget(id),
            Err(_) => rows.clear(),
        }
    }
    Ok(())
}

fn listener_name(node: u64) -> String {
    format!("{APPLICATION_NAME} {node:x}")
}

async fn connect(url: &str, node: u64) -> Result<PgListener, sea_orm::sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options.application_name(APPLICATION_NAME))
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen_all([CHANNEL, ACK_CHANNEL]).await?;
    // Only now does a roll call find this node: it will hear the call.
    sea_orm::sqlx::query("SELECT set_config('application_name', $1, false)")
        .bind(listener_name(node))
        .execute(&mut listener)
        .await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(node: u64) -> Shared {
        Shared {
            node,
            trusted: AtomicBool::new(true),
            next_call: AtomicU64::new(0),
            answered: Mutex::new(HashMap::new()),
            news: Notify::new(),
        }
    }

    #[test]
    fn a_roll_call_waits_for_every_listener_it_found() {
        let me = shared(0xa);
        me.lock().insert(3, HashSet::new());
        let present = parse_present("101 a,202 b,bad,303 zz");
        assert_eq!(present.len(), 2, "entries that do not parse are no listeners");
        assert_eq!(me.missing(3, &present).len(), 2);
        me.answer("a 3 b");
        me.answer("b 3 a"); // another node's call
        me.answer("a 4 a"); // a call that is over
        me.answer("a 3"); // not an answer
        let missing: Vec<i32> = me.missing(3, &present).iter().map(|node| node.pid).collect();
        assert_eq!(missing, [101]);
        me.answer("a 3 a");
        assert!(me.missing(3, &present).is_empty());
    }
}
