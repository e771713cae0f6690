//! The third-party register-and-bind endpoint (seed 000):
//! `POST /module/chickenshop/threeRegisterAndBind`. `phone` + `code` prove
//! the mobile; with `three_tig` the platform `openid` is bound as well.
//! HTTP 200 always; `{"status":200,"msg",data}` or `{"status":0,"msg"}`.

use crate::domain::User;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::params::Params;
use super::{beijing_text, meta};
use crate::domain::{Mobile, Platform};
use crate::error::{AppError, Field, InputProblem};
use crate::service::accounts::AuthOutcome;
use crate::service::auth::Viewer;
use crate::service::codes::Purpose;
use crate::service::third_party::BindRequest;
use crate::service::tokens::TokenPair;
use crate::service::verification::{VerifyOutcome, VerifyRequest};
use crate::state::AppState;

/// The success envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChickenshopOk {
    #[schema(example = 200)]
    pub status: i32,
    /// 注册成功 for a new user, 登录成功 for an existing one.
    #[schema(example = "注册成功")]
    pub msg: &'static str,
    pub data: ChickenshopUser,
}

/// The refusal envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChickenshopError {
    #[schema(example = 0)]
    pub status: i32,
    #[schema(example = "验证码错误")]
    pub msg: String,
}

/// The member's default avatar, for a member without one. The seed shows
/// `/uploads/avatar/avatar.jpg` on its example host (chicken.com); relative
/// here, so no host needs configuring and it names that file on the site the
/// endpoint is served under.
pub const DEFAULT_AVATAR: &str = "/uploads/avatar/avatar.jpg";

/// The member as the chickenshop app knows it. This is the answer to the
/// member's own sign-in, so it carries their own WeChat openids.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChickenshopUser {
    pub uid: i64,
    /// The member's avatar, else `/uploads/avatar/avatar.jpg`.
    pub avatar: String,
    /// The country calling code, e.g. "86".
    pub c_code: String,
    pub phone: String,
    pub email: String,
    /// The username, else the masked phone (`131****0001`).
    pub username: String,
    pub male: String,
    pub birthday: String,
    pub nickname: String,
    #[schema(example = "member")]
    pub r#type: &'static str,
    pub phone_active: i32,
    pub email_active: i32,
    /// 1 active, 0 disabled.
    pub status: i32,
    /// `Y-m-d H:i:s`, Beijing time.
    pub create_at: String,
    pub update_at: String,
    /// The member's openid of the configured WeChat official account
    /// (`wx_public`), else of the WeChat app (`wx_app`); "" when neither is bound.
    pub wx_openid: String,
    /// The member's openid of the configured mini-program (`wx_small`), or "".
    pub smallwx_openid: String,
    pub change_username: i32,
    pub integral: i64,
    pub invite_code: String,
    pub gid: String,
    pub pid: i64,
    pub pid_path: String,
    /// Our access token (a JWT); it works on every other path and on GraphQL.
    pub token: String,
    /// Not in the original: the refresh token, for `POST /api/refresh-token`.
    pub refresh_token: String,
    /// Not in the original: seconds the access token lives.
    pub expires_in: i64,
    /// True when the account has a login password.
    pub set_password: bool,
}

impl ChickenshopUser {
    fn new(user: &User, tokens: &TokenPair, openids: WechatOpenids) -> Self {
        let mobile = user.mobile.clone();
        let c_code = mobile
            .as_ref()
            .and_then(|m| phonenumber::parse(None, m.as_str()).ok())
            .map(|n| n.code().value().to_string())
            .unwrap_or_default();
        ChickenshopUser {
            uid: user.id,
            avatar: user
                .avatar
                .clone()
                .filter(|a| !a.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_AVATAR.into()),
            c_code,
            phone: mobile.as_ref().map(|m| m.national().to_string()).unwrap_or_default(),
            email: user.email.as_ref().map(|e| e.as_str().to_string()).unwrap_or_default(),
            username: user
                .username
                .clone()
                .or_else(|| mobile.as_ref().map(Mobile::masked))
                .unwrap_or_default(),
            male: String::new(),
            birthday: String::new(),
            nickname: user.nickname.clone().unwrap_or_default(),
            r#type: "member",
            phone_active: i32::from(mobile.is_some()),
            email_active: i32::from(user.email.is_some()),
            status: i32::from(user.may_sign_in()),
            create_at: beijing_text(user.created_at),
            update_at: beijing_text(user.updated_at),
            wx_openid: openids.wx,
            smallwx_openid: openids.smallwx,
            change_username: 0,
            integral: 0,
            invite_code: String::new(),
            gid: String::new(),
            pid: user.referrer_id.unwrap_or(0),
            pid_path: String::new(),
            token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
            expires_in: tokens.expires_in,
            set_password: user.has_password,
        }
    }
}

