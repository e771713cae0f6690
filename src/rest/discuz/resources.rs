//! Discuz! Q's JSON:API documents: the token and users resources and the
//! `errors` array, with string ids and `application/vnd.api+json`.

use crate::domain::User;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::SecondsFormat;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::domain::Mobile;
use crate::error::{AppError, DiscuzError};
use crate::rest::beijing;
use crate::service::privacy::{Audience, visible_mobile};
use crate::service::tokens::TokenPair;

/// The media type of every Discuz! Q answer.
pub const JSON_API: &str = "application/vnd.api+json";

/// `{"data": <token resource>}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDocument {
    pub data: TokenResource,
}

/// `{"data": <users resource>}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsersDocument {
    pub data: UsersResource,
}

/// `{"data": <smssend resource>}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmsSendDocument {
    pub data: SmsSendResource,
}

/// `type: "token"`, `id`: the user id.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResource {
    #[serde(rename = "type")]
    #[schema(example = "token")]
    pub kind: &'static str,
    #[schema(example = "1")]
    pub id: String,
    pub attributes: TokenAttributes,
}

/// The token pair, in Discuz's (OAuth 2) spelling.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenAttributes {
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds the access token lives.
    pub expires_in: i64,
    /// A JWT that works on every path and on GraphQL.
    pub access_token: String,
    /// Single use: `POST /api/refresh-token` rotates it.
    pub refresh_token: String,
}

/// `type: "users"`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsersResource {
    #[serde(rename = "type")]
    #[schema(example = "users")]
    pub kind: &'static str,
    pub id: String,
    pub attributes: UserAttributes,
}

/// A user as Discuz! Q shows one; the last group only to the user themself.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserAttributes {
    pub id: i64,
    pub username: String,
    /// `131****0001`, whole only to its owner.
    pub mobile: String,
    pub avatar_url: String,
    pub thread_count: i64,
    pub follow_count: i64,
    pub fans_count: i64,
    #[schema(value_type = Option<Object>)]
    pub follow: Option<Value>,
    /// 0 normal, 1 banned.
    pub status: i32,
    pub login_at: Option<String>,
    pub joined_at: String,
    pub expired_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub can_edit: bool,
    pub can_delete: bool,
    pub can_wallet_pay: bool,
    pub register_reason: String,
    pub ban_reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_mobile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub register_ip: Option<String>,
    /// "" to anyone but the user themself.
    pub last_login_ip: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_password: Option<bool>,
}

/// `type: "smssend"`: when the client may ask again.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmsSendResource {
    #[serde(rename = "type")]
    #[schema(example = "smssend")]
    pub kind: &'static str,
    #[schema(example = "1")]
    pub id: String,
    pub attributes: SmsSendAttributes,
}

/// Seconds before another code may be sent to this mobile.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmsSendAttributes {
    #[schema(example = 60)]
    pub interval: i64,
}

/// One entry of `errors` (documentation; the envelope is built by `refuse`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorObject {
    /// A string for `validation_error` and `method_not_allowed` ("422",
    /// "405"), a number otherwise, as Discuz sends them.
    #[schema(schema_with = error_status, example = 500)]
    pub status: Value,
    #[schema(example = "sms_verify_error")]
    pub code: String,
    /// An array of texts for `validation_error`, else a text; absent for
    /// some codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = error_detail)]
    pub detail: Option<Value>,
    /// `validation_error`: the attribute at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<ErrorSource>,
    /// `no_bind_user` only: the bind ticket for a later register or login (1 h, single use).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// `no_bind_user` only: always null.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub user: Option<Value>,
}

/// `source` of a `validation_error`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorSource {
    #[schema(example = "/data/attributes/mobile")]
    pub pointer: String,
}

/// `status`: 500 or "422".
fn error_status() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Integer))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[0-9]{3}$")),
        )
        .build()
        .into()
}

/// `detail`: ["手机号 格式不正确。"] or "…".
fn error_detail() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
    let text = || ObjectBuilder::new().schema_type(Type::String);
    OneOfBuilder::new()
        .item(text())
        .item(ArrayBuilder::new().items(text()))
        .build()
        .into()
}

