//! The binding rules shared by the flows that attach a platform identity to
//! an account (register-and-bind, verified sign-in, bind tickets): one user
//! per identity, one identity per platform per user, and only a proof holds
//! an identity against others: a claim (the seed flow takes the openid on the
//! client's word) gives way to a proof or to a newer claim, so nobody can
//! block another's register-and-bind by claiming their openid first.

use chrono::{DateTime, Utc};

use crate::domain::{Platform, User};
use crate::error::AppError;
use crate::store::bindings::{Binding, NewBinding};
use crate::store::{self, Db, Txn};

/// A platform identity about to be bound.
pub(crate) struct Identity {
    pub platform: Platform,
    pub app_id: String,
    pub openid: String,
    /// Only ever a unionid the platform itself vouched for: it joins accounts.
    pub unionid: Option<String>,
    /// Proven by the platform, or only claimed by the client (seed flow).
    pub verified: bool,
    /// Sealed token that revokes the authorisation at the platform when the
    /// account is deleted (Apple on the web), if the platform gave one.
    pub revocation: Option<String>,
}

/// What the database holds about an identity and a user's bindings.
struct Facts {
    /// Who holds the identity now, if anyone.
    bound: Option<Binding>,
    /// The user's own bindings.
    theirs: Vec<Binding>,
}

/// ALREADY_BOUND when the platform proved the identity to someone else, or
/// the user already has another identity of this platform. Another
/// account's mere claim does not count: it is replaced.
fn decide(user: Option<&User>, platform: Platform, facts: &Facts) -> Result<(), AppError> {
    if let Some(bound) = &facts.bound {
        return match user {
            Some(u) if u.id == bound.user_id => Ok(()),
            _ if !bound.verified => Ok(()),
            _ => Err(AppError::AlreadyBound),
        };
    }
    // Checked rather than left to the unique index, so the answer is the
    // same on every database and no statement fails inside a transaction.
    if facts.theirs.iter().any(|b| b.platform == platform.as_str()) {
        return Err(AppError::AlreadyBound);
    }
    Ok(())
}

/// Checks through the pool, before any code is spent, that `identity`
/// could be bound to `user` (or to a new account when `None`).
pub(crate) async fn ensure_bindable(db: &Db, user: Option<&User>, identity: &Identity) -> Result<(), AppError> {
    let bound =
        store::bindings::by_identity(db, identity.platform.as_str(), &identity.app_id, &identity.openid).await?;
    let theirs = match user {
        Some(user) => store::bindings::for_user(db, user.id).await?,
        None => Vec::new(),
    };
    decide(user, identity.platform, &Facts { bound, theirs })
}

/// Binds `identity` to `user` inside `txn`. Binding the same identity again
/// is a no-op, except that a proof turns the user's own claim into a
/// verified binding; another account's claim on the identity is replaced
/// (a claim never signed anyone in, so nothing is taken from them); an
/// identity the platform proved to someone else is ALREADY_BOUND.
pub(crate) async fn attach(txn: &Txn, user: &User, identity: &Identity, now: DateTime<Utc>) -> Result<(), AppError> {
    let (platform, app_id, openid) = (identity.platform, identity.app_id.as_str(), identity.openid.as_str());
    let mut bound = store::bindings::by_identity(txn, platform.as_str(), app_id, openid).await?;
    if let Some(existing) = &bound {
        if existing.user_id == user.id {
            if identity.verified && !existing.verified {
                store::bindings::mark_verified(txn, existing.id, identity.unionid.as_deref()).await?;
            }
            return Ok(());
        }
        if !existing.verified {
            tracing::warn!(
                claimed_by = existing.user_id,
                now_bound_to = user.id,
                proven = identity.verified,
                %platform,
                "an identity bound by claim moves to the account that binds it now"
            );
            store::bindings::delete_by_id(txn, existing.id).await?;
            bound = None;
        }
    }
    let facts = Facts {
        bound,
        theirs: store::bindings::for_user(txn, user.id).await?,
    };
    decide(Some(user), platform, &facts)?;
    let binding = NewBinding {
        user_id: user.id,
        platform: platform.as_str().to_string(),
        app_id: app_id.to_string(),
        openid: openid.to_string(),
        unionid: identity.unionid.clone(),
        verified: identity.verified,
        revocation: identity.revocation.clone(),
    };
    store::bindings::insert(txn, binding, now).await
}
