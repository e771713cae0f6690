//! The root mutation: each resolver decodes its input, calls one service
//! function and encodes the result.

use async_graphql::{Context, ErrorExtensions, ID, InputObject, Object, Result};

use super::types::{AuthPayload, Captcha, CodeSent, Platform, RegisterMethod, SmsPurpose, User, VerifySmsPayload};
use crate::service::{self, RequestMeta, auth::Viewer};
use crate::state::AppState;

/// Root mutation type.
pub struct Mutation;

/// `sendSmsCode` input; `mobile` is omitted for VERIFY and RESET_PAY_PASSWORD (the caller's own).
#[derive(InputObject)]
pub struct SendSmsCodeInput {
    pub mobile: Option<String>,
    pub purpose: SmsPurpose,
    pub captcha_id: Option<ID>,
    pub captcha: Option<String>,
}

/// `sendEmailCode` input.
#[derive(InputObject)]
pub struct SendEmailCodeInput {
    pub email: String,
    pub purpose: SmsPurpose,
}

/// `register` input: `verify` is the captcha answer (USERNAME) or the code (SMS / EMAIL).
#[derive(InputObject)]
pub struct RegisterInput {
    pub method: RegisterMethod,
    pub account: String,
    pub password: String,
    pub verify: String,
    pub captcha_id: Option<ID>,
    pub nickname: Option<String>,
    pub invite_code: Option<String>,
    pub bind_token: Option<String>,
}

/// `login` input: `account` is a username, mobile or email.
#[derive(InputObject)]
pub struct LoginInput {
    pub account: String,
    pub password: String,
    pub bind_token: Option<String>,
}

/// `verifySms` input.
#[derive(InputObject)]
pub struct VerifySmsInput {
    pub mobile: Option<String>,
    pub code: String,
    pub purpose: SmsPurpose,
    pub password: Option<String>,
    pub pay_password: Option<String>,
    pub pay_password_confirmation: Option<String>,
    pub invite_code: Option<String>,
    #[graphql(default_with = "Some(false)")]
    pub register: Option<bool>,
    pub bind_token: Option<String>,
}

/// `bindThirdParty` input: a LOGIN code proves the mobile.
#[derive(InputObject)]
pub struct BindThirdPartyInput {
    pub mobile: String,
    pub code: String,
    pub platform: Platform,
    pub openid: String,
    pub unionid: Option<String>,
}

/// `thirdPartyLogin` input: the credential the platform gave the app.
#[derive(InputObject)]
pub struct ThirdPartyLoginInput {
    pub platform: Platform,
    pub code: Option<String>,
    pub identity_token: Option<String>,
    pub encrypted_data: Option<String>,
    pub iv: Option<String>,
    pub phone_code: Option<String>,
}

fn parts<'a>(ctx: &'a Context<'_>) -> Result<(&'a AppState, &'a Viewer, &'a RequestMeta)> {
    Ok((
        ctx.data::<AppState>()?,
        ctx.data::<Viewer>()?,
        ctx.data::<RequestMeta>()?,
    ))
}

