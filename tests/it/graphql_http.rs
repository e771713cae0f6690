//! The GraphQL-over-HTTP transport: media types, status codes, limits.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::common::*;

fn post(body: impl Into<Body>) -> axum::http::request::Builder {
    let _ = body;
    Request::post("/graphql").header(header::CONTENT_TYPE, "application/json")
}

#[tokio::test]
async fn graphql_response_json_gets_4xx_for_request_errors() {
    let app = TestApp::new().await;
    let send = |body: &str, accept: &str| {
        Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, accept)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let (status, headers, body) = app
        .send(send(
            r#"{"query":"{ me { id } }"}"#,
            "application/graphql-response+json",
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/graphql-response+json")
    );
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert!(body["data"]["me"].is_null());

    let (status, _, body) = app
        .send(send(r#"{"query":"{ me { "}"#, "application/graphql-response+json"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert!(body.get("data").is_none());
    assert_eq!(error_code(&body), "GRAPHQL_PARSE_FAILED");

    let (status, _, _) = app
        .send(send(
            r#"{"query":"{ nosuchfield }"}"#,
            "application/graphql-response+json",
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Legacy application/json: 200 with errors.
    let (status, headers, _) = app
        .send(send(r#"{"query":"{ nosuchfield }"}"#, "application/json"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );

    let (status, _, _) = app.send(send(r#"{"query":"{ me { id } }"}"#, "text/plain")).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
    let (status, _, _) = app.send(send("not json", "application/json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = app.send(send(r#"{"query": 5}"#, "application/json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn content_type_must_be_json() {
    let app = TestApp::new().await;
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(r#"{"query":"{ me { id } }"}"#))
        .unwrap();
    let (status, _, _) = app.send(request).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn batching_is_refused() {
    let app = TestApp::new().await;
    let body = r#"[{"query":"{ me { id } }"},{"query":"{ me { id } }"}]"#;
    let (status, _, bytes) = app.send(post(()).body(Body::from(body)).unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn get_runs_queries_but_never_mutations_and_serves_graphiql() {
    let app = TestApp::new().await;
    let (status, _, bytes) = app
        .send(
            Request::get("/graphql?query=%7B%20me%20%7B%20id%20%7D%20%7D")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(body["data"]["me"].is_null());

    let mutation = "/graphql?query=mutation%20%7B%20createCaptcha%20%7B%20id%20%7D%20%7D";
    let (status, headers, _) = app.send(Request::get(mutation).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::ALLOW], "POST");
    assert!(app.outbox_entries().is_empty(), "the mutation must not have run");

    let (status, _, html) = app
        .send(
            Request::get("/graphql")
                .header(header::ACCEPT, "text/html")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&html).to_lowercase().contains("graphiql"));
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = TestApp::new().await;
    let padding = "x".repeat(70 * 1024);
    let body = json!({"query": "{ me { id } }", "variables": {"pad": padding}}).to_string();
    let (status, _, _) = app.send(post(()).body(Body::from(body)).unwrap()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn aliases_cannot_multiply_password_guesses() {
    let app = TestApp::new().await;
    app.register_username("mallory", "a-good-password").await;
    let query = r#"mutation {
        a: login(input: {account: "mallory", password: "guess-one-1"}) { created }
        b: login(input: {account: "mallory", password: "guess-two-2"}) { created }
    }"#;
    let (_, body) = app.gql(query, json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(body["data"].is_null());
    // Fragments do not hide a second one either.
    let query = r#"mutation { login(input: {account: "mallory", password: "guess-one-1"}) { created } ...F }
        fragment F on Mutation { x: login(input: {account: "mallory", password: "guess-two-2"}) { created } }"#;
    let (_, body) = app.gql(query, json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::new().await;
    let (status, _, _) = app.send(Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = app.send(Request::get("/readyz").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    app.state.db.clone().close().await.unwrap();
    let (status, _, _) = app.send(Request::get("/readyz").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn schema_file_matches_the_code() {
    let sdl = zhanghao::graphql::sdl();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &sdl).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == sdl,
        "schema.graphql differs from the code's SDL: run UPDATE_SCHEMA=1 cargo test schema_file"
    );
}

#[tokio::test]
async fn introspection_and_suggestions_are_off_in_production() {
    let app = TestApp::with_args(&["--env", "production", "--allow-outbox", "1"]).await;
    let (_, body) = app.gql("{ __schema { types { name } } }", json!({})).await;
    assert!(body["data"].is_null(), "{body}");
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    let (_, dev) = TestApp::new()
        .await
        .gql("{ __schema { types { name } } }", json!({}))
        .await;
    assert!(
        dev["data"]["__schema"]["types"].is_array(),
        "introspection works in development: {dev}"
    );
    let (_, body) = app.gql("{ mee { id } }", json!({})).await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
}

#[tokio::test]
async fn a_database_outage_is_service_unavailable_without_details() {
    let app = TestApp::new().await;
    app.state.db.clone().close().await.unwrap();
    let (_, body) = app
        .gql(
            LOGIN,
            json!({"input": {"account": "someone", "password": "a-good-password"}}),
        )
        .await;
    assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        !message.to_lowercase().contains("pool") && !message.contains("sqlite"),
        "{message}"
    );
}

#[tokio::test]
async fn nested_fragments_cannot_hide_guesses() {
    let app = TestApp::new().await;
    app.register_username("nested", "a-good-password").await;
    let mut inner = String::from(r#"a: login(input: {account: "nested", password: "guess-one-1"}) { created }"#);
    for _ in 0..10 {
        inner = format!("... on Mutation {{ {inner} }}");
    }
    let (_, body) = app.gql(&format!("mutation {{ {inner} }}"), json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body["data"].is_null(), "{body}");
}

#[tokio::test]
async fn a_body_without_a_query_is_a_400() {
    let app = TestApp::new().await;
    for body in [r#"{"qeury":"{ __typename }"}"#, r#"{"query":42}"#, r#"{}"#] {
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let (status, _, bytes) = app.send(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let answer: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{body}");
    }
}

#[tokio::test]
async fn metrics_are_off_in_production_unless_a_token_is_set() {
    let get = |token: Option<&str>| {
        let mut builder = Request::get("/metrics");
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        builder.body(Body::empty()).unwrap()
    };
    let prod = TestApp::with_args(&["--env", "production", "--allow-outbox", "1"]).await;
    assert_eq!(prod.send(get(None)).await.0, StatusCode::NOT_FOUND);
    let guarded = TestApp::with_args(&[
        "--env",
        "production",
        "--allow-outbox",
        "1",
        "--metrics-token",
        "scrape-secret",
    ])
    .await;
    assert_eq!(guarded.send(get(None)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(guarded.send(get(Some("wrong"))).await.0, StatusCode::NOT_FOUND);
    assert_eq!(guarded.send(get(Some("scrape-secret"))).await.0, StatusCode::OK);
    let dev = TestApp::new().await;
    assert_eq!(dev.send(get(None)).await.0, StatusCode::OK);
}
