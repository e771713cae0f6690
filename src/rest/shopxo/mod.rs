//! ShopXO (seed 001): `user/reg`, `user/regverifysend` and
//! `user/userverifyentry`, reached as `api.php?s=…`, `index.php?s=api/…` or
//! by path. HTTP 200 always; `{"msg","code","data"}` with `code` 0 on success.

pub mod user;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use self::user::ShopxoUser;
use super::meta;
use super::params::Params;
use crate::error::{AppError, ShopxoAccount, ShopxoError};
use crate::service::accounts::{RegisterMethod, RegisterRequest};
use crate::service::auth::Viewer;
use crate::service::codes::{Purpose, SendCaptcha};
use crate::state::AppState;

/// ShopXO's envelope. `data` is the payload on success and "" on refusal
/// (what ShopXO's `DataReturn` really sends; its document shows `[]`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ShopxoEnvelope {
    #[schema(example = "注册成功")]
    pub msg: String,
    /// 0 success; -1 missing or bad parameter (or the wrong HTTP method),
    /// -2 bad format, -3 mobile or email taken, -10 no live code / account
    /// taken / captcha empty, -11 wrong code or too many tries / captcha
    /// expired, -12 wrong captcha, -100 sending refused or server trouble,
    /// -400 not signed in.
    #[schema(example = 0)]
    pub code: i64,
    #[schema(schema_with = envelope_data)]
    pub data: Value,
}

/// `data`'s two shapes: the user object (a successful `user/reg`) or "".
fn envelope_data() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Ref, Type};
    let empty = ObjectBuilder::new().schema_type(Type::String).enum_values(Some([""]));
    OneOfBuilder::new()
        .item(Ref::from_schema_name("ShopxoUser"))
        .item(empty)
        .description(Some("The user object after a successful `user/reg`; \"\" otherwise"))
        .build()
        .into()
}

/// `/api.php` and `/index.php`: ThinkPHP routes by the `s` parameter.
pub async fn entry(State(state): State<AppState>, method: Method, parts: Parts, body: Bytes) -> Response {
    let params = Params::read(&parts, &body).await;
    let route = params.get("s").map(route_name).unwrap_or_default();
    dispatch(&state, &method, &parts, &params, &route).await
}

/// `/user/reg`.
pub async fn reg(State(state): State<AppState>, method: Method, parts: Parts, body: Bytes) -> Response {
    dispatch(&state, &method, &parts, &Params::read(&parts, &body).await, "user/reg").await
}

/// `/user/regverifysend`.
pub async fn verify_send(State(state): State<AppState>, method: Method, parts: Parts, body: Bytes) -> Response {
    let params = Params::read(&parts, &body).await;
    dispatch(&state, &method, &parts, &params, "user/regverifysend").await
}

/// `/user/userverifyentry`.
pub async fn verify_entry(State(state): State<AppState>, method: Method, parts: Parts, body: Bytes) -> Response {
    let params = Params::read(&parts, &body).await;
    dispatch(&state, &method, &parts, &params, "user/userverifyentry").await
}

/// `s=/api/User/Reg.html` and `s=user/reg` name the same action.
fn route_name(s: &str) -> String {
    let s = s.trim().trim_matches('/').to_ascii_lowercase();
    let s = s.strip_suffix(".html").unwrap_or(&s);
    s.strip_prefix("api/").unwrap_or(s).to_string()
}

async fn dispatch(state: &AppState, method: &Method, parts: &Parts, params: &Params, route: &str) -> Response {
    match route {
        // Registration and sending change state: never from a GET, whose
        // query string (with the password) ends up in every proxy log.
        "user/reg" | "user/regverifysend" if method != Method::POST => fail(-1, "请使用 POST 请求"),
        // The captcha image is fetched (GET, or HEAD as any GET route allows).
        "user/userverifyentry" if ![Method::GET, Method::HEAD, Method::POST].contains(method) => {
            fail(-1, "请使用 GET 请求")
        }
        "user/reg" => register(state, parts, params).await,
        "user/regverifysend" => send_code(state, parts, params).await,
        "user/userverifyentry" => captcha_image(state, parts, params).await,
        _ => fail(-1, "接口不存在"),
    }
}

/// `type`: ShopXO's register kinds; anything else is 注册类型有误.
fn account_kind(raw: &str) -> Option<ShopxoAccount> {
    match raw.trim() {
        "username" => Some(ShopxoAccount::Username),
        "sms" => Some(ShopxoAccount::Sms),
        "email" => Some(ShopxoAccount::Email),
        _ => None,
    }
}

