//! Access tokens (JWT HS256, algorithm pinned) and refresh tokens (opaque,
//! stored hashed, rotated on every use; reuse revokes the family).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::user::Model as User;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::RequestMeta;
use crate::error::AppError;
use crate::state::AppState;
use crate::store;

/// Clock skew tolerated on `exp` and `nbf` (RFC 8725 asks for little).
const LEEWAY_SECONDS: i64 = 30;

/// What an access token says.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub iss: String,
    pub aud: String,
    /// The user's token version when issued; a bump revokes the token.
    pub ver: i32,
    /// The session (refresh-token family) the token belongs to.
    pub sid: String,
}

/// The signing keys and the claims every token must carry.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl TokenKeys {
    /// Pins HS256 and requires `exp`, `iss`, `aud` (time is checked against
    /// the app's clock, not inside jsonwebtoken, so tests can move it).
    pub fn new(secret: &SecretString, issuer: &str, audience: &str) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "nbf"]);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        TokenKeys {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
        }
    }

    /// Signs an access token for `user`, valid `ttl_seconds` from `now`.
    pub fn sign(&self, user: &User, session: &str, now: DateTime<Utc>, ttl_seconds: i64) -> Result<String, AppError> {
        let iat = now.timestamp();
        let claims = Claims {
            sub: user.id.to_string(),
            iat,
            nbf: iat,
            exp: iat + ttl_seconds,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            ver: user.token_version,
            sid: session.to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(format!("jwt encode: {e}")))
    }

    /// Checks signature, algorithm, issuer, audience and lifetime.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, AppError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| AppError::Unauthenticated)?;
        let claims = data.claims;
        let now = now.timestamp();
        if claims.exp + LEEWAY_SECONDS < now || claims.nbf - LEEWAY_SECONDS > now {
            return Err(AppError::Unauthenticated);
        }
        Ok(claims)
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

/// SHA-256 of an opaque token, hex: what the database keeps.
pub fn hash_opaque(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 256 random bits, URL-safe.
pub fn new_opaque_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Starts a new session (refresh-token family) and signs an access token.
pub async fn issue(state: &AppState, user: &User, meta: &RequestMeta) -> Result<TokenPair, AppError> {
    issue_with(state, &state.db, user, meta).await
}

/// [`issue`] inside the caller's transaction.
pub async fn issue_with<C: store::Conn>(
    state: &AppState,
    conn: &C,
    user: &User,
    meta: &RequestMeta,
) -> Result<TokenPair, AppError> {
    let family = uuid::Uuid::new_v4().simple().to_string();
    issue_in_family(state, conn, user, meta, family).await
}

async fn issue_in_family<C: store::Conn>(
    state: &AppState,
    conn: &C,
    user: &User,
    meta: &RequestMeta,
    family_id: String,
) -> Result<TokenPair, AppError> {
    let now = state.clock.now();
    let access_ttl = if meta.legacy_client {
        state.config.legacy_access_ttl
    } else {
        state.config.access_ttl
    }
    .as_secs() as i64;
    let refresh_ttl = state.config.refresh_ttl.as_secs() as i64;
    let access_token = state.tokens.sign(user, &family_id, now, access_ttl)?;
    let refresh_token = new_opaque_token();
    store::sessions::insert(
        conn,
        store::sessions::NewSession {
            user_id: user.id,
            family_id,
            token_hash: hash_opaque(&refresh_token),
            expires_at: now + chrono::Duration::seconds(refresh_ttl),
            token_version: user.token_version,
            ip: meta.ip.map(|ip| ip.to_string()),
            user_agent: meta.user_agent.clone(),
        },
        now,
    )
    .await?;
    Ok(TokenPair {
        access_token,
        expires_in: access_ttl,
        refresh_token,
        refresh_expires_in: refresh_ttl,
    })
}

/// Exchanges a refresh token for a new pair. A token that was already
/// rotated is a sign of theft: the whole family is revoked.
pub async fn refresh(state: &AppState, refresh_token: &str, meta: &RequestMeta) -> Result<(User, TokenPair), AppError> {
    let now = state.clock.now();
    let Some(session) = store::sessions::by_hash(&state.db, &hash_opaque(refresh_token.trim())).await? else {
        return Err(AppError::Unauthenticated);
    };
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Err(AppError::Unauthenticated);
    }
    let user = super::accounts::active_user(state, session.user_id).await?;
    if user.token_version != session.token_version {
        // Issued before a password reset, rebind or ban: dead, whatever its row says.
        store::sessions::revoke_family(&state.db, &session.family_id, now).await?;
        return Err(AppError::Unauthenticated);
    }
    let txn = store::begin(&state.db).await?;
    let won = session.rotated_at.is_none() && store::sessions::mark_rotated(&txn, session.id, now).await?;
    if !won {
        // Rotated a moment ago (two tabs, a retried request): within the
        // grace window the client gets a working pair of the same family.
        // A concurrent winner's rotation is "a moment ago" by definition.
        let grace = state.config.refresh_reuse_grace.as_secs() as i64;
        let rotated_recently = session.rotated_at.is_none_or(|at| (now - at).num_seconds() <= grace);
        if grace > 0 && rotated_recently {
            let pair = issue_in_family(state, &txn, &user, meta, session.family_id).await?;
            store::commit(txn).await?;
            return Ok((user, pair));
        }
        drop(txn); // rolled back: the loser changes nothing
        tracing::warn!(user_id = session.user_id, "refresh token reused; revoking its family");
        metrics::counter!("zhanghao_refresh_reuse_detected_total").increment(1);
        store::sessions::revoke_family(&state.db, &session.family_id, now).await?;
        return Err(AppError::Unauthenticated);
    }
    let pair = issue_in_family(state, &txn, &user, meta, session.family_id).await?;
    store::commit(txn).await?;
    Ok((user, pair))
}

