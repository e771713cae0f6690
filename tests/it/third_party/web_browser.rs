//! Browser sign-in in a real browser: headless Chromium (`e2e/oauth.mjs`)
//! opens a single-page app on its own loopback origin that runs README's
//! code — the verifier and its challenge, `thirdPartyAuthorizeUrl`, the
//! platform's page (WeChat's QR code page, Apple's form_post through our
//! callback), back on `/signed-in`, `thirdPartyLogin` — against the stand-ins.
//! Skipped like `browser.rs` where Chromium or e2e/node_modules is missing.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use serde_json::Value;

use super::standins::app_with_platforms_at;
use crate::browser::{chromium, missing_tool};

/// The app's two pages; `APP` is replaced by the server's URL.
const START: &str = r##"<!doctype html><meta charset="utf-8"><title>sign in</title><p id="status">starting</p>
<script type="module">
const gql = (query, variables) => fetch("APP/graphql", { method: "POST",
  headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) }).then((r) => r.json());
const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const params = new URLSearchParams(location.search);
const platform = params.get("platform");
const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
const codeChallenge = b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
sessionStorage.setItem("verifier", verifier);
sessionStorage.setItem("platform", platform);
const { data, errors } = await gql(
  `mutation($input: AuthorizeUrlInput!) { thirdPartyAuthorizeUrl(input: $input) { url } }`,
  { input: { platform, redirectUri: location.origin + "/signed-in", codeChallenge } });
if (errors) { document.getElementById("status").textContent = JSON.stringify(errors); }
else {
  // The stand-in's stand-in for the person who scans the code or taps "allow".
  const [page, fragment] = data.thirdPartyAuthorizeUrl.url.split("#");
  location.assign(page + "&as=" + params.get("as") + (fragment ? "#" + fragment : ""));
}
</script>"##;

const SIGNED_IN: &str = r##"<!doctype html><meta charset="utf-8"><title>signed in?</title>
<script type="module">
const gql = (query, variables) => fetch("APP/graphql", { method: "POST",
  headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) }).then((r) => r.json());
const q = new URLSearchParams(location.search);
const answer = await gql(
  `mutation($input: ThirdPartyLoginInput!) { thirdPartyLogin(input: $input) { user { id } } }`,
  { input: { platform: sessionStorage.getItem("platform"), code: q.get("code"), state: q.get("state"),
             codeVerifier: sessionStorage.getItem("verifier") } });
const pre = document.createElement("pre");
pre.id = "result";
pre.textContent = JSON.stringify({ query: [...q.keys()], answer });
document.body.append(pre);
</script>"##;

async fn serve(listener: tokio::net::TcpListener, router: Router) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .ok();
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wechat_qr_and_apple_sign_in_work_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if let Some(why) = missing_tool(root) {
        assert!(
            std::env::var("ZHANGHAO_E2E_REQUIRE").as_deref() != Ok("1"),
            "ZHANGHAO_E2E_REQUIRE=1 but the browser test cannot run: {why}"
        );
        println!("SKIPPED browser sign-in e2e: {why}");
        return;
    }
    let app_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let spa_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app_url = format!("http://{}", app_listener.local_addr().unwrap());
    let spa_url = format!("http://{}", spa_listener.local_addr().unwrap());
    let app = app_with_platforms_at(&format!("{spa_url}/signed-in"), &app_url, &[]).await;
    let app_server = serve(app_listener, app.router.clone()).await;
    let start = START.replace("APP", &app_url);
    let signed_in = SIGNED_IN.replace("APP", &app_url);
    let spa = Router::new()
        .route("/start", get(move || async move { Html(start) }))
        .route("/signed-in", get(move || async move { Html(signed_in) }));
    let spa_server = serve(spa_listener, spa).await;

    let screenshots = root.join("target/e2e-screenshots").display().to_string();
    let run = tokio::process::Command::new("node")
        .arg(root.join("e2e/oauth.mjs"))
        .env("ZHANGHAO_SPA_URL", &spa_url)
        .env("ZHANGHAO_E2E_SCREENSHOTS", &screenshots)
        .env("CHROMIUM", chromium())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(100), run)
        .await
        .expect("the browser sign-in test finishes within 100 s")
        .expect("node runs");
    app_server.abort();
    spa_server.abort();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "browser sign-in e2e failed:\n{stdout}\n{stderr}"
    );
    let results: Vec<Value> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("result "))
        .map(|json| serde_json::from_str(json).unwrap())
        .collect();
    assert_eq!(results.len(), 2, "{stdout}");
    for result in results {
        // Back with exactly code and state, and the state and verifier held: the
        // unknown person is asked for a phone, as every verified sign-in does.
        assert_eq!(result["query"], serde_json::json!(["code", "state"]), "{result}");
        let code = &result["answer"]["errors"][0]["extensions"]["code"];
        assert_eq!(code, "NO_BIND_USER", "{result}");
    }
}
