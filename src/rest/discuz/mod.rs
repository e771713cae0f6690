//! Discuz! Q (seed 002): `POST /api/sms/send`, `POST /api/sms/verify` and
//! `POST /api/refresh-token`, JSON:API in and out. A token comes as
//! `Authorization: Bearer` or `?token=`; a bad one is 401 `access_denied`.

pub mod resources;

use crate::request_log::RequestNote;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, request::Parts};
use axum::response::Response;
use serde_json::{Map, Value};

use self::resources::{
    SmsSendAttributes, SmsSendDocument, SmsSendResource, refuse, respond, token_document, users_document,
};
use super::meta;
use super::params::{Params, attr, json_attributes, scalar, truthy};
use crate::domain::CodeDigits;
use crate::error::{AppError, Field, InputProblem};
use crate::http::bearer_token;
use crate::service::auth::Viewer;
use crate::service::codes::{Purpose, SendCaptcha};
use crate::service::verification::{VerifyOutcome, VerifyRequest};
use crate::state::AppState;

/// Sends a code for `type` to `mobile` (the caller's own for verify and reset_pay_pwd).
pub async fn sms_send(State(state): State<AppState>, parts: Parts, body: Bytes) -> Response {
    let attributes = json_attributes(&body);
    let (viewer, purpose) = match caller_and_purpose(&state, &parts, &attributes).await {
        Ok(both) => both,
        Err(err) => return refuse(&err),
    };
    let mobile = attr(&attributes, "mobile");
    let meta = meta(&state, &parts);
    match state
        .services
        .verification
        .send_sms_code(
            &viewer,
            mobile.as_deref(),
            purpose,
            CodeDigits::STANDARD,
            // Discuz! Q's send has no captcha field.
            SendCaptcha::NotAsked,
            &meta,
        )
        .await
    {
        Ok(sent) => respond(
            StatusCode::CREATED,
            SmsSendDocument {
                data: SmsSendResource {
                    kind: "smssend",
                    id: "1".into(),
                    attributes: SmsSendAttributes {
                        interval: sent.resend_after,
                    },
                },
            },
        ),
        Err(err) => refuse(&err),
    }
}

/// Checks the code and does what `type` says: login gives the token
/// resource, the other types the users resource.
pub async fn sms_verify(State(state): State<AppState>, parts: Parts, body: Bytes) -> Response {
    let attributes = json_attributes(&body);
    let (viewer, purpose) = match caller_and_purpose(&state, &parts, &attributes).await {
        Ok(both) => both,
        Err(err) => return refuse(&err),
    };
    // Passwords are taken exactly as typed; everything else trimmed.
    let secret = |name: &str| attributes.get(name).and_then(scalar).filter(|v| !v.is_empty());
    let request = VerifyRequest {
        mobile: attr(&attributes, "mobile"),
        code: attr(&attributes, "code").unwrap_or_default(),
        password: secret("password"),
        pay_password: secret("pay_password"),
        pay_password_confirmation: secret("pay_password_confirmation"),
        invite_code: attr(&attributes, "inviteCode"),
        register: truthy(attr(&attributes, "register").as_deref()),
        // Discuz's `token` attribute: the ticket of an earlier no_bind_user.
        bind_token: attr(&attributes, "token"),
        // Discuz compares the code as typed: the seed's own example is five digits.
        malformed_code_is_wrong: true,
    };
    let meta = meta(&state, &parts);
    match state
        .services
        .verification
        .verify_sms(&viewer, purpose, request, &meta)
        .await
    {
        Ok(VerifyOutcome::SignedIn(signed_in)) => {
            respond(StatusCode::OK, token_document(signed_in.user.id, &signed_in.tokens))
        }
        Ok(VerifyOutcome::Done { user, .. }) => respond(StatusCode::OK, users_document(&user, viewer.user())),
        Err(err) => refuse(&err),
    }
}

/// Rotates a refresh token (the old one stops working) and returns the new pair.
pub async fn refresh_token(State(state): State<AppState>, parts: Parts, body: Bytes) -> Response {
    // No bearer check here: clients refresh precisely when their access token has expired.
    let attributes = json_attributes(&body);
    let Some(refresh) = attr(&attributes, "refresh_token") else {
        return refuse(&AppError::bad(Field::RefreshToken, InputProblem::Missing));
    };
    match state.services.tokens.refresh(&refresh, &meta(&state, &parts)).await {
        Ok((user, pair)) => respond(StatusCode::OK, token_document(user.id, &pair)),
        Err(err) => refuse(&err),
    }
}

