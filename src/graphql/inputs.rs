//! The GraphQL input objects: what clients send, before the service parses it.

use async_graphql::{ID, InputObject, MaybeUndefined};

use super::types::{Date, Gender, OneClickProvider, Platform, RegisterMethod, SmsPurpose};
use crate::service::accounts::{Change, ProfileChange};
use crate::service::codes::SendCaptcha;

/// `sendSmsCode` input; `mobile` is omitted for VERIFY and RESET_PAY_PASSWORD (the caller's own).
#[derive(InputObject)]
pub struct SendSmsCodeInput {
    /// The mobile to send to (`13113690000`, `+8613113690000` or `8613113690000`); omit for VERIFY and
    /// RESET_PAY_PASSWORD, whose code goes to the caller's own mobile.
    pub mobile: Option<String>,
    /// What the code will be used for; VERIFY, RESET_PAY_PASSWORD, BIND and REBIND need a signed-in caller.
    pub purpose: SmsPurpose,
    /// The captcha, once one is required.
    #[graphql(flatten)]
    pub captcha: SendCaptchaInput,
}

/// `sendEmailCode` input.
#[derive(InputObject)]
pub struct SendEmailCodeInput {
    /// The email address to send to: for REGISTER and BIND one no account has, for VERIFY your own.
    pub email: String,
    /// REGISTER, LOGIN, BIND, VERIFY or RESET_PASSWORD (BIND and VERIFY need a signed-in caller); REBIND and
    /// RESET_PAY_PASSWORD are SMS only and BAD_USER_INPUT here.
    pub purpose: SmsPurpose,
    /// The captcha, once one is required.
    #[graphql(flatten)]
    pub captcha: SendCaptchaInput,
}

/// The captcha fields of the send inputs (flattened into each).
#[derive(InputObject)]
pub struct SendCaptchaInput {
    /// The `id` of a captcha from `createCaptcha`, with `captcha`: needed once this client has had
    /// a few codes sent in the last hour (the error is CAPTCHA_REQUIRED) and the server uses the built-in
    /// image captcha; single use.
    pub captcha_id: Option<ID>,
    /// The answer to the captcha `captchaId`.
    pub captcha: Option<String>,
    /// Instead of `captchaId` + `captcha` when the server uses a captcha provider: what its widget returned,
    /// checked with the provider, single use. Tencent: the callback's `ticket`; Aliyun: `captchaVerifyParam`;
    /// GeeTest: the JSON object of `getValidate()` (`lot_number`, `captcha_output`, `pass_token`, `gen_time`).
    pub captcha_ticket: Option<String>,
    /// Tencent only, with `captchaTicket`: the callback's `randstr`; ignored by the other providers.
    pub captcha_randstr: Option<String>,
}

impl SendCaptchaInput {
    /// The captcha these fields carry: a provider's ticket, the image one, or none.
    pub fn proof(&self) -> SendCaptcha<'_> {
        SendCaptcha::from_inputs(
            self.captcha_id.as_ref().map(|id| id.as_str()),
            self.captcha.as_deref(),
            self.captcha_ticket.as_deref(),
            self.captcha_randstr.as_deref(),
        )
    }
}

/// `register` input: `verify` is the captcha answer (USERNAME) or the code (SMS / EMAIL).
#[derive(InputObject)]
pub struct RegisterInput {
    /// How the new account proves itself, and so what `account` and `verify` hold.
    pub method: RegisterMethod,
    /// A username (USERNAME: 2 to 18 letters, digits or underscores, not a phone number), a mobile (SMS) or
    /// an email address (EMAIL).
    pub account: String,
    /// The login password: 8 to 128 characters by default, and not a commonly used password.
    pub password: String,
    /// The answer to the captcha `captchaId` (USERNAME), or the 6-digit REGISTER code sent to `account` (SMS, EMAIL).
    pub verify: String,
    /// The `id` of a captcha from `createCaptcha`; required for USERNAME, ignored otherwise.
    pub captcha_id: Option<ID>,
    /// The display name, up to 32 characters; optional.
    pub nickname: Option<String>,
    /// Names the referrer: an inviter's user id links the new account to them, any other code (up to 64
    /// characters) is only recorded.
    pub invite_code: Option<String>,
    /// The single-use ticket (valid 1 hour) from a NO_BIND_USER error's `extensions.bindToken`, whose
    /// mobile or platform identity is attached to the new account.
    pub bind_token: Option<String>,
}

