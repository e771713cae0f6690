//! The one error table: every domain error, its GraphQL code, its messages,
//! and how each legacy REST system spells it.

use std::fmt;

/// The language of messages, from `Accept-Language`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// `en…` first in `Accept-Language` means English; anything else Chinese.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let first = header
            .and_then(|h| h.split(',').next())
            .map(|tag| tag.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if first.starts_with("en") { Lang::En } else { Lang::Zh }
    }
}

/// Which input a BAD_USER_INPUT or ACCOUNT_EXISTS is about.
pub type Field = &'static str;

/// Everything that can go wrong in an account operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    BadUserInput {
        field: Field,
        reason: InputProblem,
    },
    CaptchaInvalid,
    /// No live captcha of that id: unknown, used or expired.
    CaptchaExpired,
    /// This send needs a solved captcha first (`ZHANGHAO_SEND_CAPTCHA`).
    CaptchaRequired,
    CodeInvalid,
    TooManyAttempts {
        retry_after: u64,
    },
    /// The try that burned a code (the last allowed wrong one): waiting does
    /// not help, only a new code does.
    CodeBurned,
    RateLimited {
        retry_after: u64,
    },
    AccountExists {
        field: Field,
    },
    NoBindUser {
        bind_token: String,
    },
    InvalidCredentials,
    Unauthenticated,
    Forbidden,
    NotFound,
    AlreadyBound,
    AccountDisabled,
    RegistrationClosed,
    /// A provider or the database is unreachable; the detail is logged only.
    ServiceUnavailable(String),
    /// The global SMS budget (`ZHANGHAO_SMS_BUDGET_HOURLY` / `_DAILY`) is spent.
    SmsBudgetSpent {
        retry_after: u64,
    },
    /// A bug or an unexpected state; the detail is logged only.
    Internal(String),
}

/// Why an input was refused, so each front door can word it its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputProblem {
    Missing,
    Malformed,
    TooShort(usize),
    TooLong(usize),
    TooCommon,
    Mismatch,
    NotSixDigits,
    SameAsBefore,
    NotAllowed,
    /// A valid number that may not receive SMS here: outside
    /// `ZHANGHAO_SMS_REGIONS`, or a landline, premium or shared-cost number.
    NoSms,
    ExpiredOrUsed,
    /// REBIND before VERIFY proved the current mobile.
    NeedsVerify,
    /// Unbinding would leave the account with no way to sign in.
    LastSignInMethod,
}

impl AppError {
    /// Shorthand for the most common refusal.
    pub fn bad(field: Field, reason: InputProblem) -> Self {
        AppError::BadUserInput { field, reason }
    }