/// `{"errors": [...]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDocument {
    pub errors: Vec<ErrorObject>,
}

/// The token resource of a sign-in or refresh.
pub fn token_document(user_id: i64, tokens: &TokenPair) -> TokenDocument {
    TokenDocument {
        data: TokenResource {
            kind: "token",
            id: user_id.to_string(),
            attributes: TokenAttributes {
                token_type: "Bearer",
                expires_in: tokens.expires_in,
                access_token: tokens.access_token.clone(),
                refresh_token: tokens.refresh_token.clone(),
            },
        },
    }
}

/// The users resource of `user` as `viewer` may see it.
pub fn users_document(user: &User, viewer: Option<&User>) -> UsersDocument {
    let audience = Audience::of(viewer, user);
    let owner = audience.is_owner();
    let iso = |at: chrono::DateTime<chrono::Utc>| beijing(at).to_rfc3339_opts(SecondsFormat::Secs, false);
    let mobile = visible_mobile(audience, user).unwrap_or_default();
    let username = user
        .username
        .clone()
        .or_else(|| user.nickname.clone())
        .or_else(|| user.mobile.as_ref().map(Mobile::masked))
        .unwrap_or_default();
    let own = |value: String| owner.then_some(value);
    UsersDocument {
        data: UsersResource {
            kind: "users",
            id: user.id.to_string(),
            attributes: UserAttributes {
                id: user.id,
                username,
                mobile,
                avatar_url: user.avatar.clone().unwrap_or_default(),
                thread_count: 0,
                follow_count: 0,
                fans_count: 0,
                follow: None,
                status: if user.may_sign_in() { 0 } else { 1 },
                login_at: user.last_login_at.map(iso),
                joined_at: iso(user.created_at),
                expired_at: None,
                created_at: iso(user.created_at),
                updated_at: iso(user.updated_at),
                can_edit: audience != Audience::Other,
                can_delete: viewer.is_some_and(User::is_admin),
                can_wallet_pay: user.has_pay_password,
                register_reason: String::new(),
                ban_reason: String::new(),
                original_mobile: own(user
                    .mobile
                    .as_ref()
                    .map(|m| m.national().to_string())
                    .unwrap_or_default()),
                register_ip: own(user.register_ip.clone().unwrap_or_default()),
                last_login_ip: own(user.last_login_ip.clone().unwrap_or_default()).unwrap_or_default(),
                identity: own(String::new()),
                realname: own(String::new()),
                has_password: owner.then_some(user.has_password),
            },
        },
    }
}

/// A JSON:API answer.
pub fn respond(status: StatusCode, body: impl Serialize) -> Response {
    let body = serde_json::to_string(&body)
        .unwrap_or_else(|_| r#"{"errors":[{"status":500,"code":"internal_server_error"}]}"#.into());
    (status, [(header::CONTENT_TYPE, JSON_API)], body).into_response()
}

/// A method other than POST on a Discuz! Q path: what its router answers
/// (`MethodNotAllowedException`: 405, the status as a string, `Allow: POST`).
pub async fn method_not_allowed() -> Response {
    let mut response = respond(
        StatusCode::METHOD_NOT_ALLOWED,
        json!({"errors": [{"status": "405", "code": "method_not_allowed"}]}),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

/// A service refusal as Discuz! Q's `errors` array.
pub fn refuse(err: &AppError) -> Response {
    err.log_if_server_side();
    let DiscuzError {
        status,
        code,
        detail,
        pointer,
    } = err.discuz();
    let mut entry = json!({"status": status, "code": code});
    if code == "validation_error" {
        // Discuz's validation handler sends the status as a string and the texts as an array.
        entry["status"] = json!(status.to_string());
        entry["detail"] = json!([detail.unwrap_or_default()]);
    } else if let Some(detail) = detail {
        entry["detail"] = json!(detail);
    }
    if let Some(pointer) = pointer {
        entry["source"] = json!({ "pointer": pointer });
    }
    if let AppError::NoBindUser { bind_token } = err {
        entry["token"] = json!(bind_token);
        entry["user"] = Value::Null;
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = respond(status, json!({ "errors": [entry] }));
    if let Some(seconds) = err.retry_after()
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
