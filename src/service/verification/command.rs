//! `verifySms` and `verifyEmail` requests: as sent, and parsed per purpose
//! into one [`VerifyCommand`] whose target is a mobile or an email.

use super::Verification;
use crate::domain::{Code, Email, Mobile, PayPassword, PlainPassword, User};
use crate::error::{AppError, Field, InputProblem};
use crate::service::auth::Viewer;
use crate::service::codes::{Purpose, Target};
use crate::service::rules::{own_mobile, parse_code};
use crate::service::tickets::LiveTicket;

/// `verifySms` as the client sent it: every field any purpose takes.
#[derive(Debug, Clone, Default)]
pub struct VerifyRequest {
    pub mobile: Option<String>,
    pub code: String,
    pub password: Option<String>,
    pub pay_password: Option<String>,
    pub pay_password_confirmation: Option<String>,
    pub invite_code: Option<String>,
    pub register: bool,
    pub bind_token: Option<String>,
    /// Discuz! Q's rule: a code of the wrong shape is just a wrong code
    /// (it compares before it validates the shape).
    pub malformed_code_is_wrong: bool,
}

/// `verifyEmail` as the client sent it.
#[derive(Debug, Clone, Default)]
pub struct VerifyEmailRequest {
    pub email: String,
    pub code: String,
    pub password: Option<String>,
    pub register: bool,
    pub bind_token: Option<String>,
}

/// A `verifySms` or `verifyEmail` request parsed for its purpose: each
/// variant carries exactly the checked inputs its flow needs; `target` is
/// where the code went. Not `Debug`: it holds passwords.
pub enum VerifyCommand {
    /// Sign in by mobile or email; unknown ones register (`register`, or a
    /// ticket carrying a platform identity) or get a bind ticket.
    Login {
        target: Target,
        code: Code,
        register: bool,
        invite_code: Option<String>,
        ticket: Option<Box<LiveTicket>>,
    },
    /// Signed in without one: attach this mobile or email.
    Bind {
        target: Target,
        code: Code,
    },
    /// Signed in: prove the account's own mobile or email.
    Verify {
        target: Target,
        code: Code,
    },
    Rebind {
        mobile: Mobile,
        code: Code,
    },
    ResetPassword {
        target: Target,
        code: Code,
        password: PlainPassword,
    },
    ResetPayPassword {
        code: Code,
        pay_password: PayPassword,
    },
}

impl Verification {
    /// Parses `req` for `purpose` in the order the flow checks it: the code,
    /// who is asking, then the purpose's own inputs.
    pub async fn parse(
        &self,
        viewer: &Viewer,
        purpose: Purpose,
        req: VerifyRequest,
    ) -> Result<VerifyCommand, AppError> {
        let code = presented_code(&req)?;
        let mobile = req.mobile.as_deref();
        Ok(match purpose {
            Purpose::Login => VerifyCommand::Login {
                target: Target::Mobile(self.rules.parse_mobile(mobile)?),
                register: req.register,
                ticket: self.tickets.load(req.bind_token.as_deref()).await?.map(Box::new),
                invite_code: req.invite_code,
                code: code?,
            },
            Purpose::Bind => {
                // A mobile already bound is refused whatever was typed.
                if viewer.require()?.mobile.is_some() {
                    return Err(AppError::AlreadyBound);
                }
                VerifyCommand::Bind {
                    target: Target::Mobile(self.rules.parse_mobile(mobile)?),
                    code: code?,
                }
            }
            Purpose::Verify => {
                let me = viewer.require()?;
                VerifyCommand::Verify {
                    code: code?,
                    target: Target::Mobile(own_mobile(me)?),
                }
            }
            Purpose::Rebind => {
                viewer.require()?;
                VerifyCommand::Rebind {
                    mobile: self.rules.parse_mobile(mobile)?,
                    code: code?,
                }
            }
            Purpose::ResetPassword => VerifyCommand::ResetPassword {
                target: Target::Mobile(self.rules.parse_mobile(mobile)?),
                password: self.new_password(req.password.as_deref())?,
                code: code?,
            },
            Purpose::ResetPayPassword => {
                viewer.require()?;
                let pay_password = confirmed_pay_password(&req)?;
                VerifyCommand::ResetPayPassword {
                    pay_password,
                    code: code?,
                }
            }
            Purpose::Register => return Err(AppError::bad(Field::Purpose, InputProblem::NotAllowed)),
        })
    }