    /// The `extensions.code` of GraphQL errors.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadUserInput { .. } => "BAD_USER_INPUT",
            AppError::CaptchaInvalid | AppError::CaptchaExpired => "CAPTCHA_INVALID",
            AppError::CaptchaRequired => "CAPTCHA_REQUIRED",
            AppError::CodeInvalid => "CODE_INVALID",
            AppError::TooManyAttempts { .. } | AppError::CodeBurned => "TOO_MANY_ATTEMPTS",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::AccountExists { .. } => "ACCOUNT_EXISTS",
            AppError::NoBindUser { .. } => "NO_BIND_USER",
            AppError::InvalidCredentials => "INVALID_CREDENTIALS",
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Forbidden => "FORBIDDEN",
            AppError::NotFound => "NOT_FOUND",
            AppError::AlreadyBound => "ALREADY_BOUND",
            AppError::AccountDisabled => "ACCOUNT_DISABLED",
            AppError::RegistrationClosed => "REGISTRATION_CLOSED",
            AppError::ServiceUnavailable(_) | AppError::SmsBudgetSpent { .. } => "SERVICE_UNAVAILABLE",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    /// The client-facing message; never includes internal causes.
    pub fn message(&self, lang: Lang) -> String {
        let en = lang == Lang::En;
        let text = match self {
            AppError::BadUserInput { field, reason } => return input_message(field, *reason, lang),
            AppError::CaptchaInvalid => {
                if en {
                    "The captcha is wrong or expired"
                } else {
                    "图片验证码错误或已过期"
                }
            }
            AppError::CaptchaExpired => {
                if en {
                    "The captcha has expired or was used; get a new one"
                } else {
                    "图片验证码已过期，请刷新后重试"
                }
            }
            AppError::CaptchaRequired => {
                if en {
                    "Solve the captcha first (createCaptcha, then captchaId and captcha)"
                } else {
                    "请先完成图形验证码"
                }
            }
            AppError::CodeInvalid => {
                if en {
                    "The verification code is wrong or expired"
                } else {
                    "验证码错误或已过期"
                }
            }
            AppError::SmsBudgetSpent { retry_after } => {
                return if en {
                    format!("SMS sending is paused for now; try again in {retry_after} seconds")
                } else {
                    format!("短信发送繁忙，请 {retry_after} 秒后再试")
                };
            }
            AppError::CodeBurned => {
                return if en {
                    "Too many wrong codes: this code no longer works, request a new one".to_string()
                } else {
                    "验证码错误次数过多，已失效，请重新获取验证码".to_string()
                };
            }
            AppError::TooManyAttempts { retry_after } => {
                return if en {
                    format!("Too many failed attempts; try again in {retry_after} seconds")
                } else {
                    format!("尝试次数过多，请 {retry_after} 秒后再试")
                };
            }
            AppError::RateLimited { retry_after } => {
                return if en {
                    format!("Too many requests; try again in {retry_after} seconds")
                } else {
                    format!("操作过于频繁，请 {retry_after} 秒后再试")
                };
            }
            AppError::AccountExists { field } => {
                return if en {
                    format!("This {} is already registered", field_name(field, lang))
                } else {
                    format!("{}已存在", field_name(field, lang))
                };
            }
            AppError::NoBindUser { .. } => {
                if en {
                    "No account is bound yet: sign in or register to bind it"
                } else {
                    "尚未绑定账号，请登录或注册后绑定"
                }
            }
            AppError::InvalidCredentials => {
                if en {
                    "Wrong account or password"
                } else {
                    "账号或密码错误"
                }
            }
            AppError::Unauthenticated => {
                if en {
                    "Sign in first"
                } else {
                    "请先登录"
                }
            }
            AppError::Forbidden => {
                if en {
                    "You may not do this"
                } else {
                    "没有权限"
                }
            }
            AppError::NotFound => {
                if en {
                    "Not found"
                } else {
                    "不存在"
                }
            }
            AppError::AlreadyBound => {
                if en {
                    "This identity is already bound"
                } else {
                    "该账号已被绑定"
                }
            }
            AppError::AccountDisabled => {
                if en {
                    "This account is disabled"
                } else {
                    "账号已被禁用"
                }
            }
            AppError::RegistrationClosed => {
                if en {
                    "Registration is closed"
                } else {
                    "暂时关闭用户注册"
                }
            }
            AppError::ServiceUnavailable(_) => {
                if en {
                    "Service temporarily unavailable; try again later"
                } else {
                    "服务暂不可用，请稍后再试"
                }
            }
            AppError::Internal(_) => {
                if en {
                    "Internal error"
                } else {
                    "服务器内部错误"
                }
            }
        };
        text.to_string()
    }

    /// `field` of BAD_USER_INPUT and ACCOUNT_EXISTS, as the GraphQL input names it.
    pub fn field(&self) -> Option<Field> {
        match self {
            AppError::BadUserInput { field, .. } | AppError::AccountExists { field } => Some(field),
            _ => None,
        }
    }

    /// Seconds the client should wait, for the limit errors.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyAttempts { retry_after }
            | AppError::RateLimited { retry_after }
            | AppError::SmsBudgetSpent { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// Logs the hidden cause of server-side errors once, where they surface.
    pub fn log_if_server_side(&self) {
        match self {
            AppError::Internal(cause) => tracing::error!(%cause, "internal error"),
            AppError::ServiceUnavailable(cause) => tracing::warn!(%cause, "service unavailable"),
            _ => {}
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message(Lang::En))
    }
}

impl std::error::Error for AppError {}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        use sea_orm::sqlx::Error as Sqlx;
        use sea_orm::{DbErr, RuntimeErr};
        // A database that is down or unreachable, however the driver says so
        // (a lost connection mid-query included), is SERVICE_UNAVAILABLE:
        // the client may retry. Anything else is our bug: INTERNAL.
        let unavailable = match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
            DbErr::Exec(RuntimeErr::SqlxError(cause)) | DbErr::Query(RuntimeErr::SqlxError(cause)) => matches!(
                **cause,
                Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed | Sqlx::Tls(_)
            ),
            _ => false,
        };
        if unavailable {
            AppError::ServiceUnavailable(format!("database: {err}"))
        } else {
            AppError::Internal(format!("database: {err}"))
        }
    }
}

