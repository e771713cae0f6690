//! Access tokens (JWT HS256, algorithm pinned) and refresh tokens (opaque,
//! stored hashed, rotated on every use; reuse revokes the family).

use std::sync::Arc;
use std::time::Duration;

use crate::domain::User;
use chrono::{DateTime, Utc};

use super::{RequestMeta, auth::Viewer, rules, sign_ins};
use crate::clock::Clock;
use crate::crypto::jwt::Subject;
use crate::crypto::{TokenKeys, hash_opaque, new_opaque_token};
use crate::error::{AppError, Field, InputProblem};
use crate::metrics::{Metrics, SignInMethod};
use crate::store::sessions::NewSession;
use crate::store::{self, Db, Txn, Writes};

/// Sessions: access tokens signed, refresh tokens rotated, families revoked.
#[derive(Clone)]
pub struct Tokens {
    db: Db,
    clock: Arc<dyn Clock>,
    keys: Arc<TokenKeys>,
    metrics: Arc<Metrics>,
    settings: TokenSettings,
}

/// How long tokens live.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub access_ttl: Duration,
    /// Access tokens issued through the legacy REST paths (their clients never refresh).
    pub legacy_access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// How long a just-rotated refresh token still gets a pair (two tabs, a retry).
    pub refresh_reuse_grace: Duration,
}

