//! POST and GET /graphql per the GraphQL-over-HTTP specification: media
//! types, status codes, no batching, no mutations over GET, GraphiQL for
//! browsers.

use async_graphql::parser::types::OperationType;
use axum::body::Bytes;
use axum::extract::{Query as UrlQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::ZhanghaoSchema;
use super::errors::LANG;
use crate::error::Lang;
use crate::http::{bearer_token, request_meta};
use crate::request_log::RequestNote;
use crate::service::auth::Viewer;
use crate::state::AppState;

/// The media type of the GraphQL-over-HTTP specification.
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// The state the GraphQL routes need.
#[derive(Clone)]
pub struct GraphqlState {
    pub app: AppState,
    pub schema: ZhanghaoSchema,
    /// Documents parsed before, by their text.
    pub parsed: super::parsed::ParsedDocuments,
}

/// Which response media type the client accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    /// `application/graphql-response+json`: request errors get 4xx.
    GraphqlResponse,
    /// `application/json` (legacy): always 200 for well-formed requests.
    Json,
}

fn negotiate(headers: &HeaderMap) -> Option<Flavor> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Flavor::Json);
    };
    let types: Vec<String> = accept
        .split(',')
        .map(|part| part.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .collect();
    if types.iter().any(|t| t == GRAPHQL_RESPONSE) {
        Some(Flavor::GraphqlResponse)
    } else if types
        .iter()
        .any(|t| t == "application/json" || t == "application/*" || t == "*/*")
    {
        Some(Flavor::Json)
    } else {
        None
    }
}

/// POST /graphql.
pub async fn graphql_post(State(gql): State<GraphqlState>, parts: Parts, body: Bytes) -> Response {
    let lang = request_lang(&parts);
    match post_request(&parts, &body, lang) {
        Ok((flavor, request)) => execute(&gql, &parts, request, flavor, lang).await,
        Err(refusal) => refusal,
    }
}

/// The GraphQL request of a POST, or the answer refusing it.
// The error is the answer to send, built at most once per request: boxing buys nothing.
#[allow(clippy::result_large_err)]
fn post_request(parts: &Parts, body: &Bytes, lang: Lang) -> Result<(Flavor, async_graphql::Request), Response> {
    let Some(flavor) = negotiate(&parts.headers) else {
        return Err(request_error(
            StatusCode::NOT_ACCEPTABLE,
            Flavor::Json,
            lang,
            "Accept must allow application/graphql-response+json or application/json",
        ));
    };
    let refuse = |status: StatusCode, message: &str| request_error(status, flavor, lang, message);
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        ));
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(_) => {
            return Err(refuse(StatusCode::BAD_REQUEST, "The body is not valid JSON"));
        }
    };
    if value.is_array() {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "Batched requests (JSON arrays) are not supported",
        ));
    }
    // A string `query` is required, except for a hash-only persisted query.
    let has_query = value.get("query").is_some_and(Value::is_string);
    let persisted = value
        .get("extensions")
        .and_then(|ext| ext.get("persistedQuery"))
        .is_some();
    if !has_query && !persisted {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "The body must be an object with a string `query`",
        ));
    }
    let request: async_graphql::Request = match serde_json::from_value(value) {
        Ok(request) => request,
        Err(_) => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "The body must be an object with a string `query`",
            ));
        }
    };
    Ok((flavor, request))
}

/// The query string of GET /graphql.
#[derive(serde::Deserialize)]
pub struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// GET /graphql: GraphiQL for browsers, queries (never mutations) for clients.
pub async fn graphql_get(
    State(gql): State<GraphqlState>,
    UrlQuery(params): UrlQuery<GetParams>,
    parts: Parts,
) -> Response {
    let lang = request_lang(&parts);
    match get_request(params, &parts, lang, gql.app.config.graphiql) {
        Ok((flavor, request)) => execute(&gql, &parts, request, flavor, lang).await,
        Err(answer) => answer,
    }
}

