//! Who a bearer token belongs to.

use entity::user::Model as User;

use crate::error::AppError;
use crate::state::AppState;
use crate::store;

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

/// Resolves a bearer token: signature, lifetime, the user still active, and
/// the token not revoked since (token version).
pub async fn authenticate(state: &AppState, bearer: Option<&str>) -> Result<Viewer, AppError> {
    let Some(token) = bearer.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Viewer::Anonymous);
    };
    let Ok(claims) = state.tokens.verify(token, state.clock.now()) else {
        return Ok(Viewer::Rejected);
    };
    let Ok(user_id) = claims.sub.parse::<i64>() else {
        return Ok(Viewer::Rejected);
    };
    let Some(user) = store::users::by_id(&state.db, user_id).await? else {
        return Ok(Viewer::Rejected);
    };
    if user.status != "ACTIVE" {
        return Ok(Viewer::Rejected);
    }
    // A token of an older version is alive only when its session was kept
    // through the revocation (the session that performed a rebind); that
    // costs a second read, on this rare path only.
    let current = user.token_version == claims.ver
        || store::sessions::family_live_at(&state.db, user.id, &claims.sid, user.token_version, state.clock.now())
            .await?;
    if !current {
        return Ok(Viewer::Rejected);
    }
    Ok(Viewer::User {
        user: Box::new(user),
        session: claims.sid,
    })
}
