//! One row per kind of error: what every front door says about it.

use std::collections::HashSet;

use super::{AppError, DiscuzError, ErrorKind, Field, InputProblem, Lang, ShopxoAccount, ShopxoError};

/// An example of each kind, and what each front door must say about it.
struct Expected {
    error: AppError,
    graphql: &'static str,
    zh: &'static str,
    en: &'static str,
    discuz: (u16, &'static str, Option<&'static str>, Option<&'static str>),
    shopxo: (i64, &'static str),
    chickenshop: &'static str,
}

fn rows() -> Vec<Expected> {
    let row = |error, graphql, zh, en, discuz, shopxo, chickenshop| Expected {
        error,
        graphql,
        zh,
        en,
        discuz,
        shopxo,
        chickenshop,
    };
    let mobile_missing = AppError::bad(Field::Mobile, InputProblem::Missing);
    vec![
        row(
            mobile_missing,
            "BAD_USER_INPUT",
            "手机号不能为空",
            "The mobile is required",
            (
                422,
                "validation_error",
                Some("手机号 不能为空。"),
                Some("/data/attributes/mobile"),
            ),
            (-1, "账号不能为空"),
            "手机号不能为空",
        ),
        row(
            AppError::CaptchaInvalid,
            "CAPTCHA_INVALID",
            "图片验证码错误或已过期",
            "The captcha is wrong or expired",
            (
                422,
                "validation_error",
                Some("图片验证码 错误。"),
                Some("/data/attributes/captcha"),
            ),
            (-12, "验证码错误"),
            "图片验证码错误或已过期",
        ),
        row(
            AppError::CaptchaExpired,
            "CAPTCHA_INVALID",
            "图片验证码已过期，请刷新后重试",
            "The captcha has expired or was used; get a new one",
            (
                422,
                "validation_error",
                Some("图片验证码 错误。"),
                Some("/data/attributes/captcha"),
            ),
            (-11, "验证码已过期"),
            "图片验证码已过期，请刷新后重试",
        ),
        row(
            AppError::CaptchaRequired,
            "CAPTCHA_REQUIRED",
            "请先完成图形验证码",
            "Solve the captcha first (createCaptcha, then captchaId and captcha)",
            (
                422,
                "validation_error",
                Some("图片验证码 不能为空。"),
                Some("/data/attributes/captcha"),
            ),
            (-10, "图片验证码为空"),
            "请先完成图形验证码",
        ),
        row(
            AppError::CodeInvalid,
            "CODE_INVALID",
            "验证码错误或已过期",
            "The verification code is wrong or expired",
            (500, "sms_verify_error", None, None),
            (-11, "验证码错误"),
            "验证码错误",
        ),
        row(
            AppError::CodeExpired,
            "CODE_INVALID",
            "验证码错误或已过期",
            "The verification code is wrong or expired",
            (500, "sms_verify_error", None, None),
            (-10, "验证码已过期"),
            "验证码错误",
        ),
        row(
            AppError::TooManyAttempts { retry_after: 42 },
            "TOO_MANY_ATTEMPTS",
            "尝试次数过多，请 42 秒后再试",
            "Too many failed attempts; try again in 42 seconds",
            (500, "sms_verify_error", Some("尝试次数过多，请 42 秒后再试"), None),
            (-11, "尝试次数过多，请 42 秒后再试"),
            "尝试次数过多，请 42 秒后再试",
        ),
        row(
            AppError::CodeBurned,
            "TOO_MANY_ATTEMPTS",
            "验证码错误次数过多，已失效，请重新获取验证码",
            "Too many wrong codes: this code no longer works, request a new one",
            (
                500,
                "sms_verify_error",
                Some("验证码错误次数过多，已失效，请重新获取验证码"),
                None,
            ),
            (-11, "验证码错误次数过多，已失效，请重新获取验证码"),
            "验证码错误次数过多，已失效，请重新获取验证码",
        ),
        row(
            AppError::RateLimited { retry_after: 7 },
            "RATE_LIMITED",
            "操作过于频繁，请 7 秒后再试",
            "Too many requests; try again in 7 seconds",
            (429, "too_many_requests", Some("操作过于频繁，请 7 秒后再试"), None),
            (-100, "发送失败[防止造成骚扰，请勿频繁发送]，请 7 秒后再试"),
            "操作过于频繁，请 7 秒后再试",
        ),
        row(
            AppError::AccountExists { field: Field::Mobile },
            "ACCOUNT_EXISTS",
            "手机号已存在",
            "This mobile is already registered",
            (
                422,
                "validation_error",
                Some("手机号 已经存在。"),
                Some("/data/attributes/mobile"),
            ),
            (-3, "手机号码已存在"),
            "手机号已存在",
        ),
        row(
            AppError::NoBindUser { bind_token: "t".into() },
            "NO_BIND_USER",
            "尚未绑定账号，请登录或注册后绑定",
            "No account is bound yet: sign in or register to bind it",
            (400, "no_bind_user", None, None),
            (-1, "尚未绑定账号，请登录或注册后绑定"),
            "尚未绑定账号，请登录或注册后绑定",
        ),
        row(
            AppError::InvalidCredentials,
            "INVALID_CREDENTIALS",
            "账号或密码错误",
            "Wrong account or password",
            (403, "login_failed", Some("账号或密码错误"), None),
            (-1, "账号或密码错误"),
            "账号或密码错误",
        ),
        row(
            AppError::Unauthenticated,
            "UNAUTHENTICATED",
            "请先登录",
            "Sign in first",
            (401, "access_denied", None, None),
            (-400, "登录失效，请重新登录"),
            "请先登录",
        ),
        row(
            AppError::Forbidden,
            "FORBIDDEN",
            "没有权限",
            "You may not do this",
            (401, "permission_denied", Some("没有权限"), None),
            (-1, "没有权限"),
            "没有权限",
        ),
        row(
            AppError::NotFound,
            "NOT_FOUND",
            "不存在",
            "Not found",
            (
                422,
                "validation_error",
                Some("手机号 不存在。"),
                Some("/data/attributes/mobile"),
            ),
            (-1, "不存在"),
            "不存在",
        ),
        row(
            AppError::AlreadyBound,
            "ALREADY_BOUND",
            "该账号已被绑定",
            "This identity is already bound",
            (500, "mobile_is_already_bind", Some("该账号已被绑定"), None),
            (-1, "该账号已被绑定"),
            "该账号已被绑定",
        ),
        row(
            AppError::AccountDisabled,
            "ACCOUNT_DISABLED",
            "账号已被禁用",
            "This account is disabled",
            (401, "ban_user", Some("账号已被禁用"), None),
            (-1, "账号已被禁用"),
            "账号已被禁用",
        ),
        row(
            AppError::RegistrationClosed,
            "REGISTRATION_CLOSED",
            "暂时关闭用户注册",
            "Registration is closed",
            (401, "register_close", Some("暂时关闭用户注册"), None),
            (-1, "暂时关闭用户注册"),
            "暂时关闭用户注册",
        ),
        row(
            AppError::ServiceUnavailable("smtp down".into()),
            "SERVICE_UNAVAILABLE",
            "服务暂不可用，请稍后再试",
            "Service temporarily unavailable; try again later",
            (503, "service_unavailable", Some("服务暂不可用，请稍后再试"), None),
            (-100, "服务暂不可用，请稍后再试"),
            "服务暂不可用，请稍后再试",
        ),
        row(
            AppError::SmsBudgetSpent { retry_after: 60 },
            "SERVICE_UNAVAILABLE",
            "短信发送繁忙，请 60 秒后再试",
            "SMS sending is paused for now; try again in 60 seconds",
            (503, "service_unavailable", Some("短信发送繁忙，请 60 秒后再试"), None),
            (-100, "短信发送繁忙，请 60 秒后再试"),
            "短信发送繁忙，请 60 秒后再试",
        ),
        row(
            AppError::Internal("bug".into()),
            "INTERNAL",
            "服务器内部错误",
            "Internal error",
            (500, "internal_server_error", Some("服务器内部错误"), None),
            (-100, "服务器内部错误"),
            "服务器内部错误",
        ),
    ]
}

#[test]
fn every_kind_has_a_checked_row() {
    let covered: HashSet<ErrorKind> = rows().iter().map(|r| r.error.kind()).collect();
    for kind in ErrorKind::ALL {
        assert!(covered.contains(kind), "{kind:?} has no row in rows()");
    }
}

#[test]
fn each_row_says_what_every_front_door_says() {
    for row in rows() {
        let e = &row.error;
        let name = format!("{:?}", e.kind());
        assert_eq!(e.code(), row.graphql, "{name}: GraphQL code");
        assert_eq!(e.message(Lang::Zh), row.zh, "{name}: zh");
        assert_eq!(e.message(Lang::En), row.en, "{name}: en");
        let (status, code, detail, pointer) = row.discuz;
        let expected = DiscuzError {
            status,
            code,
            detail: detail.map(str::to_string),
            pointer: pointer.map(str::to_string),
        };
        assert_eq!(e.discuz(), expected, "{name}: Discuz");
        let (code, msg) = row.shopxo;
        let expected = ShopxoError {
            code,
            msg: msg.to_string(),
        };
        assert_eq!(e.shopxo(ShopxoAccount::Sms), expected, "{name}: ShopXO");
        assert_eq!(e.chickenshop(), row.chickenshop, "{name}: chickenshop");
    }
}

#[test]
fn no_message_is_left_with_a_placeholder() {
    for row in rows() {
        for lang in [Lang::Zh, Lang::En] {
            let text = row.error.message(lang);
            assert!(!text.contains('{'), "{:?} in {lang:?}: {text}", row.error.kind());
        }
    }
}

#[test]
fn every_field_has_its_own_graphql_name_and_words() {
    let mut names = HashSet::new();
    for field in Field::ALL {
        assert!(
            names.insert(field.graphql_name()),
            "{field:?}: its GraphQL name is taken"
        );
        assert!(
            !field.name(Lang::Zh).is_empty() && !field.name(Lang::En).is_empty(),
            "{field:?}"
        );
        // No field may fall back to the generic word: that was the old bug.
        assert_ne!(field.name(Lang::Zh), "参数", "{field:?}");
        let message = AppError::bad(*field, InputProblem::Missing).message(Lang::En);
        assert!(message.contains(field.name(Lang::En)), "{field:?}: {message}");
    }
}

#[test]
fn a_discuz_mismatch_names_the_field_that_differs() {
    let pay = AppError::bad(Field::PayPasswordConfirmation, InputProblem::Mismatch).discuz();
    assert_eq!(pay.pointer.as_deref(), Some("/data/attributes/pay_password"));
    assert_eq!(pay.detail.as_deref(), Some("支付密码 两次输入不一致。"));
    let other = AppError::bad(Field::Mobile, InputProblem::Mismatch).discuz();
    assert_eq!(other.pointer.as_deref(), Some("/data/attributes/mobile"));
    assert_eq!(other.detail.as_deref(), Some("手机号 不匹配。"));
}

#[test]
fn shopxo_words_a_refused_input_by_the_account_type() {
    let malformed = AppError::bad(Field::Account, InputProblem::Malformed);
    assert_eq!(malformed.shopxo(ShopxoAccount::Sms).msg, "手机号码格式错误");
    assert_eq!(malformed.shopxo(ShopxoAccount::Email).msg, "电子邮箱格式错误");
    assert_eq!(
        malformed.shopxo(ShopxoAccount::Username).msg,
        "用户名格式由 字母数字下划线 2~18 个字符"
    );
    let taken = AppError::AccountExists { field: Field::Username };
    assert_eq!(
        taken.shopxo(ShopxoAccount::Username),
        ShopxoError {
            code: -10,
            msg: "账号已存在".into()
        }
    );
}