/// `login` input: `account` is a username, mobile or email.
#[derive(InputObject)]
pub struct LoginInput {
    /// A username (any letter case), a mobile (`13113690000` or `+8613113690000`) or an email address.
    pub account: String,
    /// The account's login password.
    pub password: String,
    /// The single-use ticket (valid 1 hour) from a NO_BIND_USER error's `extensions.bindToken`, whose
    /// mobile or platform identity is attached to the account on sign-in.
    pub bind_token: Option<String>,
}

/// `verifySms` input.
#[derive(InputObject)]
pub struct VerifySmsInput {
    /// The mobile the code was sent to (the new one for REBIND); required for LOGIN, BIND, REBIND and
    /// RESET_PASSWORD, ignored for VERIFY and RESET_PAY_PASSWORD (the caller's own).
    pub mobile: Option<String>,
    /// The 6-digit code that `sendSmsCode` sent for this purpose.
    pub code: String,
    /// What to do once the code checks out (REGISTER codes are for `register` and are refused here).
    pub purpose: SmsPurpose,
    /// RESET_PASSWORD only: the new login password (8 to 128 characters by default, not the current one).
    pub password: Option<String>,
    /// RESET_PAY_PASSWORD only: the new pay password, exactly 6 digits.
    pub pay_password: Option<String>,
    /// RESET_PAY_PASSWORD only: `payPassword` typed again; it must be equal.
    pub pay_password_confirmation: Option<String>,
    /// LOGIN only: names the referrer (an inviter's user id) when this call creates the account.
    pub invite_code: Option<String>,
    /// LOGIN only: true registers an unknown mobile instead of answering NO_BIND_USER.
    #[graphql(default_with = "Some(false)")]
    pub register: Option<bool>,
    /// LOGIN only: a NO_BIND_USER ticket (single use, 1 hour) whose mobile or platform identity is attached
    /// to the account; a ticket with a platform identity registers an unknown mobile even without `register`.
    pub bind_token: Option<String>,
}

/// `verifyEmail` input.
#[derive(InputObject)]
pub struct VerifyEmailInput {
    /// The email the code was sent to (your own for VERIFY).
    pub email: String,
    /// The 6-digit code that `sendEmailCode` sent for this purpose.
    pub code: String,
    /// LOGIN, BIND, VERIFY or RESET_PASSWORD.
    pub purpose: SmsPurpose,
    /// RESET_PASSWORD only: the new login password (8 to 128 characters by default, not the current one).
    pub password: Option<String>,
    /// LOGIN only: true registers an unknown email instead of answering NO_BIND_USER.
    #[graphql(default_with = "Some(false)")]
    pub register: Option<bool>,
    /// LOGIN only: a NO_BIND_USER ticket (single use, 1 hour) whose mobile, email or platform identity is
    /// attached to the account; a ticket with a platform identity registers an unknown email even without
    /// `register`.
    pub bind_token: Option<String>,
}

/// `bindThirdParty` input: a LOGIN code proves the mobile.
#[derive(InputObject)]
pub struct BindThirdPartyInput {
    /// The mobile whose account signs in, or is created when no account has it.
    pub mobile: String,
    /// The 6-digit LOGIN code sent to `mobile`.
    pub code: String,
    /// The platform of `openid`; platforms the operator does not trust with client-supplied openids are FORBIDDEN.
    pub platform: Platform,
    /// The openid the platform gave the app (up to 128 printable ASCII characters), taken on the client's word.
    pub openid: String,
    /// Accepted for compatibility and ignored: a unionid the platform did not vouch for is never stored.
    pub unionid: Option<String>,
}

