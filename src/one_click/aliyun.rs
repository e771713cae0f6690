//! Aliyun 号码认证 (Phone Number Verification Service, product Dypnsapi,
//! version 2017-05-25): RPC-style POSTs signed by [`crate::crypto::aliyun_rpc`]
//! with the AccessKey the SMS sender uses.
//!
//! Per Aliyun's API pages (help.aliyun.com/zh/pnvs/developer-reference/
//! api-dypnsapi-2017-05-25-getmobile and …-getphonewithtoken):
//! - `GetMobile` takes `AccessToken`, the app SDK's login token, and answers
//!   `{"Code":"OK","GetMobileResultDTO":{"Mobile":"139…"}}`;
//! - `GetPhoneWithToken` takes `SpToken`, the H5 JS SDK's token, and answers
//!   `{"Code":"OK","Data":{"Mobile":"139…"}}` (an example shows the number
//!   unquoted, so both forms are read).
//!
//! Tokens are single use and live 2 (China Mobile) to 30 (China Unicom)
//! minutes. Any other `Code` is a refusal; the "API返回码" page
//! (help.aliyun.com/document_detail/85198) names `isv.TOKEN_INVALID` for a
//! token that expired. Codes about our own call (signature, AccessKey, RAM
//! permission, product not opened, arrears, throttling, Aliyun's own faults)
//! are no verdict on the token, so they are `Unavailable`.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{CarrierToken, Http, OneClickError, OneClickProvider, phone_text};
use crate::crypto::aliyun_rpc::{RpcSigner, signed_form};

/// Public Dypnsapi endpoint.
pub const ALIYUN_PNVS_DEFAULT_ENDPOINT: &str = "https://dypnsapi.aliyuncs.com";

const VERSION: &str = "2017-05-25";

/// Settings for [`AliyunPnvs`].
#[derive(Clone)]
pub struct AliyunPnvsConfig {
    /// RAM AccessKey ID (needs `dypns:GetMobile` / `dypns:GetPhoneWithToken`).
    pub access_key_id: String,
    pub access_key_secret: SecretString,
    /// API endpoint; settable so tests can point at loopback.
    pub endpoint: String,
}

// Hand-written so the secret stays out of `{config:?}`.
impl fmt::Debug for AliyunPnvsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AliyunPnvsConfig")
            .field("access_key_id", &self.access_key_id)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// Asks Aliyun for the mobile behind an app or H5 one-click token.
#[derive(Debug)]
pub struct AliyunPnvs {
    http: Http,
    endpoint: reqwest::Url,
    config: AliyunPnvsConfig,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "Code")]
    code: Option<String>,
    #[serde(rename = "GetMobileResultDTO")]
    get_mobile: Option<serde_json::Value>,
    #[serde(rename = "Data")]
    data: Option<serde_json::Value>,
}

impl AliyunPnvs {
    /// Validates the endpoint and builds the HTTP client once, at start-up.
    pub fn new(config: AliyunPnvsConfig, timeout: Duration) -> Result<Self, String> {
        let endpoint = reqwest::Url::parse(&config.endpoint)
            .map_err(|_| "ZHANGHAO_ALIYUN_PNVS_ENDPOINT is not a valid URL".to_string())?;
        Ok(AliyunPnvs {
            http: Http::new(timeout)?,
            endpoint,
            config,
        })
    }

