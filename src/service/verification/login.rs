//! LOGIN by a code sent to a mobile or an email: the owner signs in; an
//! unknown target registers or gets a bind ticket that carries it.

use super::{Verification, sign_in_method};
use crate::domain::Code;
use crate::error::AppError;
use crate::service::RequestMeta;
use crate::service::accounts::AuthOutcome;
use crate::service::codes::{PresentedCode, Purpose, Target};
use crate::service::rules::Entering;
use crate::service::tickets::LiveTicket;
use crate::store::{tickets::NewTicket, users::NewUser};

/// A parsed LOGIN.
pub(super) struct LoginByCode<'a> {
    pub target: &'a Target,
    pub code: &'a Code,
    pub register: bool,
    pub invite_code: Option<&'a str>,
    pub ticket: Option<&'a LiveTicket>,
}

impl Verification {
    /// Signs in the owner of the target; an unknown target registers (with
    /// `register`, or when the bind ticket carries a platform identity) or
    /// gets NO_BIND_USER with a ticket that a later register or login can redeem.
    pub(super) async fn login_by_code(
        &self,
        req: LoginByCode<'_>,
        meta: &RequestMeta,
    ) -> Result<AuthOutcome, AppError> {
        let LoginByCode {
            target,
            code,
            register,
            invite_code,
            ticket,
        } = req;
        let (referrer_id, invite_code) = self.accounts.parse_invite(invite_code).await?;
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
        let spend = PresentedCode {
            target: target.key(),
            purpose: Purpose::Login,
            code,
            client: meta.ip,
        };
        let method = sign_in_method(target);
        match existing {
            Some(user) => self.accounts.sign_in(user, ticket, meta, Some(spend), method).await,
            None if will_register => {
                self.accounts
                    .create_and_sign_in(new, ticket, meta, Some(spend), Some(method))
                    .await
            }
            None => {
                self.codes.consume(spend).await?;
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
