//! The error table: one row per kind of error with everything each front
//! door says about it — the GraphQL code, the messages in Chinese and
//! English, Discuz! Q's status, code and detail, ShopXO's code and words,
//! the chickenshop endpoint's words. A new kind without a full row does not
//! compile. Messages may hold `{retry_after}`, `{field}` (the field's name in
//! the message's language) and `{discuz_field}`.

use super::Field;

/// What a Discuz! Q `errors[]` entry carries besides status and code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscuzDetail {
    /// No `detail`.
    Nothing,
    /// Our Chinese message as the `detail`.
    Ours,
    /// A Laravel validation error on the error's own field, in these words.
    OnItsField(&'static str),
    /// A Laravel validation error on a fixed attribute, in these words.
    On(Field, &'static str),
    /// Worded per input problem (BAD_USER_INPUT).
    PerProblem,
}

/// What ShopXO says besides its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyWords {
    /// Our Chinese message.
    Ours,
    /// These words.
    Text(&'static str),
    /// Worded per field and problem (BAD_USER_INPUT, ACCOUNT_EXISTS).
    PerField,
}

/// Everything the front doors say about one kind of error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub graphql_code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub discuz_status: u16,
    pub discuz_code: &'static str,
    pub discuz_detail: DiscuzDetail,
    pub shopxo_code: i64,
    pub shopxo_words: LegacyWords,
    pub chickenshop_words: LegacyWords,
}

