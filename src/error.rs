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
    CodeInvalid,
    TooManyAttempts {
        retry_after: u64,
    },
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
            AppError::CaptchaInvalid => "CAPTCHA_INVALID",
            AppError::CodeInvalid => "CODE_INVALID",
            AppError::TooManyAttempts { .. } => "TOO_MANY_ATTEMPTS",
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
            AppError::ServiceUnavailable(_) => "SERVICE_UNAVAILABLE",
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
            AppError::CodeInvalid => {
                if en {
                    "The verification code is wrong or expired"
                } else {
                    "验证码错误或已过期"
                }
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
                    "No account uses this mobile yet"
                } else {
                    "该手机号尚未绑定账号"
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
            AppError::TooManyAttempts { retry_after } | AppError::RateLimited { retry_after } => Some(*retry_after),
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
        match err {
            sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_) => {
                AppError::ServiceUnavailable(format!("database: {err}"))
            }
            other => AppError::Internal(format!("database: {other}")),
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
        (Lang::Zh, InputProblem::NeedsVerify) => "请验证旧的手机号".to_string(),
        (Lang::Zh, InputProblem::LastSignInMethod) => "这是唯一的登录方式，请先设置密码或绑定手机号".to_string(),
        (Lang::Zh, InputProblem::ExpiredOrUsed) => format!("{name}已失效"),
    }
}
