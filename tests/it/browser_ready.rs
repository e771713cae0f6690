//! DESIGN §6: what browsers and standard GraphQL tools rely on — CORS,
//! GraphiQL served offline, introspection, request-error codes, a bad
//! bearer, persisted queries, Relay page info, descriptions, request ids.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::*;

const INTROSPECTION: &str = include_str!("../fixtures/introspection-query.graphql");
const INTROSPECTION_ALL_OPTIONS: &str = include_str!("../fixtures/introspection-query-all-options.graphql");

fn production() -> [&'static str; 4] {
    ["--env", "production", "--allow-outbox", "1"]
}

#[tokio::test]
async fn the_standard_introspection_query_is_answered_in_development() {
    let app = TestApp::new().await;
    for query in [INTROSPECTION, INTROSPECTION_ALL_OPTIONS] {
        let (status, body) = app.gql(query, json!({})).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body["errors"].is_null(), "{body}");
        let types = body["data"]["__schema"]["types"].as_array().expect("types");
        let names: Vec<&str> = types.iter().filter_map(|t| t["name"].as_str()).collect();
        for wanted in ["Query", "Mutation", "User", "PageInfo", "DateTime"] {
            assert!(names.contains(&wanted), "{wanted} missing from {names:?}");
        }
        assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    }
    let (_, body) = app.gql(INTROSPECTION_ALL_OPTIONS, json!({})).await;
    let date_time = body["data"]["__schema"]["types"]
        .as_array()
        .and_then(|types| types.iter().find(|t| t["name"] == "DateTime"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        date_time["specifiedByURL"],
        "https://datatracker.ietf.org/doc/html/rfc3339"
    );
}

#[tokio::test]
async fn introspection_is_refused_in_production_with_a_code() {
    let app = TestApp::with_args(&production()).await;
    for query in [
        INTROSPECTION,
        "{ __schema { types { name } } }",
        r#"{ __type(name: "User") { name } }"#,
        "query { ... on Query { __schema { queryType { name } } } }",
        "query { ...F } fragment F on Query { __type(name: \"User\") { name } }",
    ] {
        let (_, body) = app.gql(query, json!({})).await;
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{query}: {body}");
        assert!(body["data"].is_null(), "{body}");
    }
    // __typename is not introspection of the schema and keeps working.
    let (_, body) = app.gql("{ __typename }", json!({})).await;
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
}