/// The GraphQL request of a GET, or the answer instead of one (GraphiQL's
/// page for a browser, or a refusal).
// The error is the answer to send, built at most once per request: boxing buys nothing.
#[allow(clippy::result_large_err)]
fn get_request(
    params: GetParams,
    parts: &Parts,
    lang: Lang,
    graphiql: bool,
) -> Result<(Flavor, async_graphql::Request), Response> {
    let Ok(extensions) = get_extensions(params.extensions.as_deref()) else {
        let flavor = negotiate(&parts.headers).unwrap_or(Flavor::Json);
        return Err(request_error(
            StatusCode::BAD_REQUEST,
            flavor,
            lang,
            "`extensions` must be a JSON object",
        ));
    };
    let persisted = extensions
        .as_ref()
        .is_some_and(|ext| ext.contains_key("persistedQuery"));
    // A hash-only persisted query has no `query` text; anything else without one is a browser or a mistake.
    let query = match params.query {
        Some(query) => query,
        None if persisted => String::new(),
        None => return Err(without_query(parts, lang, graphiql)),
    };
    let Some(flavor) = negotiate(&parts.headers) else {
        return Err(request_error(
            StatusCode::NOT_ACCEPTABLE,
            Flavor::Json,
            lang,
            "Accept must allow application/graphql-response+json or application/json",
        ));
    };
    let refuse = |status: StatusCode, message: &str| request_error(status, flavor, lang, message);
    if is_mutation(&query, params.operation_name.as_deref()) {
        let mut response = refuse(StatusCode::METHOD_NOT_ALLOWED, "Mutations must use POST");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return Err(response);
    }
    let mut request = async_graphql::Request::new(query);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if let Some(raw) = params.variables {
        match serde_json::from_str::<Value>(&raw) {
            Ok(vars) => request = request.variables(async_graphql::Variables::from_json(vars)),
            Err(_) => {
                return Err(refuse(StatusCode::BAD_REQUEST, "`variables` must be a JSON object"));
            }
        }
    }
    request = request.data(super::limits::ReadOnlyRequest);
    for (key, value) in extensions.into_iter().flatten() {
        request
            .extensions
            .insert(key, async_graphql::Value::from_json(value).unwrap_or_default());
    }
    Ok((flavor, request))
}

/// The `extensions` parameter of a GET: absent, or a JSON object.
fn get_extensions(raw: Option<&str>) -> Result<Option<serde_json::Map<String, Value>>, ()> {
    match raw.map(serde_json::from_str::<Value>) {
        None => Ok(None),
        Some(Ok(Value::Object(map))) => Ok(Some(map)),
        Some(_) => Err(()),
    }
}

/// A GET without `query`: GraphiQL's page for a browser (where it is on),
/// a refusal for anything else.
fn without_query(parts: &Parts, lang: Lang, graphiql: bool) -> Response {
    let wants_html = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    match (wants_html, graphiql) {
        (true, true) => crate::graphiql::page(),
        (true, false) => (
            StatusCode::NOT_FOUND,
            "GraphiQL is off on this server (ZHANGHAO_GRAPHIQL=1 turns it on)",
        )
            .into_response(),
        (false, _) => request_error(
            StatusCode::BAD_REQUEST,
            negotiate(&parts.headers).unwrap_or(Flavor::Json),
            lang,
            "The `query` parameter is required",
        ),
    }
}