/// Ends the session of `refresh_token` (it must be the caller's), or all of
/// the user's sessions; access tokens die with them when `all`.
pub async fn logout(
    state: &AppState,
    user: &User,
    refresh_token: Option<&str>,
    all_sessions: bool,
) -> Result<bool, AppError> {
    let now = state.clock.now();
    if all_sessions {
        revoke_everything(state, &state.db, user.id).await?;
        return Ok(true);
    }
    let Some(token) = refresh_token else {
        return Err(AppError::bad("refreshToken", crate::error::InputProblem::Missing));
    };
    match store::sessions::by_hash(&state.db, &hash_opaque(token.trim())).await? {
        Some(session) if session.user_id == user.id => {
            store::sessions::revoke_family(&state.db, &session.family_id, now).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Revokes every refresh token and every access token of a user.
/// The version is bumped first: a session written by a racing sign-in or
/// refresh still carries the old version, so it can never be refreshed.
pub async fn revoke_everything<C: store::Conn>(state: &AppState, conn: &C, user_id: i64) -> Result<(), AppError> {
    let now = state.clock.now();
    store::users::bump_token_version(conn, user_id, now).await?;
    store::sessions::revoke_user(conn, user_id, now).await
}

/// Revokes every session and access token of a user except the session
/// `keep` (the one performing a rebind), whose tokens keep working.
pub async fn revoke_all_but<C: store::Conn>(
    state: &AppState,
    conn: &C,
    user_id: i64,
    keep: &str,
) -> Result<(), AppError> {
    let now = state.clock.now();
    store::users::bump_token_version(conn, user_id, now).await?;
    let version = store::users::by_id(conn, user_id)
        .await?
        .ok_or(AppError::NotFound)?
        .token_version;
    store::sessions::revoke_user_except(conn, user_id, keep, version, now).await
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

/// The user's live sessions, one per sign-in.
pub async fn sessions(state: &AppState, user: &User) -> Result<Vec<SessionInfo>, AppError> {
    let now = state.clock.now();
    let rows = store::sessions::live_for_user(&state.db, user.id, now).await?;
    let rows = rows.into_iter().filter(|row| row.token_version == user.token_version);
    let mut out = Vec::new();
    for row in rows {
        let started = store::sessions::family_started(&state.db, &row.family_id)
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
