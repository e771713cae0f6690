//! The GraphQL enums and their conversions to the service's own types.

use async_graphql::Enum;

use crate::service::{self, codes::Purpose};

/// How `register` proves the new account.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum RegisterMethod {
    /// A username, a password and an image captcha: `captchaId` from `createCaptcha`, its answer in `verify`.
    Username,
    /// A mobile, a password and, in `verify`, the REGISTER code that `sendSmsCode` sent to that mobile.
    Sms,
    /// An email address, a password and, in `verify`, the REGISTER code that `sendEmailCode` sent to it.
    Email,
}

impl From<RegisterMethod> for service::accounts::RegisterMethod {
    fn from(m: RegisterMethod) -> Self {
        match m {
            RegisterMethod::Username => Self::Username,
            RegisterMethod::Sms => Self::Sms,
            RegisterMethod::Email => Self::Email,
        }
    }
}

/// What a code is for; a code serves only the purpose (and the mobile or email) it was sent for.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SmsPurpose {
    /// Sign-up with `register` (method SMS or EMAIL); the mobile or email must not belong to an account yet.
    Register,
    /// Sign-in by `verifySms` or `bindThirdParty`; an unknown mobile registers or gets NO_BIND_USER.
    Login,
    /// Signed in without a mobile: `verifySms` sets this mobile, which must not belong to another account.
    Bind,
    /// Signed in: moves the account to a new, unused mobile within 10 minutes of VERIFY in the same
    /// session, and ends every session of the account.
    Rebind,
    /// Signed out: `verifySms` sets a new login password for the account of this mobile and ends every session.
    ResetPassword,
    /// Signed in: `verifySms` sets a new 6-digit pay password; the code goes to the caller's own mobile.
    ResetPayPassword,
    /// Signed in: proves the caller's current mobile and opens a 10-minute REBIND window for this session.
    Verify,
}

impl From<SmsPurpose> for Purpose {
    fn from(p: SmsPurpose) -> Self {
        match p {
            SmsPurpose::Register => Purpose::Register,
            SmsPurpose::Login => Purpose::Login,
            SmsPurpose::Bind => Purpose::Bind,
            SmsPurpose::Rebind => Purpose::Rebind,
            SmsPurpose::ResetPassword => Purpose::ResetPassword,
            SmsPurpose::ResetPayPassword => Purpose::ResetPayPassword,
            SmsPurpose::Verify => Purpose::Verify,
        }
    }
}

impl From<Purpose> for SmsPurpose {
    fn from(p: Purpose) -> Self {
        match p {
            Purpose::Register => SmsPurpose::Register,
            Purpose::Login => SmsPurpose::Login,
            Purpose::Bind => SmsPurpose::Bind,
            Purpose::Rebind => SmsPurpose::Rebind,
            Purpose::ResetPassword => SmsPurpose::ResetPassword,
            Purpose::ResetPayPassword => SmsPurpose::ResetPayPassword,
            Purpose::Verify => SmsPurpose::Verify,
        }
    }
}

/// Third-party platforms.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Platform {
    /// WeChat sign-in from a mobile app (WeChat Open Platform).
    WxApp,
    /// WeChat official account (公众号) web authorisation.
    WxPublic,
    /// WeChat mini-program (小程序).
    WxSmall,
    /// Sign in with Apple.
    Apple,
    /// QQ sign-in.
    Qq,
    /// Weibo (微博) sign-in.
    Wb,
}

impl Platform {
    /// The wire name used in storage and by the legacy endpoint.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::WxApp => "wx_app",
            Platform::WxPublic => "wx_public",
            Platform::WxSmall => "wx_small",
            Platform::Apple => "apple",
            Platform::Qq => "qq",
            Platform::Wb => "wb",
        }
    }

    /// From the stored wire name.
    pub fn from_wire(raw: &str) -> Option<Self> {
        [
            Platform::WxApp,
            Platform::WxPublic,
            Platform::WxSmall,
            Platform::Apple,
            Platform::Qq,
            Platform::Wb,
        ]
        .into_iter()
        .find(|p| p.as_str() == raw)
    }
}

/// What a user may do.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Role {
    /// An ordinary user, who can look up only themself.
    User,
    /// An administrator, who can look up and list every user and sees their mobile and email whole.
    Admin,
}

/// Whether a user may sign in.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum UserStatus {
    /// The user may sign in.
    Active,
    /// Banned: sign-in and refresh answer ACCOUNT_DISABLED and the user's access tokens are refused.
    Disabled,
}