/// Declares [`ErrorKind`] and its rows.
macro_rules! error_table {
    ($(
        $(#[$doc:meta])*
        $kind:ident {
            graphql: $graphql:literal,
            zh: $zh:literal,
            en: $en:literal,
            discuz: ($status:literal, $discuz_code:literal, $detail:expr),
            shopxo: ($shopxo_code:literal, $shopxo_words:expr),
            chickenshop: $chickenshop:expr $(,)?
        }
    )*) => {
        /// The kind of an [`AppError`](super::AppError), without its data.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorKind {
            $( $(#[$doc])* $kind, )*
        }

        impl ErrorKind {
            /// Every kind, for tests that walk the table.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$kind),*];

            /// This kind's row.
            pub fn row(self) -> Row {
                match self {
                    $(ErrorKind::$kind => Row {
                        graphql_code: $graphql,
                        zh: $zh,
                        en: $en,
                        discuz_status: $status,
                        discuz_code: $discuz_code,
                        discuz_detail: $detail,
                        shopxo_code: $shopxo_code,
                        shopxo_words: $shopxo_words,
                        chickenshop_words: $chickenshop,
                    },)*
                }
            }
        }
    };
}

use DiscuzDetail::{Nothing, On, OnItsField, Ours as DiscuzOurs, PerProblem};
use LegacyWords::{Ours, PerField, Text};

error_table! {
    /// An input was missing or malformed: `field` and `reason` say which and how.
    BadUserInput {
        graphql: "BAD_USER_INPUT", zh: "{input}", en: "{input}",
        discuz: (422, "validation_error", PerProblem),
        shopxo: (-1, PerField),
        chickenshop: PerField,
    }
    CaptchaInvalid {
        graphql: "CAPTCHA_INVALID", zh: "图片验证码错误或已过期", en: "The captcha is wrong or expired",
        discuz: (422, "validation_error", On(Field::Captcha, "图片验证码 错误。")),
        shopxo: (-12, Text("验证码错误")),
        chickenshop: Ours,
    }
    /// No live captcha of that id: unknown, used or expired.
    CaptchaExpired {
        graphql: "CAPTCHA_INVALID", zh: "图片验证码已过期，请刷新后重试",
        en: "The captcha has expired or was used; get a new one",
        discuz: (422, "validation_error", On(Field::Captcha, "图片验证码 错误。")),
        shopxo: (-11, Text("验证码已过期")),
        chickenshop: Ours,
    }
    /// This send needs a solved captcha first (`ZHANGHAO_SEND_CAPTCHA`).
    CaptchaRequired {
        graphql: "CAPTCHA_REQUIRED", zh: "请先完成图形验证码",
        en: "Solve the captcha first (createCaptcha, then captchaId and captcha)",
        discuz: (422, "validation_error", On(Field::Captcha, "图片验证码 不能为空。")),
        shopxo: (-10, Text("图片验证码为空")),
        chickenshop: Ours,
    }
    /// A live code, another value.
    CodeInvalid {
        graphql: "CODE_INVALID", zh: "验证码错误或已过期", en: "The verification code is wrong or expired",
        discuz: (500, "sms_verify_error", Nothing),
        shopxo: (-11, Text("验证码错误")),
        chickenshop: Text("验证码错误"),
    }
    /// No live code: never sent, expired, or already used. Clients hear the
    /// same as for a wrong one; ShopXO's envelope alone tells them apart.
    CodeExpired {
        graphql: "CODE_INVALID", zh: "验证码错误或已过期", en: "The verification code is wrong or expired",
        discuz: (500, "sms_verify_error", Nothing),
        shopxo: (-10, Text("验证码已过期")),
        chickenshop: Text("验证码错误"),
    }
    /// The try that burned a code: waiting does not help, only a new code does.
    CodeBurned {
        graphql: "TOO_MANY_ATTEMPTS", zh: "验证码错误次数过多，已失效，请重新获取验证码",
        en: "Too many wrong codes: this code no longer works, request a new one",
        discuz: (500, "sms_verify_error", DiscuzOurs),
        shopxo: (-11, Ours),
        chickenshop: Ours,
    }
    TooManyAttempts {
        graphql: "TOO_MANY_ATTEMPTS", zh: "尝试次数过多，请 {retry_after} 秒后再试",
        en: "Too many failed attempts; try again in {retry_after} seconds",
        discuz: (500, "sms_verify_error", DiscuzOurs),
        shopxo: (-11, Ours),
        chickenshop: Ours,
    }
    RateLimited {
        graphql: "RATE_LIMITED", zh: "操作过于频繁，请 {retry_after} 秒后再试",
        en: "Too many requests; try again in {retry_after} seconds",
        discuz: (429, "too_many_requests", DiscuzOurs),
        shopxo: (-100, Text("发送失败[防止造成骚扰，请勿频繁发送]，请 {retry_after} 秒后再试")),
        chickenshop: Ours,
    }
    AccountExists {
        graphql: "ACCOUNT_EXISTS", zh: "{field}已存在", en: "This {field} is already registered",
        discuz: (422, "validation_error", OnItsField("{discuz_field} 已经存在。")),
        shopxo: (-10, PerField),
        chickenshop: Ours,
    }
    NoBindUser {
        graphql: "NO_BIND_USER", zh: "尚未绑定账号，请登录或注册后绑定",
        en: "No account is bound yet: sign in or register to bind it",
        discuz: (400, "no_bind_user", Nothing),
        shopxo: (-1, Ours),
        chickenshop: Ours,
    }
    InvalidCredentials {
        graphql: "INVALID_CREDENTIALS", zh: "账号或密码错误", en: "Wrong account or password",
        discuz: (403, "login_failed", DiscuzOurs),
        shopxo: (-1, Ours),
        chickenshop: Ours,
    }
    Unauthenticated {
        graphql: "UNAUTHENTICATED", zh: "请先登录", en: "Sign in first",
        discuz: (401, "access_denied", Nothing),
        shopxo: (-400, Text("登录失效，请重新登录")),
        chickenshop: Ours,
    }
    Forbidden {
        graphql: "FORBIDDEN", zh: "没有权限", en: "You may not do this",
        discuz: (401, "permission_denied", DiscuzOurs),
        shopxo: (-1, Ours),
        chickenshop: Ours,
    }
    /// The Discuz paths look users up by mobile only: its "手机号 不存在。".
    NotFound {
        graphql: "NOT_FOUND", zh: "不存在", en: "Not found",
        discuz: (422, "validation_error", On(Field::Mobile, "手机号 不存在。")),
        shopxo: (-1, Ours),
        chickenshop: Ours,
    }
    AlreadyBound {
        graphql: "ALREADY_BOUND", zh: "该账号已被绑定", en: "This identity is already bound",
        discuz: (500, "mobile_is_already_bind", DiscuzOurs),
        shopxo: (-1, Ours),
        chickenshop: Ours,
    }
    AccountDisabled {
        graphql: "ACCOUNT_DISABLED", zh: "账号已被禁用", en: "This account is disabled",
        discuz: (401, "ban_user", DiscuzOurs),
        shopxo: (-1, Ours),
        chickenshop: Ours,
    }
    RegistrationClosed {
        graphql: "REGISTRATION_CLOSED", zh: "暂时关闭用户注册", en: "Registration is closed",
        discuz: (401, "register_close", DiscuzOurs),
        shopxo: (-1, Ours),
        chickenshop: Ours,
    }
    /// A provider or the database is unreachable; the detail is logged only.
    ServiceUnavailable {
        graphql: "SERVICE_UNAVAILABLE", zh: "服务暂不可用，请稍后再试",
        en: "Service temporarily unavailable; try again later",
        discuz: (503, "service_unavailable", DiscuzOurs),
        shopxo: (-100, Ours),
        chickenshop: Ours,
    }
    /// The global SMS budget (`ZHANGHAO_SMS_BUDGET_HOURLY` / `_DAILY`) is spent.
    SmsBudgetSpent {
        graphql: "SERVICE_UNAVAILABLE", zh: "短信发送繁忙，请 {retry_after} 秒后再试",
        en: "SMS sending is paused for now; try again in {retry_after} seconds",
        discuz: (503, "service_unavailable", DiscuzOurs),
        shopxo: (-100, Ours),
        chickenshop: Ours,
    }
    /// A bug or an unexpected state; the detail is logged only.
    Internal {
        graphql: "INTERNAL", zh: "服务器内部错误", en: "Internal error",
        discuz: (500, "internal_server_error", DiscuzOurs),
        shopxo: (-100, Ours),
        chickenshop: Ours,
    }
}
