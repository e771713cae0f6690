//! Bind tickets (`bindToken`): single use, one hour. A ticket carries a
//! mobile proven by SMS, an email proven by an email code, or a platform
//! identity proven by the platform, and attaches it to the account that
//! later registers or signs in with it.

use std::str::FromStr;
use std::sync::Arc;

use crate::domain::User;
use chrono::Duration;

use super::bindings::{self, Identity};
use crate::clock::Clock;
use crate::crypto::{hash_opaque, new_opaque_token};
use crate::domain::{Email, Mobile};
use crate::error::{AppError, Field, InputProblem};
use crate::platforms::Platform;
use crate::store::tickets::{NewTicket, Ticket as TicketRow};
use crate::store::users::NewUser;
use crate::store::{self, Db, Txn};

const TICKET_LIFETIME_SECONDS: i64 = 3600;

/// Issuing, checking and redeeming bind tickets.
#[derive(Clone)]
pub struct Tickets {
    db: Db,
    clock: Arc<dyn Clock>,
}

/// A ticket found live when the request began, read once: what it proves
/// is known before any code is spent, and [`Tickets::redeem`] takes it.
#[derive(Debug, Clone)]
pub struct LiveTicket {
    hash: String,
    row: TicketRow,
}

impl LiveTicket {
    /// True when the ticket proves a platform identity (so redeeming it
    /// with an unknown mobile registers that mobile).
    pub fn carries_identity(&self) -> bool {
        self.row.openid.is_some()
    }
}

/// What a ticket proves, decoded from its row.
enum Proof {
    Mobile(String),
    Email(String),
    Identity(Identity),
}

fn proofs(row: &TicketRow) -> Result<Vec<Proof>, AppError> {
    let mut proofs = Vec::new();
    if let Some(mobile) = &row.mobile {
        proofs.push(Proof::Mobile(mobile.clone()));
    }
    if let Some(email) = &row.email {
        proofs.push(Proof::Email(email.clone()));
    }
    if let (Some(platform), Some(app_id), Some(openid)) = (&row.platform, &row.app_id, &row.openid) {
        let platform = Platform::from_str(platform)
            .map_err(|_| AppError::Internal(format!("ticket names unknown platform {platform}")))?;
        // Tickets carry only identities the platform proved (thirdPartyLogin).
        proofs.push(Proof::Identity(Identity {
            platform,
            app_id: app_id.clone(),
            openid: openid.clone(),
            unionid: row.unionid.clone(),
            verified: true,
            revocation: row.revocation.clone(),
        }));
    }
    Ok(proofs)
}

impl Tickets {
    /// Tickets in `db`, expiring by `clock`.
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Tickets { db, clock }
    }

    /// Issues a ticket and returns the token to hand to the client.
    pub async fn issue(&self, ticket: NewTicket) -> Result<String, AppError> {
        let token = new_opaque_token();
        let now = self.clock.now();
        let expires_at = now + Duration::seconds(TICKET_LIFETIME_SECONDS);
        store::tickets::insert(&self.db, &hash_opaque(&token), ticket, now, expires_at).await?;
        Ok(token)
    }

    /// The live ticket of `token` (none given: `None`). One that is unknown,
    /// used or expired is refused here, before any code or captcha is spent
    /// on a request that would fail anyway.
    pub async fn load(&self, token: Option<&str>) -> Result<Option<LiveTicket>, AppError> {
        let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let hash = hash_opaque(token);
        match store::tickets::peek(&self.db, &hash, self.clock.now()).await? {
            Some(row) => Ok(Some(LiveTicket { hash, row })),
            None => Err(AppError::bad(Field::BindToken, InputProblem::ExpiredOrUsed)),
        }
    }

    /// Checks, without using the ticket up, that what it carries could be
    /// attached to `user` (or to the account `new_account` is about to
    /// create), so that a code is not spent on a request that must end in
    /// ALREADY_BOUND.
    pub async fn ensure_attachable(
        &self,
        ticket: Option<&LiveTicket>,
        user: Option<&User>,
        new_account: Option<&NewUser>,
    ) -> Result<(), AppError> {
        let Some(ticket) = ticket else {
            return Ok(());
        };
        // The mobile and email the account has, or is about to be created with.
        let (account_mobile, account_email) = match user {
            Some(user) => (
                user.mobile.as_ref().map(Mobile::as_str),
                user.email.as_ref().map(Email::as_str),
            ),
            None => (
                new_account.and_then(|new| new.mobile.as_deref()),
                new_account.and_then(|new| new.email.as_deref()),
            ),
        };
        for proof in proofs(&ticket.row)? {
            match proof {
                Proof::Mobile(mobile) => {
                    if account_mobile.is_some_and(|current| current != mobile) {
                        return Err(AppError::AlreadyBound);
                    }
                }
                Proof::Email(email) => {
                    if account_email.is_some_and(|current| current != email) {
                        return Err(AppError::AlreadyBound);
                    }
                }
                Proof::Identity(identity) => bindings::ensure_bindable(&self.db, user, &identity).await?,
            }
        }
        Ok(())
    }

    /// Uses the ticket up inside the caller's transaction and attaches what
    /// it proves to `user`; returns the updated user.
    pub async fn redeem(&self, txn: &Txn, user: User, ticket: &LiveTicket) -> Result<User, AppError> {
        let now = self.clock.now();
        let row = store::tickets::take(txn, &ticket.hash, now)
            .await?
            .ok_or(AppError::bad(Field::BindToken, InputProblem::ExpiredOrUsed))?;
        let mut user = user;
        for proof in proofs(&row)? {
            match proof {
                Proof::Mobile(mobile) => user = attach_mobile(txn, user, &mobile, now).await?,
                Proof::Email(email) => user = attach_email(txn, user, &email, now).await?,
                Proof::Identity(identity) => bindings::attach(txn, &user, &identity, now).await?,
            }
        }
        Ok(user)
    }
}

async fn attach_mobile(
    txn: &Txn,
    user: User,
    mobile: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<User, AppError> {
    match user.mobile.as_ref().map(Mobile::as_str) {
        Some(current) if current == mobile => Ok(user),
        Some(_) => Err(AppError::AlreadyBound),
        None => store::users::set_mobile(txn, user.id, mobile, now).await,
    }
}

async fn attach_email(
    txn: &Txn,
    user: User,
    email: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<User, AppError> {
    match user.email.as_ref().map(Email::as_str) {
        Some(current) if current == email => Ok(user),
        Some(_) => Err(AppError::AlreadyBound),
        None => store::users::set_email(txn, user.id, email, now).await,
    }
}
