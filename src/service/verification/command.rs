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
        let code = parse_code(&req.code)?;
        let mobile = req.mobile.as_deref();
        Ok(match purpose {
            Purpose::Login => VerifyCommand::Login {
                mobile: self.rules.parse_mobile(mobile)?,
                code,
                register: req.register,
                ticket: self.tickets.load(req.bind_token.as_deref()).await?.map(Box::new),
                invite_code: req.invite_code,
            },
            Purpose::Bind => {
                // A mobile already bound is refused whatever was typed.
                if viewer.require()?.mobile.is_some() {
                    return Err(AppError::AlreadyBound);
                }
                VerifyCommand::Bind {
                    mobile: self.rules.parse_mobile(mobile)?,
                    code,
                }
            }
            Purpose::Verify => {
                viewer.require()?;
                VerifyCommand::Verify { code }
            }
            Purpose::Rebind => {
                viewer.require()?;
                VerifyCommand::Rebind {
                    mobile: self.rules.parse_mobile(mobile)?,
                    code,
                }
            }
            Purpose::ResetPassword => VerifyCommand::ResetPassword {
                mobile: self.rules.parse_mobile(mobile)?,
                password: self
                    .rules
                    .password
                    .parse_new(req.password.as_deref().unwrap_or(""), Field::Password)?,
                code,
            },
            Purpose::ResetPayPassword => {
                viewer.require()?;
                let pay_password = PayPassword::parse(req.pay_password.as_deref().unwrap_or(""), Field::PayPassword)?;
                let confirmation = req.pay_password_confirmation.as_deref().unwrap_or("");
                if confirmation.is_empty() {
                    return Err(AppError::bad(Field::PayPasswordConfirmation, InputProblem::Missing));
                }
                if confirmation != pay_password.expose() {
                    return Err(AppError::bad(Field::PayPasswordConfirmation, InputProblem::Mismatch));
                }
                VerifyCommand::ResetPayPassword { code, pay_password }
            }
            Purpose::Register => return Err(AppError::bad(Field::Purpose, InputProblem::NotAllowed)),
        })
    }
}
