//! Sending SMS and email codes: each purpose checked against the caller and
//! the target first, so no code is sent that could never be used.

use super::{ensure_mobile_free, ensure_rebind_window, own_mobile, parse_mobile};
use crate::domain::{CodeDigits, Email};
use crate::error::{AppError, InputProblem};
use crate::service::RequestMeta;
use crate::service::auth::Viewer;
use crate::service::codes::{self, CodeSent, Purpose, SendCaptcha, SendMode, Target};
use crate::state::AppState;
use crate::store;

/// Sends an SMS code after checking that the purpose makes sense for the
/// caller and the mobile, so no code is sent that could never be used.
pub async fn send_sms_code(
    state: &AppState,
    viewer: &Viewer,
    mobile: Option<&str>,
    purpose: Purpose,
    digits: CodeDigits,
    captcha: SendCaptcha<'_>,
    meta: &RequestMeta,
) -> Result<CodeSent, AppError> {
    ensure_registration_open(state, purpose)?;
    let mobile = match purpose {
        Purpose::Verify | Purpose::ResetPayPassword => own_mobile(viewer.require()?)?,
        _ => parse_mobile(state, mobile)?,
    };
    codes::charge_client_ip(state, mobile.as_str(), captcha, meta).await?;
    let mut mode = SendMode::Deliver;
    match purpose {
        Purpose::Register => ensure_mobile_free(state, &mobile).await?,
        Purpose::Bind => {
            if viewer.require()?.mobile.is_some() {
                return Err(AppError::AlreadyBound);
            }
            ensure_mobile_free(state, &mobile).await?;
        }
        Purpose::Rebind => {
            let me = viewer.require()?;
            ensure_rebind_window(state, viewer)?;
            if me.mobile.as_deref() == Some(mobile.as_str()) {
                return Err(AppError::bad("mobile", InputProblem::SameAsBefore));
            }
            ensure_mobile_free(state, &mobile).await?;
        }
        Purpose::ResetPassword => {
            // An unknown mobile gets the same answer and the same limits as a
            // known one, and nothing is sent: the answer tells no one whether
            // the number has an account.
            if store::users::by_mobile(&state.db, mobile.as_str()).await?.is_none() {
                mode = SendMode::Pretend;
            }
        }
        Purpose::Login | Purpose::Verify | Purpose::ResetPayPassword => {}
    }
    codes::send_for(state, &Target::Mobile(mobile), purpose, mode, digits, meta).await
}

/// Sends an email code; email codes serve registration only.
pub async fn send_email_code(
    state: &AppState,
    _viewer: &Viewer,
    email: &str,
    purpose: Purpose,
    digits: CodeDigits,
    captcha: SendCaptcha<'_>,
    meta: &RequestMeta,
) -> Result<CodeSent, AppError> {
    let email = Email::parse(email).ok_or(AppError::bad("email", InputProblem::Malformed))?;
    if purpose != Purpose::Register {
        return Err(AppError::bad("purpose", InputProblem::NotAllowed));
    }
    ensure_registration_open(state, purpose)?;
    codes::charge_client_ip(state, email.as_str(), captcha, meta).await?;
    if store::users::by_email(&state.db, email.as_str()).await?.is_some() {
        return Err(AppError::AccountExists { field: "email" });
    }
    codes::send_for(state, &Target::Email(email), purpose, SendMode::Deliver, digits, meta).await
}

/// No REGISTER code is sent while registration is closed: it could never be used.
fn ensure_registration_open(state: &AppState, purpose: Purpose) -> Result<(), AppError> {
    if purpose == Purpose::Register && !state.config.registration_open {
        return Err(AppError::RegistrationClosed);
    }
    Ok(())
}
