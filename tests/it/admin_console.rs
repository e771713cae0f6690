//! The operators' console at /admin/ in headless Chromium (issue 15), driven
//! by `e2e/admin.mjs`: sign in as an ADMIN, find a user by mobile, disable
//! them, see the audit event and their token refused. Skipped like
//! `browser.rs` where Chromium or `e2e/node_modules` is missing, unless
//! `ZHANGHAO_E2E_REQUIRE=1`.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::browser::{chromium, missing_tool};
use crate::common::*;
use crate::sms::sms_user;

#[tokio::test]
async fn the_console_page_and_files_are_embedded_under_a_strict_csp() {
    let app = TestApp::new().await;
    let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();
    let (status, headers, body) = app.send(get("/admin/")).await;
    assert_eq!(status, StatusCode::OK);
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("/admin/admin.js") && !html.contains("<script>"),
        "no inline script"
    );
    let (status, headers, _) = app.send(get("/admin")).await;
    assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(headers[header::LOCATION], "/admin/");
    let (status, headers, _) = app.send(get("/admin/admin.js")).await;
    assert_eq!(status, StatusCode::OK);
    let etag = headers[header::ETAG].to_str().unwrap().to_string();
    let again = Request::get("/admin/admin.js")
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(again).await.0, StatusCode::NOT_MODIFIED);
    assert_eq!(app.send(get("/admin/nothing.js")).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_disables_a_user_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if let Some(why) = missing_tool(root) {
        assert!(
            std::env::var("ZHANGHAO_E2E_REQUIRE").as_deref() != Ok("1"),
            "ZHANGHAO_E2E_REQUIRE=1 but the browser test cannot run: {why}"
        );
        println!("SKIPPED admin console e2e: {why}");
        return;
    }
    let app = TestApp::new().await;
    app.register_username("boss", "a-good-password").await;
    app.grant_admin("boss").await;
    app.register_username("bystander", "a-good-password").await;
    let target = sms_user(&app, "13800138000").await;
    let target_token = target["tokens"]["accessToken"].as_str().unwrap().to_string();
    let target_id = target["user"]["id"].as_str().unwrap().to_string();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = app.router.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .ok();
    });
    let screenshots = std::env::var("ZHANGHAO_E2E_SCREENSHOTS")
        .unwrap_or_else(|_| root.join("target/e2e-screenshots").display().to_string());
    let run = tokio::process::Command::new("node")
        .arg(root.join("e2e/admin.mjs"))
        .env("ZHANGHAO_URL", format!("http://{address}"))
        .env("ZHANGHAO_E2E_ADMIN", "boss")
        .env("ZHANGHAO_E2E_ADMIN_PASSWORD", "a-good-password")
        .env("ZHANGHAO_E2E_TARGET_TOKEN", &target_token)
        .env("ZHANGHAO_E2E_TARGET_ID", &target_id)
        .env("ZHANGHAO_E2E_SCREENSHOTS", &screenshots)
        .env("CHROMIUM", chromium())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(150), run)
        .await
        .expect("the console e2e finishes within 150 s")
        .expect("node runs");
    server.abort();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    println!("admin console screenshots: {screenshots}/admin-user.png, {screenshots}/admin-audit.png");
    assert!(output.status.success(), "admin console e2e failed:\n{stdout}\n{stderr}");

    // What the browser did is what the server holds.
    let user = zhanghao::store::users::by_id(&app.state.db, target_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.disabled_reason.as_deref(), Some("发布垃圾广告"));
}
