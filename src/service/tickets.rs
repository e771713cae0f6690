//! Bind tickets (`bindToken`): single use, one hour. A ticket carries either
//! a mobile proven by SMS or a platform identity proven by the platform, and
//! attaches it to the account that later registers or signs in with it.

use std::str::FromStr;

use chrono::Duration;
use entity::user::Model as User;

use super::third_party;
use super::tokens::{hash_opaque, new_opaque_token};
use crate::error::{AppError, InputProblem};
use crate::state::AppState;
use crate::store::{self, tickets::NewTicket};

const TICKET_LIFETIME_SECONDS: i64 = 3600;

/// Issues a ticket and returns the token to hand to the client.
pub async fn issue(state: &AppState, ticket: NewTicket) -> Result<String, AppError> {
    let token = new_opaque_token();
    let now = state.clock.now();
    store::tickets::insert(
        &state.db,
        &hash_opaque(&token),
        ticket,
        now,
        now + Duration::seconds(TICKET_LIFETIME_SECONDS),
    )
    .await?;
    Ok(token)
}

/// Refuses early a ticket that is unknown, used or expired, before any code
/// or captcha is spent on a request that would fail anyway.
pub async fn ensure_live(state: &AppState, token: Option<&str>) -> Result<(), AppError> {
    let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(());
    };
    match store::tickets::peek(&state.db, &hash_opaque(token), state.clock.now()).await? {
        Some(_) => Ok(()),
        None => Err(AppError::bad("bindToken", InputProblem::ExpiredOrUsed)),
    }
}

/// Uses the ticket up inside the caller's transaction and attaches what it
/// proves to `user`; returns the updated user.
pub async fn redeem(state: &AppState, txn: &store::Txn, user: User, token: &str) -> Result<User, AppError> {
    let token = token.trim();
    if token.is_empty() {
        return Ok(user);
    }
    let now = state.clock.now();
    let ticket = store::tickets::take(txn, &hash_opaque(token), now)
        .await?
        .ok_or(AppError::bad("bindToken", InputProblem::ExpiredOrUsed))?;
    let mut user = user;
    if let Some(mobile) = ticket.mobile {
        user = attach_mobile(state, txn, user, &mobile).await?;
    }
    if let (Some(platform), Some(app_id), Some(openid)) = (ticket.platform, ticket.app_id, ticket.openid) {
        // Tickets carry only identities the platform proved (thirdPartyLogin).
        let identity = third_party::Identity {
            platform: crate::platforms::Platform::from_str(&platform)
                .map_err(|_| AppError::Internal(format!("ticket names unknown platform {platform}")))?
                .as_str(),
            app_id,
            openid,
            unionid: ticket.unionid,
            verified: true,
        };
        third_party::attach(state, txn, &user, &identity).await?;
    }
    Ok(user)
}

async fn attach_mobile(state: &AppState, txn: &store::Txn, user: User, mobile: &str) -> Result<User, AppError> {
    match user.mobile.as_deref() {
        Some(current) if current == mobile => Ok(user),
        Some(_) => Err(AppError::AlreadyBound),
        None => {
            let mut changes: store::users::UserChanges = user.into();
            changes.mobile = store::Set(Some(mobile.to_string()));
            store::users::update(txn, changes, state.clock.now()).await
        }
    }
}

/// The live ticket behind `token`, without using it up.
pub async fn peek(state: &AppState, token: Option<&str>) -> Result<Option<entity::bind_ticket::Model>, AppError> {
    let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    store::tickets::peek(&state.db, &hash_opaque(token), state.clock.now()).await
}

/// True when the live ticket proves a platform identity (so redeeming it
/// with an unknown mobile registers that mobile).
pub async fn carries_identity(state: &AppState, token: &str) -> Result<bool, AppError> {
    let ticket = store::tickets::peek(&state.db, &hash_opaque(token.trim()), state.clock.now()).await?;
    Ok(ticket.is_some_and(|t| t.openid.is_some()))
}
