//! The events webhook (DESIGN §10): written with the change, delivered from
//! the outbox at least once and in order per user, retried with back-off
//! while the receiver is down, kept across a restart, never delivered twice
//! at once by two nodes, signed with the documented HMAC.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};

use crate::common::*;

const SECRET: &str = "events-secret-0123456789";

/// A loopback receiver that records what it accepts; `down` makes it answer 503.
#[derive(Default)]
struct Receiver {
    down: AtomicBool,
    got: Mutex<Vec<Value>>,
}

async fn receive(State(receiver): State<Arc<Receiver>>, headers: HeaderMap, body: String) -> StatusCode {
    if receiver.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    // X-Zhanghao-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">, as a receiver checks it.
    let signature = headers["x-zhanghao-signature"].to_str().unwrap();
    let (t, v1) = signature.split_once(',').unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let expected = hex::encode(zhanghao::crypto::hmac_sha256(
        SECRET.as_bytes(),
        format!("{t}.{body}").as_bytes(),
    ));
    assert_eq!(v1.strip_prefix("v1=").unwrap(), expected, "signature of {body}");
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(headers["x-zhanghao-event-id"].to_str().unwrap(), event["id"]);
    receiver.got.lock().unwrap().push(event);
    StatusCode::NO_CONTENT
}

async fn receiver() -> (Arc<Receiver>, String) {
    let receiver = Arc::new(Receiver::default());
    let router = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (receiver, url)
}

/// Delivers until a round delivers nothing (bounded: each round takes one event per user).
async fn drain(app: &TestApp) -> usize {
    let mut delivered = 0;
    for _ in 0..50 {
        match app.state.services.events.deliver_due().await.unwrap() {
            0 => break,
            n => delivered += n,
        }
    }
    delivered
}

fn types_of(receiver: &Receiver, user_id: &str) -> Vec<String> {
    let got = receiver.got.lock().unwrap();
    got.iter()
        .filter(|e| e["user_id"] == user_id)
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn events_survive_a_down_receiver_and_a_restart_and_arrive_once_in_order() {
    let (receiver, url) = receiver().await;
    let args = ["--events-webhook-url", url.as_str(), "--events-webhook-secret", SECRET];
    let app = TestApp::with_args(&args).await;
    receiver.down.store(true, Ordering::SeqCst);

    let me = app.register_username("eve", "a-good-password").await;
    let id = me["user"]["id"].as_str().unwrap().to_string();
    app.login("eve", "a-good-password").await;
    let profile = r#"mutation { updateProfile(input: {nickname: "Eve"}) { id } }"#;
    assert!(app.gql_as(&access(&me), profile, json!({})).await.1["errors"].is_null());
    let change = r#"mutation { changePassword(currentPassword: "a-good-password", newPassword: "another-good-one") { user { id } } }"#;
    assert!(app.gql_as(&access(&me), change, json!({})).await.1["errors"].is_null());
    assert_eq!(drain(&app).await, 0, "the receiver is down");
    assert!(receiver.got.lock().unwrap().is_empty());

    // A restart: a new process on the same database (the first one, which
    // holds the test's database file, no longer delivers anything).
    let restarted = app.another_node(&args).await;
    receiver.down.store(false, Ordering::SeqCst);
    assert_eq!(drain(&restarted).await, 0, "backing off: not due yet");
    restarted.clock.advance(3600);
    assert_eq!(drain(&restarted).await, 4);
    assert_eq!(
        types_of(&receiver, &id),
        [
            "user.created",
            "user.signed_in",
            "user.updated",
            "user.password_changed"
        ]
    );
    let got = receiver.got.lock().unwrap().clone();
    assert_eq!(got[1]["data"], json!({"method": "password"}));
    assert_eq!(got[2]["data"], json!({"fields": ["nickname"]}));
    assert!(got.iter().all(|e| e["occurred_at"].as_str().unwrap().ends_with('Z')));
    // Nothing personal travels: ids and kinds only.
    assert!(!serde_json::to_string(&got).unwrap().contains("eve"));
    assert_eq!(drain(&restarted).await, 0, "delivered once");
}

#[tokio::test]
async fn two_nodes_deliver_each_event_once_and_in_order() {
    let (receiver, url) = receiver().await;
    let args = ["--events-webhook-url", url.as_str(), "--events-webhook-secret", SECRET];
    let app = TestApp::with_args(&args).await;
    let other = app.another_node(&args).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let name = format!("user{n}");
        let me = app.register_username(&name, "a-good-password").await;
        ids.push(me["user"]["id"].as_str().unwrap().to_string());
        app.login(&name, "a-good-password").await;
        app.login(&name, "a-good-password").await;
    }
    for _ in 0..10 {
        let (a, b) = tokio::join!(
            app.state.services.events.deliver_due(),
            other.state.services.events.deliver_due()
        );
        if a.unwrap() + b.unwrap() == 0 {
            break;
        }
    }
    let got = receiver.got.lock().unwrap().clone();
    assert_eq!(got.len(), 15, "{got:?}");
    let mut seen: Vec<&str> = got.iter().map(|e| e["id"].as_str().unwrap()).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 15, "no event twice");
    for id in &ids {
        assert_eq!(
            types_of(&receiver, id),
            ["user.created", "user.signed_in", "user.signed_in"]
        );
    }
}

