//! Per-IP send limits slide (a burst at :59 and one at :00 cannot both
//! pass) and count only sends that were not refused further on.

use serde_json::json;

use crate::common::*;
use crate::sms::SEND;

async fn send(app: &TestApp, mobile: &str) -> serde_json::Value {
    app.gql(SEND, json!({"input": {"mobile": mobile, "purpose": "LOGIN"}}))
        .await
        .1
}

#[tokio::test]
async fn the_hourly_ip_window_slides_across_the_hour() {
    let app = TestApp::with_args(&["--sends-per-ip-hourly", "5"]).await;
    // Ten seconds before the top of an hour.
    let now = app.state.clock.now().timestamp();
    app.clock.advance(3600 - now.rem_euclid(3600) - 10);
    for i in 0..5 {
        assert!(send(&app, &format!("1380000080{i}")).await["errors"].is_null());
    }
    assert_eq!(error_code(&send(&app, "13800000809").await), "RATE_LIMITED");
    // Twenty seconds later a new clock hour has begun; the window has not.
    app.clock.advance(20);
    let body = send(&app, "13800000809").await;
    assert_eq!(error_code(&body), "RATE_LIMITED", "{body}");
    let wait = body["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap_or(0);
    assert!(wait > 60, "it must wait for the burst to age out: {wait}");
    app.clock.advance(wait as i64);
    assert!(
        send(&app, "13800000809").await["errors"].is_null(),
        "after the wait it passes"
    );
}

#[tokio::test]
async fn sends_refused_for_the_target_do_not_use_up_the_ip_quota() {
    let app = TestApp::with_args(&["--sends-per-ip-hourly", "3"]).await;
    assert!(send(&app, "13800000810").await["errors"].is_null());
    // Ten refusals by the 60-second gap of that mobile.
    for _ in 0..10 {
        assert_eq!(error_code(&send(&app, "13800000810").await), "RATE_LIMITED");
    }
    // The IP still has two sends left.
    assert!(send(&app, "13800000811").await["errors"].is_null());
    assert!(send(&app, "13800000812").await["errors"].is_null());
    assert_eq!(error_code(&send(&app, "13800000813").await), "RATE_LIMITED");
}
