//! Parameter decoding shared by the legacy front doors. The legacy servers
//! (ThinkPHP's `input()`, Laravel's request bag) read the query string, form
//! bodies and JSON bodies alike, and their clients rely on that.

use std::collections::HashMap;

use axum::http::{HeaderMap, header, request::Parts};
use serde_json::{Map, Value};

/// The flat `name → value` parameters of a legacy request: the query string,
/// overridden by the body (as ThinkPHP merges GET and POST).
#[derive(Debug, Default, Clone)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// Reads the query string and a form (urlencoded or multipart) or JSON
    /// body. A body that does not parse counts as empty: the legacy servers
    /// then answered "missing".
    pub async fn read(parts: &Parts, body: &[u8]) -> Self {
        let mut params = Params::from_request(parts, body);
        if let Some(boundary) = multipart_boundary(&parts.headers) {
            params.0.extend(multipart_text_fields(body, boundary).await);
        }
        params
    }

    /// [`Params::read`] without multipart bodies (the query string alone, say).
    pub fn from_request(parts: &Parts, body: &[u8]) -> Self {
        let mut map = HashMap::new();
        if let Some(query) = parts.uri.query() {
            map.extend(form_pairs(query.as_bytes()));
        }
        if multipart_boundary(&parts.headers).is_some() {
            // Read by `read`; its bytes are no urlencoded form.
        } else if is_json(&parts.headers, body) {
            if let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) {
                map.extend(object.iter().filter_map(|(k, v)| Some((k.clone(), scalar(v)?))));
            }
        } else {
            map.extend(form_pairs(body));
        }
        Params(map)
    }

    /// The value as sent, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The value, or "" when absent (the legacy servers' default).
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    /// The trimmed value when it is present and not blank.
    pub fn opt(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }
}

/// The boundary of a `multipart/form-data` body (what PHP's `$_POST` also read).
fn multipart_boundary(headers: &HeaderMap) -> Option<String> {
    let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    if !content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        return None;
    }
    multer::parse_boundary(content_type).ok()
}

/// The text fields of a multipart body; file parts are skipped, and a
/// malformed body yields what was read before the fault.
async fn multipart_text_fields(body: &[u8], boundary: String) -> Vec<(String, String)> {
    let chunk = axum::body::Bytes::copy_from_slice(body);
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(chunk) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut fields = Vec::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        let Some(name) = field.name().map(str::to_string) else {
            continue;
        };
        if field.file_name().is_some() {
            continue;
        }
        match field.text().await {
            Ok(text) => fields.push((name, text)),
            Err(_) => break,
        }
    }
    fields
}

/// JSON:API `data.attributes` (Discuz! Q); a flat object is taken as the
/// attributes themselves, for clients that skip the wrapper. Form bodies
/// work too, flat or in PHP's `data[attributes][mobile]=…` spelling, as
/// Laravel parsed them.
pub fn json_attributes(body: &[u8]) -> Map<String, Value> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut top)) => match top.get_mut("data").and_then(|d| d.get_mut("attributes")) {
            Some(Value::Object(attributes)) => std::mem::take(attributes),
            _ => top,
        },
        Ok(_) => Map::new(),
        Err(_) => form_pairs(body)
            .into_iter()
            .map(|(key, value)| {
                let name = key
                    .strip_prefix("data[attributes][")
                    .and_then(|rest| rest.strip_suffix(']'))
                    .map(str::to_string)
                    .unwrap_or(key);
                (name, Value::String(value))
            })
            .collect(),
    }
}

/// A JSON scalar as the string a PHP server would have seen.
pub fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
        _ => None,
    }
}

/// The trimmed, non-blank string attribute `name`.
pub fn attr(attributes: &Map<String, Value>, name: &str) -> Option<String> {
    attributes
        .get(name)
        .and_then(scalar)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// PHP's truthiness for flags such as Discuz's `register`: 1, "1", true, "true".
pub fn truthy(value: Option<&str>) -> bool {
    matches!(value.map(str::trim), Some("1" | "true" | "on" | "yes"))
}

fn is_json(headers: &HeaderMap, body: &[u8]) -> bool {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.is_empty() {
        return body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    }
    content_type.starts_with("application/json") || content_type.contains("+json")
}

fn form_pairs(raw: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(raw).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(uri: &str, content_type: Option<&str>) -> Parts {
        let mut builder = Request::post(uri);
        if let Some(ct) = content_type {
            builder = builder.header(header::CONTENT_TYPE, ct);
        }
        builder.body(()).expect("request").into_parts().0
    }

    #[test]
    fn query_form_and_json_are_one_bag() {
        let p = Params::from_request(
            &parts("/x?s=user/reg&a=1", Some("application/x-www-form-urlencoded")),
            b"a=2&b=%E4%B8%AD",
        );
        assert_eq!(p.get("s"), Some("user/reg"));
        assert_eq!(p.get("a"), Some("2"));
        assert_eq!(p.get("b"), Some("中"));
        let p = Params::from_request(
            &parts("/x", Some("application/json")),
            br#"{"phone":13113690000,"x":true,"n":null}"#,
        );
        assert_eq!(p.get("phone"), Some("13113690000"));
        assert_eq!(p.get("x"), Some("1"));
        assert_eq!(p.get("n"), None);
        let p = Params::from_request(&parts("/x", None), br#" {"a":"b"}"#);
        assert_eq!(p.get("a"), Some("b"));
    }

    #[test]
    fn attributes_come_from_data_or_the_top() {
        let wrapped = json_attributes(br#"{"data":{"attributes":{"mobile":"1"}}}"#);
        assert_eq!(attr(&wrapped, "mobile").as_deref(), Some("1"));
        let flat = json_attributes(br#"{"mobile":"2"}"#);
        assert_eq!(attr(&flat, "mobile").as_deref(), Some("2"));
        let form = json_attributes(b"data%5Battributes%5D%5Bmobile%5D=3&type=login");
        assert_eq!(attr(&form, "mobile").as_deref(), Some("3"));
        assert_eq!(attr(&form, "type").as_deref(), Some("login"));
        assert!(json_attributes(b"[1]").is_empty());
    }
}
