//! Security notices: after a password reset or a change of mobile, the
//! account's owner hears about it on the channels they had before the
//! change, so a takeover does not go unnoticed (`ZHANGHAO_SECURITY_NOTICES`).

use std::sync::Arc;

use crate::domain::{Email, Mobile, User};
use crate::messaging::{EmailMessage, EmailSender, SmsMessage, SmsSender, SmsTemplate};

/// What happened to the account.
#[derive(Debug, Clone)]
pub enum Notice {
    /// The login password was reset with a code sent to the mobile.
    PasswordReset,
    /// The login password was reset with a code sent to the email.
    PasswordResetByEmail,
    /// An account without a password was given one (`setPassword`).
    PasswordSet,
    /// The signed-in owner changed the login password.
    PasswordChanged,
    /// The account's mobile was replaced by `new` (told to the old one).
    MobileChanged { new: Mobile },
}

impl Notice {
    fn purpose(&self) -> &'static str {
        match self {
            Notice::PasswordReset | Notice::PasswordResetByEmail => "notice_password_reset",
            Notice::PasswordSet => "notice_password_set",
            Notice::PasswordChanged => "notice_password_changed",
            Notice::MobileChanged { .. } => "notice_mobile_changed",
        }
    }

    /// What a notice template's one parameter says (at most 6 characters).
    fn event(&self) -> &'static str {
        match self {
            Notice::PasswordReset | Notice::PasswordResetByEmail => "密码已重设",
            Notice::PasswordSet => "密码已设置",
            Notice::PasswordChanged => "密码已修改",
            Notice::MobileChanged { .. } => "手机号已更换",
        }
    }

    fn text(&self) -> String {
        let what = match self {
            Notice::PasswordReset => "您的账号登录密码已通过短信验证码重设，其他设备均已退出登录。".to_string(),
            Notice::PasswordResetByEmail => "您的账号登录密码已通过邮箱验证码重设，其他设备均已退出登录。".to_string(),
            Notice::PasswordSet => "您的账号已设置登录密码。".to_string(),
            Notice::PasswordChanged => "您的账号登录密码已修改，其他设备均已退出登录。".to_string(),
            Notice::MobileChanged { new } => format!("您的账号绑定的手机号已更换为 {}。", new.masked()),
        };
        format!("{what}如非本人操作，请立即联系客服。")
    }
}

/// Sends notices; a failure is logged and never undoes what was done.
#[derive(Clone)]
pub struct Notices {
    sms: Arc<dyn SmsSender>,
    email: Arc<dyn EmailSender>,
    enabled: bool,
}

impl Notices {
    /// Notices through these senders, or none when `enabled` is false.
    pub fn new(sms: Arc<dyn SmsSender>, email: Arc<dyn EmailSender>, enabled: bool) -> Self {
        Notices { sms, email, enabled }
    }

    /// Tells `user` (as they were before the change: their old mobile, their
    /// email) what happened. SMS goes through template providers only when
    /// a notice template is set.
    pub async fn tell(&self, user: &User, notice: Notice) {
        if !self.enabled {
            return;
        }
        let text = notice.text();
        if let Some(mobile) = &user.mobile
            && self.sms.sends_notices()
        {
            self.sms_to(mobile, &notice, &text).await;
        }
        if let Some(email) = &user.email {
            self.email_to(email, &notice, &text).await;
        }
    }

    async fn sms_to(&self, mobile: &Mobile, notice: &Notice, text: &str) {
        let msg = SmsMessage {
            to: mobile.as_str().to_string(),
            purpose: notice.purpose().to_string(),
            code: String::new(),
            text: text.to_string(),
            template: SmsTemplate::Notice(notice.event()),
        };
        if let Err(err) = self.sms.send_sms(&msg).await {
            tracing::warn!(purpose = notice.purpose(), %err, "security notice by SMS failed");
        }
    }

    async fn email_to(&self, email: &Email, notice: &Notice, text: &str) {
        let msg = EmailMessage {
            to: email.as_str().to_string(),
            purpose: notice.purpose().to_string(),
            code: String::new(),
            subject: "账号安全提醒".to_string(),
            text: text.to_string(),
        };
        if let Err(err) = self.email.send_email(&msg).await {
            tracing::warn!(purpose = notice.purpose(), %err, "security notice by email failed");
        }
    }
}
