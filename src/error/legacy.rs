//! Legacy REST spellings (DESIGN §3): how ShopXO, Discuz! Q and the
//! chickenshop endpoint word each error, read from the error table; only
//! BAD_USER_INPUT and ACCOUNT_EXISTS are worded per field here. The legacy
//! clients are Chinese apps, so these are always in Chinese.

use super::table::{DiscuzDetail, LegacyWords};
use super::{AppError, Field, InputProblem, Lang};

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
    /// `RegVerifySend`).
    pub fn shopxo(&self, account: ShopxoAccount) -> ShopxoError {
        let row = self.kind().row();
        let words = |code: i64, words: LegacyWords| ShopxoError {
            code,
            msg: match words {
                LegacyWords::Text(text) => self.fill(text, Lang::Zh),
                LegacyWords::Ours | LegacyWords::PerField => self.message(Lang::Zh),
            },
        };
        let text = |code: i64, msg: &str| ShopxoError {
            code,
            msg: msg.to_string(),
        };
        match self {
            AppError::BadUserInput { field, reason } => match shopxo_input(*field, *reason, account) {
                Some((code, msg)) => text(code, msg),
                None => words(row.shopxo_code, LegacyWords::Ours),
            },
            AppError::AccountExists { field: Field::Mobile } => text(-3, "手机号码已存在"),
            AppError::AccountExists { field: Field::Email } => text(-3, "电子邮箱已存在"),
            AppError::AccountExists { .. } => text(row.shopxo_code, "账号已存在"),
            _ => words(row.shopxo_code, row.shopxo_words),
        }
    }

    /// Discuz! Q's status, code, and validation text (its zh-CN Laravel
    /// messages: `<属性> 不能为空。`).
    pub fn discuz(&self) -> DiscuzError {
        let row = self.kind().row();
        let entry = |detail: Option<String>, pointer: Option<String>| DiscuzError {
            status: row.discuz_status,
            code: row.discuz_code,
            detail,
            pointer,
        };
        let invalid = |field: Field, text: String| entry(Some(text), Some(pointer(field)));
        match row.discuz_detail {
            DiscuzDetail::Nothing => entry(None, None),
            DiscuzDetail::Ours => entry(Some(self.message(Lang::Zh)), None),
            DiscuzDetail::On(field, text) => invalid(field, self.fill(text, Lang::Zh)),
            DiscuzDetail::OnItsField(text) => {
                let field = self.field().unwrap_or(Field::Account);
                invalid(field, self.fill(text, Lang::Zh))
            }
            DiscuzDetail::PerProblem => match self {
                AppError::BadUserInput { field, reason } => discuz_input(*field, *reason, self),
                other => entry(Some(other.message(Lang::Zh)), None),
            },
        }
    }

    /// The chickenshop endpoint's `msg` (its envelope has `status` 0 for
    /// every refusal): its own words where known, ours otherwise.
    pub fn chickenshop(&self) -> String {
        match (self, self.kind().row().chickenshop_words) {
            (
                AppError::BadUserInput {
                    field: Field::Code,
                    reason: InputProblem::Malformed,
                },
                _,
            ) => "验证码错误".to_string(),
            (
                AppError::BadUserInput {
                    field: Field::Platform, ..
                },
                _,
            ) => "绑定类型有误".to_string(),
            (_, LegacyWords::Text(text)) => self.fill(text, Lang::Zh),
            (_, LegacyWords::Ours | LegacyWords::PerField) => self.message(Lang::Zh),
        }
    }
}

fn pointer(field: Field) -> String {
    format!("/data/attributes/{}", field.discuz().0)
}

/// ShopXO's words for a refused input, where its own source has them.
fn shopxo_input(field: Field, reason: InputProblem, account: ShopxoAccount) -> Option<(i64, &'static str)> {
    use Field::{Account, CaptchaId, Code, Email, Mobile, Password, Purpose, Verify};
    use InputProblem::{Malformed, Missing, NoSms, NotAllowed};
    Some(match (field, reason, account) {
        (Account | Mobile | Email, Missing, _) => (-1, "账号不能为空"),
        (Account | Mobile, Malformed, ShopxoAccount::Sms)
        | (Mobile, Malformed, _)
        // ShopXO's own mobile regex admits mainland mobiles only.
        | (Account | Mobile, NoSms, _) => (-2, "手机号码格式错误"),
        (Account | Email, Malformed, ShopxoAccount::Email) | (Email, Malformed, _) => (-2, "电子邮箱格式错误"),
        (Account, Malformed, ShopxoAccount::Username) => (-2, "用户名格式由 字母数字下划线 2~18 个字符"),
        (Password, Missing, _) => (-1, "密码不能为空"),
        (Verify, Missing, ShopxoAccount::Username) => (-10, "图片验证码为空"),
        (Verify, Missing, _) => (-1, "验证码不能为空"),
        (Verify | Code, Malformed, _) => (-11, "验证码错误"),
        // No `uuid`: no captcha was ever drawn for this client.
        (CaptchaId, _, _) => (-11, "验证码已过期"),
        (Purpose, NotAllowed, _) => (-2, "该类型不支持验证码发送"),
        _ => return None,
    })
}

/// Discuz! Q's validation words for a refused input.
fn discuz_input(field: Field, reason: InputProblem, err: &AppError) -> DiscuzError {
    let invalid = |field: Field, text: String| DiscuzError {
        status: 422,
        code: "validation_error",
        detail: Some(text),
        pointer: Some(pointer(field)),
    };
    let name = field.discuz().1;
    match reason {
        InputProblem::Missing => invalid(field, format!("{name} 不能为空。")),
        InputProblem::Malformed => invalid(field, format!("{name} 格式不正确。")),
        InputProblem::TooShort(n) => invalid(field, format!("{name} 至少为 {n} 个字符。")),
        InputProblem::TooLong(n) => invalid(field, format!("{name} 不能大于 {n} 个字符。")),
        InputProblem::TooCommon => invalid(field, format!("{name} 过于常见，请换一个。")),
        InputProblem::NotSixDigits => invalid(field, format!("{name} 必须是 6 位的数字。")),
        // Laravel's `confirmed` rule reports on the field being confirmed.
        InputProblem::Mismatch if field == Field::PayPasswordConfirmation => {
            invalid(Field::PayPassword, "支付密码 两次输入不一致。".to_string())
        }
        InputProblem::Mismatch => invalid(field, format!("{name} 不匹配。")),
        InputProblem::SameAsBefore if field == Field::Mobile => invalid(field, "请输入新的手机号。".into()),
        InputProblem::SameAsBefore => DiscuzError {
            status: 500,
            code: "user_update_error",
            detail: Some("新密码与原密码不能相同。".into()),
            pointer: None,
        },
        InputProblem::NeedsVerify => invalid(field, "请验证旧的手机号。".into()),
        InputProblem::ExpiredOrUsed => invalid(field, format!("{name} 已失效。")),
        InputProblem::NotAllowed => invalid(field, format!("选定的 {name} 是无效的。")),
        InputProblem::LastSignInMethod | InputProblem::NoSms | InputProblem::LastAdmin | InputProblem::NotInFuture => {
            invalid(field, err.message(Lang::Zh))
        }
    }
}
