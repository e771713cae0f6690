//! The Discuz! Q request documents: `{"data": {"attributes": {…}}}`, with
//! what each path requires. Discuz refuses a missing or malformed attribute
//! with 422 `validation_error`, so here the schemas are exact where the
//! server is: required attributes, the mobile's shape, the `type` names.

use serde_json::{Map, Value, json};

use super::schema_ref;

/// The mainland mobiles the server takes for certain (it reads more
/// spellings: `+86 138 0013 8000`, `8613800138000`). The prefixes are ones
/// every number of which is a valid mobile (a test walks them).
pub const MOBILE_PATTERN: &str = "^(\\+86)?1(3[0-9]|5[0-35-9]|8[0-9])[0-9]{8}$";

/// The request schemas, by component name.
pub fn schemas() -> Map<String, Value> {
    let mut schemas = Map::new();
    let documents = [
        ("DiscuzSendRequest", "DiscuzSendAttributes"),
        ("DiscuzVerifyRequest", "DiscuzVerifyAttributes"),
        ("DiscuzRefreshRequest", "DiscuzRefreshAttributes"),
        ("DiscuzLoginRequest", "DiscuzLoginAttributes"),
        ("DiscuzRegisterRequest", "DiscuzRegisterAttributes"),
    ];
    for (document, attributes) in documents {
        schemas.insert(document.into(), wrapped(attributes));
    }
    schemas.insert("Mobile".into(), mobile());
    schemas.insert("DiscuzSendAttributes".into(), send());
    schemas.insert("DiscuzVerifyAttributes".into(), verify());
    schemas.extend(verify_kinds());
    schemas.insert("DiscuzRefreshAttributes".into(), refresh());
    schemas.insert("DiscuzLoginAttributes".into(), login());
    schemas.insert("DiscuzRegisterAttributes".into(), register());
    schemas
}

/// `{"data": {"attributes": <attributes>}}`.
fn wrapped(attributes: &str) -> Value {
    json!({
        "type": "object",
        "description": "A JSON:API document. (The server also takes the attributes as a flat object, or as a form in PHP's `data[attributes][mobile]=…` spelling.)",
        "required": ["data"],
        "properties": {"data": {
            "type": "object",
            "required": ["attributes"],
            "properties": {"attributes": schema_ref(attributes)},
        }},
    })
}

fn mobile() -> Value {
    json!({
        "type": "string",
        "pattern": MOBILE_PATTERN,
        "description": "A mainland mobile, 11 digits, optionally with +86. Other spellings of a valid number are read too (`+86 138 0013 8000`); anything that is not a mainland mobile is 422.",
        "examples": ["13113690000"],
    })
}

/// Text with something other than blanks in it: the server trims (Rust's
/// whitespace), and a blank value is missing (422). Not `\S`: in ECMA's
/// regex dialect U+0085 is no whitespace, yet Rust trims it; the class below
/// excludes whitespace in both dialects.
fn text(description: &str) -> Value {
    json!({"type": "string", "pattern": "[^\\s\\u0085]", "description": description})
}

/// A bind ticket (`no_bind_user`'s `token`). A well-formed ticket the
/// server did not issue, or one used or expired, is 422 (pointer `token`).
fn ticket(description: &str) -> Value {
    json!({"type": "string", "description": description})
}

fn send() -> Value {
    json!({
        "description": "`type` says what the code is for. login and reset_pwd need no token; bind, rebind, verify and reset_pay_pwd need the caller's (else 401). verify and reset_pay_pwd send to the caller's own mobile.",
        "oneOf": [
            {
                "type": "object",
                "required": ["type", "mobile"],
                "properties": {
                    "type": {"enum": ["login", "bind", "rebind", "reset_pwd"]},
                    "mobile": schema_ref("Mobile"),
                },
            },
            {
                "type": "object",
                "required": ["type"],
                "properties": {
                    "type": {"enum": ["verify", "reset_pay_pwd"]},
                    "mobile": {"description": "Ignored: the code goes to the caller's own mobile."},
                },
            },
        ],
        "examples": [{"mobile": "13113690000", "type": "login"}],
    })
}

fn verify() -> Value {
    let kinds = ["Login", "Bind", "Verify", "ResetPwd", "ResetPayPwd"];
    let one_of: Vec<Value> = kinds
        .iter()
        .map(|kind| schema_ref(&format!("DiscuzVerify{kind}")))
        .collect();
    json!({
        "description": "What `type` needs. A code of the wrong shape is answered like a wrong code (500 sms_verify_error), as Discuz compares before it validates.",
        "oneOf": one_of,
        "examples": [{"mobile": "13113690000", "code": "294160", "type": "login", "register": 1}],
    })
}