/// `POST /api/login`: `username` (a username or mobile) and `password`; a
/// `mobileToken` (the ticket of a `no_bind_user` answer) attaches its mobile
/// to the account, finishing Discuz's sms-login-then-sign-in flow.
pub async fn login(State(state): State<AppState>, parts: Parts, body: Bytes) -> Response {
    let attributes = json_attributes(&body);
    let (username, password) = match credentials(&attributes) {
        Ok(both) => both,
        Err(err) => return refuse(&err),
    };
    let ticket = attr(&attributes, "mobileToken");
    match state
        .services
        .accounts
        .login(&username, &password, ticket.as_deref(), &meta(&state, &parts))
        .await
    {
        Ok(outcome) => respond(StatusCode::OK, token_document(outcome.user.id, &outcome.tokens)),
        Err(err) => refuse(&err),
    }
}

/// `POST /api/register`: `username`, `password`, `mobileToken` (the ticket of
/// a `no_bind_user` answer: its mobile becomes the account's) and `code` (an
/// invite). Answers the token resource, 201 as Discuz's create controllers do.
pub async fn register(State(state): State<AppState>, parts: Parts, body: Bytes) -> Response {
    let attributes = json_attributes(&body);
    let (username, password) = match credentials(&attributes) {
        Ok(both) => both,
        Err(err) => return refuse(&err),
    };
    let ticket = attr(&attributes, "mobileToken");
    let invite = attr(&attributes, "code");
    match state
        .services
        .accounts
        .register_with_ticket(
            &username,
            &password,
            invite.as_deref(),
            ticket.as_deref(),
            &meta(&state, &parts),
        )
        .await
    {
        Ok(outcome) => respond(StatusCode::CREATED, token_document(outcome.user.id, &outcome.tokens)),
        Err(err) => refuse(&err),
    }
}

/// `username` and `password`, both required (Discuz validates them first).
fn credentials(attributes: &serde_json::Map<String, Value>) -> Result<(String, String), AppError> {
    let username = attr(attributes, "username").filter(|u| !u.trim().is_empty());
    let username = username.ok_or(AppError::bad(Field::Username, InputProblem::Missing))?;
    let password = attr(attributes, "password").filter(|p| !p.is_empty());
    let password = password.ok_or(AppError::bad(Field::Password, InputProblem::Missing))?;
    Ok((username, password))
}

/// The caller and the `type` of an sms request, refused in that order.
async fn caller_and_purpose(
    state: &AppState,
    parts: &Parts,
    attributes: &Map<String, Value>,
) -> Result<(Viewer, Purpose), AppError> {
    let viewer = viewer(state, parts).await?;
    Ok((viewer, purpose(attributes)?))
}

/// The caller, from `Authorization: Bearer` or `?token=`. A token that is
/// sent but bad is refused outright, as Discuz's auth middleware does.
async fn viewer(state: &AppState, parts: &Parts) -> Result<Viewer, AppError> {
    let query = Params::from_request(parts, &[]);
    let token = bearer_token(&parts.headers)
        .map(str::to_string)
        .or_else(|| query.opt("token"));
    match state.services.auth.authenticate(token.as_deref()).await? {
        Viewer::Rejected => Err(AppError::Unauthenticated),
        viewer => {
            if let (Viewer::User { user, .. }, Some(note)) = (&viewer, parts.extensions.get::<RequestNote>()) {
                note.user(user.id);
            }
            Ok(viewer)
        }
    }
}

/// Discuz's `type` names.
fn purpose(attributes: &Map<String, Value>) -> Result<Purpose, AppError> {
    match attr(attributes, "type").as_deref() {
        None => Err(AppError::bad(Field::Purpose, InputProblem::Missing)),
        Some("login") => Ok(Purpose::Login),
        Some("bind") => Ok(Purpose::Bind),
        Some("rebind") => Ok(Purpose::Rebind),
        Some("reset_pwd") => Ok(Purpose::ResetPassword),
        Some("reset_pay_pwd") => Ok(Purpose::ResetPayPassword),
        Some("verify") => Ok(Purpose::Verify),
        Some(_) => Err(AppError::bad(Field::Purpose, InputProblem::NotAllowed)),
    }
}
