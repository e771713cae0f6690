//! Aliyun (Alibaba Cloud) RPC-style request signing, signature method V1
//! (`SignatureVersion=1.0`, HMAC-SHA1), as "Request syntax and signature
//! method V2 for RPC APIs" specifies. Shared by the SMS sender
//! (`messaging::aliyun`, Dysmsapi `SendSms`) and the captcha check
//! (`captcha_providers::aliyun`, `VerifyIntelligentCaptcha`).

use std::collections::BTreeMap;

use base64::Engine;
use hmac::Mac;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Aliyun leaves exactly RFC 3986 unreserved characters unencoded, and
/// encodes space as `%20` (not `+`), `*` as `%2A`.
const ALIYUN_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Who signs, and the one-time values of this request.
#[derive(Debug, Clone, Copy)]
pub struct RpcSigner<'a> {
    pub access_key_id: &'a str,
    pub access_key_secret: &'a str,
    /// `YYYY-MM-DDThh:mm:ssZ`, UTC.
    pub timestamp: &'a str,
    /// A fresh random value per request (Aliyun refuses a nonce seen before).
    pub nonce: &'a str,
}

/// The signed `application/x-www-form-urlencoded` body of a POST to `/`:
/// the action's own `params` plus the common parameters (JSON answers).
pub fn signed_form(signer: &RpcSigner<'_>, action: &str, version: &str, params: &[(&str, &str)]) -> String {
    let mut all: BTreeMap<&str, &str> = params.iter().copied().collect();
    all.extend([
        ("AccessKeyId", signer.access_key_id),
        ("Action", action),
        ("Format", "JSON"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", signer.nonce),
        ("SignatureVersion", "1.0"),
        ("Timestamp", signer.timestamp),
        ("Version", version),
    ]);
    let canonical = canonical_query(&all);
    let signature = sign(signer.access_key_secret, &string_to_sign("POST", &canonical));
    // The canonical query is already valid form encoding, so it doubles as
    // the body; the signature is appended, encoded the same way.
    format!("{canonical}&Signature={}", percent_encode(&signature))
}

/// The signature a received form should carry: what a stand-in of the API
/// computes to check a request, over every parameter but `Signature`.
pub fn expected_signature(access_key_secret: &str, method: &str, params: &BTreeMap<&str, &str>) -> String {
    sign(access_key_secret, &string_to_sign(method, &canonical_query(params)))
}

/// Percent-encode one name or value by Aliyun's rules.
pub fn percent_encode(value: &str) -> String {
    utf8_percent_encode(value, ALIYUN_ENCODE_SET).to_string()
}

/// `name=value` pairs, both encoded, sorted by name, joined with `&`.
/// A BTreeMap keeps the byte-wise name order Aliyun specifies.
fn canonical_query(params: &BTreeMap<&str, &str>) -> String {
    params
        .iter()
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD&%2F&` followed by the canonical query, encoded once more.
fn string_to_sign(method: &str, canonical_query: &str) -> String {
    format!("{method}&%2F&{}", percent_encode(canonical_query))
}

/// Base64 of HMAC-SHA1 keyed with the AccessKey secret plus `&`.
fn sign(access_key_secret: &str, string_to_sign: &str) -> String {
    let key = format!("{access_key_secret}&");
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