/// One `DiscuzVerify…` schema per kind of `type`.
fn verify_kinds() -> Map<String, Value> {
    let mobile = || ("mobile", schema_ref("Mobile"));
    let bind = verify_kind(
        &["bind", "rebind"],
        "Needs the caller's token: binds (bind) or changes to (rebind, after a verify) this mobile.",
        vec![mobile()],
        Vec::new(),
    );
    let verify = verify_kind(
        &["verify"],
        "Needs the caller's token: proves the caller's own mobile (opens the rebind window).",
        Vec::new(),
        Vec::new(),
    );
    let password = json!({"type": "string", "minLength": 8, "maxLength": 128,
        "description": "The new password (ZHANGHAO_PASSWORD_MIN / _MAX characters, 8 and 128 by default; not a common one)."});
    let reset_pwd = verify_kind(
        &["reset_pwd"],
        "Sets a new password for the account of this mobile.",
        vec![mobile(), ("password", password)],
        Vec::new(),
    );
    let kinds = [
        ("Login", verify_login()),
        ("Bind", bind),
        ("Verify", verify),
        ("ResetPwd", reset_pwd),
        ("ResetPayPwd", verify_reset_pay_pwd()),
    ];
    kinds
        .into_iter()
        .map(|(kind, schema)| (format!("DiscuzVerify{kind}"), schema))
        .collect()
}

/// `type` login: the mobile, and what an unknown mobile needs.
fn verify_login() -> Value {
    verify_kind(
        &["login"],
        "Signs in, or registers (the token resource).",
        vec![("mobile", schema_ref("Mobile"))],
        vec![
            (
                "register",
                json!({"enum": [0, 1, "0", "1", true, false],
                "description": "1: an unknown mobile registers; else it gets 400 no_bind_user with a bind ticket."}),
            ),
            (
                "inviteCode",
                json!({"type": "string", "maxLength": 64, "description": "An inviter's user id, for a registration."}),
            ),
            (
                "token",
                ticket(
                    "A bind ticket (400 no_bind_user's `token`): its platform identity is bound to the account signed in.",
                ),
            ),
        ],
    )
}

/// `type` reset_pay_pwd: the new pay password, twice.
fn verify_reset_pay_pwd() -> Value {
    let six_digits = |description: &str| json!({"type": "string", "pattern": "^[0-9]{6}$", "description": description});
    verify_kind(
        &["reset_pay_pwd"],
        "Needs the caller's token: sets a new pay password (the code went to the caller's own mobile).",
        vec![
            ("pay_password", six_digits("Six digits.")),
            ("pay_password_confirmation", six_digits("The same six digits.")),
        ],
        Vec::new(),
    )
}

/// The attributes for these `type` names: `type` and `code`, the
/// `required` ones, and the `optional` ones.
fn verify_kind(types: &[&str], description: &str, required: Vec<(&str, Value)>, optional: Vec<(&str, Value)>) -> Value {
    let mut names = vec!["type", "code"];
    names.extend(required.iter().map(|(name, _)| *name));
    let mut properties = Map::new();
    properties.insert("type".into(), json!({"enum": types}));
    properties.insert(
        "code".into(),
        text("The code sent by /api/sms/send with the same `type`."),
    );
    for (name, schema) in required.into_iter().chain(optional) {
        properties.insert(name.to_string(), schema);
    }
    json!({"type": "object", "description": description, "required": names, "properties": properties})
}

fn refresh() -> Value {
    json!({
        "type": "object",
        "required": ["refresh_token"],
        "properties": {"refresh_token": text("The refresh token of the last pair (opaque, base64url); single use.")},
    })
}

fn login() -> Value {
    json!({
        "type": "object",
        "required": ["username", "password"],
        "properties": {
            "username": text("A username or a mobile."),
            "password": {"type": "string", "minLength": 1},
            "mobileToken": ticket("A bind ticket (400 no_bind_user's `token`): its mobile is attached to the account."),
        },
    })
}

fn register() -> Value {
    json!({
        "type": "object",
        "required": ["username", "password", "mobileToken"],
        "properties": {
            "username": {"type": "string", "pattern": "^[A-Za-z0-9_]{2,18}$", "description": "2 to 18 letters, digits or underscores, not a mobile number, not taken."},
            "password": {"type": "string", "minLength": 8, "maxLength": 128, "description": "ZHANGHAO_PASSWORD_MIN / _MAX characters (8 and 128 by default); not a common one."},
            "mobileToken": ticket("The bind ticket of a 400 no_bind_user: the proof of the mobile, which becomes the account's. Without one: 422 (pointer captcha)."),
            "code": {"type": "string", "maxLength": 64, "description": "An invite: the inviter's user id."},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::MOBILE_PATTERN;
    use crate::domain::Mobile;
    use phonenumber::country::Id::CN;

    /// The pattern's prefixes, spelled out: each must give numbers the
    /// server takes and can text, whatever the remaining digits.
    const PREFIXES: &[&str] = &[
        "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156",
        "157", "158", "159", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
    ];

    #[test]
    fn the_mobile_pattern_admits_only_mobiles_the_server_takes() {
        assert_eq!(MOBILE_PATTERN, "^(\\+86)?1(3[0-9]|5[0-35-9]|8[0-9])[0-9]{8}$");
        for prefix in PREFIXES {
            for fourth in 0..10 {
                for tail in ["0000000", "9999999", "1234567", "7654321", "5000005"] {
                    for raw in [format!("{prefix}{fourth}{tail}"), format!("+86{prefix}{fourth}{tail}")] {
                        let mobile = Mobile::parse(&raw, CN);
                        assert!(
                            mobile.as_ref().is_some_and(|m| m.can_receive_sms(&[CN])),
                            "{raw} matches the documented pattern but is refused"
                        );
                    }
                }
            }
        }
    }
}
