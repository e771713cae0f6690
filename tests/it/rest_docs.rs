//! DESIGN §7: `/openapi.json` tells the truth about the legacy paths (the
//! deep check is schemathesis in CI, `.ci/run`).

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;

use crate::common::*;

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
