//! LOGIN by a proven mobile or email, whatever proved it: a code sent to it
//! (`verifySms`, `verifyEmail`) or, for a mobile, the carrier
//! (`oneClickLogin`). The owner signs in; an unknown target registers or gets
//! a bind ticket that carries it, by the same rules for every proof.

use super::{Verification, sign_in_method};
use crate::domain::Code;
use crate::error::AppError;
use crate::metrics::SignInMethod;
use crate::service::RequestMeta;
use crate::service::accounts::AuthOutcome;
use crate::service::codes::{PresentedCode, Purpose, Target};
use crate::service::rules::Entering;
use crate::service::tickets::LiveTicket;
use crate::store::{tickets::NewTicket, users::NewUser};

/// What proves that the caller holds the target.
#[derive(Clone, Copy)]
pub(super) enum LoginProof<'a> {
    /// A LOGIN code sent to the target, spent in the transaction it authorises.
    Code(&'a Code),
    /// The carrier said whose SIM the request came from: nothing left to spend.
    Carrier,
}

/// A parsed LOGIN.
pub(super) struct TargetLogin<'a> {
    pub target: &'a Target,
    pub proof: LoginProof<'a>,
    /// Create the account of an unknown target.
    pub register: bool,
    /// The parsed `inviteCode`: the referrer's id, if one exists, and the code.
    pub invite: (Option<i64>, Option<String>),
    pub ticket: Option<&'a LiveTicket>,
}

impl Verification {
    /// Signs in the owner of the target; an unknown target registers (with
    /// `register`, or when the bind ticket carries a platform identity) or
    /// gets NO_BIND_USER with a ticket that a later register or login can
    /// redeem. Nothing is written, and a code is not spent, until every rule
    /// has let the sign-in through.
    pub(super) async fn login_by_target(
        &self,
        req: TargetLogin<'_>,
        meta: &RequestMeta,
    ) -> Result<AuthOutcome, AppError> {
        let TargetLogin {
            target,
            proof,
            register,
            invite: (referrer_id, invite_code),
            ticket,
        } = req;
        let existing = self.owner_of(target).await?;
        let carries_identity = ticket.is_some_and(LiveTicket::carries_identity);
        let will_register = existing.is_none() && (register || carries_identity);
        if will_register {
            self.rules.admit(Entering::NewAccount)?;
        }
        let mut new = NewUser {
            referrer_id,
            invite_code,
            register_ip: meta.ip_text(),
            ..Default::default()
        };
        match target {
            Target::Mobile(mobile) => new.mobile = Some(mobile.as_str().to_string()),
            Target::Email(email) => new.email = Some(email.as_str().to_string()),
        }
        self.tickets
            .ensure_attachable(ticket, existing.as_ref(), Some(&new))
            .await?;
        if let Some(user) = &existing {
            self.rules.admit(Entering::Existing(user))?;
        }
        let (spend, method) = match proof {
            LoginProof::Code(code) => {
                let spend = PresentedCode {
                    target: target.key(),
                    purpose: Purpose::Login,
                    code,
                    client: meta.ip,
                };
                (Some(spend), sign_in_method(target))
            }
            LoginProof::Carrier => (None, SignInMethod::OneClick),
        };
        match existing {
            Some(user) => self.accounts.sign_in(user, ticket, meta, spend, method).await,
            None if will_register => {
                self.accounts
                    .create_and_sign_in(new, ticket, meta, spend, Some(method))
                    .await
            }
            None => {
                if let Some(spend) = spend {
                    self.codes.consume(spend).await?;
                }
                let ticket = NewTicket {
                    mobile: new.mobile,
                    email: new.email,
                    ..Default::default()
                };
                Err(AppError::NoBindUser {
                    bind_token: self.tickets.issue(ticket).await?,
                })
            }
        }
    }
}
