//! The root mutation: each resolver decodes its input, calls one service
//! function and encodes the result.

use async_graphql::{Context, ErrorExtensions, ID, Object, Result};

use super::inputs::{
    BindThirdPartyInput, LoginInput, RegisterInput, SendEmailCodeInput, SendSmsCodeInput, ThirdPartyLoginInput,
    VerifySmsInput,
};
use super::types::{AuthPayload, Captcha, CodeSent, Platform, User, VerifySmsPayload};
use crate::domain::CodeDigits;
use crate::service::codes::Purpose;
use crate::service::verification::VerifyOutcome;
use crate::service::{self, RequestMeta, auth::Viewer};
use crate::state::AppState;

/// Root mutation type.
pub struct Mutation;

fn parts<'a>(ctx: &'a Context<'_>) -> Result<(&'a AppState, &'a Viewer, &'a RequestMeta)> {
    Ok((
        ctx.data::<AppState>()?,
        ctx.data::<Viewer>()?,
        ctx.data::<RequestMeta>()?,
    ))
}

/// Writes: captchas and codes, sign-up and sign-in, third-party platforms, passwords and sessions.
#[Object]
impl Mutation {
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
        Ok(match outcome {
            VerifyOutcome::SignedIn(signed_in) => VerifySmsPayload {
                purpose: Purpose::Login.into(),
                user: Some(User::owned(signed_in.user)),
                tokens: Some(signed_in.tokens.into()),
                created: signed_in.created,
            },
            VerifyOutcome::Done { purpose, user } => VerifySmsPayload {
                purpose: purpose.into(),
                user: Some(User::owned(user)),
                tokens: None,
                created: false,
            },
        })
    }

    /// Proves a mobile with a LOGIN code and binds a platform identity to its account.
    async fn bind_third_party(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The mobile, its LOGIN code and the platform identity to bind.")] input: BindThirdPartyInput,
    ) -> Result<AuthPayload> {
        let (state, _, meta) = parts(ctx)?;
        let request = service::third_party::BindRequest {
            mobile: input.mobile,
            code: input.code,
            platform: input.platform.into(),
            openid: input.openid,
            unionid: input.unionid,
        };
        let outcome = state
            .services
            .third_party
            .bind_with_sms(request, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(outcome.into())
    }

    /// Signs in with a credential the server verifies with the platform itself; an identity that matches no
    /// account answers NO_BIND_USER with `extensions.bindToken` for `register`, `login` or `verifySms`.
    async fn third_party_login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The platform and the credential its SDK gave the app.")] input: ThirdPartyLoginInput,
    ) -> Result<AuthPayload> {
        let (state, _, meta) = parts(ctx)?;
        let request = service::third_party::PlatformLoginRequest {
            platform: input.platform.into(),
            code: input.code,
            identity_token: input.identity_token,
            encrypted_data: input.encrypted_data,
            iv: input.iv,
            phone_code: input.phone_code,
        };
        let outcome = state
            .services
            .third_party
            .login_with_platform(request, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(outcome.into())
    }

    /// Removes a platform from your account (never your last way to sign in).
    async fn unbind_third_party(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The platform to unbind; NOT_FOUND when you have no binding of it.")] platform: Platform,
    ) -> Result<User> {
        let (state, viewer, _) = parts(ctx)?;
        let user = state
            .services
            .third_party
            .unbind(viewer, platform.into())
            .await
            .map_err(|e| e.extend())?;
        Ok(User::owned(user))
    }

    /// Checks your pay password before a payment: true when right, false when wrong; five wrong tries lock it
    /// (TOO_MANY_ATTEMPTS), and NOT_FOUND means no pay password is set.
    async fn verify_pay_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pay password to check, exactly 6 digits.")] pay_password: String,
    ) -> Result<bool> {
        let (state, viewer, _) = parts(ctx)?;
        state
            .services
            .verification
            .check_pay_password(viewer, &pay_password)
            .await
            .map_err(|e| e.extend())
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
            user: User::owned(user),
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

    /// Replaces your password: the current one proves it is you (wrong tries lock this check as they
    /// lock sign-in). This session stays signed in with the fresh tokens returned; every other session
    /// of yours ends at once.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Your password now.")] current_password: String,
        #[graphql(desc = "The new password, under the same rules as at sign-up.")] new_password: String,
    ) -> Result<AuthPayload> {
        let (state, viewer, meta) = parts(ctx)?;
        let outcome = state
            .services
            .accounts
            .change_password(viewer, &current_password, &new_password, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(outcome.into())
    }

    /// Ends one of your sessions by its `sessions { id }` (a device you signed in on): its refresh
    /// token stops working at once. An id that is not one of your live sessions is NOT_FOUND.
    async fn revoke_session(&self, ctx: &Context<'_>, #[graphql(desc = "The session's id.")] id: ID) -> Result<bool> {
        let (state, viewer, _) = parts(ctx)?;
        state
            .services
            .tokens
            .revoke_session(viewer, &id)
            .await
            .map_err(|e| e.extend())
    }
}
