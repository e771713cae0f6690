//! `GET /openapi.json`: an OpenAPI 3.1 description of the legacy paths.
//!
//! The response schemas are derived by utoipa from the very structs the
//! handlers serialise. The paths and the request bodies are written out here
//! as JSON: the legacy paths are looser than a derive can say. ShopXO and
//! chickenshop answer HTTP 200 to any method and any body (their refusals are
//! in the envelope), several paths share one handler, and ThinkPHP routes by
//! `?s=`. `schemathesis --checks all` (CI, `.ci/run`) holds the document to
//! what the server really answers.

mod discuz;
mod discuz_requests;
mod other_methods;
mod requests;
mod shopxo;

use std::sync::OnceLock;

use axum::Json;
use serde_json::{Map, Value, json};
use utoipa::OpenApi;

use super::chickenshop::{ChickenshopError, ChickenshopOk, ChickenshopUser};
use super::discuz::resources::{
    ErrorDocument, ErrorObject, ErrorSource, SmsSendAttributes, SmsSendDocument, SmsSendResource, TokenAttributes,
    TokenDocument, TokenResource, UserAttributes, UsersDocument, UsersResource,
};
use super::shopxo::ShopxoEnvelope;
use super::shopxo::user::ShopxoUser;

/// The schemas of what the handlers send, derived from their structs.
#[derive(OpenApi)]
#[openapi(components(schemas(
    ShopxoEnvelope,
    ShopxoUser,
    TokenDocument,
    TokenResource,
    TokenAttributes,
    UsersDocument,
    UsersResource,
    UserAttributes,
    SmsSendDocument,
    SmsSendResource,
    SmsSendAttributes,
    ErrorDocument,
    ErrorObject,
    ErrorSource,
    ChickenshopOk,
    ChickenshopError,
    ChickenshopUser
)))]
struct ResponseSchemas;

/// The document, built on first use: it never changes while the server runs.
pub async fn openapi_json() -> Json<&'static Value> {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    Json(DOCUMENT.get_or_init(document))
}

/// The whole OpenAPI document.
pub fn document() -> Value {
    let derived = serde_json::to_value(ResponseSchemas::openapi()).unwrap_or_default();
    let mut schemas = derived["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    schemas.extend(requests::schemas());
    schemas.extend(discuz_requests::schemas());
    let mut paths = Map::new();
    paths.extend(shopxo::paths());
    paths.extend(discuz::paths());
    other_methods::add(&mut paths);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "zhanghao REST compatibility layer",
            "version": env!("CARGO_PKG_VERSION"),
            "description": DESCRIPTION,
        },
        "tags": [
            {"name": "ShopXO", "description": "Seed 001: user/reg. HTTP 200 always; `code` 0 on success, the refusal in `code` and `msg` otherwise."},
            {"name": "Discuz! Q", "description": "Seed 002: JSON:API, application/vnd.api+json; refusals as an `errors` array with Discuz's HTTP status."},
            {"name": "chickenshop", "description": "Seed 000: third-party register-and-bind. HTTP 200 always; `status` 200 on success, 0 on refusal."},
            {"name": "Other methods", "description": "ShopXO and chickenshop answer every HTTP method: a method they refuse gets their refusal envelope with HTTP 200 (chickenshop adds `Allow: POST`). Discuz! Q answers other methods 405 `method_not_allowed` with `Allow: POST`."},
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "token_query": {"type": "apiKey", "in": "query", "name": "token"},
            },
        },
    })
}

const DESCRIPTION: &str = "The legacy ShopXO, Discuz! Q and third-party-bind endpoints. \
Parameters of the ShopXO and chickenshop paths may come from the query string, a form body (urlencoded or multipart) or a JSON body alike. \
Tokens issued here work on every path and on POST /graphql. Every path also answers with a trailing slash, \
and the ShopXO paths also under /api/ (/api/user/reg, …). \
Any request body over 64 KiB is refused with 413 before it reaches a handler.";

/// `{"$ref": "#/components/schemas/<name>"}`.
fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The answer to a body over 64 KiB, on every operation.
fn too_large() -> Value {
    json!({
        "description": "The request body is over 64 KiB (`length limit exceeded`)",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    })
}

/// A ShopXO answer: HTTP 200 with the envelope.
fn shopxo_envelope(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": schema_ref("ShopxoEnvelope")}},
    })
}

/// The captcha image, or the envelope when it is refused.
fn shopxo_png_or_envelope(description: &str) -> Value {
    json!({
        "description": description,
        "content": {
            "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}},
            "application/json": {"schema": schema_ref("ShopxoEnvelope")},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_names_a_schema() {
        let doc = document();
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().cloned().unwrap_or_default();
        for piece in text.split("\"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap_or_default();
            assert!(schemas.contains_key(name), "{name} is referenced but not defined");
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc = document();
        let mut seen = std::collections::BTreeSet::new();
        for (path, item) in doc["paths"].as_object().cloned().unwrap_or_default() {
            for (method, operation) in item.as_object().cloned().unwrap_or_default() {
                let id = operation["operationId"].as_str().unwrap_or_default().to_string();
                assert!(!id.is_empty(), "{method} {path} has no operationId");
                assert!(seen.insert(id.clone()), "{id} twice");
            }
        }
    }
}
