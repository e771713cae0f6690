//! The per-node user cache (issue 16): token checks answered without the
//! database, yet every change seen by the very next request on the node that
//! made it and on every other node — under load. Runs on both backends.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use sea_orm::sqlx;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::common::*;

const ME: &str = "{ me { id nickname status } }";
const NICKNAME: &str = "mutation($n: String!) { updateProfile(input: {nickname: $n}) { nickname } }";
const DISABLE: &str = "mutation($id: ID!) { disableUser(id: $id, reason: \"cache test\") { status } }";
const ENABLE: &str = "mutation($id: ID!) { enableUser(id: $id) { status } }";
const EVERYWHERE: &str = "mutation { logout(allSessions: true) }";

fn is_postgres() -> bool {
    std::env::var("ZHANGHAO_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

/// `me` for `token` on `app`: the user, or the error code.
async fn me(app: &TestApp, token: &str) -> Result<Value, String> {
    let (_, body) = app.gql_as(token, ME, json!({})).await;
    match body["data"]["me"].clone() {
        Value::Null => Err(error_code(&body).to_string()),
        user => Ok(user),
    }
}

fn refused(answer: &Result<Value, String>) -> bool {
    answer.as_ref().err().is_some_and(|code| code == "UNAUTHENTICATED")
}

/// Asserts that `b`'s very next `me` for `token` shows `change`: on SQLite
/// every node asks `PRAGMA data_version`; on PostgreSQL the writer's request
/// answered only after B's listener answered its roll call.
async fn seen_by(b: &TestApp, token: &str, change: impl Fn(&Result<Value, String>) -> bool, what: &str) {
    let answer = me(b, token).await;
    assert!(change(&answer), "{what}: node B still answers {answer:?}");
}

/// Keeps `me` requests for `token` going on `app` until `stop`; counts them.
async fn keep_asking(app: &TestApp, token: &str, stop: &AtomicBool, asked: &AtomicUsize) {
    while !stop.load(Ordering::Relaxed) {
        let _ = me(app, token).await;
        asked.fetch_add(1, Ordering::Relaxed);
        tokio::task::yield_now().await;
    }
}

/// Alice's token and id, and an ADMIN's token, on `a`.
async fn alice_and_boss(a: &TestApp) -> (String, String, String) {
    let (boss, alice, id) = crate::admin::boss_and_alice(a).await;
    (access(&alice), id, boss)
}

#[tokio::test]
async fn every_change_on_one_node_is_seen_by_the_next_request_on_the_other_under_load() {
    let a = TestApp::new().await;
    let b = a.another_node(&[]).await;
    let (first, id, boss) = alice_and_boss(&a).await;
    assert_eq!(me(&b, &first).await.unwrap()["id"], id.as_str());
    let (stop, asked) = (AtomicBool::new(false), AtomicUsize::new(0));
    let rounds = async {
        for round in 0..15 {
            let token = access(&a.login("alice", "a-good-password").await);
            let name = format!("round-{round}");
            let (_, body) = a.gql_as(&token, NICKNAME, json!({"n": name})).await;
            assert!(body["errors"].is_null(), "{body}");
            assert_eq!(me(&a, &token).await.unwrap()["nickname"], name.as_str());
            let renamed =
                |answer: &Result<Value, String>| answer.as_ref().is_ok_and(|u| u["nickname"] == name.as_str());
            seen_by(&b, &token, renamed, &format!("round {round}: the new nickname")).await;
            // A ban signs the user out everywhere at once, and lifting it does not bring old tokens back.
            let (_, body) = a.gql_as(&boss, DISABLE, json!({"id": id})).await;
            assert!(body["errors"].is_null(), "{body}");
            assert_eq!(me(&a, &token).await, Err("UNAUTHENTICATED".into()), "round {round}");
            seen_by(&b, &token, refused, &format!("round {round}: the ban")).await;
            let (_, body) = a.gql_as(&boss, ENABLE, json!({"id": id})).await;
            assert!(body["errors"].is_null(), "{body}");
            assert_eq!(me(&b, &token).await, Err("UNAUTHENTICATED".into()), "round {round}");
        }
        stop.store(true, Ordering::Relaxed);
    };
    // A session of Alice's that lives through every round keeps B's cache
    // busy refilling her row the whole time; its token dies at the first ban.
    let load = futures::future::join3(
        keep_asking(&b, &first, &stop, &asked),
        keep_asking(&b, &first, &stop, &asked),
        keep_asking(&b, &first, &stop, &asked),
    );
    let ((), _) = futures::future::join(rounds, load).await;
    assert!(asked.load(Ordering::Relaxed) > 45, "the load ran alongside");
}

#[tokio::test]
async fn a_sign_out_everywhere_on_one_node_is_refused_by_the_next_request_on_the_other() {
    let a = TestApp::new().await;
    let b = a.another_node(&[]).await;
    for round in 0..10 {
        let name = format!("user{round}");
        let token = access(&a.register_username(&name, "a-good-password").await);
        // Cached on B first.
        assert!(me(&b, &token).await.is_ok());
        assert!(me(&b, &token).await.is_ok());
        let (_, body) = a.gql_as(&token, EVERYWHERE, json!({})).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(me(&a, &token).await, Err("UNAUTHENTICATED".into()), "round {round}");
        seen_by(&b, &token, refused, &format!("round {round}")).await;
    }
}

/// A sign-in's time is bookkeeping, not a revocation: the node that signed
/// in shows it at once, and the other forgets its cached row when the
/// database tells it (PostgreSQL: the trigger's notification, a moment
/// later; the sign-in does not wait for it).
#[tokio::test]
async fn a_sign_in_time_reaches_the_other_nodes_cache() {
    const LAST: &str = "{ me { lastLoginAt } }";
    let a = TestApp::new().await;
    let b = a.another_node(&[]).await;
    let first = access(&a.register_username("alice", "a-good-password").await);
    let (_, before) = b.gql_as(&first, LAST, json!({})).await;
    assert!(
        before["data"]["me"]["lastLoginAt"].is_string(),
        "B has the row: {before}"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let token = access(&a.login("alice", "a-good-password").await);
    let (_, on_a) = a.gql_as(&token, LAST, json!({})).await;
    let signed_in = on_a["data"]["me"]["lastLoginAt"].clone();
    assert!(signed_in.is_string(), "{on_a}");
    assert_ne!(signed_in, before["data"]["me"]["lastLoginAt"], "{before}");
    let deadline = std::time::Instant::now() + Duration::from_secs(if is_postgres() { 2 } else { 0 });
    loop {
        let (_, on_b) = b.gql_as(&first, LAST, json!({})).await;
        if on_b["data"]["me"]["lastLoginAt"] == signed_in {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "B still shows {on_b}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_row_changed_by_hand_in_the_database_is_not_served_from_the_cache() {
    let app = TestApp::new().await;
    let alice = app.register_username("alice", "a-good-password").await;
    let (token, id) = (access(&alice), alice["user"]["id"].as_str().unwrap().to_string());
    assert!(me(&app, &token).await.is_ok());
    // An operator's own SQL, on a connection of its own.
    let url = app.state.config.database_url.clone();
    let operator = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let sql = format!("UPDATE users SET status = 'DISABLED' WHERE id = {id}");
    operator
        .execute_raw(Statement::from_string(operator.get_database_backend(), sql))
        .await
        .unwrap();
    // SQLite sees it at the next request; PostgreSQL's trigger announces it
    // when that statement commits, a moment later.
    let deadline = std::time::Instant::now() + Duration::from_secs(if is_postgres() { 2 } else { 0 });
    loop {
        match me(&app, &token).await {
            Err(code) => {
                assert_eq!(code, "UNAUTHENTICATED");
                break;
            }
            Ok(user) if std::time::Instant::now() >= deadline => panic!("still served: {user}"),
            Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

#[tokio::test]
async fn a_cached_token_check_does_not_touch_the_database() {
    let app = TestApp::new().await;
    let alice = access(&app.register_username("alice", "a-good-password").await);
    let bob = access(&app.register_username("bob", "a-good-password").await);
    // Sign-ups do not wait for the notifications of their sign-in times; a
    // change that waits for the roll call makes sure none comes in after
    // the row is cached (PostgreSQL delivers them in commit order).
    let (_, body) = app.gql_as(&alice, NICKNAME, json!({"n": "Alice"})).await;
    assert!(body["errors"].is_null(), "{body}");
    assert!(me(&app, &alice).await.is_ok());
    assert!(zhanghao::store::user_cache_trusted(&app.state.db));
    app.state.db.clone().close().await.unwrap();
    // Alice's row is cached: her check needs no connection. Bob's is not.
    assert!(me(&app, &alice).await.is_ok());
    assert_eq!(me(&app, &bob).await, Err("SERVICE_UNAVAILABLE".into()));
}

#[tokio::test]
async fn with_no_cache_every_check_reads_the_database() {
    let app = TestApp::with_args(&["--user-cache-size", "0"]).await;
    let alice = access(&app.register_username("alice", "a-good-password").await);
    assert!(me(&app, &alice).await.is_ok());
    assert!(!zhanghao::store::user_cache_trusted(&app.state.db));
    app.state.db.clone().close().await.unwrap();
    assert_eq!(me(&app, &alice).await, Err("SERVICE_UNAVAILABLE".into()));
}

/// PostgreSQL: a node whose listener connection drops stops trusting its
/// cache; a ban made meanwhile is honoured, and once it listens again it
/// starts empty.
#[tokio::test]
async fn a_node_that_lost_its_listener_reads_the_database_until_it_listens_again() {
    if !is_postgres() {
        return;
    }
    let a = TestApp::new().await;
    let b = a.another_node(&[]).await;
    let (token, id, boss) = alice_and_boss(&a).await;
    assert!(me(&b, &token).await.is_ok());
    let kill = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                WHERE application_name LIKE 'zhanghao-user-cache%' AND datname = current_database()";
    a.state
        .db
        .execute_raw(Statement::from_string(a.state.db.get_database_backend(), kill))
        .await
        .unwrap();
    wait_until(
        || !zhanghao::store::user_cache_trusted(&b.state.db),
        "B noticed the lost listener",
    )
    .await;
    // Whatever happens now, B may not have heard it.
    let (_, body) = a.gql_as(&boss, DISABLE, json!({"id": id})).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(me(&b, &token).await, Err("UNAUTHENTICATED".into()));
    wait_until(|| zhanghao::store::user_cache_trusted(&b.state.db), "B listens again").await;
    assert_eq!(me(&b, &token).await, Err("UNAUTHENTICATED".into()));
}

/// PostgreSQL: a node whose own listener is reconnecting cannot hear the
/// answers to its roll call; it waits for its listener instead of ending
/// every other node's connection.
#[tokio::test]
async fn a_roll_call_waits_for_its_own_listener_rather_than_ending_the_others() {
    if !is_postgres() {
        return;
    }
    let a = TestApp::new().await;
    let b = a.another_node(&[]).await;
    let token = access(&a.register_username("alice", "a-good-password").await);
    for node in [&a, &b] {
        wait_until(|| zhanghao::store::user_cache_trusted(&node.state.db), "listening").await;
    }
    assert!(me(&b, &token).await.is_ok());
    let b_listener = listener_pid(&a, &b).await.expect("B listens");
    let kill = format!(
        "SELECT pg_terminate_backend({})",
        listener_pid(&a, &a).await.expect("A listens")
    );
    a.state
        .db
        .execute_raw(Statement::from_string(a.state.db.get_database_backend(), kill))
        .await
        .unwrap();
    wait_until(|| !zhanghao::store::user_cache_trusted(&a.state.db), "A noticed").await;
    let (_, body) = a.gql_as(&token, EVERYWHERE, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    seen_by(&b, &token, refused, "the sign-out everywhere").await;
    assert_eq!(
        listener_pid(&a, &b).await,
        Some(b_listener),
        "B's listener kept its connection"
    );
}

/// The backend pid of `node`'s listener, asked through `app`.
async fn listener_pid(app: &TestApp, node: &TestApp) -> Option<i32> {
    let name = zhanghao::store::user_cache_listener(&node.state.db)?;
    let backend = app.state.db.get_database_backend();
    let sql = "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()";
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [name.into()]))
        .await
        .unwrap()?;
    row.try_get::<i32>("", "pid").ok()
}

async fn wait_until(done: impl Fn() -> bool, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// PostgreSQL: a listener that is connected but does not answer roll calls
/// (a frozen node, say) holds a revoking request for at most a second, then
/// loses its connection, so its node stops using its cache.
#[tokio::test]
async fn a_listener_that_does_not_answer_a_roll_call_is_disconnected() {
    if !is_postgres() {
        return;
    }
    let a = TestApp::new().await;
    let token = access(&a.register_username("alice", "a-good-password").await);
    let url = a.state.config.database_url.clone();
    let mut silent = <sqlx::PgConnection as sqlx::Connection>::connect(url.as_str())
        .await
        .unwrap();
    let name = "SET application_name = 'zhanghao-user-cache 5117e47'";
    sqlx::query(name).execute(&mut silent).await.unwrap();
    let started = std::time::Instant::now();
    let (_, body) = a.gql_as(&token, EVERYWHERE, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "answered after {waited:?}, before the roll call's wait was over"
    );
    assert_eq!(me(&a, &token).await, Err("UNAUTHENTICATED".into()));
    let after = sqlx::query("SELECT 1").execute(&mut silent).await;
    assert!(after.is_err(), "the silent listener's connection was ended");
}
