//! The words of BAD_USER_INPUT: each problem, in Chinese and English
//! (the inputs' own names are in the field table).

use super::{Field, InputProblem, Lang};

/// The message of a BAD_USER_INPUT on `field`.
pub(super) fn input_message(field: Field, reason: InputProblem, lang: Lang) -> String {
    let name = field.name(lang);
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
        (Lang::En, InputProblem::NeedsVerify) => "Verify your current mobile or email first".to_string(),
        (Lang::En, InputProblem::LastSignInMethod) => {
            "This is your only way to sign in; add a password or mobile first".to_string()
        }
        (Lang::En, InputProblem::ExpiredOrUsed) => format!("The {name} has expired or was already used"),
        (Lang::En, InputProblem::LastAdmin) => {
            "An administrator cannot lock themself out or remove the last administrator".to_string()
        }
        (Lang::En, InputProblem::NotInFuture) => format!("The {name} must be in the future"),
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
        (Lang::Zh, InputProblem::NeedsVerify) => "请先验证当前的手机号或邮箱".to_string(),
        (Lang::Zh, InputProblem::LastSignInMethod) => "这是唯一的登录方式，请先设置密码或绑定手机号".to_string(),
        (Lang::Zh, InputProblem::ExpiredOrUsed) => format!("{name}已失效"),
        (Lang::Zh, InputProblem::LastAdmin) => "管理员不能停用自己，也不能取消最后一位管理员".to_string(),
        (Lang::Zh, InputProblem::NotInFuture) => format!("{name}必须是将来的时间"),
    }
}