    /// `GetMobile` (ALIYUN) or `GetPhoneWithToken` (ALIYUN_H5) for `token`.
    pub(super) async fn mobile(
        &self,
        provider: OneClickProvider,
        token: &CarrierToken,
    ) -> Result<String, OneClickError> {
        let (action, parameter) = match provider {
            OneClickProvider::AliyunH5 => ("GetPhoneWithToken", "SpToken"),
            _ => ("GetMobile", "AccessToken"),
        };
        let timestamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let nonce = uuid::Uuid::new_v4().to_string();
        let signer = RpcSigner {
            access_key_id: &self.config.access_key_id,
            access_key_secret: self.config.access_key_secret.expose_secret(),
            timestamp: &timestamp,
            nonce: &nonce,
        };
        let body = signed_form(&signer, action, VERSION, &[(parameter, token.expose())]);
        let request = self
            .http
            .client
            .post(self.endpoint.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        let (status, text) = self.http.send(provider, request).await?;
        judge(provider, status, &text)
    }
}

/// Reads Aliyun's answer to `provider`'s action.
fn judge(provider: OneClickProvider, status: reqwest::StatusCode, text: &str) -> Result<String, OneClickError> {
    let unavailable = |detail: String| OneClickError::Unavailable { provider, detail };
    let answer: Answer =
        serde_json::from_str(text).map_err(|_| unavailable(format!("unreadable answer (HTTP {status})")))?;
    let code = answer.code.unwrap_or_default();
    if code == "OK" {
        if !status.is_success() {
            return Err(unavailable(format!("answered OK with HTTP {status}")));
        }
        let result = match provider {
            OneClickProvider::AliyunH5 => answer.data,
            _ => answer.get_mobile,
        };
        let mobile = result.as_ref().and_then(|r| phone_text(r.get("Mobile")));
        return mobile.ok_or_else(|| unavailable("answered OK without a mobile".into()));
    }
    if code.is_empty() || is_about_our_call(&code) {
        return Err(unavailable(format!("refused our call: {code:?} (HTTP {status})")));
    }
    Err(OneClickError::Rejected { provider, detail: code })
}

/// Codes that judge our request or account, not the token: Aliyun's common
/// RPC errors, the PNVS account errors of "API返回码", and `isp.*` (Aliyun's
/// own side, by its naming convention).
fn is_about_our_call(code: &str) -> bool {
    const EXACT: &[&str] = &[
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "SignatureNonceUsed",
        "MissingAccessKeyId",
        "InternalError",
        "ServiceUnavailable",
        "UnknowError",
        "UnknownError",
        "isv.RAM_PERMISSION_DENY",
        "isv.PRODUCT_UNSUBSCRIBE",
        "isv.PRODUCT_UN_SUBSCRIPT",
        "isv.OUT_OF_SERVICE",
        "RamPermissionDeny",
        "Unsupported.Account",
    ];
    const PREFIXES: &[&str] = &[
        "InvalidAccessKeyId",
        "InvalidTimeStamp",
        "Forbidden",
        "Throttling",
        "isp.",
    ];
    EXACT.contains(&code) || PREFIXES.iter().any(|prefix| code.starts_with(prefix))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const OK: reqwest::StatusCode = reqwest::StatusCode::OK;
    const APP: OneClickProvider = OneClickProvider::Aliyun;
    const H5: OneClickProvider = OneClickProvider::AliyunH5;

    #[test]
    fn each_action_reads_its_own_result() {
        let app = r#"{"Code":"OK","Message":"请求成功","RequestId":"8906582E-6722","GetMobileResultDTO":{"Mobile":"13900001234"}}"#;
        assert_eq!(judge(APP, OK, app).unwrap(), "13900001234");
        let h5 = r#"{"Code":"OK","Message":"请求成功","RequestId":"0F335F48","Data":{"Mobile":13900001234}}"#;
        assert_eq!(judge(H5, OK, h5).unwrap(), "13900001234");
        // An OK without the action's own result is no mobile.
        assert!(matches!(judge(APP, OK, h5), Err(OneClickError::Unavailable { .. })));
        assert!(matches!(
            judge(H5, OK, r#"{"Code":"OK","Data":{}}"#),
            Err(OneClickError::Unavailable { .. })
        ));
    }

    #[test]
    fn a_refused_token_is_rejected() {
        for code in [
            "isv.TOKEN_INVALID",
            "isv.INVALID_PARAMETERS",
            "isv.TOKEN_UNAUTHORIZED_USED",
        ] {
            let text = format!(r#"{{"Code":"{code}","Message":"令牌无效","RequestId":"r"}}"#);
            match judge(APP, OK, &text) {
                Err(OneClickError::Rejected { detail, .. }) => assert_eq!(detail, code),
                other => panic!("{code}: {other:?}"),
            }
        }
    }

    #[test]
    fn faults_of_our_call_are_no_verdict() {
        let bad = reqwest::StatusCode::BAD_REQUEST;
        for code in [
            "SignatureDoesNotMatch",
            "InvalidAccessKeyId.NotFound",
            "isv.PRODUCT_UNSUBSCRIBE",
            "isv.OUT_OF_SERVICE",
            "Throttling.User",
            "isp.SYSTEM_ERROR",
        ] {
            let text = format!(r#"{{"Code":"{code}","Message":"x"}}"#);
            assert!(
                matches!(judge(APP, bad, &text), Err(OneClickError::Unavailable { .. })),
                "{code}"
            );
        }
        assert!(matches!(
            judge(APP, OK, "<html>"),
            Err(OneClickError::Unavailable { .. })
        ));
        assert!(matches!(judge(APP, OK, "{}"), Err(OneClickError::Unavailable { .. })));
    }
}