/// `thirdPartyLogin` input: the credential the platform gave the app.
#[derive(InputObject)]
pub struct ThirdPartyLoginInput {
    /// The platform that issued the credential.
    pub platform: Platform,
    /// The OAuth code (WX_APP, WX_PUBLIC, WX_WEB, QQ, WB, and APPLE in a browser) or `wx.login` code
    /// (WX_SMALL); required for every platform but a native APPLE sign-in.
    pub code: Option<String>,
    /// Native APPLE only, and required there: the `identityToken` (a JWT) that Sign in with Apple returned.
    pub identity_token: Option<String>,
    /// Native APPLE only: the nonce the app put in its Sign in with Apple request; the token must carry it.
    pub nonce: Option<String>,
    /// Browser flows (required for WX_WEB): the `state` the redirect brought back from `thirdPartyAuthorizeUrl`.
    pub state: Option<String>,
    /// Browser flows: the verifier whose S256 challenge `thirdPartyAuthorizeUrl` was given (43–128 characters
    /// of `[A-Za-z0-9-._~]`).
    pub code_verifier: Option<String>,
    /// Browser flows, optional: the redirect URI the browser came back to; it must be the flow's.
    pub redirect_uri: Option<String>,
    /// WX_SMALL only: base64 open data (user info or phone number) from the mini-program, sent with `iv`.
    pub encrypted_data: Option<String>,
    /// WX_SMALL only: the base64 IV that came with `encryptedData`.
    pub iv: Option<String>,
    /// WX_SMALL only: the code from a `getPhoneNumber` button; the phone number WeChat vouches for signs in
    /// or registers its account.
    pub phone_code: Option<String>,
}

/// `thirdPartyAuthorizeUrl` input: where the platform sends the browser back, and the PKCE challenge.
#[derive(InputObject)]
pub struct AuthorizeUrlInput {
    /// WX_WEB, WX_PUBLIC, QQ, WB or APPLE (the native-only platforms are BAD_USER_INPUT).
    pub platform: Platform,
    /// One of `ZHANGHAO_OAUTH_REDIRECT_URIS`, exactly; the page that finishes with `thirdPartyLogin`.
    pub redirect_uri: String,
    /// BASE64URL(SHA-256(verifier)) without padding (43 characters); the browser keeps the verifier.
    pub code_challenge: String,
    /// The platform's scope: WX_PUBLIC `snsapi_base` (default) or `snsapi_userinfo`; WX_WEB `snsapi_login`;
    /// QQ `get_user_info`; WB none or `email`; APPLE `name email` (default), `name` or `email`.
    pub scope: Option<String>,
}

/// `oneClickLogin` input: the token a carrier one-click SDK gave the app, after the user confirmed on
/// the SDK's authorisation page.
#[derive(InputObject)]
pub struct OneClickLoginInput {
    /// The SDK that issued `token`.
    pub provider: OneClickProvider,
    /// The SDK's token (single use; 2 to 30 minutes, by carrier); at most 4096 characters.
    pub token: String,
    /// Create an account when the carrier's mobile has none (`created: true`); otherwise such a mobile
    /// answers NO_BIND_USER with a `bindToken` that `register` or `login` can carry to attach it.
    #[graphql(default = false)]
    pub register: bool,
    /// An invite code stored with a new account, as for `verifySms`.
    pub invite_code: Option<String>,
    /// A `bindToken` from an earlier NO_BIND_USER (say, of `thirdPartyLogin`): what it carries is attached to
    /// the account this signs in to.
    pub bind_token: Option<String>,
}

/// `updateProfile` input: a field left out stays as it is; null removes it.
#[derive(InputObject)]
pub struct UpdateProfileInput {
    /// The display name: 1 to 32 characters after trimming, no control characters; null removes it.
    pub nickname: MaybeUndefined<String>,
    /// An `https://` URL of the avatar image, at most 512 characters; null removes it.
    pub avatar: MaybeUndefined<String>,
    /// The gender; UNKNOWN unsets it.
    pub gender: Option<Gender>,
    /// The birthday, from 1900-01-01 to today; null removes it.
    pub birthday: MaybeUndefined<Date>,
}

impl From<UpdateProfileInput> for ProfileChange {
    fn from(input: UpdateProfileInput) -> Self {
        ProfileChange {
            nickname: change(input.nickname),
            avatar: change(input.avatar),
            gender: input.gender.map(Into::into),
            birthday: change(input.birthday.map_value(|date| date.0)),
        }
    }
}

fn change<T>(value: MaybeUndefined<T>) -> Change<T> {
    match value {
        MaybeUndefined::Undefined => Change::Keep,
        MaybeUndefined::Null => Change::Clear,
        MaybeUndefined::Value(value) => Change::Set(value),
    }
}
