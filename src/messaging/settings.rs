//! The provider settings, as CLI flags and environment variables. Only the
//! chosen provider's settings are required; start-up says which are missing.

use clap::Args;

/// Flags of the message providers.
#[derive(Args, Clone, Debug, Default)]
#[command(next_help_heading = "Messaging")]
pub struct MessagingSettings {
    /// Webhook URL the `webhook` provider POSTs messages to.
    #[arg(long, env = "ZHANGHAO_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// HMAC-SHA256 key of the webhook's `X-Zhanghao-Signature`.
    #[arg(long, env = "ZHANGHAO_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// Aliyun AccessKey ID.
    #[arg(long, env = "ZHANGHAO_ALIYUN_ACCESS_KEY_ID")]
    pub aliyun_access_key_id: Option<String>,
    /// Aliyun AccessKey secret.
    #[arg(long, env = "ZHANGHAO_ALIYUN_ACCESS_KEY_SECRET", hide_env_values = true)]
    pub aliyun_access_key_secret: Option<String>,
    /// Aliyun SMS signature (签名).
    #[arg(long, env = "ZHANGHAO_ALIYUN_SIGN_NAME")]
    pub aliyun_sign_name: Option<String>,
    /// Aliyun SMS template code (takes `${code}`).
    #[arg(long, env = "ZHANGHAO_ALIYUN_TEMPLATE_CODE")]
    pub aliyun_template_code: Option<String>,
    /// Aliyun notice template code (takes `${event}`, a few words on what
    /// happened); without it security notices skip SMS.
    #[arg(long, env = "ZHANGHAO_ALIYUN_NOTICE_TEMPLATE_CODE")]
    pub aliyun_notice_template_code: Option<String>,
    /// Aliyun endpoint.
    #[arg(
        long,
        env = "ZHANGHAO_ALIYUN_ENDPOINT",
        default_value = "https://dysmsapi.aliyuncs.com/"
    )]
    pub aliyun_endpoint: String,
    /// Tencent Cloud SecretId.
    #[arg(long, env = "ZHANGHAO_TENCENT_SECRET_ID")]
    pub tencent_secret_id: Option<String>,
    /// Tencent Cloud SecretKey.
    #[arg(long, env = "ZHANGHAO_TENCENT_SECRET_KEY", hide_env_values = true)]
    pub tencent_secret_key: Option<String>,
    /// Tencent SmsSdkAppId.
    #[arg(long, env = "ZHANGHAO_TENCENT_SDK_APP_ID")]
    pub tencent_sdk_app_id: Option<String>,
    /// Tencent SMS signature (签名).
    #[arg(long, env = "ZHANGHAO_TENCENT_SIGN_NAME")]
    pub tencent_sign_name: Option<String>,
    /// Tencent SMS template id (first parameter is the code).
    #[arg(long, env = "ZHANGHAO_TENCENT_TEMPLATE_ID")]
    pub tencent_template_id: Option<String>,
    /// Tencent notice template id (its one parameter says what happened);
    /// without it security notices skip SMS.
    #[arg(long, env = "ZHANGHAO_TENCENT_NOTICE_TEMPLATE_ID")]
    pub tencent_notice_template_id: Option<String>,
    /// Tencent Cloud region.
    #[arg(long, env = "ZHANGHAO_TENCENT_REGION", default_value = "ap-guangzhou")]
    pub tencent_region: String,
    /// Tencent endpoint.
    #[arg(
        long,
        env = "ZHANGHAO_TENCENT_ENDPOINT",
        default_value = "https://sms.tencentcloudapi.com"
    )]
    pub tencent_endpoint: String,
    /// Whole-call timeout of every SMS, email and captcha provider, seconds,
    /// so a provider that hangs costs a request this long at most.
    #[arg(long, env = "ZHANGHAO_PROVIDER_TIMEOUT", default_value_t = 5)]
    pub provider_timeout: u64,
    /// SMTP relay host.
    #[arg(long, env = "ZHANGHAO_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP relay port.
    #[arg(long, env = "ZHANGHAO_SMTP_PORT", default_value_t = 465)]
    pub smtp_port: u16,
    /// SMTP connection security: tls, starttls or plain.
    #[arg(long, env = "ZHANGHAO_SMTP_MODE", default_value = "tls")]
    pub smtp_mode: String,
    /// SMTP login name.
    #[arg(long, env = "ZHANGHAO_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// SMTP login password.
    #[arg(long, env = "ZHANGHAO_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// Sender mailbox, e.g. `账号服务 <no-reply@example.cn>`.
    #[arg(long, env = "ZHANGHAO_SMTP_FROM")]
    pub smtp_from: Option<String>,
}

impl MessagingSettings {
    /// The provider timeout, at least one second.
    pub fn provider_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.provider_timeout.max(1))
    }
}
