//! The ShopXO and chickenshop operations: HTTP 200 whatever is sent (bar a
//! body over 64 KiB), the outcome in the envelope. Their other methods are
//! in `other_methods`.

use serde_json::{Map, Value, json};

use super::{schema_ref, shopxo_envelope, shopxo_png_or_envelope, too_large};

const REG_CODES: &str = "code 0 注册成功 with the user object (its `token` works everywhere); else `data` is \"\" and `code` says why: \
账号不能为空 -1, 密码不能为空 -1, 注册类型有误 -1, 验证码不能为空 -1 (a `verify` sent empty), 手机号码格式错误 -2, 手机号码已存在 -3, \
电子邮箱格式错误 -2, 电子邮箱已存在 -3, 用户名格式… -2, 账号已存在 -10; sms / email: 验证码已过期 -10 (no live code, whatever the verify), \
验证码错误 -11; image captcha: 图片验证码为空 -10, 验证码已过期 -11, 验证码错误 -12; -100 when sending is refused or the server is in trouble.";

const SEND_CODES: &str = "code 0 发送成功 (`data` \"\"); 账号不能为空 -1, 注册类型有误 -1, 该类型不支持验证码发送 -2 (`type` username), \
format errors -2, taken -3, 图片验证码为空 -10 once sends from this client need the image captcha (`uuid` + `verify`), \
then 验证码已过期 -11 / 验证码错误 -12 for that captcha; -100 when sending too often (请勿频繁发送) or the server is in trouble.";

const ENTRY_ANSWER: &str = "The captcha image (`image/png`), or the envelope when it is refused: uuid不能为空 -1, uuid格式错误 -1, \
-100 when too many captchas were drawn.";

/// The ShopXO and chickenshop paths' own operations.
pub fn paths() -> Map<String, Value> {
    let mut paths = Map::new();
    for (path, prefix) in [("/api.php", ""), ("/index.php", "api/")] {
        paths.insert(
            path.to_string(),
            json!({"post": entry_post(path, prefix), "get": entry_get(path, prefix)}),
        );
    }
    paths.insert("/user/reg".into(), json!({"post": reg()}));
    paths.insert("/user/regverifysend".into(), json!({"post": send()}));
    paths.insert(
        "/user/userverifyentry".into(),
        json!({"get": captcha("get"), "post": captcha("post")}),
    );
    paths.insert(
        "/module/chickenshop/threeRegisterAndBind".into(),
        json!({"post": chickenshop()}),
    );
    paths
}

/// The body of a ShopXO or chickenshop POST: optional, any media type the
/// parameters may come in.
fn params_body(schema: &str) -> Value {
    json!({
        "required": false,
        "description": "Optional: the parameters may come in the query string instead, and a missing one is refused in the envelope. multipart/form-data text fields are read too.",
        "content": {
            "application/x-www-form-urlencoded": {"schema": schema_ref(&format!("{schema}Form"))},
            "application/json": {"schema": schema_ref(&format!("{schema}Json"))},
        },
    })
}

/// `?s=`: ThinkPHP's route. Optional: without it the answer is 接口不存在.
fn s_param(prefix: &str) -> Value {
    json!({
        "name": "s",
        "in": "query",
        "required": false,
        "description": format!("The action: {prefix}user/reg, {prefix}user/regverifysend or {prefix}user/userverifyentry (ThinkPHP spellings such as /{prefix}User/Reg.html too). Anything else, or none, is 接口不存在 -1."),
        "schema": {"type": "string"},
        "examples": {"reg": {"value": format!("{prefix}user/reg")}},
    })
}

fn captcha_params() -> Value {
    json!([
        {"name": "uuid", "in": "query", "required": false, "schema": {"type": "string"},
         "description": "The client's id for this captcha (1 to 64 printable ASCII characters); `user/reg` sends the same `uuid`. Missing or malformed: the envelope, uuid不能为空 / uuid格式错误 -1.",
         "example": "5f0c2a8e-reg"},
        {"name": "type", "in": "query", "required": false, "schema": {"type": "string"},
         "description": "user_reg (ignored)"},
    ])
}

fn entry_post(path: &str, prefix: &str) -> Value {
    let id = path.trim_start_matches('/').replace('.', "_");
    json!({
        "tags": ["ShopXO"],
        "operationId": format!("shopxo_{id}_post"),
        "summary": format!("ShopXO through {path}?s=…"),
        "description": format!("ThinkPHP's entry: `s` names the action, then as POST /user/reg, /user/regverifysend or /user/userverifyentry. {REG_CODES}"),
        "parameters": [s_param(prefix)],
        "requestBody": params_body("ShopxoEntry"),
        "responses": {
            "200": shopxo_png_or_envelope("The action's envelope; `user/userverifyentry` answers the captcha image instead."),
            "413": too_large(),
        },
    })
}

fn entry_get(path: &str, prefix: &str) -> Value {
    let id = path.trim_start_matches('/').replace('.', "_");
    let mut parameters = vec![s_param(prefix)];
    parameters.extend(captcha_params().as_array().cloned().unwrap_or_default());
    json!({
        "tags": ["ShopXO"],
        "operationId": format!("shopxo_{id}_get"),
        "summary": format!("ShopXO captcha through {path}?s={prefix}user/userverifyentry"),
        "description": format!("`s={prefix}user/userverifyentry`: as GET /user/userverifyentry. The other actions refuse a GET: 请使用 POST 请求 -1."),
        "parameters": parameters,
        "responses": {
            "200": shopxo_png_or_envelope(ENTRY_ANSWER),
            "413": too_large(),
        },
    })
}

fn reg() -> Value {
    json!({
        "tags": ["ShopXO"],
        "operationId": "shopxo_reg",
        "summary": "Register (username + image captcha, mobile + SMS code, or email + email code)",
        "requestBody": params_body("ShopxoReg"),
        "responses": {"200": shopxo_envelope(REG_CODES), "413": too_large()},
    })
}

fn send() -> Value {
    json!({
        "tags": ["ShopXO"],
        "operationId": "shopxo_regverifysend",
        "summary": "Send a registration code by SMS or email",
        "requestBody": params_body("ShopxoSend"),
        "responses": {"200": shopxo_envelope(SEND_CODES), "413": too_large()},
    })
}

fn captcha(method: &str) -> Value {
    json!({
        "tags": ["ShopXO"],
        "operationId": format!("shopxo_userverifyentry_{method}"),
        "summary": "Draw an image captcha for user/reg",
        "description": "GET (as ShopXO's apps do) or POST alike; `no-store`.",
        "parameters": captcha_params(),
        "responses": {"200": shopxo_png_or_envelope(ENTRY_ANSWER), "413": too_large()},
    })
}

fn chickenshop() -> Value {
    json!({
        "tags": ["chickenshop"],
        "operationId": "chickenshop_three_register_and_bind",
        "summary": "SMS login-or-register, binding a platform identity with `three_tig`",
        "requestBody": params_body("Chickenshop"),
        "responses": {
            "200": {
                "description": "status 200 注册成功 / 登录成功 with the member (their own wx_openid / smallwx_openid filled in), or status 0 with msg (验证码错误, 手机号码格式错误, 绑定类型有误 …)",
                "content": {"application/json": {"schema": {
                    "oneOf": [schema_ref("ChickenshopOk"), schema_ref("ChickenshopError")],
                }}},
            },
            "413": too_large(),
        },
    })
}
