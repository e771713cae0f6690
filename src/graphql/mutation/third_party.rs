//! Third-party platforms: register-and-bind, verified sign-in, unbinding; carrier one-click sign-in.

use async_graphql::{Context, ErrorExtensions, Object, Result};

use super::parts;
use crate::graphql::inputs::{AuthorizeUrlInput, BindThirdPartyInput, OneClickLoginInput, ThirdPartyLoginInput};
use crate::graphql::types::{AuthPayload, AuthorizeUrl, Platform, User};
use crate::service;

#[derive(Default)]
pub struct ThirdPartyMutation;

/// WeChat, Apple, QQ and Weibo identities, and the carriers' one-click sign-in.
#[Object]
impl ThirdPartyMutation {
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
            state: input.state,
            code_verifier: input.code_verifier,
            redirect_uri: input.redirect_uri,
            nonce: input.nonce,
        };
        let outcome = state
            .services
            .third_party
            .login_with_platform(request, meta)
            .await
            .map_err(|e| e.extend())?;
        Ok(outcome.into())
    }

    /// Starts a browser sign-in: the platform's authorize URL with a fresh single-use `state` (10 minutes), bound
    /// to the platform, `redirectUri` and `codeChallenge`. The browser goes to `url`; the platform sends it back
    /// to `redirectUri` with `code` and `state` (Apple by way of `/oauth/apple/callback`), and the page finishes
    /// with `thirdPartyLogin { platform, code, state, codeVerifier }`.
    async fn third_party_authorize_url(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The platform, where to come back, and the PKCE challenge.")] input: AuthorizeUrlInput,
    ) -> Result<AuthorizeUrl> {
        let (state, _, meta) = parts(ctx)?;
        let request = service::third_party::AuthorizeUrlRequest {
            platform: input.platform.into(),
            redirect_uri: input.redirect_uri,
            code_challenge: input.code_challenge,
            scope: input.scope,
        };
        state
            .services
            .third_party
            .authorize_url(request, meta)
            .await
            .map(AuthorizeUrl::from)
            .map_err(|e| e.extend())
    }

    /// Signs in with the mobile a carrier vouches for (本机号码一键登录): the server asks the provider for the
    /// mobile behind `token`. A known mobile signs in; an unknown one registers with `register: true`, else
    /// answers NO_BIND_USER with `extensions.bindToken`. A refused token is CODE_INVALID (fall back to SMS);
    /// a provider the server does not offer is FORBIDDEN.
    async fn one_click_login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The provider and the token its SDK gave the app.")] input: OneClickLoginInput,
    ) -> Result<AuthPayload> {
        let (state, _, meta) = parts(ctx)?;
        let request = service::verification::OneClickRequest {
            provider: input.provider.into(),
            token: input.token,
            register: input.register,
            invite_code: input.invite_code,
            bind_token: input.bind_token,
        };
        let outcome = state
            .services
            .verification
            .one_click_login(request, meta)
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
}
