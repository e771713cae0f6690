//! `verifySms` requests: as sent, and parsed per purpose.

use super::Verification;
use crate::domain::{Code, Mobile, PayPassword, PlainPassword};
use crate::error::{AppError, Field, InputProblem};
use crate::service::auth::Viewer;
use crate::service::codes::Purpose;
use crate::service::rules::parse_code;
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

/// A `verifySms` request parsed for its purpose: each variant carries
/// exactly the checked inputs its flow needs. Not `Debug`: it holds passwords.
pub enum VerifyCommand {
    /// Sign in by mobile; unknown mobiles register (`register`, or a ticket
    /// carrying a platform identity) or get a bind ticket.
    Login {
        mobile: Mobile,
        code: Code,
        register: bool,
        invite_code: Option<String>,
        ticket: Option<Box<LiveTicket>>,
    },
    Bind {
        mobile: Mobile,
        code: Code,
    },
    Verify {
        code: Code,
    },
    Rebind {
        mobile: Mobile,
        code: Code,
    },
    ResetPassword {
        mobile: Mobile,
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
                mobile: self.rules.parse_mobile(mobile)?,
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
                    mobile: self.rules.parse_mobile(mobile)?,
                    code: code?,
                }
            }
            Purpose::Verify => {
                viewer.require()?;
                VerifyCommand::Verify { code: code? }
            }
            Purpose::Rebind => {
                viewer.require()?;
                VerifyCommand::Rebind {
                    mobile: self.rules.parse_mobile(mobile)?,
                    code: code?,
                }
            }
            Purpose::ResetPassword => VerifyCommand::ResetPassword {
                mobile: self.rules.parse_mobile(mobile)?,
                password: self
                    .rules
                    .password
                    .parse_new(req.password.as_deref().unwrap_or(""), Field::Password)?,
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