/// Without `three_tig`: SMS login-or-register. With it: the same, and the
/// platform identity bound to the account.
pub async fn three_register_and_bind(State(state): State<AppState>, parts: Parts, body: Bytes) -> Response {
    let params = Params::read(&parts, &body).await;
    let meta = meta(&state, &parts);
    let outcome = match params.opt("three_tig") {
        None => login_or_register(&state, &params, &meta).await,
        Some(tig) => match tig.parse::<Platform>() {
            Ok(platform) => {
                let request = BindRequest {
                    mobile: params.text("phone"),
                    code: params.text("code"),
                    platform,
                    openid: params.text("openid"),
                    unionid: params.opt("unionid"),
                };
                state.services.third_party.bind_with_sms(request, &meta).await
            }
            Err(_) => Err(AppError::bad(Field::Platform, InputProblem::Malformed)),
        },
    };
    match outcome {
        Ok(outcome) => {
            let openids = wechat_openids(&state, outcome.user.id).await;
            Json(ChickenshopOk {
                status: 200,
                msg: if outcome.created {
                    "注册成功"
                } else {
                    "登录成功"
                },
                data: ChickenshopUser::new(&outcome.user, &outcome.tokens, openids),
            })
            .into_response()
        }
        Err(err) => {
            err.log_if_server_side();
            Json(json!({"status": 0, "msg": err.chickenshop()})).into_response()
        }
    }
}

/// Any method but POST: the refusal envelope (HTTP 200, as every answer of
/// this endpoint), with `Allow: POST` for tools that read it.
pub async fn method_not_allowed() -> Response {
    let mut response = Json(json!({"status": 0, "msg": "请使用 POST 请求"})).into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

/// The member's own WeChat openids, for the apps configured now (an openid
/// belongs to one app id).
#[derive(Debug, Default)]
struct WechatOpenids {
    wx: String,
    smallwx: String,
}

/// Read after the sign-in has succeeded: a failed read is logged and leaves
/// the openids "" rather than losing the member a session already issued.
async fn wechat_openids(state: &AppState, user_id: i64) -> WechatOpenids {
    let openids = match state.services.third_party.own_openids(user_id).await {
        Ok(openids) => openids,
        Err(err) => {
            err.log_if_server_side();
            return WechatOpenids::default();
        }
    };
    let openid = |platform: Platform| {
        openids
            .iter()
            .find(|(p, _)| *p == platform)
            .map(|(_, openid)| openid.clone())
    };
    WechatOpenids {
        wx: openid(Platform::WxPublic)
            .or_else(|| openid(Platform::WxApp))
            .unwrap_or_default(),
        smallwx: openid(Platform::WxSmall).unwrap_or_default(),
    }
}

/// `verifySms` LOGIN with `register`: the seed's "注册" / "登录" without a platform.
async fn login_or_register(
    state: &AppState,
    params: &Params,
    meta: &crate::service::RequestMeta,
) -> Result<AuthOutcome, AppError> {
    let request = VerifyRequest {
        mobile: params.opt("phone"),
        code: params.text("code"),
        register: true,
        ..Default::default()
    };
    let outcome = state
        .services
        .verification
        .verify_sms(&Viewer::Anonymous, Purpose::Login, request, meta)
        .await?;
    match outcome {
        VerifyOutcome::SignedIn(signed_in) => Ok(signed_in),
        VerifyOutcome::Done { .. } => Err(AppError::Internal("LOGIN verify did not sign in".into())),
    }
}
