//! JiGuang JVerify (极光认证) one-click login: `POST /v1/web/loginTokenVerify`.
//!
//! Per JiGuang's pages (docs.jiguang.cn/jverification/server/rest_api/
//! loginTokenVerify_api and …/rest_api_summary, public_service/rest_api/
//! overview): HTTP Basic with `appKey:masterSecret`, a JSON body
//! `{"loginToken": …, "exID": …}` (`exID` is ours, echoed back), and an
//! answer `{"id":…,"code":8000,"content":"get phone success","exID":…,
//! "phone":"<base64>"}`, where `phone` is RSA-encrypted with the public key
//! configured in JiGuang's console. Their Java sample decrypts it with
//! `Cipher.getInstance("RSA")`, which is RSA/ECB/PKCS1Padding: PKCS#1 v1.5.
//! A failure is `{"code":8001,"content":"get phone fail"}`; the code table
//! lists 9003 (token expired or unknown) among others, and codes about our
//! own call (9010 no auth, 9011 auth failed, 9018 no balance, …), which are
//! no verdict on the token.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{CarrierToken, Http, OneClickError, OneClickProvider, phone_text};

/// Public JVerify API base.
pub const JIGUANG_DEFAULT_API_BASE: &str = "https://api.verification.jpush.cn";

const PROVIDER: OneClickProvider = OneClickProvider::Jiguang;
const SUCCESS: i64 = 8000;

/// Settings for [`JVerify`].
#[derive(Clone)]
pub struct JVerifyConfig {
    pub app_key: String,
    pub master_secret: SecretString,
    /// The private half of the key pair whose public key JiGuang encrypts with.
    pub private_key: RsaPrivateKey,
    /// API base URL; settable so tests can point at loopback.
    pub api_base: String,
}

// Hand-written so the secret and the private key stay out of `{config:?}`.
impl fmt::Debug for JVerifyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JVerifyConfig")
            .field("app_key", &self.app_key)
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

/// Asks JiGuang for the mobile behind a `loginToken`.
pub struct JVerify {
    http: Http,
    url: reqwest::Url,
    config: JVerifyConfig,
}

impl fmt::Debug for JVerify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JVerify")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Answer {
    code: Option<serde_json::Value>,
    phone: Option<serde_json::Value>,
}

impl JVerify {
    /// Validates the URL and builds the HTTP client once, at start-up.
    pub fn new(config: JVerifyConfig, timeout: Duration) -> Result<Self, String> {
        let url = format!("{}/v1/web/loginTokenVerify", config.api_base.trim_end_matches('/'));
        let url = reqwest::Url::parse(&url).map_err(|_| "ZHANGHAO_JIGUANG_API_BASE is not a valid URL".to_string())?;
        Ok(JVerify {
            http: Http::new(timeout)?,
            url,
            config,
        })
    }

    pub(super) async fn mobile(&self, token: &CarrierToken) -> Result<String, OneClickError> {
        // Our own id of this call, echoed back: matches our log line to theirs.
        let ex_id = uuid::Uuid::new_v4().simple().to_string();
        let request = self
            .http
            .client
            .post(self.url.clone())
            .basic_auth(&self.config.app_key, Some(self.config.master_secret.expose_secret()))
            .json(&serde_json::json!({ "loginToken": token.expose(), "exID": ex_id }));
        let (status, text) = self.http.send(PROVIDER, request).await?;
        judge(status, &text, &self.config.private_key).map_err(|err| with_call_id(err, &ex_id))
    }
}

fn with_call_id(err: OneClickError, ex_id: &str) -> OneClickError {
    match err {
        OneClickError::Unavailable { provider, detail } => OneClickError::Unavailable {
            provider,
            detail: format!("{detail} (exID {ex_id})"),
        },
        other => other,
    }
}

/// Reads JiGuang's answer and decrypts the phone of a success.
fn judge(status: reqwest::StatusCode, text: &str, key: &RsaPrivateKey) -> Result<String, OneClickError> {
    let unavailable = |detail: String| OneClickError::Unavailable {
        provider: PROVIDER,
        detail,
    };
    let answer: Answer =
        serde_json::from_str(text).map_err(|_| unavailable(format!("unreadable answer (HTTP {status})")))?;
    let code = match answer.code {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    match code {
        Some(SUCCESS) if status.is_success() => {
            let phone = phone_text(answer.phone.as_ref()).ok_or_else(|| unavailable("8000 without a phone".into()))?;
            decrypt_phone(key, &phone).map_err(unavailable)
        }
        Some(code) if code != SUCCESS && !is_about_our_call(code) => Err(OneClickError::Rejected {
            provider: PROVIDER,
            detail: code.to_string(),
        }),
        _ => Err(unavailable(format!("refused our call: code {code:?} (HTTP {status})"))),
    }
}

/// Codes of the JVerify code table that judge our call or account.
fn is_about_our_call(code: i64) -> bool {
    // 9004 config not found, 9007 daily limit of the appKey, 9010 missing
    // auth, 9011 auth failed, 9013 method, 9015 media type, 9018 no balance,
    // 9031 service not opened, 9099 JiGuang's own fault.
    matches!(code, 9004 | 9007 | 9010 | 9011 | 9013 | 9015 | 9018 | 9031 | 9099)
}

/// Decrypts the base64 `phone` with PKCS#1 v1.5. A phone that does not
/// decrypt means the key pair at JiGuang is not ours: the operator's to fix.
///
/// The `rsa` crate's PKCS#1 v1.5 decryption is not constant-time
/// (RUSTSEC-2023-0071, Marvin). That needs an attacker who can submit chosen
/// ciphertexts and time us; ours come only from JiGuang's answer over TLS, to
/// our authenticated call, never from a client.
pub fn decrypt_phone(key: &RsaPrivateKey, phone: &str) -> Result<String, String> {
    let sealed = STANDARD
        .decode(phone.trim())
        .map_err(|_| "the phone is not base64".to_string())?;
    let plain = key.decrypt(Pkcs1v15Encrypt, &sealed).map_err(|_| {
        "the phone does not decrypt: is ZHANGHAO_JIGUANG_PRIVATE_KEY the pair of the key at JiGuang?".to_string()
    })?;
    let text = String::from_utf8(plain).map_err(|_| "the decrypted phone is not text".to_string())?;
    Ok(text.trim().to_string())
}

/// Reads `ZHANGHAO_JIGUANG_PRIVATE_KEY`: PEM, PKCS#1 (`BEGIN RSA PRIVATE
/// KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`), with real or `\n`-escaped line
/// breaks (one-line environment variables); or the bare base64 DER that
/// JiGuang's samples use.
pub fn parse_private_key(text: &str) -> Result<RsaPrivateKey, String> {
    let text = text.trim().replace("\\n", "\n");
    let refused = "ZHANGHAO_JIGUANG_PRIVATE_KEY is not an RSA private key (PEM, PKCS#1 or PKCS#8)".to_string();
    if text.starts_with("-----BEGIN") {
        return RsaPrivateKey::from_pkcs1_pem(&text)
            .or_else(|_| RsaPrivateKey::from_pkcs8_pem(&text))
            .map_err(|_| refused);
    }
    let compact: String = text.split_whitespace().collect();
    let der = STANDARD.decode(compact).map_err(|_| refused.clone())?;
    RsaPrivateKey::from_pkcs8_der(&der)
        .or_else(|_| RsaPrivateKey::from_pkcs1_der(&der))
        .map_err(|_| refused)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