impl Tokens {
    /// Sessions in `db`, access tokens signed with `keys`.
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        keys: Arc<TokenKeys>,
        metrics: Arc<Metrics>,
        settings: TokenSettings,
    ) -> Self {
        Tokens {
            db,
            clock,
            keys,
            metrics,
            settings,
        }
    }

    /// Starts a new session (refresh-token family): signs an access token
    /// and queues the refresh token's row in `writes`.
    pub fn issue_to(&self, writes: &mut Writes, user: &User, meta: &RequestMeta) -> Result<TokenPair, AppError> {
        let family = uuid::Uuid::new_v4().simple().to_string();
        let now = self.clock.now();
        let (pair, row) = self.new_pair(user, meta, family, now)?;
        store::sessions::insert(writes, row, now);
        Ok(pair)
    }

    /// A fresh pair in the session `family_id` (the caller's own, after a
    /// change that revoked the others), inside `txn`.
    pub async fn reissue_in(
        &self,
        conn: &Txn,
        user: &User,
        meta: &RequestMeta,
        family_id: &str,
    ) -> Result<TokenPair, AppError> {
        let now = self.clock.now();
        let (pair, row) = self.new_pair(user, meta, family_id.to_string(), now)?;
        let mut writes = Writes::new(conn);
        store::sessions::insert(&mut writes, row, now);
        writes.run(conn).await?;
        Ok(pair)
    }

    /// A signed access token and a new refresh token of `family_id`, and
    /// the row that stores the refresh token (not written yet).
    fn new_pair(
        &self,
        user: &User,
        meta: &RequestMeta,
        family_id: String,
        now: DateTime<Utc>,
    ) -> Result<(TokenPair, NewSession), AppError> {
        let access_ttl = if meta.legacy_client {
            self.settings.legacy_access_ttl
        } else {
            self.settings.access_ttl
        }
        .as_secs() as i64;
        let refresh_ttl = self.settings.refresh_ttl.as_secs() as i64;
        let subject = Subject {
            user_id: user.id,
            token_version: user.token_version,
            session: &family_id,
        };
        let access_token = self.keys.sign(subject, now, access_ttl)?;
        let refresh_token = new_opaque_token();
        let row = NewSession {
            user_id: user.id,
            family_id,
            token_hash: hash_opaque(&refresh_token),
            expires_at: now + chrono::Duration::seconds(refresh_ttl),
            token_version: user.token_version,
            ip: meta.ip.map(|ip| ip.to_string()),
            user_agent: meta.user_agent.clone(),
        };
        let pair = TokenPair {
            access_token,
            expires_in: access_ttl,
            refresh_token,
            refresh_expires_in: refresh_ttl,
        };
        Ok((pair, row))
    }

    /// Exchanges a refresh token for a new pair. A token that was already
    /// rotated is a sign of theft: the whole family is revoked.
    pub async fn refresh(&self, refresh_token: &str, meta: &RequestMeta) -> Result<(User, TokenPair), AppError> {
        let result = self.rotate(refresh_token, meta).await;
        sign_ins::count(&self.metrics, SignInMethod::Refresh, None, &result);
        result
    }

    async fn rotate(&self, refresh_token: &str, meta: &RequestMeta) -> Result<(User, TokenPair), AppError> {
        let now = self.clock.now();
        let Some(session) = store::sessions::by_hash(&self.db, &hash_opaque(refresh_token.trim())).await? else {
            return Err(AppError::Unauthenticated);
        };
        if session.revoked_at.is_some() || session.expires_at <= now {
            return Err(AppError::Unauthenticated);
        }
        let user = store::users::by_id(&self.db, session.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        rules::ensure_active(&user, now)?;
        if user.token_version != session.token_version {
            // Issued before a password reset, rebind or ban: dead, whatever its row says.
            store::sessions::revoke_family(&self.db, &session.family_id, now).await?;
            return Err(AppError::Unauthenticated);
        }
        // Rotated a moment ago (two tabs, a retried request): within the
        // grace window the client gets a working pair of the same family.
        let grace = self.settings.refresh_reuse_grace.as_secs() as i64;
        if let Some(at) = session.rotated_at
            && (grace <= 0 || (now - at).num_seconds() > grace)
        {
            return self.reused(&session, now).await;
        }
        // Signed before the writer's turn is taken: the turn is for the database.
        let (pair, next) = self.new_pair(&user, meta, session.family_id.clone(), now)?;
        let txn = store::begin(&self.db).await?;
        let won = match session.rotated_at {
            None => store::sessions::rotate(&txn, session.id, next, now).await?,
            Some(_) => {
                let mut writes = Writes::new(&txn);
                store::sessions::insert(&mut writes, next, now);
                writes.run(&txn).await?;
                true
            }
        };
        // A concurrent winner's rotation is "a moment ago" by definition.
        if won || grace > 0 {
            store::commit(txn).await?;
            return Ok((user, pair));
        }
        drop(txn); // rolled back: the loser changes nothing
        self.reused(&session, now).await
    }

    /// A rotated refresh token came back after its grace: its family is revoked.
    async fn reused(
        &self,
        session: &store::sessions::Session,
        now: DateTime<Utc>,
    ) -> Result<(User, TokenPair), AppError> {
        tracing::warn!(user_id = session.user_id, "refresh token reused; revoking its family");
        self.metrics.refresh_reuse_detected();
        store::sessions::revoke_family(&self.db, &session.family_id, now).await?;
        Err(AppError::Unauthenticated)
    }

    /// Ends the session of `refresh_token` (it must be the caller's), or all of
    /// the user's sessions; access tokens die with them when `all`.
    pub async fn logout(
        &self,
        viewer: &Viewer,
        refresh_token: Option<&str>,
        all_sessions: bool,
    ) -> Result<bool, AppError> {
        let user = viewer.require()?;
        let now = self.clock.now();
        if all_sessions {
            let txn = store::begin(&self.db).await?;
            self.revoke_everything(&txn, user.id).await?;
            store::commit(txn).await?;
            return Ok(true);
        }
        let Some(token) = refresh_token else {
            return Err(AppError::bad(Field::RefreshToken, InputProblem::Missing));
        };
        match store::sessions::by_hash(&self.db, &hash_opaque(token.trim())).await? {
            Some(session) if session.user_id == user.id => {
                store::sessions::revoke_family(&self.db, &session.family_id, now).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Revokes every refresh token and every access token of a user.
    /// The version is bumped first: a session written by a racing sign-in or
    /// refresh still carries the old version, so it can never be refreshed.
    pub async fn revoke_everything(&self, conn: &Txn, user_id: i64) -> Result<(), AppError> {
        let now = self.clock.now();
        store::users::bump_token_version(conn, user_id, now).await?;
        store::sessions::revoke_user(conn, user_id, now).await
    }

    /// Revokes every session and access token of a user except the session
    /// `keep` (the one performing a rebind), whose tokens keep working.
    pub async fn revoke_all_but(&self, conn: &Txn, user_id: i64, keep: &str) -> Result<(), AppError> {
        let now = self.clock.now();
        store::users::bump_token_version(conn, user_id, now).await?;
        let version = store::users::by_id(conn, user_id)
            .await?
            .ok_or(AppError::NotFound)?
            .token_version;
        store::sessions::revoke_user_except(conn, user_id, keep, version, now).await
    }

    /// Ends one of the caller's sessions by its id (`sessions { id }`). An id
    /// of someone else's session is NOT_FOUND, like one that does not exist,
    /// so ids cannot be probed.
    pub async fn revoke_session(&self, viewer: &Viewer, id: &str) -> Result<bool, AppError> {
        let user = viewer.require()?;
        let now = self.clock.now();
        let live = store::sessions::live_for_user(&self.db, user.id, now).await?;
        if !live.iter().any(|row| row.family_id == id) {
            return Err(AppError::NotFound);
        }
        store::sessions::revoke_family(&self.db, id, now).await?;
        Ok(true)
    }

    /// The user's live sessions, one per sign-in.
    pub async fn sessions(&self, viewer: &Viewer) -> Result<Vec<SessionInfo>, AppError> {
        let user = viewer.require()?;
        self.live_sessions(user).await
    }

    /// `User.sessions`: the live sessions of `user_id`, for that user or an
    /// ADMIN (FORBIDDEN to anyone else, NOT_FOUND for no such user).
    pub async fn sessions_of(&self, viewer: &Viewer, user_id: i64) -> Result<Vec<SessionInfo>, AppError> {
        let me = viewer.require()?;
        if me.id == user_id {
            return self.live_sessions(me).await;
        }
        if !me.is_admin() {
            return Err(AppError::Forbidden);
        }
        let user = store::users::by_id(&self.db, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.live_sessions(&user).await
    }

    async fn live_sessions(&self, user: &User) -> Result<Vec<SessionInfo>, AppError> {
        let now = self.clock.now();
        let rows = store::sessions::live_for_user(&self.db, user.id, now).await?;
        let rows = rows.into_iter().filter(|row| row.token_version == user.token_version);
        let mut out = Vec::new();
        for row in rows {
            let started = store::sessions::family_started(&self.db, &row.family_id)
                .await?
                .unwrap_or(row.created_at);
            out.push(SessionInfo {
                id: row.family_id,
                created_at: started,
                last_used_at: row.created_at,
                expires_at: row.expires_at,
                ip: row.ip,
                user_agent: row.user_agent,
            });
        }
        Ok(out)
    }
}

/// The tokens handed to a client after a sign-in or refresh.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: String,
    pub refresh_expires_in: i64,
}

/// A live session, for the `sessions` query.
pub struct SessionInfo {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}
