//! The captcha provider settings, as CLI flags and environment variables.
//! Only the chosen provider's credentials are required; start-up names the
//! missing one. The Tencent Cloud and Aliyun API keys are the ones the SMS
//! senders use (`ZHANGHAO_TENCENT_SECRET_ID`, `ZHANGHAO_ALIYUN_ACCESS_KEY_ID`, …).

use clap::{Args, ValueEnum};
use secrecy::SecretString;

use super::{AliyunCaptchaConfig, GeetestConfig, TencentCaptchaConfig};
use crate::messaging::MessagingSettings;

/// Which captcha a gated send must solve.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum CaptchaProviderKind {
    /// The built-in image captcha (`createCaptcha`).
    #[default]
    Image,
    Tencent,
    Aliyun,
    Geetest,
}

/// Flags of the captcha providers.
#[derive(Args, Clone, Debug, Default)]
#[command(next_help_heading = "Codes and limits")]
pub struct CaptchaSettings {
    /// The captcha a gated send must solve: image, tencent, aliyun or geetest.
    #[arg(long, env = "ZHANGHAO_CAPTCHA_PROVIDER", value_enum, default_value = "image")]
    pub captcha_provider: CaptchaProviderKind,
    /// Tencent captcha CaptchaAppId (signed with ZHANGHAO_TENCENT_SECRET_ID / _KEY).
    #[arg(long, env = "ZHANGHAO_TENCENT_CAPTCHA_APP_ID")]
    pub tencent_captcha_app_id: Option<String>,
    /// Tencent captcha AppSecretKey.
    #[arg(long, env = "ZHANGHAO_TENCENT_CAPTCHA_APP_SECRET_KEY", hide_env_values = true)]
    pub tencent_captcha_app_secret_key: Option<String>,
    /// Tencent captcha API endpoint.
    #[arg(
        long,
        env = "ZHANGHAO_TENCENT_CAPTCHA_ENDPOINT",
        default_value = super::tencent::TENCENT_CAPTCHA_DEFAULT_ENDPOINT
    )]
    pub tencent_captcha_endpoint: String,
    /// Aliyun captcha 2.0 SceneId (signed with ZHANGHAO_ALIYUN_ACCESS_KEY_ID / _SECRET).
    #[arg(long, env = "ZHANGHAO_ALIYUN_CAPTCHA_SCENE_ID")]
    pub aliyun_captcha_scene_id: Option<String>,
    /// Aliyun captcha 2.0 endpoint (`https://captcha.ap-southeast-1.aliyuncs.com/` outside the mainland).
    #[arg(
        long,
        env = "ZHANGHAO_ALIYUN_CAPTCHA_ENDPOINT",
        default_value = super::aliyun::ALIYUN_CAPTCHA_DEFAULT_ENDPOINT
    )]
    pub aliyun_captcha_endpoint: String,
    /// GeeTest v4 captcha_id.
    #[arg(long, env = "ZHANGHAO_GEETEST_CAPTCHA_ID")]
    pub geetest_captcha_id: Option<String>,
    /// GeeTest v4 captcha_key.
    #[arg(long, env = "ZHANGHAO_GEETEST_CAPTCHA_KEY", hide_env_values = true)]
    pub geetest_captcha_key: Option<String>,
    /// GeeTest v4 API server.
    #[arg(
        long,
        env = "ZHANGHAO_GEETEST_CAPTCHA_ENDPOINT",
        default_value = super::geetest::GEETEST_DEFAULT_ENDPOINT
    )]
    pub geetest_captcha_endpoint: String,
}

/// The chosen provider with its checked settings.
#[derive(Debug, Clone)]
pub enum ProviderChoice {
    Image,
    Tencent(TencentCaptchaConfig),
    Aliyun(AliyunCaptchaConfig),
    Geetest(GeetestConfig),
}

impl CaptchaSettings {
    /// The chosen provider's settings, or which variable is missing.
    pub fn provider_choice(&self, cloud: &MessagingSettings) -> Result<ProviderChoice, String> {
        Ok(match self.captcha_provider {
            CaptchaProviderKind::Image => ProviderChoice::Image,
            CaptchaProviderKind::Tencent => {
                let app_id = need(&self.tencent_captcha_app_id, "ZHANGHAO_TENCENT_CAPTCHA_APP_ID")?;
                let app_id = app_id
                    .trim()
                    .parse()
                    .map_err(|_| "ZHANGHAO_TENCENT_CAPTCHA_APP_ID must be the numeric CaptchaAppId".to_string())?;
                let mut config = TencentCaptchaConfig::new(
                    need(&cloud.tencent_secret_id, "ZHANGHAO_TENCENT_SECRET_ID")?,
                    secret(&cloud.tencent_secret_key, "ZHANGHAO_TENCENT_SECRET_KEY")?,
                    app_id,
                    secret(
                        &self.tencent_captcha_app_secret_key,
                        "ZHANGHAO_TENCENT_CAPTCHA_APP_SECRET_KEY",
                    )?,
                );
                config.endpoint = self.tencent_captcha_endpoint.clone();
                config.timeout = cloud.provider_timeout();
                ProviderChoice::Tencent(config)
            }
            CaptchaProviderKind::Aliyun => {
                let mut config = AliyunCaptchaConfig::new(
                    need(&cloud.aliyun_access_key_id, "ZHANGHAO_ALIYUN_ACCESS_KEY_ID")?,
                    secret(&cloud.aliyun_access_key_secret, "ZHANGHAO_ALIYUN_ACCESS_KEY_SECRET")?,
                    need(&self.aliyun_captcha_scene_id, "ZHANGHAO_ALIYUN_CAPTCHA_SCENE_ID")?,
                );
                config.endpoint = self.aliyun_captcha_endpoint.clone();
                config.timeout = cloud.provider_timeout();
                ProviderChoice::Aliyun(config)
            }
            CaptchaProviderKind::Geetest => {
                let mut config = GeetestConfig::new(
                    need(&self.geetest_captcha_id, "ZHANGHAO_GEETEST_CAPTCHA_ID")?,
                    secret(&self.geetest_captcha_key, "ZHANGHAO_GEETEST_CAPTCHA_KEY")?,
                );
                config.endpoint = self.geetest_captcha_endpoint.clone();
                config.timeout = cloud.provider_timeout();
                ProviderChoice::Geetest(config)
            }
        })
    }
}

fn need(value: &Option<String>, variable: &str) -> Result<String, String> {
    value
        .clone()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| format!("{variable} must be set for the chosen ZHANGHAO_CAPTCHA_PROVIDER"))
}

fn secret(value: &Option<String>, variable: &str) -> Result<SecretString, String> {
    need(value, variable).map(SecretString::from)
}
