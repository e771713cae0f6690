//! Who a bearer token belongs to.

use std::sync::Arc;

use crate::domain::User;

use super::keys::SigningKeys;
use super::rules;
use crate::clock::Clock;
use crate::crypto::TokenKeys;
use crate::crypto::jwt::{Claims, Refusal};
use crate::error::AppError;
use crate::store::{self, Db};

/// Turns bearer tokens into viewers.
#[derive(Clone)]
pub struct Authenticator {
    db: Db,
    clock: Arc<dyn Clock>,
    keys: Arc<TokenKeys>,
    /// Asked to read the keys again when a token names a key id not in the ring.
    signing_keys: SigningKeys,
}

impl Authenticator {
    /// Checks tokens signed with `keys` against users in `db`.
    pub fn new(db: Db, clock: Arc<dyn Clock>, keys: Arc<TokenKeys>, signing_keys: SigningKeys) -> Self {
        Authenticator {
            db,
            clock,
            keys,
            signing_keys,
        }
    }

    /// The token's claims if one of our keys signed it. An unknown key id may
    /// be a key another node has just started to sign with: the table is read
    /// again (at most every few seconds) and the token tried once more.
    async fn verify(&self, token: &str) -> Option<Claims> {
        match self.keys.verify(token, self.clock.now()) {
            Ok(claims) => Some(claims),
            Err(Refusal::UnknownKey) => {
                self.signing_keys.look_again().await;
                self.keys.verify(token, self.clock.now()).ok()
            }
            Err(Refusal::Invalid) => None,
        }
    }

    /// Resolves a bearer token: signature, lifetime, the user still active, and
    /// the token not revoked since (token version).
    pub async fn authenticate(&self, bearer: Option<&str>) -> Result<Viewer, AppError> {
        let Some(token) = bearer.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(Viewer::Anonymous);
        };
        let Some(claims) = self.verify(token).await else {
            return Ok(Viewer::Rejected);
        };
        let Ok(user_id) = claims.sub.parse::<i64>() else {
            return Ok(Viewer::Rejected);
        };
        let Some(user) = store::users::by_id_cached(&self.db, user_id).await? else {
            return Ok(Viewer::Rejected);
        };
        if rules::ensure_active(&user, self.clock.now()).is_err() {
            return Ok(Viewer::Rejected);
        }
        // A token of an older version is alive only when its session was kept
        // through the revocation (the session that performed a rebind); that
        // costs a second read, on this rare path only.
        let current = user.token_version == claims.ver
            || store::sessions::family_live_at(&self.db, user.id, &claims.sid, user.token_version, self.clock.now())
                .await?;
        if !current {
            return Ok(Viewer::Rejected);
        }
        Ok(Viewer::User {
            user: Box::new(user),
            session: claims.sid,
        })
    }
}

/// The signed-in user of a request, if any.
#[derive(Debug, Clone, Default)]
pub enum Viewer {
    #[default]
    Anonymous,
    /// A token was sent but is bad: endpoints that need a user say UNAUTHENTICATED.
    Rejected,
    /// Signed in, through the session (refresh-token family) `session`.
    User { user: Box<User>, session: String },
}

impl Viewer {
    /// The user, or UNAUTHENTICATED.
    pub fn require(&self) -> Result<&User, AppError> {
        match self {
            Viewer::User { user, .. } => Ok(user),
            _ => Err(AppError::Unauthenticated),
        }
    }

    /// The user, if signed in.
    pub fn user(&self) -> Option<&User> {
        match self {
            Viewer::User { user, .. } => Some(user),
            _ => None,
        }
    }

    /// The session the request came through, if signed in.
    pub fn session(&self) -> Option<&str> {
        match self {
            Viewer::User { session, .. } => Some(session),
            _ => None,
        }
    }
}
