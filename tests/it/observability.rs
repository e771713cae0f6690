//! DESIGN §7: `/metrics` counts what this app did (its own registry, so the
//! deltas are exact even with other tests running), and one request is
//! findable in the log by its id, with failed sign-ins masked.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::common::*;

const LOGIN: &str =
    "mutation SignIn($input: LoginInput!) { login(input: $input) { user { id } tokens { accessToken } } }";
const SEND: &str = "mutation($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { expiresIn } }";

async fn scrape(app: &TestApp) -> String {
    let (status, headers, body) = app.send(Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let kind = headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    String::from_utf8(body).unwrap()
}

/// The value of the sample `series` (name and labels exactly), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

#[tokio::test]
async fn metrics_count_exactly_what_this_app_did() {
    let app = TestApp::new().await;
    app.register_username("metered", "a-good-password").await;
    let before = scrape(&app).await;

    let login = |password: &str| json!({"input": {"account": "metered", "password": password}});
    assert_eq!(
        error_code(&app.gql(LOGIN, login("a-wrong-password")).await.1),
        "INVALID_CREDENTIALS"
    );
    assert!(app.gql(LOGIN, login("a-good-password")).await.1["errors"].is_null());
    let send = json!({"input": {"mobile": "13800000700", "purpose": "LOGIN"}});
    assert!(app.gql(SEND, send.clone()).await.1["errors"].is_null());
    assert_eq!(error_code(&app.gql(SEND, send).await.1), "RATE_LIMITED");

    let after = scrape(&app).await;
    let delta = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(
        delta(r#"zhanghao_sign_ins_total{method="password",outcome="INVALID_CREDENTIALS"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"zhanghao_sign_ins_total{method="password",outcome="success"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"zhanghao_codes_sent_total{channel="sms",purpose="login",outcome="sent"}"#),
        1.0
    );
    assert_eq!(delta(r#"zhanghao_rate_limited_total{limit="send:gap"}"#), 1.0);
    assert_eq!(
        delta(r#"zhanghao_graphql_operations_total{operation="SignIn",outcome="success"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"zhanghao_graphql_operations_total{operation="SignIn",outcome="INVALID_CREDENTIALS"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"zhanghao_graphql_operations_total{operation="anonymous",outcome="success"}"#),
        1.0
    );
    // Four GraphQL requests, and the first scrape (counted once it was answered).
    assert_eq!(
        delta(r#"http_requests_total{route="/graphql",method="POST",status="200"}"#),
        4.0
    );
    assert_eq!(
        delta(r#"http_requests_total{route="/metrics",method="GET",status="200"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"http_request_duration_seconds_count{route="/graphql",method="POST"}"#),
        4.0
    );
    assert_eq!(
        delta(r#"http_request_duration_seconds_bucket{le="+Inf",route="/graphql",method="POST"}"#),
        4.0
    );
    let buckets = after
        .lines()
        .filter(|l| l.starts_with("http_request_duration_seconds_bucket{") && l.contains(r#"route="/graphql""#))
        .count();
    assert!(buckets > 10, "a histogram with buckets: {after}");
    assert!(
        after.contains("# TYPE http_request_duration_seconds histogram"),
        "{after}"
    );
    assert_eq!(
        sample(
            &after,
            &format!(r#"zhanghao_build_info{{version="{}"}}"#, env!("CARGO_PKG_VERSION"))
        ),
        1.0
    );
    assert!(
        after.contains(r#"zhanghao_db_pool_connections{state="idle"}"#),
        "{after}"
    );

    // Another app in the same process counts on its own.
    let other = TestApp::new().await;
    let fresh = scrape(&other).await;
    assert_eq!(
        sample(
            &fresh,
            r#"zhanghao_sign_ins_total{method="password",outcome="success"}"#
        ),
        0.0
    );
}

#[tokio::test]
async fn routes_are_templates_and_unknown_paths_are_one_label() {
    let app = TestApp::new().await;
    for path in ["/no/such/path/1", "/no/such/path/2"] {
        app.send(Request::get(path).body(Body::empty()).unwrap()).await;
    }
    let text = scrape(&app).await;
    assert_eq!(
        sample(
            &text,
            r#"http_requests_total{route="unmatched",method="GET",status="404"}"#
        ),
        2.0
    );
    assert!(!text.contains("/no/such/path"), "{text}");
}

/// A `zhanghao serve` process writing its log to `log`, killed when dropped.
struct Server {
    child: std::process::Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the real binary (the log is process-wide, so only a process of
/// its own shows exactly what an operator's log file would hold).
async fn serve(dir: &std::path::Path, log: &std::path::Path, json: bool) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_zhanghao"))
        .arg("serve")
        .env("ZHANGHAO_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display()),
        )
        .env("ZHANGHAO_OUTBOX", dir.join("outbox.jsonl"))
        .env("ZHANGHAO_JWT_SECRET", "log-test-secret-log-test-secret-0123456789")
        .env("ZHANGHAO_SEND_CAPTCHA", "off")
        .env("ZHANGHAO_LOG_JSON", if json { "1" } else { "0" })
        .env_remove("RUST_LOG")
        .stdout(std::fs::File::create(log).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start zhanghao");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !reqwest::get(format!("{}/readyz", server.base))
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(std::time::Instant::now() < deadline, "the server did not become ready");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    server
}

async fn post(server: &Server, query: &str, variables: Value, headers: &[(&str, &str)]) -> Value {
    let mut request = reqwest::Client::new().post(format!("{}/graphql", server.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = json!({"query": query, "variables": variables});
    request.json(&body).send().await.unwrap().json().await.unwrap()
}

/// Signs a user in by SMS, makes one signed-in request with a known id and
/// one failed login; returns the user id and token.
async fn traffic(server: &Server, dir: &std::path::Path) -> (String, String) {
    let send = json!({"input": {"mobile": "13800000711", "purpose": "LOGIN"}});
    assert!(post(server, SEND, send, &[]).await["errors"].is_null());
    let code = zhanghao::messaging::read_entries(dir.join("outbox.jsonl"))
        .pop()
        .unwrap()
        .code;
    let verify =
        "mutation($input: VerifySmsInput!) { verifySms(input: $input) { user { id } tokens { accessToken } } }";
    let input = json!({"input": {"mobile": "13800000711", "code": code, "purpose": "LOGIN", "register": true}});
    let signed_in = post(server, verify, input, &[]).await["data"]["verifySms"].clone();
    let token = signed_in["tokens"]["accessToken"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {token}");
    let headers = [("x-request-id", "find-me-0042"), ("authorization", bearer.as_str())];
    let me = post(server, "query Me { me { id } }", json!({}), &headers).await;
    assert_eq!(me["data"]["me"]["id"], signed_in["user"]["id"]);
    let wrong = json!({"input": {"account": "13800138000", "password": "a-secret-guess"}});
    assert_eq!(
        error_code(&post(server, LOGIN, wrong, &[]).await),
        "INVALID_CREDENTIALS"
    );
    (signed_in["user"]["id"].as_str().unwrap().to_string(), token)
}

#[tokio::test]
async fn one_request_is_found_in_the_log_by_its_id_and_failed_sign_ins_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.jsonl");
    let server = serve(dir.path(), &log, true).await;
    let (user_id, token) = traffic(&server, dir.path()).await;
    drop(server);

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let request = lines
        .iter()
        .find(|l| l["fields"]["request_id"] == "find-me-0042")
        .unwrap_or_else(|| panic!("no line for the request id: {text}"));
    let fields = &request["fields"];
    assert_eq!(request["level"], "INFO");
    assert_eq!(fields["message"], "request");
    assert_eq!(fields["method"], "POST");
    assert_eq!(fields["route"], "/graphql");
    assert_eq!(fields["status"], 200);
    assert_eq!(fields["client_ip"], "127.0.0.1");
    assert_eq!(fields["user_id"].to_string(), user_id);
    assert_eq!(fields["operation"], "Me");
    assert!(fields["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{fields}");

    let failed = lines
        .iter()
        .find(|l| l["fields"]["message"] == "sign-in failed")
        .unwrap_or_else(|| panic!("no failed sign-in line: {text}"));
    assert_eq!(failed["level"], "INFO");
    assert_eq!(failed["fields"]["account"], "138****8000");
    assert_eq!(failed["fields"]["reason"], "INVALID_CREDENTIALS");
    assert_eq!(failed["fields"]["method"], "password");

    for secret in [
        "a-secret-guess",
        "13800138000",
        "13800000711",
        token.as_str(),
        "log-test-secret",
    ] {
        assert!(!text.contains(secret), "the log holds {secret}: {text}");
    }
}

#[tokio::test]
async fn a_text_log_written_to_a_file_has_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.txt");
    let server = serve(dir.path(), &log, false).await;
    traffic(&server, dir.path()).await;
    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("request_id=find-me-0042"), "{text}");
    assert!(!text.contains('\u{1b}'), "ANSI escapes in a file: {text}");
}