async fn register(state: &AppState, parts: &Parts, params: &Params) -> Response {
    // ShopXO's first three checks, before any rule: required parameters.
    let accounts = params.text("accounts");
    if accounts.trim().is_empty() {
        return fail(-1, "账号不能为空");
    }
    let pwd = params.text("pwd");
    if pwd.is_empty() {
        return fail(-1, "密码不能为空");
    }
    let Some(kind) = account_kind(&params.text("type")) else {
        return fail(-1, "注册类型有误");
    };
    // ShopXO's fourth check: a `verify` that is sent but empty, before any
    // format check (an absent one is judged later, per type).
    if params.get("verify").is_some_and(|v| v.trim().is_empty()) {
        return fail(-1, "验证码不能为空");
    }
    let method = match kind {
        ShopxoAccount::Username => RegisterMethod::Username,
        ShopxoAccount::Sms => RegisterMethod::Sms,
        ShopxoAccount::Email => RegisterMethod::Email,
    };
    let request = RegisterRequest {
        account: accounts.clone(),
        password: pwd,
        verify: params.text("verify"),
        // ShopXO keys the image captcha by the client's `uuid`.
        captcha_id: params.opt("uuid"),
        // ShopXO looks for a live code before it compares (`CheckExpire`,
        // then `CheckCorrect`): a `verify` of the wrong shape is just wrong.
        malformed_code_is_wrong: kind != ShopxoAccount::Username,
        ..Default::default()
    };
    match state
        .services
        .accounts
        .register(method, request, &meta(state, parts))
        .await
    {
        // ShopXO sends the user object only to `application=app` and
        // `{"body_html","user_id"}` to the web; DESIGN §3 makes the user
        // object with its token the answer for every client.
        Ok(outcome) => ok("注册成功", json!(ShopxoUser::new(&outcome.user, &outcome.tokens))),
        Err(err) => refuse(&err, kind),
    }
}

async fn send_code(state: &AppState, parts: &Parts, params: &Params) -> Response {
    let accounts = params.text("accounts");
    if accounts.trim().is_empty() {
        return fail(-1, "账号不能为空");
    }
    let kind = match account_kind(&params.text("type")) {
        Some(ShopxoAccount::Username) => return fail(-2, "该类型不支持验证码发送"),
        Some(kind) => kind,
        None => return fail(-1, "注册类型有误"),
    };
    let meta = meta(state, parts);
    // ShopXO's own send takes its image captcha in `verify`, keyed by `uuid`.
    let (uuid, answer) = (params.text("uuid"), params.text("verify"));
    let captcha = SendCaptcha::from_fields(Some(&uuid), Some(&answer));
    let sent = match kind {
        ShopxoAccount::Email => {
            state
                .services
                .verification
                .send_email_code(
                    &Viewer::Anonymous,
                    &accounts,
                    Purpose::Register,
                    state.config.shopxo_code_digits,
                    captcha,
                    &meta,
                )
                .await
        }
        _ => {
            state
                .services
                .verification
                .send_sms_code(
                    &Viewer::Anonymous,
                    Some(&accounts),
                    Purpose::Register,
                    state.config.shopxo_code_digits,
                    captcha,
                    &meta,
                )
                .await
        }
    };
    match sent {
        Ok(_) => ok("发送成功", json!("")),
        Err(err) => refuse(&err, kind),
    }
}

async fn captcha_image(state: &AppState, parts: &Parts, params: &Params) -> Response {
    let Some(uuid) = params.opt("uuid") else {
        return fail(-1, "uuid不能为空");
    };
    if uuid.len() > 64 || !uuid.bytes().all(|b| b.is_ascii_graphic()) {
        return fail(-1, "uuid格式错误");
    }
    match state.services.captchas.create(Some(uuid), &meta(state, parts)).await {
        Ok(image) => (
            [(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "no-store")],
            image.png,
        )
            .into_response(),
        Err(err) => refuse(&err, ShopxoAccount::Username),
    }
}

/// Words a service refusal as ShopXO would.
fn refuse(err: &AppError, kind: ShopxoAccount) -> Response {
    err.log_if_server_side();
    let ShopxoError { code, msg } = err.shopxo(kind);
    fail(code, &msg)
}

fn ok(msg: &str, data: Value) -> Response {
    envelope(msg, 0, data)
}

fn fail(code: i64, msg: &str) -> Response {
    envelope(msg, code, json!(""))
}

fn envelope(msg: &str, code: i64, data: Value) -> Response {
    axum::Json(ShopxoEnvelope {
        msg: msg.to_string(),
        code,
        data,
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::route_name;

    #[test]
    fn thinkphp_spellings_of_one_action() {
        for s in ["user/reg", "api/user/reg", "/api/User/Reg.html", " user/reg/ "] {
            assert_eq!(route_name(s), "user/reg", "{s}");
        }
    }
}
