//! The GraphQL enums: the service's own enums, described for the schema.
//! Each is an async-graphql `remote` enum, so the conversions both ways are
//! derived and a variant added on one side and not the other fails to compile.

use async_graphql::Enum;

/// How `register` proves the new account.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::service::accounts::RegisterMethod")]
pub enum RegisterMethod {
    /// A username, a password and an image captcha: `captchaId` from `createCaptcha`, its answer in `verify`.
    Username,
    /// A mobile, a password and, in `verify`, the REGISTER code that `sendSmsCode` sent to that mobile.
    Sms,
    /// An email address, a password and, in `verify`, the REGISTER code that `sendEmailCode` sent to it.
    Email,
}

/// What a code is for; a code serves only the purpose (and the mobile or email) it was sent for.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::service::codes::Purpose")]
pub enum SmsPurpose {
    /// Sign-up with `register` (method SMS or EMAIL); the mobile or email must not belong to an account yet.
    Register,
    /// Sign-in by `verifySms`, `verifyEmail` or `bindThirdParty`; an unknown mobile or email registers or gets
    /// NO_BIND_USER.
    Login,
    /// Signed in without a mobile (or email): `verifySms` (`verifyEmail`) sets it; it must not belong to another
    /// account.
    Bind,
    /// Signed in: moves the account to a new, unused mobile within 10 minutes of VERIFY in the same
    /// session, and ends every session of the account.
    Rebind,
    /// Signed out: `verifySms` (`verifyEmail`) sets a new login password for the account of this mobile (email)
    /// and ends every session.
    ResetPassword,
    /// Signed in: `verifySms` sets a new 6-digit pay password; the code goes to the caller's own mobile.
    ResetPayPassword,
    /// Signed in: proves the caller's current mobile (or email, by `verifyEmail`) and opens a 10-minute window
    /// for REBIND and `setPassword` in this session.
    Verify,
}

/// Third-party platforms.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::Platform")]
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
    /// WeChat website app (网站应用): the QR code on PC sites; browser flow only.
    WxWeb,
}

/// Who vouches for the mobile in `oneClickLogin` (本机号码一键登录).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::one_click::OneClickProvider")]
pub enum OneClickProvider {
    /// Aliyun 号码认证 in an app: `token` is the login token of the app SDK (`GetMobile`'s AccessToken).
    Aliyun,
    /// Aliyun 号码认证 on an H5 page: `token` is the JS SDK's `spToken` (`GetPhoneWithToken`).
    AliyunH5,
    /// JiGuang JVerify (极光认证): `token` is the SDK's `loginToken`.
    Jiguang,
}

/// What a user may do.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::Role")]
pub enum Role {
    /// An ordinary user, who can look up only themself.
    User,
    /// An administrator, who can look up and list every user and sees their mobile and email whole.
    Admin,
}

/// Whether a user may sign in.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::UserStatus")]
pub enum UserStatus {
    /// The user may sign in.
    Active,
    /// Banned: sign-in and refresh answer ACCOUNT_DISABLED and the user's access tokens are refused.
    Disabled,
    /// Deletion requested: the account is anonymised at `deletionScheduledAt` unless its owner cancels.
    PendingDeletion,
    /// Deleted: only the id remains, so ids kept elsewhere never point at someone else.
    Deleted,
}

/// A user's gender, as they chose to give it.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::Gender")]
pub enum Gender {
    /// Not given (every account starts here); setting it again unsets the gender.
    Unknown,
    /// Male (男).
    Male,
    /// Female (女).
    Female,
}