#[Object]
impl Mutation {
    /// An image captcha for USERNAME registration.
    async fn create_captcha(&self, ctx: &Context<'_>) -> Result<Captcha> {
        let (state, _, meta) = parts(ctx)?;
        let captcha = service::captcha::create(state, None, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(Captcha {
            id: ID(captcha.id.clone()),
            image: captcha.data_url(),
            expires_in: captcha.expires_in,
        })
    }

    /// Sends a code by SMS.
    async fn send_sms_code(&self, ctx: &Context<'_>, input: SendSmsCodeInput) -> Result<CodeSent> {
        let (state, viewer, meta) = parts(ctx)?;
        let sent =
            service::verification::send_sms_code(state, viewer, input.mobile.as_deref(), input.purpose.into(), meta)
                .await
                .map_err(|e| e.extend())?;
        Ok(CodeSent {
            expires_in: sent.expires_in,
            resend_after: sent.resend_after,
        })
    }

    /// Sends a code by email.
    async fn send_email_code(&self, ctx: &Context<'_>, input: SendEmailCodeInput) -> Result<CodeSent> {
        let (state, viewer, meta) = parts(ctx)?;
        let sent = service::verification::send_email_code(state, viewer, &input.email, input.purpose.into(), meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(CodeSent {
            expires_in: sent.expires_in,
            resend_after: sent.resend_after,
        })
    }

    /// Creates an account and signs it in.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<AuthPayload> {
        let (state, _, meta) = parts(ctx)?;
        let request = service::accounts::RegisterRequest {
            account: input.account,
            password: input.password,
            verify: input.verify,
            captcha_id: input.captcha_id.map(|id| id.0),
            nickname: input.nickname,
            invite_code: input.invite_code,
            bind_token: input.bind_token,
        };
        let outcome = service::accounts::register(state, input.method.into(), request, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(outcome.into())
    }

    /// Signs in with a username, mobile or email and a password.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<AuthPayload> {
        let (state, _, meta) = parts(ctx)?;
        let outcome = service::accounts::login(
            state,
            &input.account,
            &input.password,
            input.bind_token.as_deref(),
            meta,
        )
        .await
        .map_err(|e| e.extend())?;
        Ok(outcome.into())
    }

    /// Checks an SMS code and does what its purpose says.
    async fn verify_sms(&self, ctx: &Context<'_>, input: VerifySmsInput) -> Result<VerifySmsPayload> {
        let (state, viewer, meta) = parts(ctx)?;
        let request = service::verification::VerifyRequest {
            mobile: input.mobile,
            code: input.code,
            password: input.password,
            pay_password: input.pay_password,
            pay_password_confirmation: input.pay_password_confirmation,
            invite_code: input.invite_code,
            register: input.register.unwrap_or(false),
            bind_token: input.bind_token,
        };
        let outcome = service::verification::verify_sms(state, viewer, input.purpose.into(), request, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(VerifySmsPayload {
            purpose: outcome.purpose.into(),
            user: outcome.user.map(User::owned),
            tokens: outcome.tokens.map(Into::into),
            created: outcome.created,
        })
    }

    /// Proves a mobile with a LOGIN code and binds a platform identity to its account.
    async fn bind_third_party(&self, ctx: &Context<'_>, input: BindThirdPartyInput) -> Result<AuthPayload> {
        let (state, _, meta) = parts(ctx)?;
        let request = service::third_party::BindRequest {
            mobile: input.mobile,
            code: input.code,
            platform: input.platform.as_str(),
            openid: input.openid,
            unionid: input.unionid,
        };
        let outcome = service::third_party::bind_with_sms(state, request, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(outcome.into())
    }

    /// Signs in with a credential the server verifies with the platform itself.
    async fn third_party_login(&self, ctx: &Context<'_>, input: ThirdPartyLoginInput) -> Result<AuthPayload> {
        let (state, _, meta) = parts(ctx)?;
        let request = service::third_party::PlatformLoginRequest {
            platform: input.platform.as_str(),
            code: input.code,
            identity_token: input.identity_token,
            encrypted_data: input.encrypted_data,
            iv: input.iv,
            phone_code: input.phone_code,
        };
        let outcome = service::third_party::login_with_platform(state, request, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(outcome.into())
    }

    /// Removes a platform from your account (never your last way to sign in).
    async fn unbind_third_party(&self, ctx: &Context<'_>, platform: Platform) -> Result<User> {
        let (state, viewer, _) = parts(ctx)?;
        let user = service::third_party::unbind(state, viewer, platform.as_str())
            .await
            .map_err(|e| e.extend())?;
        Ok(User::owned(user))
    }

    /// Checks your pay password before a payment; five wrong tries lock it.
    async fn verify_pay_password(&self, ctx: &Context<'_>, pay_password: String) -> Result<bool> {
        let (state, viewer, _) = parts(ctx)?;
        service::verification::check_pay_password(state, viewer, &pay_password)
            .await
            .map_err(|e| e.extend())
    }

    /// Exchanges a refresh token for a new pair (the old one stops working).
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        let (state, _, meta) = parts(ctx)?;
        let (user, tokens) = service::tokens::refresh(state, &refresh_token, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(AuthPayload {
            user: User::owned(user),
            tokens: tokens.into(),
            created: false,
        })
    }

    /// Ends this session (by its refresh token) or all of yours.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        refresh_token: Option<String>,
        #[graphql(default_with = "Some(false)")] all_sessions: Option<bool>,
    ) -> Result<bool> {
        let (state, viewer, _) = parts(ctx)?;
        let me = viewer.require().map_err(|e| e.extend())?;
        service::tokens::logout(state, me, refresh_token.as_deref(), all_sessions.unwrap_or(false))
            .await
            .map_err(|e| e.extend())
    }
}
