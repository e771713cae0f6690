//! insta snapshots of every legacy REST envelope: each example answer of the
//! three seed API documents (000 chickenshop `threeRegisterAndBind`, 001
//! ShopXO `user/reg`, 002 Discuz! Q `/api/sms/verify`) and each error they or
//! LEGACY.md list, driven through HTTP only (no service or store paths, so
//! the snapshots survive refactors of src/), with the status code and the
//! content type in the snapshot. `INSTA_UPDATE=always cargo test --test it
//! legacy_envelopes` rewrites them; read the diff against the seeds before
//! committing.
//!
//! What varies from run to run (tokens, ids, times, codes) is redacted to its
//! *shape* (`[jwt]`, `[rfc3339 +08:00]`, `[Y-m-d H:i:s]`, `[id: string]`…), so
//! a changed format or JSON type still shows up as a snapshot diff; error
//! codes, messages, key names and fixed values are never redacted.

use axum::http::{HeaderMap, StatusCode, header};
use insta::internals::{Content, ContentPath};
use serde_json::{Value, json};

mod chickenshop;
mod discuz;
mod shopxo;

/// Where a snapshot's varying values are, by how each is redacted.
#[derive(Default)]
pub struct Varying<'a> {
    /// Redacted to a description of their shape.
    pub shapes: &'a [&'a str],
    /// Redacted to their JSON type.
    pub ids: &'a [&'a str],
    /// Texts whose wait in seconds is blurred.
    pub seconds: &'a [&'a str],
}

/// insta settings for a legacy snapshot: sorted maps, the module in the
/// snapshot's name, and the varying values redacted.
pub fn settings(varying: Varying<'_>) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_sort_maps(true);
    settings.set_prepend_module_to_snapshot(true);
    for selector in varying.shapes {
        settings.add_redaction(selector, insta::dynamic_redaction(shape));
    }
    for selector in varying.ids {
        settings.add_redaction(selector, insta::dynamic_redaction(id));
    }
    for selector in varying.seconds {
        settings.add_redaction(selector, insta::dynamic_redaction(seconds_in_text));
    }
    settings
}

/// Calls the app and returns the envelope to snapshot.
pub async fn call(app: &crate::common::TestApp, request: axum::http::Request<axum::body::Body>) -> Value {
    let (status, headers, body) = app.call(request).await;
    envelope(status, &headers, &body)
}

/// One row of an error table: the app's flags, what to set up, the request
/// and the HTTP status it must answer.
pub struct Case<Prep, Fixture> {
    pub name: &'static str,
    pub args: &'static [&'static str],
    pub prep: Prep,
    pub request: fn(&Fixture) -> axum::http::Request<axum::body::Body>,
    pub status: StatusCode,
}

/// Runs each case on a fresh app (set up by `prepare`), snapshots its
/// answer, and fails listing every case that answered another status.
pub async fn run_cases<Prep, Fixture>(
    cases: impl IntoIterator<Item = Case<Prep, Fixture>>,
    prepare: impl AsyncFn(&crate::common::TestApp, Prep) -> Fixture,
    call: impl AsyncFn(&crate::common::TestApp, axum::http::Request<axum::body::Body>) -> Value,
    snap: fn(&str, &Value),
) {
    let mut unexpected = Vec::new();
    for case in cases {
        let app = crate::common::TestApp::with_args(case.args).await;
        let fixture = prepare(&app, case.prep).await;
        let answer = call(&app, (case.request)(&fixture)).await;
        if answer["status"] == case.status.as_u16() {
            snap(case.name, &answer);
        } else {
            unexpected.push(format!("{}: expected HTTP {}, got {answer}", case.name, case.status));
        }
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}

/// The value a snapshot pins: HTTP status, content type (and `Allow` when
/// sent), and the JSON body.
pub fn envelope(status: StatusCode, headers: &HeaderMap, body: &Value) -> Value {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut value = json!({"status": status.as_u16(), "content_type": content_type, "body": body});
    if let Some(allow) = headers.get(header::ALLOW).and_then(|v| v.to_str().ok()) {
        value["allow"] = json!(allow);
    }
    value
}

/// Redacts a varying string to a description of its shape, and a varying
/// number to `[number]`; an empty string stays "" (an empty value is not random).
pub fn shape(value: Content, _path: ContentPath<'_>) -> Content {
    if let Some(s) = value.as_str() {
        return Content::from(if s.is_empty() {
            String::new()
        } else {
            format!("[{}]", classify(s))
        });
    }
    if value.as_i64().is_some() || value.as_u64().is_some() {
        return Content::from("[number]");
    }
    value
}

/// An id: keeps only its JSON type (legacy clients parse `"469"` and `7` differently).
pub fn id(value: Content, _path: ContentPath<'_>) -> Content {
    if value.as_str().is_some() {
        Content::from("[id: string]")
    } else if value.as_i64().is_some() || value.as_u64().is_some() {
        Content::from("[id: number]")
    } else {
        value
    }
}

/// The wait in a rate-limit message ("…请 60 秒后再试"): the clock has whole
/// seconds, so it reads 59 or 60 by chance; the rest of the text stays pinned.
pub fn seconds_in_text(value: Content, _path: ContentPath<'_>) -> Content {
    let Some(text) = value.as_str() else {
        return value;
    };
    let Some((head, tail)) = text.split_once("请 ") else {
        return value;
    };
    let Some((seconds, rest)) = tail.split_once(" 秒") else {
        return value;
    };
    let wait: u64 = seconds
        .parse()
        .unwrap_or_else(|_| panic!("a number of seconds in {text:?}"));
    assert!((55..=60).contains(&wait), "{text:?}");
    Content::from(format!("{head}请 [seconds] 秒{rest}"))
}

fn classify(s: &str) -> String {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let base64url = |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() == 3 && parts.iter().all(|p| base64url(p)) && s.starts_with("eyJ") {
        return "jwt".into();
    }
    // 2019-12-12T00:00:00+08:00 / …Z / with fractions.
    if b.len() >= 20 && digits(0..4) && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' {
        let rest = &s[19..];
        let offset = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
        let fraction = if rest.starts_with('.') { " with fraction" } else { "" };
        return format!("rfc3339{fraction} {offset}");
    }
    if b.len() == 19 && digits(0..4) && b[4] == b'-' && b[10] == b' ' && b[13] == b':' && b[16] == b':' {
        return "Y-m-d H:i:s".into();
    }
    if b.iter().all(u8::is_ascii_digit) {
        return format!("{} digits", b.len());
    }
    if b.iter().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()) {
        return format!("{} hex", b.len());
    }
    if s.len() == 4 || s.len() == 6 {
        return format!("{} chars", s.len());
    }
    "opaque".into()
}

/// Decodes a JWT's claims (no check: the server's own tests do that).
pub fn jwt_claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null)
}

/// A claims summary fit for a snapshot: the claim names, and the lifetime.
pub fn claims_summary(token: &str) -> Value {
    let claims = jwt_claims(token);
    let mut names: Vec<String> = claims
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    names.sort();
    let lifetime = claims["exp"].as_i64().zip(claims["iat"].as_i64()).map(|(e, i)| e - i);
    json!({"claims": names, "exp_minus_iat": lifetime})
}

/// A wrong code of the same length as `code`.
pub fn wrong(code: &str) -> String {
    let first = if code.starts_with('1') { '2' } else { '1' };
    std::iter::repeat_n(first, code.len()).collect()
}