    /// Parses `verifyEmail` for `purpose` in the same order as [`parse`]:
    /// email codes serve LOGIN, BIND, VERIFY and RESET_PASSWORD.
    pub async fn parse_email(
        &self,
        viewer: &Viewer,
        purpose: Purpose,
        req: VerifyEmailRequest,
    ) -> Result<VerifyCommand, AppError> {
        let code = parse_code(&req.code)?;
        let email = || parse_email(&req.email).map(Target::Email);
        Ok(match purpose {
            Purpose::Login => VerifyCommand::Login {
                target: email()?,
                register: req.register,
                ticket: self.tickets.load(req.bind_token.as_deref()).await?.map(Box::new),
                invite_code: None,
                code,
            },
            Purpose::Bind => {
                if viewer.require()?.email.is_some() {
                    return Err(AppError::AlreadyBound);
                }
                VerifyCommand::Bind { target: email()?, code }
            }
            Purpose::Verify => VerifyCommand::Verify {
                target: Target::Email(own_email(viewer.require()?, &req.email)?),
                code,
            },
            Purpose::ResetPassword => VerifyCommand::ResetPassword {
                target: email()?,
                password: self.new_password(req.password.as_deref())?,
                code,
            },
            Purpose::Register | Purpose::Rebind | Purpose::ResetPayPassword => {
                return Err(AppError::bad(Field::Purpose, InputProblem::NotAllowed));
            }
        })
    }

    /// RESET_PASSWORD's new password, under sign-up's rules.
    fn new_password(&self, raw: Option<&str>) -> Result<PlainPassword, AppError> {
        self.rules.password.parse_new(raw.unwrap_or(""), Field::Password)
    }
}

/// Parses the `email` input, or BAD_USER_INPUT naming it.
pub(super) fn parse_email(raw: &str) -> Result<Email, AppError> {
    if raw.trim().is_empty() {
        return Err(AppError::bad(Field::Email, InputProblem::Missing));
    }
    Email::parse(raw).ok_or(AppError::bad(Field::Email, InputProblem::Malformed))
}

/// The caller's own email, which `raw` must name (VERIFY proves the email
/// the account has, not any other).
pub(super) fn own_email(me: &User, raw: &str) -> Result<Email, AppError> {
    let own = me
        .email
        .clone()
        .ok_or(AppError::bad(Field::Email, InputProblem::Missing))?;
    if parse_email(raw)? != own {
        return Err(AppError::bad(Field::Email, InputProblem::NotAllowed));
    }
    Ok(own)
}

/// The code as presented: a code of the wrong shape is refused at once,
/// except where the legacy system judged it like any wrong code (the inner
/// error, raised once the other inputs are checked).
fn presented_code(req: &VerifyRequest) -> Result<Result<Code, AppError>, AppError> {
    match parse_code(&req.code) {
        Err(AppError::BadUserInput {
            reason: InputProblem::Malformed,
            ..
        }) if req.malformed_code_is_wrong => Ok(Err(AppError::CodeInvalid)),
        Err(refused) => Err(refused),
        Ok(code) => Ok(Ok(code)),
    }
}

/// The new pay password, typed twice alike.
fn confirmed_pay_password(req: &VerifyRequest) -> Result<PayPassword, AppError> {
    let pay_password = PayPassword::parse(req.pay_password.as_deref().unwrap_or(""), Field::PayPassword)?;
    let confirmation = req.pay_password_confirmation.as_deref().unwrap_or("");
    if confirmation.is_empty() {
        return Err(AppError::bad(Field::PayPasswordConfirmation, InputProblem::Missing));
    }
    if confirmation != pay_password.expose() {
        return Err(AppError::bad(Field::PayPasswordConfirmation, InputProblem::Mismatch));
    }
    Ok(pay_password)
}
