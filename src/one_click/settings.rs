//! The one-click settings, as CLI flags and environment variables, and their
//! one conversion into [`OneClickConfig`]. ALIYUN and ALIYUN_H5 are offered
//! when the Aliyun AccessKey pair is set (the one the SMS sender uses);
//! JIGUANG when its app key, master secret and private key are. A provider not
//! offered answers FORBIDDEN; half a JiGuang setup is a start-up error.

use clap::Args;
use secrecy::SecretString;

use super::aliyun::ALIYUN_PNVS_DEFAULT_ENDPOINT;
use super::jiguang::{JIGUANG_DEFAULT_API_BASE, parse_private_key};
use super::{AliyunPnvsConfig, JVerifyConfig, OneClickConfig};
use crate::messaging::MessagingSettings;

/// Flags of the one-click providers.
#[derive(Args, Clone, Default)]
#[command(next_help_heading = "One-click sign-in")]
pub struct OneClickSettings {
    /// Aliyun 号码认证 (Dypnsapi) endpoint, for ALIYUN and ALIYUN_H5 (signed with
    /// ZHANGHAO_ALIYUN_ACCESS_KEY_ID / _SECRET).
    #[arg(long, env = "ZHANGHAO_ALIYUN_PNVS_ENDPOINT", default_value = ALIYUN_PNVS_DEFAULT_ENDPOINT)]
    pub aliyun_pnvs_endpoint: String,
    /// JiGuang (极光) AppKey, for JIGUANG.
    #[arg(long, env = "ZHANGHAO_JIGUANG_APP_KEY")]
    pub jiguang_app_key: Option<String>,
    /// JiGuang Master Secret.
    #[arg(long, env = "ZHANGHAO_JIGUANG_MASTER_SECRET", hide_env_values = true)]
    pub jiguang_master_secret: Option<String>,
    /// The RSA private key (PEM, PKCS#1 or PKCS#8; `\n` escapes accepted) whose
    /// public key is set in JiGuang's console: JiGuang encrypts the phone with it.
    #[arg(
        long,
        env = "ZHANGHAO_JIGUANG_PRIVATE_KEY",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub jiguang_private_key: Option<String>,
    /// JiGuang JVerify API base URL.
    #[arg(long, env = "ZHANGHAO_JIGUANG_API_BASE", default_value = JIGUANG_DEFAULT_API_BASE)]
    pub jiguang_api_base: String,
}

// Hand-written so the secrets never reach a log through `{config:?}`.
impl std::fmt::Debug for OneClickSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = |s: &Option<String>| if present(s).is_some() { "<redacted>" } else { "" };
        f.debug_struct("OneClickSettings")
            .field("aliyun_pnvs_endpoint", &self.aliyun_pnvs_endpoint)
            .field("jiguang_app_key", &self.jiguang_app_key)
            .field("jiguang_master_secret", &secret(&self.jiguang_master_secret))
            .field("jiguang_private_key", &secret(&self.jiguang_private_key))
            .field("jiguang_api_base", &self.jiguang_api_base)
            .finish()
    }
}

impl OneClickSettings {
    /// The providers' configuration; the error names the variable to fix.
    pub fn one_click_config(&self, cloud: &MessagingSettings) -> Result<OneClickConfig, String> {
        let aliyun = match (
            present(&cloud.aliyun_access_key_id),
            present(&cloud.aliyun_access_key_secret),
        ) {
            (Some(id), Some(secret)) => Some(AliyunPnvsConfig {
                access_key_id: id.to_string(),
                access_key_secret: SecretString::from(secret.to_string()),
                endpoint: url(&self.aliyun_pnvs_endpoint, "ZHANGHAO_ALIYUN_PNVS_ENDPOINT")?,
            }),
            _ => None,
        };
        let jiguang = match (
            present(&self.jiguang_app_key),
            present(&self.jiguang_master_secret),
            present(&self.jiguang_private_key),
        ) {
            (None, None, None) => None,
            (Some(app_key), Some(master_secret), Some(private_key)) => Some(JVerifyConfig {
                app_key: app_key.to_string(),
                master_secret: SecretString::from(master_secret.to_string()),
                private_key: parse_private_key(private_key)?,
                api_base: url(&self.jiguang_api_base, "ZHANGHAO_JIGUANG_API_BASE")?,
            }),
            _ => {
                return Err("ZHANGHAO_JIGUANG_APP_KEY, ZHANGHAO_JIGUANG_MASTER_SECRET and \
                            ZHANGHAO_JIGUANG_PRIVATE_KEY must be set together"
                    .to_string());
            }
        };
        Ok(OneClickConfig { aliyun, jiguang })
    }
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn url(raw: &str, variable: &str) -> Result<String, String> {
    let url = raw.trim();
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(url.to_string())
    } else {
        Err(format!("{variable} must be an http(s) URL, not {raw:?}"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        one_click: OneClickSettings,
        #[command(flatten)]
        messaging: MessagingSettings,
    }

    fn config(args: &[&str]) -> Result<OneClickConfig, String> {
        let mut argv = vec!["zhanghao"];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).unwrap();
        cli.one_click.one_click_config(&cli.messaging)
    }

    #[test]
    fn nothing_is_offered_by_default() {
        let config = config(&[]).unwrap();
        assert!(config.aliyun.is_none() && config.jiguang.is_none());
    }

    #[test]
    fn aliyun_is_offered_with_the_access_key() {
        let args = ["--aliyun-access-key-id", "LTAI", "--aliyun-access-key-secret", "s3cr3t"];
        let aliyun = config(&args).unwrap().aliyun.unwrap();
        assert_eq!(aliyun.endpoint, "https://dypnsapi.aliyuncs.com");
        assert!(!format!("{aliyun:?}").contains("s3cr3t"));
        let err = config(&[&args[..], &["--aliyun-pnvs-endpoint", "dypnsapi.aliyuncs.com"]].concat()).unwrap_err();
        assert!(err.contains("ZHANGHAO_ALIYUN_PNVS_ENDPOINT"), "{err}");
    }

    #[test]
    fn half_a_jiguang_setup_and_a_bad_key_are_refused() {
        let err = config(&["--jiguang-app-key", "k", "--jiguang-master-secret", "m"]).unwrap_err();
        assert!(err.contains("ZHANGHAO_JIGUANG_PRIVATE_KEY"), "{err}");
        let args = [
            "--jiguang-app-key",
            "k",
            "--jiguang-master-secret",
            "m",
            "--jiguang-private-key",
            "x",
        ];
        let err = config(&args).unwrap_err();
        assert!(err.contains("ZHANGHAO_JIGUANG_PRIVATE_KEY"), "{err}");
    }
}
