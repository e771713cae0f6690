//! The request parameters of the ShopXO and chickenshop paths. Both read a
//! flat bag of parameters (`rest::params::Params`) and answer HTTP 200 to
//! anything, so nothing here is `required` and no value is constrained: a
//! missing or malformed parameter is refused in the envelope, not by the
//! HTTP status. Each parameter list is given twice, once per media type:
//! a form's values are always text; a JSON body may be any JSON at all.

use serde_json::{Map, Value, json};

/// One parameter: its name, what it is, an example value.
struct Param {
    name: &'static str,
    description: &'static str,
    example: Option<&'static str>,
}

const fn param(name: &'static str, description: &'static str, example: Option<&'static str>) -> Param {
    Param {
        name,
        description,
        example,
    }
}

const ACCOUNTS: Param = param(
    "accounts",
    "`user/reg`: the username, mobile or email, per `type`. `user/regverifysend`: the mobile (`sms`) or email (`email`) the code goes to.",
    Some("qqqqqq"),
);
const PWD: Param = param("pwd", "`user/reg`: the password.", Some("xxx***xxx"));
const VERIFY: Param = param(
    "verify",
    "`user/reg`: the image captcha answer (`type` username) or the code sent by `user/regverifysend`. `user/regverifysend`: the image captcha answer, once a send needs one.",
    Some("rib5"),
);
const TYPE: Param = param(
    "type",
    "`username`, `sms` or `email` (`user/reg`); `sms` or `email` (`user/regverifysend`); `user_reg`, ignored (`user/userverifyentry`).",
    Some("username"),
);
const UUID: Param = param(
    "uuid",
    "The client's id for its image captcha: `user/userverifyentry` draws the captcha under it (1 to 64 printable ASCII characters), `user/reg` and `user/regverifysend` name it with the answer in `verify`.",
    Some("5f0c2a8e-reg"),
);
const APPLICATION: Param = param("application", "ShopXO's common parameter, accepted and ignored.", None);
const CLIENT_TYPE: Param = param(
    "application_client_type",
    "ShopXO's common parameter, accepted and ignored.",
    None,
);
const TOKEN: Param = param("token", "ShopXO's common parameter, accepted and ignored.", None);
const S: Param = param(
    "s",
    "The action when it is not in the query string: `user/reg`, `user/regverifysend` or `user/userverifyentry` (ThinkPHP spellings such as `/api/User/Reg.html` too).",
    Some("user/reg"),
);

const REG: &[Param] = &[ACCOUNTS, PWD, VERIFY, TYPE, UUID, APPLICATION, CLIENT_TYPE, TOKEN];
const SEND: &[Param] = &[ACCOUNTS, TYPE, UUID, VERIFY];
const ENTRY: &[Param] = &[S, ACCOUNTS, PWD, VERIFY, TYPE, UUID, APPLICATION, CLIENT_TYPE, TOKEN];
const CHICKENSHOP: &[Param] = &[
    param("phone", "The mobile the code was sent to.", Some("13113690000")),
    param(
        "code",
        "A LOGIN code (`/api/sms/send` type login, or GraphQL `sendSmsCode`).",
        Some("294160"),
    ),
    param(
        "three_tig",
        "The platform to bind: wx_app, wx_public, wx_small, apple, qq or wb. Without it: SMS login-or-register only.",
        Some("wx_public"),
    ),
    param("openid", "The platform's openid; required with `three_tig`.", None),
    param("unionid", "The WeChat unionid, if the client has one.", None),
];

/// The request schemas, by component name.
pub fn schemas() -> Map<String, Value> {
    let pairs = [
        ("ShopxoReg", "ShopXO `user/reg` parameters.", REG),
        ("ShopxoSend", "ShopXO `user/regverifysend` parameters.", SEND),
        (
            "ShopxoEntry",
            "ShopXO parameters through `api.php` / `index.php`: the action's own, and `s` when the query string has none.",
            ENTRY,
        ),
        (
            "Chickenshop",
            "chickenshop `threeRegisterAndBind` parameters.",
            CHICKENSHOP,
        ),
    ];
    let mut schemas = Map::new();
    for (name, description, params) in pairs {
        schemas.insert(format!("{name}Form"), form(description, params));
        schemas.insert(format!("{name}Json"), any_json(description, params));
    }
    schemas
}

/// A form: every value is text, and none is required.
fn form(description: &str, params: &[Param]) -> Value {
    let properties: Map<String, Value> = params
        .iter()
        .map(|p| {
            let mut schema = json!({"type": "string", "description": p.description});
            if let Some(example) = p.example {
                schema["examples"] = json!([example]);
            }
            (p.name.to_string(), schema)
        })
        .collect();
    json!({"type": "object", "description": description, "properties": properties})
}

/// A JSON body. The handler reads an object's string, number and boolean
/// members as the form's values (numbers as their digits, booleans as 1 and
/// 0); any other member, and any other JSON value, counts as absent. So the
/// schema admits every JSON value: the members are described, not typed.
fn any_json(description: &str, params: &[Param]) -> Value {
    let properties: Map<String, Value> = params
        .iter()
        .map(|p| {
            let mut schema = json!({"description": format!("{} Text, a number or a boolean.", p.description)});
            if let Some(example) = p.example {
                schema["examples"] = json!([example]);
            }
            (p.name.to_string(), schema)
        })
        .collect();
    let description = format!(
        "{description} Any JSON is accepted: an object's string, number and boolean members are read as the form's \
         values; other members, and other JSON values, count as absent (and are refused in the envelope)."
    );
    json!({"description": description, "properties": properties})
}