/// The input's name in messages.
fn field_name(field: &str, lang: Lang) -> &'static str {
    let en = lang == Lang::En;
    match field {
        "account" => {
            if en {
                "account"
            } else {
                "账号"
            }
        }
        "username" => {
            if en {
                "username"
            } else {
                "用户名"
            }
        }
        "mobile" => {
            if en {
                "mobile"
            } else {
                "手机号"
            }
        }
        "email" => {
            if en {
                "email"
            } else {
                "邮箱"
            }
        }
        "password" => {
            if en {
                "password"
            } else {
                "密码"
            }
        }
        "payPassword" => {
            if en {
                "pay password"
            } else {
                "支付密码"
            }
        }
        "payPasswordConfirmation" => {
            if en {
                "pay password confirmation"
            } else {
                "确认支付密码"
            }
        }
        "code" | "verify" => {
            if en {
                "verification code"
            } else {
                "验证码"
            }
        }
        "captchaId" => {
            if en {
                "captcha"
            } else {
                "图片验证码"
            }
        }
        "nickname" => {
            if en {
                "nickname"
            } else {
                "昵称"
            }
        }
        "refreshToken" => {
            if en {
                "refresh token"
            } else {
                "刷新令牌"
            }
        }
        "bindToken" => {
            if en {
                "bind token"
            } else {
                "绑定凭证"
            }
        }
        "openid" => "openid",
        "platform" => {
            if en {
                "platform"
            } else {
                "平台"
            }
        }
        "purpose" => {
            if en {
                "purpose"
            } else {
                "类型"
            }
        }
        "first" => {
            if en {
                "page size"
            } else {
                "分页大小"
            }
        }
        "after" => {
            if en {
                "cursor"
            } else {
                "游标"
            }
        }
        "id" => "ID",
        "inviteCode" => {
            if en {
                "invite code"
            } else {
                "邀请码"
            }
        }
        _ => {
            if en {
                "input"
            } else {
                "参数"
            }
        }
    }
}

fn input_message(field: &str, reason: InputProblem, lang: Lang) -> String {
    let name = field_name(field, lang);
    match (lang, reason) {
        (Lang::En, InputProblem::Missing) => format!("The {name} is required"),
        (Lang::En, InputProblem::Malformed) => format!("The {name} is malformed"),
        (Lang::En, InputProblem::TooShort(n)) => format!("The {name} must be at least {n} characters"),
        (Lang::En, InputProblem::TooLong(n)) => format!("The {name} must be at most {n} characters"),
        (Lang::En, InputProblem::TooCommon) => format!("The {name} is too common; choose another"),
        (Lang::En, InputProblem::Mismatch) => format!("The two {name}s differ"),
        (Lang::En, InputProblem::NotSixDigits) => format!("The {name} must be 6 digits"),
        (Lang::En, InputProblem::SameAsBefore) => format!("The new {name} must differ from the old one"),
        (Lang::En, InputProblem::NotAllowed) => format!("The {name} is not allowed here"),
        (Lang::En, InputProblem::NoSms) => format!("This {name} cannot receive SMS codes from this service"),
        (Lang::En, InputProblem::NeedsVerify) => "Verify the current mobile first".to_string(),
        (Lang::En, InputProblem::LastSignInMethod) => {
            "This is your only way to sign in; add a password or mobile first".to_string()
        }
        (Lang::En, InputProblem::ExpiredOrUsed) => format!("The {name} has expired or was already used"),
        (Lang::Zh, InputProblem::Missing) => format!("{name}不能为空"),
        (Lang::Zh, InputProblem::Malformed) => format!("{name}格式错误"),
        (Lang::Zh, InputProblem::TooShort(n)) => format!("{name}至少 {n} 个字符"),
        (Lang::Zh, InputProblem::TooLong(n)) => format!("{name}最多 {n} 个字符"),
        (Lang::Zh, InputProblem::TooCommon) => format!("{name}过于常见，请换一个"),
        (Lang::Zh, InputProblem::Mismatch) => format!("两次输入的{name}不一致"),
        (Lang::Zh, InputProblem::NotSixDigits) => format!("{name}必须是 6 位的数字"),
        (Lang::Zh, InputProblem::SameAsBefore) => format!("新{name}与原{name}不能相同"),
        (Lang::Zh, InputProblem::NotAllowed) => format!("此处不允许使用{name}"),
        (Lang::Zh, InputProblem::NoSms) => format!("该{name}无法接收本服务的短信验证码"),
        (Lang::Zh, InputProblem::NeedsVerify) => "请验证旧的手机号".to_string(),
        (Lang::Zh, InputProblem::LastSignInMethod) => "这是唯一的登录方式，请先设置密码或绑定手机号".to_string(),
        (Lang::Zh, InputProblem::ExpiredOrUsed) => format!("{name}已失效"),
    }
}

// ---------------------------------------------------------------------------
// Legacy REST spellings (DESIGN §3): how ShopXO, Discuz! Q and the
// chickenshop endpoint word each error. The legacy clients are Chinese apps,
// so these are always in Chinese.
// ---------------------------------------------------------------------------

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
