//! Sending SMS and email codes: each purpose checked against the caller and
//! the target first, so no code is sent that could never be used.

use super::Verification;
use super::command::{own_email, parse_email};
use crate::domain::CodeDigits;
use crate::error::{AppError, Field, InputProblem};
use crate::service::RequestMeta;
use crate::service::auth::Viewer;
use crate::service::codes::{CodeSent, Purpose, SendCaptcha, SendMode, Target};
use crate::service::rules::{Entering, own_mobile};
use crate::store;

impl Verification {
    /// Sends an SMS code after checking that the purpose makes sense for the
    /// caller and the mobile, so no code is sent that could never be used.
    pub async fn send_sms_code(
        &self,
        viewer: &Viewer,
        mobile: Option<&str>,
        purpose: Purpose,
        digits: CodeDigits,
        captcha: SendCaptcha<'_>,
        meta: &RequestMeta,
    ) -> Result<CodeSent, AppError> {
        self.ensure_registration_open(purpose)?;
        let mobile = match purpose {
            Purpose::Verify | Purpose::ResetPayPassword => own_mobile(viewer.require()?)?,
            _ => self.rules.parse_mobile(mobile)?,
        };
        self.codes.charge_client_ip(mobile.as_str(), captcha, meta).await?;
        let mut mode = SendMode::Deliver;
        match purpose {
            Purpose::Register => self.ensure_mobile_free(&mobile).await?,
            Purpose::Bind => {
                if viewer.require()?.mobile.is_some() {
                    return Err(AppError::AlreadyBound);
                }
                self.ensure_mobile_free(&mobile).await?;
            }
            Purpose::Rebind => {
                let me = viewer.require()?;
                self.ensure_rebind_window(viewer)?;
                if me.mobile.as_ref() == Some(&mobile) {
                    return Err(AppError::bad(Field::Mobile, InputProblem::SameAsBefore));
                }
                self.ensure_mobile_free(&mobile).await?;
            }
            Purpose::ResetPassword => {
                // An unknown mobile gets the same answer and the same limits as a
                // known one, and nothing is sent: the answer tells no one whether
                // the number has an account.
                if store::users::by_mobile(&self.db, mobile.as_str()).await?.is_none() {
                    mode = SendMode::Pretend;
                }
            }
            Purpose::Login | Purpose::Verify | Purpose::ResetPayPassword => {}
        }
        self.codes
            .send_for(&Target::Mobile(mobile), purpose, mode, digits, meta)
            .await
    }

    /// Sends an email code (REGISTER, LOGIN, BIND, VERIFY, RESET_PASSWORD)
    /// under the limits and the captcha gate of SMS codes, with the same
    /// checks per purpose.
    pub async fn send_email_code(
        &self,
        viewer: &Viewer,
        email: &str,
        purpose: Purpose,
        digits: CodeDigits,
        captcha: SendCaptcha<'_>,
        meta: &RequestMeta,
    ) -> Result<CodeSent, AppError> {
        let email = match purpose {
            Purpose::Verify => own_email(viewer.require()?, email)?,
            Purpose::Register | Purpose::Login | Purpose::Bind | Purpose::ResetPassword => parse_email(email)?,
            Purpose::Rebind | Purpose::ResetPayPassword => {
                return Err(AppError::bad(Field::Purpose, InputProblem::NotAllowed));
            }
        };
        self.ensure_registration_open(purpose)?;
        self.codes.charge_client_ip(email.as_str(), captcha, meta).await?;
        let target = Target::Email(email);
        let mut mode = SendMode::Deliver;
        match purpose {
            Purpose::Register => self.ensure_free(&target).await?,
            Purpose::Bind => {
                if viewer.require()?.email.is_some() {
                    return Err(AppError::AlreadyBound);
                }
                self.ensure_free(&target).await?;
            }
            Purpose::ResetPassword => {
                // As for SMS: an unknown address hears the same and gets nothing.
                if self.owner_of(&target).await?.is_none() {
                    mode = SendMode::Pretend;
                }
            }
            Purpose::Login | Purpose::Verify | Purpose::Rebind | Purpose::ResetPayPassword => {}
        }
        self.codes.send_for(&target, purpose, mode, digits, meta).await
    }

    /// No REGISTER code is sent while registration is closed: it could never be used.
    fn ensure_registration_open(&self, purpose: Purpose) -> Result<(), AppError> {
        if purpose == Purpose::Register {
            self.rules.admit(Entering::NewAccount)?;
        }
        Ok(())
    }
}
