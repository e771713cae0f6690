//! The test harness: a fresh database and app per test, helpers to call
//! GraphQL and REST, and the outbox to read codes from.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use clap::Parser;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhanghao::clock::ManualClock;
use zhanghao::config::{Config, Settings};
use zhanghao::crypto::CodeGenerator;
use zhanghao::messaging::{OutboxEntry, read_entries};
use zhanghao::state::{AppState, Overrides};

#[derive(Parser)]
struct TestCli {
    #[command(flatten)]
    settings: Settings,
}

/// The start-up error `argv` (without the program name) gives.
pub fn config_error(argv: Vec<String>) -> String {
    let settings = TestCli::try_parse_from(argv).expect("settings parse").settings;
    match Config::from_settings(settings) {
        Ok(_) => panic!("the settings were accepted"),
        Err(err) => err.0,
    }
}

/// Codes from a fixed list: the next is popped, the last one repeats.
struct SequenceCodes(std::sync::Mutex<Vec<&'static str>>);

impl CodeGenerator for SequenceCodes {
    fn generate(&self, digits: usize) -> String {
        let mut codes = self.0.lock().unwrap();
        let code = if codes.len() > 1 {
            codes.pop()
        } else {
            codes.last().copied()
        };
        let code = code.expect("a code for every send");
        assert_eq!(code.len(), digits, "the test's code {code} must have {digits} digits");
        code.to_string()
    }
}

/// One app on one fresh database.
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub clock: ManualClock,
    pub outbox: PathBuf,
    /// Holds the SQLite file and the outbox until the test ends.
    pub _dir: tempfile::TempDir,
    /// The client IP requests come from (tests change it to dodge IP limits).
    pub peer: SocketAddr,
    /// The database this app created (none for [`TestApp::another_node`]),
    /// declared last so that it is dropped after the app's connections.
    _database: Option<TestDatabase>,
}

/// A fresh database: a new SQLite file in `dir`, or a new PostgreSQL
/// database created through `ZHANGHAO_TEST_DATABASE_URL`, dropped again when
/// this is (a developer's PostgreSQL would otherwise keep one per test run).
pub struct TestDatabase {
    pub url: String,
    /// PostgreSQL: the admin URL it was created through, and its name.
    created: Option<(String, String)>,
}

pub async fn fresh_database(dir: &std::path::Path) -> TestDatabase {
    match std::env::var("ZHANGHAO_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(admin_url) => {
            use sea_orm::ConnectionTrait;
            let name = format!("zh_test_{}", uuid::Uuid::new_v4().simple());
            let admin = sea_orm::Database::connect(admin_url.as_str())
                .await
                .expect("connect to test PostgreSQL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let (base, _) = admin_url.rsplit_once('/').expect("database URL has a path");
            TestDatabase {
                url: format!("{base}/{name}"),
                created: Some((admin_url, name)),
            }
        }
        None => TestDatabase {
            url: format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
            created: None,
        },
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.created.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on:
        // the database goes on a thread of its own (FORCE ends the test's
        // connections still open), and a failure only leaves it behind.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                use sea_orm::ConnectionTrait;
                let admin = sea_orm::Database::connect(admin_url.as_str()).await.ok()?;
                let done = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
                admin.close().await.ok();
                done.ok()
            })
        });
        let _ = dropped.join();
    }
}

impl TestApp {
    /// An app with the default settings.
    pub async fn new() -> TestApp {
        TestApp::with_args(&[]).await
    }