/// The language of messages, from `Accept-Language`.
fn request_lang(parts: &Parts) -> Lang {
    Lang::from_accept_language(parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// True when the operation GET would run is a mutation (or subscription).
fn is_mutation(query: &str, operation_name: Option<&str>) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(query) else {
        return false; // execution reports the syntax error
    };
    let chosen = doc.operations.iter().find(|(name, _)| match operation_name {
        Some(wanted) => name.is_some_and(|n| n.as_str() == wanted),
        None => true,
    });
    chosen.is_some_and(|(_, op)| op.node.ty != OperationType::Query)
}

async fn execute(
    gql: &GraphqlState,
    parts: &Parts,
    mut request: async_graphql::Request,
    flavor: Flavor,
    lang: Lang,
) -> Response {
    let state = &gql.app;
    let meta = request_meta(&parts.headers, &parts.extensions, &state.config.trusted_proxies);
    let viewer = match state.services.auth.authenticate(bearer_token(&parts.headers)).await {
        Ok(viewer) => viewer,
        Err(err) => {
            // The database failed (a bad token is a viewer, not an error):
            // the client may retry, so say so with the error's own code.
            err.log_if_server_side();
            let body = json!({"errors": [{"message": err.message(lang), "extensions": {"code": err.code()}}]});
            return respond(StatusCode::SERVICE_UNAVAILABLE, flavor, body);
        }
    };
    gql.parsed.attach(&mut request);
    let operation = operation_name(&mut request);
    if let Some(note) = parts.extensions.get::<RequestNote>() {
        if let Viewer::User { user, .. } = &viewer {
            note.user(user.id);
        }
        if let Some(name) = &operation {
            note.operation(name);
        }
    }
    let request = request.data(viewer).data(meta);
    let response = LANG.scope(lang, gql.schema.execute(request)).await;
    state
        .metrics
        .graphql_operation(operation.as_deref(), &outcome(&response));
    encode(response, flavor, parts.method == Method::GET)
}

/// The operation's name: the request's `operationName`, else the name of
/// the document's only operation (`None` when anonymous), from the
/// document attached to the request (execution uses the same).
fn operation_name(request: &mut async_graphql::Request) -> Option<String> {
    if let Some(name) = &request.operation_name {
        return Some(name.clone());
    }
    let doc = request.parsed_query().ok()?;
    let mut operations = doc.operations.iter();
    match (operations.next(), operations.next()) {
        (Some((name, _)), None) => name.map(|name| name.to_string()),
        _ => None,
    }
}

/// The code `encode` gives an error async-graphql raised without one.
const UNCODED: &str = "BAD_USER_INPUT";

/// `success`, or the first error's code (what a client would see).
fn outcome(response: &async_graphql::Response) -> String {
    let Some(error) = response.errors.first() else {
        return "success".to_string();
    };
    match error.extensions.as_ref().and_then(|ext| ext.get("code")) {
        Some(async_graphql::Value::String(code)) => code.clone(),
        _ => UNCODED.to_string(),
    }
}

/// Serialises an execution result, adding BAD_USER_INPUT to errors that
/// async-graphql raised without a code (syntax, validation, coercion).
fn encode(response: async_graphql::Response, flavor: Flavor, _is_get: bool) -> Response {
    let request_failed = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let mut body = match serde_json::to_value(&response) {
        Ok(body) => body,
        Err(_) => json!({"errors": [{"message": "Internal error", "extensions": {"code": "INTERNAL"}}]}),
    };
    if let Some(errors) = body.get_mut("errors").and_then(Value::as_array_mut) {
        for error in errors {
            let ext = error
                .as_object_mut()
                .map(|e| e.entry("extensions").or_insert_with(|| json!({})));
            if let Some(Value::Object(ext)) = ext
                && !ext.contains_key("code")
            {
                ext.insert("code".into(), json!(UNCODED));
            }
        }
    }
    let status = if request_failed && flavor == Flavor::GraphqlResponse {
        if let Some(obj) = body.as_object_mut() {
            obj.remove("data");
        }
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    respond(status, flavor, body)
}

fn request_error(status: StatusCode, flavor: Flavor, lang: Lang, english: &str) -> Response {
    let message = match lang {
        Lang::En => english.to_string(),
        Lang::Zh => format!("请求无效：{english}"),
    };
    let body = json!({"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]});
    let status = if flavor == Flavor::Json && status == StatusCode::OK {
        StatusCode::BAD_REQUEST
    } else {
        status
    };
    respond(status, flavor, body)
}

fn respond(status: StatusCode, flavor: Flavor, body: Value) -> Response {
    let media = match flavor {
        Flavor::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        Flavor::Json => "application/json; charset=utf-8",
    };
    (status, [(header::CONTENT_TYPE, media)], body.to_string()).into_response()
}
