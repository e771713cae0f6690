//! The methods ShopXO and chickenshop refuse, documented as what they are:
//! answered, HTTP 200 with the refusal envelope. (Discuz! Q's 405 needs no
//! operation: a method a path does not list is 405 in OpenAPI's own terms.)
//! OPTIONS and HEAD are left out: OPTIONS is CORS's, HEAD is GET's.

use serde_json::{Map, Value, json};

use super::{schema_ref, shopxo_envelope, too_large};

/// The methods OpenAPI 3.1 can name that a client might send by mistake.
const METHODS: [&str; 5] = ["get", "put", "delete", "patch", "trace"];

/// Builds the refusal operation of a path for a method.
type Refusal = fn(&str, &str) -> Value;

/// Adds a refusal operation for each method a ShopXO or chickenshop path
/// does not already document.
pub fn add(paths: &mut Map<String, Value>) {
    let refusals: [(&str, Refusal); 6] = [
        ("/api.php", shopxo_entry),
        ("/index.php", shopxo_entry),
        ("/user/reg", shopxo_post_only),
        ("/user/regverifysend", shopxo_post_only),
        ("/user/userverifyentry", shopxo_get_only),
        ("/module/chickenshop/threeRegisterAndBind", chickenshop),
    ];
    for (path, refusal) in refusals {
        let Some(Value::Object(item)) = paths.get_mut(path) else {
            continue;
        };
        for method in METHODS {
            if !item.contains_key(method) {
                item.insert(method.to_string(), refusal(path, method));
            }
        }
    }
}

/// `{method}_{path}` as an operationId: `put_user_reg`.
fn operation_id(path: &str, method: &str) -> String {
    let path: String = path
        .trim_matches('/')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{method}_{path}_refused")
}

fn refused(path: &str, method: &str, tag: &str, description: &str, answer: Value) -> Value {
    json!({
        "tags": ["Other methods"],
        "operationId": operation_id(path, method),
        "summary": format!("{}: refused ({tag})", method.to_uppercase()),
        "description": description,
        "responses": {"200": answer, "413": too_large()},
    })
}

fn shopxo_post_only(path: &str, method: &str) -> Value {
    let answer = shopxo_envelope("请使用 POST 请求, code -1, `data` \"\"");
    refused(path, method, "ShopXO", "ShopXO takes this action by POST only.", answer)
}

fn shopxo_get_only(path: &str, method: &str) -> Value {
    let answer = shopxo_envelope("请使用 GET 请求, code -1, `data` \"\"");
    refused(
        path,
        method,
        "ShopXO",
        "The captcha is drawn by GET or POST only.",
        answer,
    )
}

fn shopxo_entry(path: &str, method: &str) -> Value {
    let answer = shopxo_envelope(
        "code -1, `data` \"\": 请使用 POST 请求 (`s` user/reg, user/regverifysend), 请使用 GET 请求 (`s` user/userverifyentry), 接口不存在 (another `s`, or none)",
    );
    refused(
        path,
        method,
        "ShopXO",
        "Every action refuses this method in the envelope.",
        answer,
    )
}

fn chickenshop(path: &str, method: &str) -> Value {
    let answer = json!({
        "description": "status 0, 请使用 POST 请求",
        "headers": {"Allow": {"required": true, "description": "POST", "schema": {"type": "string"}}},
        "content": {"application/json": {"schema": schema_ref("ChickenshopError")}},
    });
    refused(
        path,
        method,
        "chickenshop",
        "The endpoint takes POST only; the refusal is its envelope.",
        answer,
    )
}