    /// An app whose codes are `codes`, in order (the last one repeats), so a
    /// test knows the next code before it is sent.
    pub async fn with_codes(codes: &[&'static str]) -> TestApp {
        let generator = SequenceCodes(std::sync::Mutex::new(codes.iter().rev().copied().collect()));
        TestApp::build(&[], Some(Arc::new(generator)), None).await
    }

    /// An app with extra CLI flags, e.g. `&["--password-min", "10"]`.
    pub async fn with_args(args: &[&str]) -> TestApp {
        TestApp::build(args, None, None).await
    }

    /// Another node on this app's database (its own state, settings `args`),
    /// sharing this app's clock: what a second server process would be.
    pub async fn another_node(&self, args: &[&str]) -> TestApp {
        let shared = (self.state.config.database_url.clone(), self.clock.clone());
        TestApp::build(args, None, Some(shared)).await
    }

    async fn build(
        args: &[&str],
        codes: Option<Arc<dyn CodeGenerator>>,
        shared: Option<(String, ManualClock)>,
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let outbox = dir.path().join("outbox.jsonl");
        let (database, database_url, clock) = match shared {
            Some((url, clock)) => (None, url, clock),
            None => {
                let database = fresh_database(dir.path()).await;
                let url = database.url.clone();
                (Some(database), url, ManualClock::default())
            }
        };
        let mut argv = vec![
            "zhanghao".to_string(),
            "--database-url".into(),
            database_url.clone(),
            "--outbox".into(),
            outbox.display().to_string(),
            "--jwt-secret".into(),
            "test-secret-test-secret-test-secret-0123456789".into(),
            "--db-max-connections".into(),
            "5".into(),
            // Loaded CI hosts take seconds to open a PostgreSQL connection at
            // times; the 2 s default would turn that into SERVICE_UNAVAILABLE.
            "--db-acquire-timeout".into(),
            "10".into(),
        ];
        // Tests send many codes from one client IP; the captcha gate has its
        // own tests (tests/it/send_captcha.rs), which set it.
        if !args.contains(&"--send-captcha") {
            argv.extend(["--send-captcha".to_string(), "off".to_string()]);
        }
        argv.extend(args.iter().map(|a| a.to_string()));
        let settings = TestCli::try_parse_from(argv).expect("test settings").settings;
        let config = Config::from_settings(settings).expect("test config");
        TestApp::from_config(config, (dir, database), outbox, codes, clock).await
    }

    async fn from_config(
        config: Config,
        (dir, database): (tempfile::TempDir, Option<TestDatabase>),
        outbox: PathBuf,
        codes: Option<Arc<dyn CodeGenerator>>,
        clock: ManualClock,
    ) -> TestApp {
        let db = zhanghao::store::connect(
            &config.database_url,
            config.db_max_connections,
            config.db_acquire_timeout,
        )
        .await
        .expect("connect");
        zhanghao::store::migrate(&db).await.expect("migrate");
        let overrides = Overrides {
            clock: Some(Arc::new(clock.clone())),
            codes,
            ..Default::default()
        };
        let state = AppState::build(config, db, overrides).await.expect("state");
        TestApp {
            router: zhanghao::app(state.clone()),
            state,
            clock,
            outbox,
            _dir: dir,
            peer: "203.0.113.7:40000".parse().unwrap(),
            _database: database,
        }
    }

    /// Sends a request as it arrives from the socket (with the peer address).
    pub async fn send(&self, mut request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let response = self.router.clone().oneshot(request).await.expect("router never fails");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.expect("body").to_bytes().to_vec();
        (status, headers, body)
    }

    /// POST /graphql as `application/json`; returns status and JSON body.
    pub async fn gql(&self, query: &str, variables: Value) -> (StatusCode, Value) {
        self.gql_with(query, variables, None, &[]).await
    }

    /// POST /graphql with a bearer token.
    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> (StatusCode, Value) {
        self.gql_with(query, variables, Some(token), &[]).await
    }

    /// POST /graphql with a token and extra headers.
    pub async fn gql_with(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut builder = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = json!({"query": query, "variables": variables}).to_string();
        let (status, _, bytes) = self.send(builder.body(Body::from(body)).unwrap()).await;
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Everything the outbox holds.
    pub fn outbox_entries(&self) -> Vec<OutboxEntry> {
        read_entries(&self.outbox)
    }

    /// The latest code sent to `to` (E.164 mobile, email or captcha id) for `purpose`.
    pub fn last_code(&self, to: &str, purpose: &str) -> String {
        self.outbox_entries()
            .into_iter()
            .rev()
            .find(|e| e.to == to && e.purpose == purpose)
            .map(|e| e.code)
            .unwrap_or_else(|| panic!("no {purpose} message to {to} in the outbox"))
    }

    /// Registers `username` with a solved captcha; returns the AuthPayload JSON.
    pub async fn register_username(&self, username: &str, password: &str) -> Value {
        let captcha = self.captcha().await;
        let answer = self.last_code(&captcha, "captcha");
        let (_, body) = self
            .gql(
                REGISTER,
                json!({"input": {"method": "USERNAME", "account": username, "password": password, "verify": answer, "captchaId": captcha}}),
            )
            .await;
        assert!(body["errors"].is_null(), "register failed: {body}");
        body["data"]["register"].clone()
    }

    /// A new captcha's id.
    pub async fn captcha(&self) -> String {
        let (_, body) = self.gql("mutation { createCaptcha { id } }", json!({})).await;
        body["data"]["createCaptcha"]["id"]
            .as_str()
            .expect("captcha id")
            .to_string()
    }

    /// Signs in; returns the AuthPayload JSON or panics with the errors.
    pub async fn login(&self, account: &str, password: &str) -> Value {
        let (_, body) = self
            .gql(LOGIN, json!({"input": {"account": account, "password": password}}))
            .await;
        assert!(body["errors"].is_null(), "login failed: {body}");
        body["data"]["login"].clone()
    }

    /// Makes the user ADMIN through the service (what `zhanghao admin grant` does).
    pub async fn grant_admin(&self, who: &str) {
        self.state.services.admin.grant_named(who).await.expect("grant");
    }
}

/// The `extensions.code` of the first error.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<no error>")
}

/// The access token of an AuthPayload.
pub fn access(payload: &Value) -> String {
    payload["tokens"]["accessToken"]
        .as_str()
        .expect("access token")
        .to_string()
}

/// The refresh token of an AuthPayload.
pub fn refresh(payload: &Value) -> String {
    payload["tokens"]["refreshToken"]
        .as_str()
        .expect("refresh token")
        .to_string()
}

pub const REGISTER: &str = "mutation($input: RegisterInput!) { register(input: $input) { user { id username mobile email role hasPassword } tokens { tokenType accessToken expiresIn refreshToken refreshExpiresIn } created } }";

pub const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { user { id username mobile email role hasPassword } tokens { tokenType accessToken expiresIn refreshToken refreshExpiresIn } created } }";