#[tokio::test]
async fn depth_limits_hold_for_queries_and_for_introspection() {
    let app = TestApp::new().await;
    // `levels` selection levels: __schema { types { fields { type { ofType … { name } } } } }
    let nest = |levels: usize| {
        let mut inner = "name".to_string();
        for _ in 0..levels.saturating_sub(5) {
            inner = format!("ofType {{ {inner} }}");
        }
        format!("{{ __schema {{ types {{ fields {{ type {{ {inner} }} }} }} }} }}")
    };
    let (_, ok) = app.gql(&nest(20), json!({})).await;
    assert!(ok["errors"].is_null(), "20 levels of introspection are fine: {ok}");
    let (_, deep) = app.gql(&nest(21), json!({})).await;
    assert_eq!(error_code(&deep), "GRAPHQL_VALIDATION_FAILED", "{deep}");
    let message = deep["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("查询嵌套层级过深"), "{deep}");
    // A fragment cycle is refused, never looped on.
    let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
    let (_, body) = app.gql(cycle, json!({})).await;
    assert!(body["data"].is_null() && !body["errors"].is_null(), "{body}");
}

#[tokio::test]
async fn parse_and_validation_errors_have_their_own_codes_and_one_line_messages() {
    let app = TestApp::new().await;
    let (_, body) = app.gql("{ me { ", json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_PARSE_FAILED", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        !message.contains('\n') && message.starts_with("Syntax Error"),
        "{message}"
    );
    assert_eq!(body["errors"][0]["locations"][0]["line"], 1, "{body}");

    let (_, body) = app.gql("{ nosuchfield }", json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert!(!body["errors"][0]["message"].as_str().unwrap_or_default().contains('\n'));
    assert!(body["errors"][0]["locations"].is_array(), "{body}");

    let (_, body) = app
        .gql("query($n: Int!) { users(first: $n) { totalCount } }", json!({"n": "x"}))
        .await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");

    // A domain error keeps its domain code.
    let (_, body) = app
        .gql(
            LOGIN,
            json!({"input": {"account": "nobody", "password": "a-good-password"}}),
        )
        .await;
    assert_eq!(error_code(&body), "INVALID_CREDENTIALS", "{body}");
}

#[tokio::test]
async fn a_bad_bearer_is_unauthenticated_and_no_bearer_is_null() {
    let app = TestApp::new().await;
    let payload = app.register_username("bearer", "a-good-password").await;
    let token = access(&payload);

    let (_, body) = app.gql("{ me { id } }", json!({})).await;
    assert!(body["errors"].is_null() && body["data"]["me"].is_null(), "{body}");
    let (_, body) = app.gql_as(&token, "{ me { id } }", json!({})).await;
    assert_eq!(body["data"]["me"]["id"], payload["user"]["id"], "{body}");

    for bad in ["garbage", "a.b.c", &format!("{token}x")] {
        for query in [
            "{ me { id } }",
            "{ sessions { id } }",
            r#"{ user(id: "1") { id } }"#,
            "{ users { totalCount } }",
        ] {
            let (_, body) = app.gql_as(bad, query, json!({})).await;
            assert_eq!(error_code(&body), "UNAUTHENTICATED", "{query} with {bad}: {body}");
        }
    }
    let (_, body) = app
        .gql_as("garbage", "mutation { logout(allSessions: true) }", json!({}))
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");

    // Revoked: logout everywhere bumps the token version.
    let (_, body) = app
        .gql_as(&token, "mutation { logout(allSessions: true) }", json!({}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, body) = app.gql_as(&token, "{ me { id } }", json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "revoked: {body}");

    // Expired.
    let fresh = access(&app.login("bearer", "a-good-password").await);
    app.clock.advance(3600 + 31);
    let (_, body) = app.gql_as(&fresh, "{ me { id } }", json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "expired: {body}");
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

async fn post_json(app: &TestApp, body: Value) -> Value {
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (_, _, bytes) = app.send(request).await;
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// GET /graphql with only `extensions` (a hash-only persisted query).
async fn get_persisted(app: &TestApp, extensions: &Value) -> (StatusCode, Value) {
    let uri = format!(
        "/graphql?extensions={}",
        percent_encoding::utf8_percent_encode(&extensions.to_string(), percent_encoding::NON_ALPHANUMERIC)
    );
    let request = Request::get(uri)
        .header(header::ACCEPT, "application/json")
        .body(Body::empty())
        .unwrap();
    let (status, _, bytes) = app.send(request).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn automatic_persisted_queries_miss_then_hit() {
    let app = TestApp::new().await;
    let query = "query Typename { __typename }";
    let hash = sha256_hex(query);
    let extensions = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});

    let miss = post_json(&app, json!({"extensions": extensions})).await;
    assert_eq!(error_code(&miss), "PERSISTED_QUERY_NOT_FOUND", "{miss}");
    assert_eq!(miss["errors"][0]["message"], "PersistedQueryNotFound");

    let register = post_json(&app, json!({"query": query, "extensions": extensions})).await;
    assert_eq!(register["data"]["__typename"], "Query", "{register}");
    let hit = post_json(&app, json!({"extensions": extensions})).await;
    assert_eq!(hit["data"]["__typename"], "Query", "{hit}");

    // Over GET, as Apollo's useGETForHashedQueries sends it.
    let (status, body) = get_persisted(&app, &extensions).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["__typename"], "Query", "{body}");

    // The hash is checked against the text: a wrong one is refused and stores nothing.
    let wrong = json!({"persistedQuery": {"version": 1, "sha256Hash": sha256_hex("{ me { id } }")}});
    let body = post_json(&app, json!({"query": query, "extensions": wrong})).await;
    assert!(body["data"].is_null() && !body["errors"].is_null(), "{body}");
    let body = post_json(&app, json!({"extensions": wrong})).await;
    assert_eq!(error_code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
}

#[tokio::test]
async fn a_persisted_mutation_never_runs_over_get() {
    let app = TestApp::new().await;
    let mutation = "mutation { createCaptcha { id } }";
    let extensions = json!({"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(mutation)}});
    let body = post_json(&app, json!({"query": mutation, "extensions": extensions})).await;
    assert!(body["data"]["createCaptcha"]["id"].is_string(), "{body}");
    let before = app.outbox_entries().len();
    let (_, body) = get_persisted(&app, &extensions).await;
    assert!(body["data"].is_null(), "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("POST"),
        "{body}"
    );
    assert_eq!(app.outbox_entries().len(), before, "no captcha was made over GET");
}

#[tokio::test]
async fn page_info_follows_relay() {
    let app = TestApp::new().await;
    for name in ["pageone", "pagetwo", "pagethree"] {
        app.register_username(name, "a-good-password").await;
    }
    app.grant_admin("pageone").await;
    let token = access(&app.login("pageone", "a-good-password").await);
    let page = "query($after: String) { users(first: 2, after: $after) { edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    let (_, first) = app.gql_as(&token, page, json!({})).await;
    let info = &first["data"]["users"]["pageInfo"];
    let edges = &first["data"]["users"]["edges"];
    assert_eq!(info["hasNextPage"], true, "{first}");
    assert_eq!(info["hasPreviousPage"], false, "{first}");
    assert_eq!(info["startCursor"], edges[0]["cursor"]);
    assert_eq!(info["endCursor"], edges[1]["cursor"]);
    let (_, second) = app.gql_as(&token, page, json!({"after": info["endCursor"]})).await;
    let info = &second["data"]["users"]["pageInfo"];
    assert_eq!(info["hasNextPage"], false, "{second}");
    assert_eq!(info["hasPreviousPage"], true, "{second}");
    assert_eq!(
        info["startCursor"], info["endCursor"],
        "one user on the last page: {second}"
    );
}

#[test]
fn every_schema_item_has_a_description() {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let sdl = zhanghao::graphql::sdl();
    let document = async_graphql::parser::parse_schema(&sdl).expect("the SDL parses");
    let mut missing = Vec::new();
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = &ty.node;
        let name = ty.name.node.as_str();
        if ty.description.is_none() {
            missing.push(name.to_string());
        }
        match &ty.kind {
            TypeKind::Object(object) => {
                for field in &object.fields {
                    let field = &field.node;
                    if field.description.is_none() {
                        missing.push(format!("{name}.{}", field.name.node));
                    }
                    for argument in &field.arguments {
                        if argument.node.description.is_none() {
                            missing.push(format!("{name}.{}({})", field.name.node, argument.node.name.node));
                        }
                    }
                }
            }
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    if field.node.description.is_none() {
                        missing.push(format!("{name}.{}", field.node.name.node));
                    }
                }
            }
            TypeKind::Enum(values) => {
                for value in &values.values {
                    if value.node.description.is_none() {
                        missing.push(format!("{name}.{}", value.node.value.node));
                    }
                }
            }
            _ => {}
        }
    }
    assert!(missing.is_empty(), "no description on: {}", missing.join(", "));
    assert!(
        sdl.contains(r#"scalar DateTime @specifiedBy(url: "https://datatracker.ietf.org/doc/html/rfc3339")"#),
        "DateTime names its specification"
    );
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let app = TestApp::new().await;
    let (_, headers, _) = app.send(Request::get("/healthz").body(Body::empty()).unwrap()).await;
    let generated = headers["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(generated.len(), 32, "{generated}");
    let (_, again, _) = app.send(Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_ne!(again["x-request-id"], generated.as_str(), "a new id per request");

    let (_, headers, _) = app
        .send(
            Request::get("/healthz")
                .header("x-request-id", "client-id-42")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(headers["x-request-id"], "client-id-42");
    let long = "x".repeat(65);
    let (_, headers, _) = app
        .send(
            Request::get("/healthz")
                .header("x-request-id", long.as_str())
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_ne!(headers["x-request-id"], long.as_str(), "an over-long id is replaced");
    assert_eq!(headers["x-request-id"].len(), 32);

    // Refusals before any handler carry one too.
    let huge = json!({"query": "{ me { id } }", "variables": {"pad": "x".repeat(70 * 1024)}}).to_string();
    let (status, headers, _) = app
        .send(
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(huge))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(headers.contains_key("x-request-id"));
}

fn preflight(path: &str, origin: &str) -> Request<Body> {
    Request::builder()
        .method("OPTIONS")
        .uri(path)
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization, content-type")
        .body(Body::empty())
        .unwrap()
}

const REST_PATHS: &[&str] = &[
    "/graphql",
    "/api/sms/send",
    "/api/sms/verify",
    "/api/refresh-token",
    "/api.php?s=user/reg",
    "/index.php?s=api/user/regverifysend",
    "/user/reg",
    "/module/chickenshop/threeRegisterAndBind",
];

#[tokio::test]
async fn cors_grants_configured_origins_on_every_path_and_no_one_else() {
    let app = TestApp::with_args(&["--cors-origins", "http://localhost:3000, https://app.example.com"]).await;
    for path in REST_PATHS {
        let (status, headers, _) = app.send(preflight(path, "http://localhost:3000")).await;
        assert!(
            status == StatusCode::OK || status == StatusCode::NO_CONTENT,
            "{path}: {status}"
        );
        assert_eq!(
            headers["access-control-allow-origin"], "http://localhost:3000",
            "{path}"
        );
        let methods = headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(methods.contains("post") && methods.contains("get"), "{path}: {methods}");
        let allowed = headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        for name in [
            "authorization",
            "content-type",
            "accept",
            "accept-language",
            "x-request-id",
        ] {
            assert!(allowed.contains(name), "{path}: {name} not in {allowed}");
        }
        assert!(headers.contains_key("access-control-max-age"), "{path}");

        let (_, headers, _) = app.send(preflight(path, "https://evil.example")).await;
        assert!(
            !headers.contains_key("access-control-allow-origin"),
            "{path}: evil granted"
        );
    }

    // A simple request: the answer is the same for every origin; only the grant differs.
    let simple = |origin: &str| {
        Request::post("/graphql")
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"query":"{ __typename }"}"#))
            .unwrap()
    };
    let (status, headers, body) = app.send(simple("https://app.example.com")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["access-control-allow-origin"], "https://app.example.com");
    let vary = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    assert!(vary.to_ascii_lowercase().contains("origin"), "{vary}");
    let exposed = headers["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        exposed.contains("x-request-id") && exposed.contains("retry-after"),
        "{exposed}"
    );
    let (evil_status, evil_headers, evil_body) = app.send(simple("https://evil.example")).await;
    assert_eq!(evil_status, status);
    assert_eq!(evil_body, body, "not executed differently");
    assert!(!evil_headers.contains_key("access-control-allow-origin"));

    // A legacy path's answer carries the grant too.
    let (_, headers, _) = app
        .send(
            Request::post("/api/sms/send")
                .header(header::ORIGIN, "http://localhost:3000")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    r#"{"data":{"attributes":{"mobile":"nope","type":"login"}}}"#,
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(headers["access-control-allow-origin"], "http://localhost:3000");
}

#[tokio::test]
async fn cors_defaults_any_origin_in_development_and_none_in_production() {
    let dev = TestApp::new().await;
    let (_, headers, _) = dev.send(preflight("/graphql", "http://127.0.0.1:5173")).await;
    assert_eq!(headers["access-control-allow-origin"], "http://127.0.0.1:5173");

    let prod = TestApp::with_args(&production()).await;
    let (_, headers, _) = prod.send(preflight("/graphql", "http://127.0.0.1:5173")).await;
    assert!(!headers.contains_key("access-control-allow-origin"));

    let star = TestApp::with_args(&["--env", "production", "--allow-outbox", "1", "--cors-origins", "*"]).await;
    let (_, headers, _) = star.send(preflight("/api/sms/send", "https://anyone.example")).await;
    assert_eq!(headers["access-control-allow-origin"], "https://anyone.example");
}

async fn get_page(app: &TestApp, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let (status, headers, body) = app
        .send(
            Request::get(path)
                .header(header::ACCEPT, "text/html")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// Every `src="…"` and `href="…"` of a page.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            found.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    found
}

#[tokio::test]
async fn graphiql_is_served_from_the_binary_with_no_external_url() {
    let app = TestApp::new().await;
    let (status, headers, page) = get_page(&app, "/graphql").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("GraphiQL"), "{page}");
    assert!(!page.contains("http://") && !page.contains("https://"), "{page}");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let refs = references(&page);
    assert!(refs.len() >= 4, "scripts and styles: {refs:?}");
    for reference in refs {
        assert!(
            reference.starts_with('/') && !reference.starts_with("//"),
            "{reference}"
        );
        let (status, headers, body) = app
            .send(Request::get(reference.as_str()).body(Body::empty()).unwrap())
            .await;
        assert_eq!(status, StatusCode::OK, "{reference}");
        assert!(body.len() > 20, "{reference} is real content");
        let media = headers[header::CONTENT_TYPE].to_str().unwrap();
        assert!(
            media.starts_with("text/css") || media.starts_with("text/javascript"),
            "{media}"
        );
        if media.starts_with("text/css") {
            let css = String::from_utf8_lossy(&body);
            assert!(
                !css.contains("url(http") && !css.contains("@import"),
                "{reference} loads nothing external"
            );
        } else {
            let js = String::from_utf8_lossy(&body);
            assert!(
                !js.contains("//unpkg.com") && !js.contains("cdn.jsdelivr"),
                "{reference} names no CDN"
            );
        }
    }
    let (status, _, _) = app
        .send(Request::get("/graphiql/nosuch.js").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn graphiql_is_off_in_production_unless_asked_for() {
    let prod = TestApp::with_args(&production()).await;
    let (status, _, _) = get_page(&prod, "/graphql").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = prod
        .send(Request::get("/graphiql/graphiql.min.js").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let on = TestApp::with_args(&["--env", "production", "--allow-outbox", "1", "--graphiql", "1"]).await;
    let (status, _, _) = get_page(&on, "/graphql").await;
    assert_eq!(status, StatusCode::OK);
    let off = TestApp::with_args(&["--graphiql", "0"]).await;
    let (status, _, _) = get_page(&off, "/graphql").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
