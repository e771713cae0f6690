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

mod words;
use words::{field_name, input_message};

mod legacy;
pub use legacy::{DiscuzError, ShopxoAccount, ShopxoError};
