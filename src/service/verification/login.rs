//! LOGIN by a proven mobile, whatever proved it: an SMS LOGIN code
//! (`verifySms`) or the carrier (`oneClickLogin`). Both sign in, register or
//! issue a bind ticket by the same rules.

use super::Verification;
use crate::domain::{Code, Mobile};
use crate::error::AppError;
use crate::service::RequestMeta;
use crate::service::accounts::AuthOutcome;
use crate::service::codes::{PresentedCode, Purpose};
use crate::service::rules::Entering;
use crate::service::tickets::LiveTicket;
use crate::store::{self, tickets::NewTicket, users::NewUser};

/// What proves that the caller holds the mobile.
#[derive(Clone, Copy)]
pub(super) enum MobileProof<'a> {
    /// A LOGIN code sent to the mobile, spent in the transaction it authorises.
    SmsCode(&'a Code),
    /// The carrier said whose SIM the request came from: nothing left to spend.
    Carrier,
}

/// A sign-in by mobile, its inputs parsed.
pub(super) struct MobileLogin<'a> {
    pub mobile: &'a Mobile,
    pub proof: MobileProof<'a>,
    /// Create the account of an unknown mobile.
    pub register: bool,
    /// The parsed `inviteCode`: the referrer's id, if one exists, and the code.
    pub invite: (Option<i64>, Option<String>),
    pub ticket: Option<&'a LiveTicket>,
}

impl Verification {
    /// Signs in the owner of the mobile; an unknown mobile registers (with
    /// `register`, or when the bind ticket carries a platform identity) or
    /// gets NO_BIND_USER with a ticket that a later register or login can
    /// redeem. Nothing is written, and a code is not spent, until every rule
    /// has let the sign-in through.
    pub(super) async fn login_by_mobile(
        &self,
        login: MobileLogin<'_>,
        meta: &RequestMeta,
    ) -> Result<AuthOutcome, AppError> {
        let MobileLogin {
            mobile,
            proof,
            register,
            invite: (referrer_id, invite_code),
            ticket,
        } = login;
        let existing = store::users::by_mobile(&self.db, mobile.as_str()).await?;
        let carries_identity = ticket.is_some_and(LiveTicket::carries_identity);
        let will_register = existing.is_none() && (register || carries_identity);
        if will_register {
            self.rules.admit(Entering::NewAccount)?;
        }
        self.tickets
            .ensure_attachable(ticket, existing.as_ref(), Some(mobile.as_str()))
            .await?;
        if let Some(user) = &existing {
            self.rules.admit(Entering::Existing(user))?;
        }
        let spend = match proof {
            MobileProof::SmsCode(code) => Some(PresentedCode {
                target: mobile.as_str(),
                purpose: Purpose::Login,
                code,
                client: meta.ip,
            }),
            MobileProof::Carrier => None,
        };
        match existing {
            Some(user) => self.accounts.sign_in(user, ticket, meta, spend).await,
            None if will_register => {
                let new = NewUser {
                    mobile: Some(mobile.as_str().to_string()),
                    referrer_id,
                    invite_code,
                    register_ip: meta.ip_text(),
                    ..Default::default()
                };
                self.accounts.create_and_sign_in(new, ticket, meta, spend).await
            }
            None => {
                if let Some(spend) = spend {
                    self.codes.consume(spend).await?;
                }
                let ticket = NewTicket {
                    mobile: Some(mobile.as_str().to_string()),
                    ..Default::default()
                };
                Err(AppError::NoBindUser {
                    bind_token: self.tickets.issue(ticket).await?,
                })
            }
        }
    }
}
