//! Legacy REST spellings (DESIGN §3): how ShopXO, Discuz! Q and the
//! chickenshop endpoint word each error. The legacy clients are Chinese apps,
//! so these are always in Chinese.

use super::{AppError, InputProblem, Lang};

/// What a ShopXO request's `accounts` names (its `type`): ShopXO words the
/// same refusal differently for a username, a mobile and an email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopxoAccount {
    Username,
    Sms,
    Email,
}

/// A refusal in ShopXO's `{"msg","code"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopxoError {
    pub code: i64,
    pub msg: String,
}

/// A refusal as one Discuz! Q `errors[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscuzError {
    pub status: u16,
    pub code: &'static str,
    /// Laravel validation text (`手机号 不能为空。`) or a plain explanation.
    pub detail: Option<String>,
    /// `/data/attributes/<name>` for validation errors.
    pub pointer: Option<String>,
}

impl AppError {
    /// ShopXO's code and words (gongfuxiang/shopxo `UserService::Reg` and
    /// `RegVerifySend`). `code_was_live` tells 验证码已过期 (no live code)
    /// from 验证码错误 (a live code, another value) for CODE_INVALID.
    pub fn shopxo(&self, account: ShopxoAccount, code_was_live: bool) -> ShopxoError {
        let e = |code: i64, msg: &str| ShopxoError {
            code,
            msg: msg.to_string(),
        };
        let ours = |code: i64| ShopxoError {
            code,
            msg: self.message(Lang::Zh),
        };
        match self {
            AppError::BadUserInput { field, reason } => match (*field, reason, account) {
                ("account" | "mobile" | "email", InputProblem::Missing, _) => e(-1, "账号不能为空"),
                ("account" | "mobile", InputProblem::Malformed, ShopxoAccount::Sms)
                | ("mobile", InputProblem::Malformed, _)
                // ShopXO's own mobile regex admits mainland mobiles only.
                | ("account" | "mobile", InputProblem::NoSms, _) => e(-2, "手机号码格式错误"),
                ("account" | "email", InputProblem::Malformed, ShopxoAccount::Email)
                | ("email", InputProblem::Malformed, _) => e(-2, "电子邮箱格式错误"),
                ("account", InputProblem::Malformed, ShopxoAccount::Username) => {
                    e(-2, "用户名格式由 字母数字下划线 2~18 个字符")
                }
                ("password", InputProblem::Missing, _) => e(-1, "密码不能为空"),
                ("verify", InputProblem::Missing, ShopxoAccount::Username) => e(-10, "图片验证码为空"),
                ("verify", InputProblem::Missing, _) => e(-1, "验证码不能为空"),
                ("verify" | "code", InputProblem::Malformed, _) => e(-11, "验证码错误"),
                // No `uuid`: no captcha was ever drawn for this client.
                ("captchaId", _, _) => e(-11, "验证码已过期"),
                ("purpose", InputProblem::NotAllowed, _) => e(-2, "该类型不支持验证码发送"),
                _ => ours(-1),
            },
            // ShopXO's image-captcha codes: 已过期 -11, 错误 -12.
            AppError::CaptchaInvalid => e(-12, "验证码错误"),
            AppError::CaptchaExpired => e(-11, "验证码已过期"),
            AppError::CaptchaRequired => e(-10, "图片验证码为空"),
            AppError::CodeInvalid if code_was_live => e(-11, "验证码错误"),
            AppError::CodeInvalid => e(-10, "验证码已过期"),
            AppError::TooManyAttempts { .. } | AppError::CodeBurned => ours(-11),
            AppError::RateLimited { retry_after } => ShopxoError {
                code: -100,
                msg: format!("发送失败[防止造成骚扰，请勿频繁发送]，请 {retry_after} 秒后再试"),
            },
            AppError::AccountExists { field: "mobile" } => e(-3, "手机号码已存在"),
            AppError::AccountExists { field: "email" } => e(-3, "电子邮箱已存在"),
            AppError::AccountExists { .. } => e(-10, "账号已存在"),
            AppError::Unauthenticated => e(-400, "登录失效，请重新登录"),
            AppError::ServiceUnavailable(_) | AppError::SmsBudgetSpent { .. } | AppError::Internal(_) => ours(-100),
            _ => ours(-1),
        }
    }

