//! Sign-up and sign-in: captchas, codes, register, login, verifySms, refresh and logout.

use async_graphql::{Context, ErrorExtensions, ID, Object, Result};

use super::parts;
use crate::domain::CodeDigits;
use crate::graphql::inputs::{
    LoginInput, RegisterInput, SendEmailCodeInput, SendSmsCodeInput, VerifyEmailInput, VerifySmsInput,
};
use crate::graphql::types::{AuthPayload, Captcha, CodeSent, User, VerifySmsPayload};
use crate::service;

#[derive(Default)]
pub struct SignInMutation;

/// Captchas and codes, sign-up and sign-in, refresh and logout.
#[Object]
impl SignInMutation {
    /// An image captcha for USERNAME registration.
    async fn create_captcha(&self, ctx: &Context<'_>) -> Result<Captcha> {
        let (state, _, meta) = parts(ctx)?;
        let captcha = state
            .services
            .captchas
            .create(None, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(Captcha {
            id: ID(captcha.id.clone()),
            image: captcha.data_url(),
            expires_in: captcha.expires_in,
        })
    }

    /// Sends a code by SMS.
    async fn send_sms_code(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The mobile and the purpose of the code.")] input: SendSmsCodeInput,
    ) -> Result<CodeSent> {
        let (state, viewer, meta) = parts(ctx)?;
        state
            .services
            .verification
            .send_sms_code(
                viewer,
                input.mobile.as_deref(),
                input.purpose.into(),
                CodeDigits::STANDARD,
                input.captcha.proof(),
                meta,
            )
            .await
            .map(CodeSent::from)
            .map_err(|e| e.extend())
    }

    /// Sends a code by email.
    async fn send_email_code(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The email address and the purpose of the code.")] input: SendEmailCodeInput,
    ) -> Result<CodeSent> {
        let (state, viewer, meta) = parts(ctx)?;
        state
            .services
            .verification
            .send_email_code(
                viewer,
                &input.email,
                input.purpose.into(),
                CodeDigits::STANDARD,
                input.captcha.proof(),
                meta,
            )
            .await
            .map(CodeSent::from)
            .map_err(|e| e.extend())
    }

    /// Creates an account and signs it in.
    async fn register(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account to create and its proof.")] input: RegisterInput,
    ) -> Result<AuthPayload> {
        let (state, _, meta) = parts(ctx)?;
        let request = service::accounts::RegisterRequest {
            account: input.account,
            password: input.password,
            verify: input.verify,
            captcha_id: input.captcha_id.map(|id| id.0),
            nickname: input.nickname,
            invite_code: input.invite_code,
            bind_token: input.bind_token,
            malformed_code_is_wrong: false,
        };
        let outcome = state
            .services
            .accounts
            .register(input.method.into(), request, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(outcome.into())
    }

    /// Signs in with a username, mobile or email and a password.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account, its password and an optional bind ticket.")] input: LoginInput,
    ) -> Result<AuthPayload> {
        let (state, _, meta) = parts(ctx)?;
        let outcome = state
            .services
            .accounts
            .login(&input.account, &input.password, input.bind_token.as_deref(), meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(outcome.into())
    }

    /// Checks an SMS code and does what its purpose says; only LOGIN signs in and returns tokens, and a
    /// LOGIN of an unknown mobile that does not register answers NO_BIND_USER with `extensions.bindToken`.
    async fn verify_sms(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The code, its purpose and what that purpose needs.")] input: VerifySmsInput,
    ) -> Result<VerifySmsPayload> {
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
            malformed_code_is_wrong: false,
        };
        let outcome = state
            .services
            .verification
            .verify_sms(viewer, input.purpose.into(), request, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(outcome.into())
    }

    /// Checks an email code and does what its purpose says: LOGIN signs in (an unknown email registers with
    /// `register: true`, else NO_BIND_USER with `extensions.bindToken`), BIND sets the email of an account
    /// without one, VERIFY proves your email and opens the 10-minute window (REBIND, `setPassword`) for this
    /// session, RESET_PASSWORD sets `password` and ends every session. Other purposes are BAD_USER_INPUT.
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The email, the code, its purpose and what that purpose needs.")] input: VerifyEmailInput,
    ) -> Result<VerifySmsPayload> {
        let (state, viewer, meta) = parts(ctx)?;
        let request = service::verification::VerifyEmailRequest {
            email: input.email,
            code: input.code,
            password: input.password,
            register: input.register.unwrap_or(false),
            bind_token: input.bind_token,
        };
        let outcome = state
            .services
            .verification
            .verify_email(viewer, input.purpose.into(), request, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(outcome.into())
    }

    /// Exchanges a refresh token for a new pair (the old one stops working).
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session's latest refresh token; it stops working once used.")] refresh_token: String,
    ) -> Result<AuthPayload> {
        let (state, _, meta) = parts(ctx)?;
        let (user, tokens) = state
            .services
            .tokens
            .refresh(&refresh_token, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(AuthPayload {
            user: User::signed_in(user),
            tokens: tokens.into(),
            created: false,
        })
    }

    /// Ends this session (by its refresh token) or all of yours; needs an access token, and returns false
    /// when `refreshToken` belongs to no session of yours.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The refresh token of the session to end; required unless `allSessions` is true.")]
        refresh_token: Option<String>,
        #[graphql(
            default_with = "Some(false)",
            desc = "True ends every session of yours and revokes all your access tokens at once."
        )]
        all_sessions: Option<bool>,
    ) -> Result<bool> {
        let (state, viewer, _) = parts(ctx)?;
        state
            .services
            .tokens
            .logout(viewer, refresh_token.as_deref(), all_sessions.unwrap_or(false))
            .await
            .map_err(|e| e.extend())
    }
}
