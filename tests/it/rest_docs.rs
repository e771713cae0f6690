//! DESIGN §7: `/openapi.json` tells the truth about the legacy paths (the
//! deep check is schemathesis in CI, `.ci/run`), and `GET /docs` renders it
//! from files embedded in the binary, naming no other origin.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;

use crate::common::*;

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

async fn document(app: &TestApp) -> Value {
    let (status, headers, doc) = app
        .call(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    doc
}

#[tokio::test]
async fn docs_are_served_from_the_binary_with_no_external_url() {
    let app = TestApp::new().await;
    for path in ["/docs", "/docs/"] {
        let (status, headers, page) = app.send(Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        let page = String::from_utf8_lossy(&page).into_owned();
        assert!(!page.contains("http://") && !page.contains("https://"), "{page}");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains("default-src 'self'")
                && csp.contains("script-src 'self';")
                && csp.contains("connect-src 'self'"),
            "{csp}"
        );
        let refs = references(&page);
        assert!(refs.contains(&"/openapi.json".to_string()), "{refs:?}");
        assert!(refs.iter().filter(|r| r.ends_with(".js")).count() >= 2, "{refs:?}");
        for reference in refs {
            // `data:` (the page's empty favicon) is no request.
            if reference.starts_with("data:") {
                continue;
            }
            assert!(
                reference.starts_with('/') && !reference.starts_with("//"),
                "{reference}"
            );
            let (status, headers, body) = app
                .send(Request::get(reference.as_str()).body(Body::empty()).unwrap())
                .await;
            assert_eq!(status, StatusCode::OK, "{reference}");
            if reference == "/openapi.json" {
                continue;
            }
            assert!(body.len() > 100, "{reference} is real content");
            assert_eq!(
                headers[header::CONTENT_TYPE],
                "text/javascript; charset=utf-8",
                "{reference}"
            );
            assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            let js = String::from_utf8_lossy(&body);
            for host in [
                "//unpkg.com",
                "cdn.jsdelivr",
                "cdn.redoc.ly",
                "fonts.googleapis",
                "fonts.gstatic",
            ] {
                assert!(!js.contains(host), "{reference} names {host}");
            }
            assert!(
                !js.contains("sourceMappingURL=redoc"),
                "{reference} asks for a map we do not ship"
            );
        }
    }
    let (status, _, _) = app
        .send(Request::get("/docs/nosuch.js").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn docs_assets_carry_an_etag_and_answer_304() {
    let app = TestApp::new().await;
    let (status, headers, _) = app
        .send(Request::get("/docs/redoc.standalone.js").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    let etag = headers[header::ETAG].to_str().unwrap().to_string();
    let again = Request::get("/docs/redoc.standalone.js")
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = app.send(again).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(headers[header::ETAG].to_str().unwrap(), etag);
    assert!(body.is_empty());
}

#[tokio::test]
async fn docs_are_on_in_production_too() {
    let app = TestApp::with_args(&["--env", "production", "--allow-outbox", "1"]).await;
    let (status, _, _) = app.send(Request::get("/docs").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = app
        .send(Request::get("/docs/init.js").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// The findings of the issue that asked for these tests, each pinned.
#[tokio::test]
async fn the_document_says_what_the_legacy_paths_send() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];
    // ShopXO's `data` is the user or "" (its refusals send "").
    let data = schemas["ShopxoEnvelope"]["properties"]["data"]["oneOf"].to_string();
    assert!(data.contains("ShopxoUser") && data.contains("[\"\"]"), "{data}");
    // Discuz's status is a number or "422"; detail a text or an array of texts.
    let error = &schemas["ErrorObject"]["properties"];
    assert!(error["status"]["oneOf"].to_string().contains("integer"), "{error}");
    assert!(error["status"]["oneOf"].to_string().contains("string"), "{error}");
    assert!(error["detail"]["oneOf"].to_string().contains("array"), "{error}");
    // Discuz requests say what is required.
    assert_eq!(schemas["DiscuzRefreshAttributes"]["required"][0], "refresh_token");
    assert_eq!(schemas["DiscuzLoginRequest"]["required"][0], "data");
    // Every status the Discuz paths send is listed; refresh-token's 422 too.
    let refresh = &doc["paths"]["/api/refresh-token"]["post"]["responses"];
    for status in ["200", "401", "422", "413", "503"] {
        assert!(refresh[status].is_object(), "refresh-token {status}");
    }
    // The captcha entry answers a PNG or, refused, the JSON envelope.
    let captcha = &doc["paths"]["/user/userverifyentry"]["get"]["responses"]["200"]["content"];
    assert!(
        captcha["image/png"].is_object() && captcha["application/json"].is_object(),
        "{captcha}"
    );
    // The legacy bodies are optional: an empty request is answered in the envelope.
    for path in [
        "/user/reg",
        "/user/regverifysend",
        "/module/chickenshop/threeRegisterAndBind",
    ] {
        assert_eq!(doc["paths"][path]["post"]["requestBody"]["required"], false, "{path}");
    }
    // The methods ShopXO and chickenshop refuse are answered, so documented.
    assert!(doc["paths"]["/user/reg"]["get"]["responses"]["200"].is_object());
    assert!(doc["paths"]["/module/chickenshop/threeRegisterAndBind"]["put"].is_object());
    // No rustdoc link syntax leaks into a description.
    let text = doc.to_string();
    assert!(!text.contains("[`"), "a rustdoc link in the document");
}

/// What the document says of the captcha entry holds: PNG when drawn, the
/// JSON envelope when refused.
#[tokio::test]
async fn the_captcha_entry_answers_png_or_the_json_envelope() {
    let app = TestApp::new().await;
    let (status, headers, _) = app
        .send(
            Request::get("/user/userverifyentry?uuid=docs-1")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    let (status, headers, body) = app
        .call(Request::get("/user/userverifyentry").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(body["code"], -1, "{body}");
    assert_eq!(body["data"], "", "{body}");
}