    /// Discuz! Q's status, code, and validation text (its zh-CN Laravel
    /// messages: `<属性> 不能为空。`). The Discuz paths look users up by
    /// mobile only, so NOT_FOUND is its "手机号 不存在。".
    pub fn discuz(&self) -> DiscuzError {
        let plain = |status: u16, code: &'static str| DiscuzError {
            status,
            code,
            detail: Some(self.message(Lang::Zh)),
            pointer: None,
        };
        let invalid = |field: &str, text: String| DiscuzError {
            status: 422,
            code: "validation_error",
            detail: Some(text),
            pointer: Some(format!("/data/attributes/{}", discuz_attribute(field).0)),
        };
        match self {
            AppError::BadUserInput { field, reason } => {
                let name = discuz_attribute(field).1;
                match reason {
                    InputProblem::Missing => invalid(field, format!("{name} 不能为空。")),
                    InputProblem::Malformed => invalid(field, format!("{name} 格式不正确。")),
                    InputProblem::TooShort(n) => invalid(field, format!("{name} 至少为 {n} 个字符。")),
                    InputProblem::TooLong(n) => invalid(field, format!("{name} 不能大于 {n} 个字符。")),
                    InputProblem::TooCommon => invalid(field, format!("{name} 过于常见，请换一个。")),
                    InputProblem::NotSixDigits => invalid(field, format!("{name} 必须是 6 位的数字。")),
                    // Laravel's `confirmed` rule reports on the original field.
                    InputProblem::Mismatch => invalid("payPassword", "支付密码 两次输入不一致。".to_string()),
                    InputProblem::SameAsBefore if *field == "mobile" => invalid(field, "请输入新的手机号。".into()),
                    InputProblem::SameAsBefore => DiscuzError {
                        status: 500,
                        code: "user_update_error",
                        detail: Some("新密码与原密码不能相同。".into()),
                        pointer: None,
                    },
                    InputProblem::NeedsVerify => invalid(field, "请验证旧的手机号。".into()),
                    InputProblem::ExpiredOrUsed => invalid(field, format!("{name} 已失效。")),
                    InputProblem::NotAllowed => invalid(field, format!("选定的 {name} 是无效的。")),
                    InputProblem::LastSignInMethod | InputProblem::NoSms => invalid(field, self.message(Lang::Zh)),
                }
            }
            AppError::AccountExists { field } => invalid(field, format!("{} 已经存在。", discuz_attribute(field).1)),
            AppError::NotFound => invalid("mobile", "手机号 不存在。".into()),
            AppError::CaptchaInvalid | AppError::CaptchaExpired => invalid("captcha", "图片验证码 错误。".into()),
            AppError::CaptchaRequired => invalid("captcha", "图片验证码 不能为空。".into()),
            AppError::CodeInvalid => DiscuzError {
                status: 500,
                code: "sms_verify_error",
                detail: None,
                pointer: None,
            },
            AppError::TooManyAttempts { .. } | AppError::CodeBurned => plain(500, "sms_verify_error"),
            AppError::RateLimited { .. } => plain(429, "too_many_requests"),
            AppError::NoBindUser { .. } => DiscuzError {
                status: 400,
                code: "no_bind_user",
                detail: None,
                pointer: None,
            },
            AppError::InvalidCredentials => plain(403, "login_failed"),
            AppError::Unauthenticated => DiscuzError {
                status: 401,
                code: "access_denied",
                detail: None,
                pointer: None,
            },
            AppError::Forbidden => plain(401, "permission_denied"),
            AppError::AlreadyBound => plain(500, "mobile_is_already_bind"),
            AppError::AccountDisabled => plain(401, "ban_user"),
            AppError::RegistrationClosed => plain(401, "register_close"),
            AppError::ServiceUnavailable(_) | AppError::SmsBudgetSpent { .. } => plain(503, "service_unavailable"),
            AppError::Internal(_) => plain(500, "internal_server_error"),
        }
    }

    /// The chickenshop endpoint's `msg` (its envelope has `status` 0 for
    /// every refusal): its own words where known, ours otherwise.
    pub fn chickenshop(&self) -> String {
        match self {
            AppError::CodeInvalid
            | AppError::BadUserInput {
                field: "code",
                reason: InputProblem::Malformed,
            } => "验证码错误".to_string(),
            AppError::BadUserInput { field: "platform", .. } => "绑定类型有误".to_string(),
            other => other.message(Lang::Zh),
        }
    }
}

/// A field's Discuz attribute: its wire name and its zh-CN display name.
fn discuz_attribute(field: &str) -> (&'static str, &'static str) {
    match field {
        "mobile" | "account" => ("mobile", "手机号"),
        "username" => ("username", "用户名"),
        "code" | "verify" => ("code", "验证码"),
        "purpose" => ("type", "类型"),
        "password" => ("password", "密码"),
        "payPassword" => ("pay_password", "支付密码"),
        "payPasswordConfirmation" => ("pay_password_confirmation", "确认支付密码"),
        "inviteCode" => ("inviteCode", "邀请码"),
        "bindToken" => ("token", "token"),
        "refreshToken" => ("refresh_token", "刷新令牌"),
        "captcha" | "captchaId" => ("captcha", "图片验证码"),
        _ => ("data", "参数"),
    }
}
