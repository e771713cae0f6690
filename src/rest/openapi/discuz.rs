//! The Discuz! Q operations: JSON:API in and out, POST only (any other
//! method is 405 `method_not_allowed` with `Allow: POST`), refusals in
//! Discuz's own statuses, 500 included where Discuz! Q sends 500.

use serde_json::{Map, Value, json};

use super::{schema_ref, too_large};

const JSON_API: &str = "application/vnd.api+json";

/// The Discuz! Q paths.
pub fn paths() -> Map<String, Value> {
    let mut paths = Map::new();
    paths.insert("/api/sms/send".into(), json!({"post": sms_send()}));
    paths.insert("/api/sms/verify".into(), json!({"post": sms_verify()}));
    paths.insert("/api/refresh-token".into(), json!({"post": refresh_token()}));
    paths.insert("/api/login".into(), json!({"post": login()}));
    paths.insert("/api/register".into(), json!({"post": register()}));
    paths
}

/// The request document, as JSON:API or plain JSON.
fn body(schema: &str) -> Value {
    json!({
        "required": true,
        "content": {
            JSON_API: {"schema": schema_ref(schema)},
            "application/json": {"schema": schema_ref(schema)},
        },
    })
}

/// A JSON:API document answer.
fn document(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {JSON_API: {"schema": schema}}})
}

/// An `errors` answer.
fn errors(description: &str) -> Value {
    document(description, schema_ref("ErrorDocument"))
}

fn too_many_requests(description: &str) -> Value {
    let mut answer = errors(description);
    answer["headers"] = json!({"Retry-After": {
        "description": "Seconds until a try may succeed",
        "schema": {"type": "integer"},
    }});
    answer
}

fn unavailable() -> Value {
    errors("service_unavailable: the database or a provider is unreachable (or, for sends, the SMS budget is spent)")
}

/// The operation around its own responses; every one may also be 413 and 503.
fn operation(id: &str, summary: &str, request: &str, mut responses: Value) -> Value {
    responses["413"] = too_large();
    responses["503"] = unavailable();
    json!({
        "tags": ["Discuz! Q"],
        "operationId": id,
        "summary": summary,
        "requestBody": body(request),
        "responses": responses,
    })
}

/// The token may come as a bearer or as `?token=`; a bad one is 401.
fn optional_token(mut operation: Value) -> Value {
    operation["security"] = json!([{}, {"bearer": []}, {"token_query": []}]);
    operation
}

fn sms_send() -> Value {
    optional_token(operation(
        "discuz_sms_send",
        "Send an SMS code",
        "DiscuzSendRequest",
        json!({
            "201": document("Sent (reset_pwd to a number without an account answers alike and sends nothing)", schema_ref("SmsSendDocument")),
            "401": errors("access_denied: a token was sent but is not valid, or bind, rebind, verify and reset_pay_pwd without one; ban_user"),
            "422": errors("validation_error: `type` or `mobile` missing or not allowed, with source.pointer"),
            "429": too_many_requests("too_many_requests: sending too often (to this mobile, or from this client)"),
            "500": errors("mobile_is_already_bind (bind: the caller has a mobile already); internal_server_error (a fault, logged)"),
        }),
    ))
}

fn sms_verify() -> Value {
    let signed_in_or_user = json!({"oneOf": [schema_ref("TokenDocument"), schema_ref("UsersDocument")]});
    optional_token(operation(
        "discuz_sms_verify",
        "Check a code and do what its type says",
        "DiscuzVerifyRequest",
        json!({
            "200": document("login: the token resource; the other types: the users resource", signed_in_or_user),
            "400": errors("no_bind_user: the mobile has no account and `register` was not 1; `token` is the bind ticket and `user` null"),
            "401": errors("access_denied (a bad token, or none where the type needs one), register_close, ban_user"),
            "422": errors("validation_error with source.pointer: a missing or malformed attribute, a bind ticket used or expired (pointer token), a password too short or too common"),
            "429": too_many_requests("too_many_requests: too many tries from this client"),
            "500": errors("sms_verify_error: a wrong, expired or used code, or too many tries (Discuz! Q answers these 500); mobile_is_already_bind, user_update_error; internal_server_error (a fault, logged)"),
        }),
    ))
}

fn refresh_token() -> Value {
    operation(
        "discuz_refresh_token",
        "Rotate a refresh token",
        "DiscuzRefreshRequest",
        json!({
            "200": document("A new pair; the old refresh token stops working", schema_ref("TokenDocument")),
            "401": errors("access_denied: unknown, expired or already used (a reuse past the grace revokes the session); ban_user"),
            "422": errors("validation_error: refresh_token missing (pointer refresh_token)"),
            "500": errors("internal_server_error (a fault, logged)"),
        }),
    )
}

fn login() -> Value {
    operation(
        "discuz_login",
        "Sign in with a username (or mobile) and password",
        "DiscuzLoginRequest",
        json!({
            "200": document("Signed in; a mobileToken (the no_bind_user ticket) attaches its mobile", schema_ref("TokenDocument")),
            "401": errors("ban_user"),
            "403": errors("login_failed: wrong username or password"),
            "422": errors("validation_error: username or password missing, or a mobileToken used or expired (pointer token)"),
            "429": too_many_requests("too_many_requests: too many wrong passwords for this account (a lock)"),
            "500": errors("mobile_is_already_bind (the mobileToken's mobile and the account's differ); internal_server_error (a fault, logged)"),
        }),
    )
}

fn register() -> Value {
    operation(
        "discuz_register",
        "Register with a username and password, proven by a bind ticket",
        "DiscuzRegisterRequest",
        json!({
            "201": document("Registered and signed in; the mobileToken's mobile becomes the account's; `code` is an invite (an inviter's user id)", schema_ref("TokenDocument")),
            "401": errors("register_close: registration is off"),
            "422": errors("validation_error: username or password missing or malformed, username taken, password too common, mobileToken used or expired (pointer token), or no mobileToken (pointer captcha: there is no other proof)"),
            "500": errors("mobile_is_already_bind (the ticket's mobile has an account now); internal_server_error (a fault, logged)"),
        }),
    )
}