// --- REST compatibility layer helpers (issue 5) ---

/// POST `path` with a JSON body.
pub fn json_post(path: &str, body: &Value) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// POST `path` with an `application/x-www-form-urlencoded` body.
pub fn form_post(path: &str, pairs: &[(&str, &str)]) -> Request<Body> {
    let body = serde_urlencoded::to_string(pairs).unwrap();
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

impl TestApp {
    /// Sends a request and parses the answer as JSON (Null when it is not).
    pub async fn call(&self, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
        let (status, headers, body) = self.send(request).await;
        (status, headers, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// The `me { id mobile }` the token signs in as on GraphQL (Null when it does not).
    pub async fn me_via_graphql(&self, token: &str) -> Value {
        let (_, body) = self.gql_as(token, "{ me { id mobile username } }", json!({})).await;
        body["data"]["me"].clone()
    }
}

/// Asserts that `actual` has every key of `expected`, recursively, with the
/// same JSON type (a null in `expected` matches anything): the legacy
/// clients read those keys and may break on a changed type.
pub fn assert_superset(actual: &Value, expected: &Value, at: &str) {
    match (expected, actual) {
        (Value::Null, _) => {}
        (Value::Object(want), Value::Object(have)) => {
            for (key, value) in want {
                let here = format!("{at}.{key}");
                let got = have.get(key).unwrap_or_else(|| panic!("missing {here} in {actual}"));
                assert_superset(got, value, &here);
            }
        }
        (Value::Array(want), Value::Array(have)) => {
            if let (Some(w), Some(h)) = (want.first(), have.first()) {
                assert_superset(h, w, &format!("{at}[0]"));
            }
        }
        (Value::String(_), Value::String(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::Bool(_), Value::Bool(_)) => {}
        _ => panic!("{at}: expected the type of {expected}, got {actual}"),
    }
}