#[tokio::test]
async fn without_a_webhook_nothing_is_kept_and_a_half_setting_stops_start_up() {
    let app = TestApp::new().await;
    app.register_username("quiet", "a-good-password").await;
    assert_eq!(zhanghao::store::events::waiting(&app.state.db).await.unwrap(), 0);
    let settings = |args: &[&str]| {
        let mut argv = vec!["zhanghao", "--jwt-secret", "a-test-secret-of-at-least-32-bytes!!"];
        argv.extend_from_slice(args);
        argv.into_iter().map(String::from).collect::<Vec<_>>()
    };
    for (args, words) in [
        (
            settings(&["--events-webhook-url", "http://127.0.0.1:9/hook"]),
            "ZHANGHAO_EVENTS_WEBHOOK_SECRET",
        ),
        (
            settings(&["--events-webhook-url", "ftp://x", "--events-webhook-secret", SECRET]),
            "http(s) URL",
        ),
    ] {
        let err = config_error(args);
        assert!(err.contains(words), "{err}");
    }
}

#[tokio::test]
async fn a_receiver_that_hangs_is_given_up_on_and_tried_again() {
    let hang = axum::Router::new().route(
        "/hook",
        post(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            StatusCode::NO_CONTENT
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, hang).await.unwrap() });
    let args = [
        "--events-webhook-url",
        url.as_str(),
        "--events-webhook-secret",
        SECRET,
        "--provider-timeout",
        "1",
    ];
    let app = TestApp::with_args(&args).await;
    app.register_username("patient", "a-good-password").await;
    let round = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        app.state.services.events.deliver_due(),
    );
    assert_eq!(round.await.expect("the timeout bounds the round").unwrap(), 0);
    assert_eq!(
        zhanghao::store::events::waiting(&app.state.db).await.unwrap(),
        1,
        "kept for a retry"
    );
}

#[tokio::test]
async fn a_deleted_account_s_events_end_with_user_deleted() {
    let (receiver, url) = receiver().await;
    let args = [
        "--events-webhook-url",
        url.as_str(),
        "--events-webhook-secret",
        SECRET,
        "--deletion-grace-days",
        "0",
    ];
    let app = TestApp::with_args(&args).await;
    let me = app.register_username("leaving", "a-good-password").await;
    let id = me["user"]["id"].as_str().unwrap().to_string();
    let delete = r#"mutation { requestAccountDeletion(password: "a-good-password") { status } }"#;
    let (_, body) = app.gql_as(&access(&me), delete, json!({})).await;
    assert_eq!(body["data"]["requestAccountDeletion"]["status"], "DELETED", "{body}");
    assert_eq!(drain(&app).await, 3);
    assert_eq!(
        types_of(&receiver, &id),
        ["user.created", "user.deletion_requested", "user.deleted"]
    );
}
