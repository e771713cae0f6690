//! Tencent Cloud API signature v3 (TC3-HMAC-SHA256) for a JSON `POST /`,
//! signing `content-type` and `host`, as Tencent Cloud's "Signature v3" page
//! specifies. Shared by the SMS sender (`messaging::tencent`) and the captcha
//! check (`captcha_providers::tencent`): one signer, one doc-vector test.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use sha2::Digest;

use super::hmac_sha256;

const ALGORITHM: &str = "TC3-HMAC-SHA256";
/// The content type the signature covers; requests must send exactly this.
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";
const SIGNED_HEADERS: &str = "content-type;host";

/// What one signed call names: the product's service (`sms`, `captcha`),
/// its action and version, and the region if the product wants one.
#[derive(Debug, Clone, Copy)]
pub struct Tc3Call<'a> {
    pub service: &'a str,
    pub action: &'a str,
    pub version: &'a str,
    pub region: Option<&'a str>,
}

/// Why a request could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The system clock is outside what a date can show (never in practice).
    #[error("system clock out of range")]
    ClockOutOfRange,
    /// A configured value (SecretId, region) cannot stand in an HTTP header.
    #[error("a TC3 header value is not valid in HTTP")]
    BadHeaderValue,
}

/// The `Host` value exactly as reqwest sends it for `endpoint` (with a
/// non-default port), since it is signed; `None` for a URL without a host.
pub fn signed_host(endpoint: &reqwest::Url) -> Option<String> {
    match (endpoint.host_str(), endpoint.port()) {
        (Some(host), Some(port)) => Some(format!("{host}:{port}")),
        (Some(host), None) => Some(host.to_string()),
        (None, _) => None,
    }
}

/// Every header a signed call carries besides `Host`: Authorization,
/// Content-Type and the `X-TC-*` common parameters.
pub fn headers(
    call: &Tc3Call<'_>,
    secret_id: &str,
    secret_key: &str,
    host: &str,
    payload: &[u8],
    timestamp: i64,
) -> Result<HeaderMap, SignError> {
    let authorization = authorization_header(call.service, secret_id, secret_key, host, payload, timestamp)?;
    let mut pairs = vec![
        ("authorization", authorization),
        ("content-type", CONTENT_TYPE.to_string()),
        ("x-tc-action", call.action.to_string()),
        ("x-tc-version", call.version.to_string()),
        ("x-tc-timestamp", timestamp.to_string()),
    ];
    if let Some(region) = call.region {
        pairs.push(("x-tc-region", region.to_string()));
    }
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        let value = HeaderValue::from_str(&value).map_err(|_| SignError::BadHeaderValue)?;
        headers.insert(HeaderName::from_static(name), value);
    }
    Ok(headers)
}

/// The full `Authorization` header value for one POST.
pub fn authorization_header(
    service: &str,
    secret_id: &str,
    secret_key: &str,
    host: &str,
    payload: &[u8],
    timestamp: i64,
) -> Result<String, SignError> {
    let date = utc_date(timestamp)?;
    let canonical = canonical_request(host, payload);
    let to_sign = string_to_sign(timestamp, &date, service, &canonical);
    let signature = signature(secret_key, &date, service, &to_sign);
    Ok(authorization(secret_id, &date, service, &signature))
}

/// The UTC date of the timestamp; Tencent rejects a local-time date.
fn utc_date(timestamp: i64) -> Result<String, SignError> {
    chrono::DateTime::from_timestamp(timestamp, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .ok_or(SignError::ClockOutOfRange)
}

/// Step 1: canonical request for a POST to `/` signing content-type and host.
fn canonical_request(host: &str, payload: &[u8]) -> String {
    let hashed_payload = hex::encode(sha2::Sha256::digest(payload));
    format!(
        "POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{}\n\n{SIGNED_HEADERS}\n{hashed_payload}",
        host.to_ascii_lowercase()
    )
}

/// Step 2: string to sign.
fn string_to_sign(timestamp: i64, date: &str, service: &str, canonical_request: &str) -> String {
    let hashed = hex::encode(sha2::Sha256::digest(canonical_request.as_bytes()));
    format!("{ALGORITHM}\n{timestamp}\n{date}/{service}/tc3_request\n{hashed}")
}

/// Step 3: derive date → service → tc3_request keys and sign.
fn signature(secret_key: &str, date: &str, service: &str, string_to_sign: &str) -> String {
    let secret_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let secret_service = hmac_sha256(&secret_date, service.as_bytes());
    let secret_signing = hmac_sha256(&secret_service, b"tc3_request");
    hex::encode(hmac_sha256(&secret_signing, string_to_sign.as_bytes()))
}

/// Step 4: the Authorization header value.
fn authorization(secret_id: &str, date: &str, service: &str, signature: &str) -> String {
    format!(
        "{ALGORITHM} Credential={secret_id}/{date}/{service}/tc3_request, \
         SignedHeaders={SIGNED_HEADERS}, Signature={signature}"
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    // Worked example from Tencent Cloud's "Signature v3" API page (CVM
    // DescribeInstances, ap-guangzhou, X-TC-Timestamp 1551113065).
    const DOC_SECRET_ID: &str = "AKID**********************0123456789EXAMPLE";
    const DOC_SECRET_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
    const DOC_TIMESTAMP: i64 = 1551113065;
    const DOC_PAYLOAD: &str =
        r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;

    #[test]
    fn reproduces_the_signature_v3_doc_example() {
        let canonical = canonical_request("cvm.tencentcloudapi.com", DOC_PAYLOAD.as_bytes());
        assert_eq!(
            canonical,
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n\
             content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        let date = utc_date(DOC_TIMESTAMP).unwrap();
        assert_eq!(date, "2019-02-25");
        let to_sign = string_to_sign(DOC_TIMESTAMP, &date, "cvm", &canonical);
        assert_eq!(
            to_sign,
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n\
             5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        let sig = signature(DOC_SECRET_KEY, &date, "cvm", &to_sign);
        assert_eq!(sig, "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
        let expected = "TC3-HMAC-SHA256 Credential=AKID**********************0123456789EXAMPLE/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host, \
             Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168";
        assert_eq!(authorization(DOC_SECRET_ID, &date, "cvm", &sig), expected);
        let whole = authorization_header(
            "cvm",
            DOC_SECRET_ID,
            DOC_SECRET_KEY,
            "cvm.tencentcloudapi.com",
            DOC_PAYLOAD.as_bytes(),
            DOC_TIMESTAMP,
        );
        assert_eq!(whole.unwrap(), expected);
    }

    #[test]
    fn the_host_keeps_a_non_default_port() {
        let url = reqwest::Url::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(signed_host(&url).unwrap(), "127.0.0.1:8080");
        let url = reqwest::Url::parse("https://captcha.tencentcloudapi.com").unwrap();
        assert_eq!(signed_host(&url).unwrap(), "captcha.tencentcloudapi.com");
    }
}
