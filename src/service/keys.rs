//! The JWT signing keys (DESIGN §7). The `signing_keys` table holds one row
//! per generation. A new key is published in the JWKS first and signs only
//! from [`PUBLISH_AHEAD`] later, when every node and every app back end that
//! caches the JWKS has seen it; the key it replaces keeps verifying (and stays
//! published) until every token it can have signed has expired, then is dropped.
//!
//! Nodes share the table. A node signs with the newest key it can sign with
//! (an ES256/EdDSA key sealed in the table, the key file's, or the HS256
//! secret's) and picks up a rotation made elsewhere (`zhanghao keys rotate`)
//! by reading the table again every [`REFRESH_INTERVAL`], and at once, at most
//! every [`LOOK_AGAIN_INTERVAL`], when a token names a key id it does not know
//! or an app back end fetches the JWKS.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use secrecy::SecretString;

use crate::clock::Clock;
use crate::crypto::jwt::LEEWAY_SECONDS;
use crate::crypto::signing_keys::{KeyPair, KeySeal, hs256_kid};
use crate::crypto::{JwtAlgorithm, TokenKeys};
use crate::error::AppError;
use crate::store::signing_keys::{NewKey, StoredKey};
use crate::store::{self, Db};

mod ring;

/// How often every node reads the table again.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// The fewest seconds between two unscheduled reads (unknown `kid`, a JWKS
/// fetch), so a flood of made-up key ids costs one query per interval.
pub const LOOK_AGAIN_INTERVAL: Duration = Duration::from_secs(5);
/// How long a new key is published before it signs: as long as app back ends
/// may cache the JWKS (its `Cache-Control: max-age`), and five table reads.
pub const PUBLISH_AHEAD: Duration = Duration::from_secs(300);
/// How long past [`PUBLISH_AHEAD`] a node may still sign with the old key:
/// nodes read the table every minute, this allows for many missed reads.
pub const PICKUP_ALLOWANCE: Duration = Duration::from_secs(600);

/// What a node signs with, and how long tokens live.
pub struct KeySettings {
    pub algorithm: JwtAlgorithm,
    /// ZHANGHAO_JWT_PRIVATE_KEY_FILE's key, which then signs (its private half
    /// never enters the database).
    pub file_key: Option<KeyPair>,
    /// The resolved ZHANGHAO_JWT_SECRET: the HS256 key, and what seals the
    /// private keys kept in the database.
    pub secret: SecretString,
    /// The longest an access token can live (the legacy lifetime, usually).
    pub longest_token: Duration,
}

/// The key ring's keeper: start-up, rotation, pickup, retirement, the JWKS.
#[derive(Clone)]
pub struct SigningKeys {
    db: Db,
    clock: Arc<dyn Clock>,
    tokens: Arc<TokenKeys>,
    settings: Arc<KeySettings>,
    seal: Arc<KeySeal>,
    hs_kid: Arc<str>,
    /// When the table was last read out of schedule.
    last_look: Arc<tokio::sync::Mutex<Option<Instant>>>,
}

/// A key as `zhanghao keys list` shows it.
#[derive(Debug, Clone)]
pub struct KeyInfo {
    pub generation: i32,
    pub kid: String,
    pub algorithm: String,
    pub created_at: DateTime<Utc>,
    pub state: KeyState,
}

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published, and verifies; new tokens are signed with it from then on.
    Upcoming { signs_from: DateTime<Utc> },
    /// New tokens are signed with it.
    Current,
    /// Replaced; tokens it signed still verify until then.
    Retired { verifies_until: DateTime<Utc> },
    /// The newest key, of another configuration (another ZHANGHAO_JWT_ALG,
    /// key file or secret): it verifies, but these settings cannot sign with it.
    Foreign,
    /// Replaced long enough ago that all its tokens have expired; deleted at the next sweep.
    Expired,
}

impl SigningKeys {
    /// Keeps the ring of `tokens` filled from the table in `db`.
    pub fn new(db: Db, clock: Arc<dyn Clock>, tokens: Arc<TokenKeys>, settings: KeySettings) -> SigningKeys {
        SigningKeys {
            db,
            clock,
            tokens,
            seal: Arc::new(KeySeal::new(&settings.secret)),
            hs_kid: hs256_kid(&settings.secret).into(),
            settings: Arc::new(settings),
            last_look: Arc::new(tokio::sync::Mutex::new(None)),
        }
    }

    /// Makes sure the newest key is one this node signs with (adding one if
    /// not: the first key of a new database, a new key file, a changed
    /// algorithm) and loads the ring. Nodes starting together race for the
    /// same generation; the losers read the winner's key and use it.
    pub async fn start(&self) -> Result<(), AppError> {
        for _ in 0..3 {
            let rows = store::signing_keys::all(&self.db).await?;
            if rows.last().is_some_and(|newest| self.signer_of(newest).is_some()) {
                return self.install(&rows);
            }
            let generation = rows.last().map_or(1, |newest| newest.generation + 1);
            let key = self.own_new_key(generation)?;
            let kid = key.kid.clone();
            if store::signing_keys::insert_generation(&self.db, key, self.clock.now()).await? {
                tracing::info!(generation, kid, "new JWT signing key");
            }
        }
        Err(AppError::Internal(
            "signing keys: other nodes keep adding keys of their own; do all nodes have the same ZHANGHAO_JWT_ALG, ZHANGHAO_JWT_PRIVATE_KEY_FILE and ZHANGHAO_JWT_SECRET?".into(),
        ))
    }

    /// Why `keys rotate` cannot work with these settings, if it cannot.
    pub fn rotation_refusal(&self) -> Option<&'static str> {
        if self.settings.algorithm == JwtAlgorithm::Hs256 {
            Some(
                "ZHANGHAO_JWT_ALG=HS256 signs with ZHANGHAO_JWT_SECRET itself; set ZHANGHAO_JWT_ALG=ES256 or EdDSA to have keys that rotate",
            )
        } else if self.settings.file_key.is_some() {
            Some(
                "the key comes from ZHANGHAO_JWT_PRIVATE_KEY_FILE: put a new key in the file and restart the nodes (the old key keeps verifying)",
            )
        } else {
            None
        }
    }

    /// Adds a new key as the newest generation: nodes publish it once they
    /// have read the table again (within [`REFRESH_INTERVAL`]) and sign with it
    /// from [`PUBLISH_AHEAD`] on; the key it replaces verifies until its
    /// tokens have expired.
    pub async fn rotate(&self) -> Result<KeyInfo, AppError> {
        if let Some(why) = self.rotation_refusal() {
            return Err(AppError::Internal(why.into()));
        }
        let rows = store::signing_keys::all(&self.db).await?;
        let generation = rows.last().map_or(1, |newest| newest.generation + 1);
        let key = self.own_new_key(generation)?;
        let (kid, algorithm) = (key.kid.clone(), key.algorithm.clone());
        let now = self.clock.now();
        if !store::signing_keys::insert_generation(&self.db, key, now).await? {
            return Err(AppError::Internal(
                "another process added a signing key at the same moment; see `zhanghao keys list`".into(),
            ));
        }
        self.sweep().await?;
        let listed = self.list().await?.into_iter().find(|key| key.generation == generation);
        listed.ok_or_else(|| AppError::Internal(format!("signing key {kid} ({algorithm}) vanished after insert")))
    }

    /// Every key in the table, oldest first, with where it is in its life
    /// for a node with these settings.
    pub async fn list(&self) -> Result<Vec<KeyInfo>, AppError> {
        let rows = store::signing_keys::all(&self.db).await?;
        let now = self.clock.now();
        let chosen = self.choose(&self.live(&rows, now), now).map(|(row, _)| row.generation);
        let ends = self.verify_ends(&rows);
        let state = |row: &StoredKey, end: Option<DateTime<Utc>>| match end {
            _ if chosen == Some(row.generation) => KeyState::Current,
            _ if chosen.is_some_and(|at| row.generation > at) && self.signer_of(row).is_some() => KeyState::Upcoming {
                signs_from: row.created_at + publish_ahead(),
            },
            None => KeyState::Foreign,
            Some(until) if until >= now => KeyState::Retired { verifies_until: until },
            Some(_) => KeyState::Expired,
        };
        Ok(rows
            .iter()
            .zip(ends)
            .map(|(row, end)| KeyInfo {
                generation: row.generation,
                kid: row.kid.clone(),
                algorithm: row.algorithm.clone(),
                created_at: row.created_at,
                state: state(row, end),
            })
            .collect())
    }

    /// Reads the table again and installs what it says now.
    pub async fn reload(&self) -> Result<(), AppError> {
        let rows = store::signing_keys::all(&self.db).await?;
        self.install(&rows)
    }

    /// Reads the table again unless that was done less than
    /// [`LOOK_AGAIN_INTERVAL`] ago. Callers waiting here while another reads
    /// get the fresh ring too. A failed read keeps the ring as it is.
    pub async fn look_again(&self) {
        let mut last = self.last_look.lock().await;
        if last.is_some_and(|at| at.elapsed() < LOOK_AGAIN_INTERVAL) {
            return;
        }
        *last = Some(Instant::now());
        if let Err(err) = self.reload().await {
            tracing::warn!(err = err.describe(), "reading the signing keys failed");
        }
    }

    /// The id of the key this node signs new tokens with.
    pub fn signing_kid(&self) -> Option<String> {
        self.tokens.signing_kid()
    }

    /// The published public keys, as fresh as [`look_again`](Self::look_again) makes them.
    pub async fn jwks(&self) -> JwkSet {
        self.look_again().await;
        self.tokens.jwks()
    }

    /// Deletes retired keys whose tokens have all expired.
    pub async fn sweep(&self) -> Result<u64, AppError> {
        let rows = store::signing_keys::all(&self.db).await?;
        let now = self.clock.now();
        let dead: Vec<i32> = rows
            .iter()
            .zip(self.verify_ends(&rows))
            .filter(|(_, end)| end.is_some_and(|until| until < now))
            .map(|(row, _)| row.generation)
            .collect();
        store::signing_keys::delete_generations(&self.db, &dead).await
    }

    /// Reads the table every [`REFRESH_INTERVAL`] (and sweeps dead keys) until
    /// the task is aborted; a failed read keeps the ring as it was.
    pub async fn refresh_forever(self) {
        let mut interval = tokio::time::interval(REFRESH_INTERVAL);
        interval.tick().await; // the first tick is immediate; start() just read
        loop {
            interval.tick().await;
            if let Err(err) = self.reload().await {
                tracing::warn!(err = err.describe(), "reading the signing keys failed");
            }
            if let Err(err) = self.sweep().await {
                tracing::warn!(err = err.describe(), "sweeping the signing keys failed");
            }
        }
    }

    /// How long after its successor arrived a key still verifies: nodes
    /// sign with it for [`PUBLISH_AHEAD`] (and up to [`PICKUP_ALLOWANCE`] more),
    /// and its tokens live up to the longest token lifetime, plus the clock leeway.
    fn retirement(&self) -> chrono::Duration {
        let signing = PUBLISH_AHEAD + PICKUP_ALLOWANCE + self.settings.longest_token;
        // A lifetime past a century is a typo; a century keeps the date arithmetic sane.
        let signing = chrono::Duration::from_std(signing)
            .unwrap_or(chrono::Duration::MAX)
            .min(chrono::Duration::days(36_525));
        signing + chrono::Duration::seconds(LEEWAY_SECONDS)
    }

    /// The key a new generation of this node's own would be.
    fn own_new_key(&self, generation: i32) -> Result<NewKey, AppError> {
        let algorithm = self.settings.algorithm;
        if algorithm == JwtAlgorithm::Hs256 {
            // The secret stays in the environment; the row only says since when it signs.
            return Ok(NewKey {
                generation,
                kid: self.hs_kid.to_string(),
                algorithm: algorithm.as_str().into(),
                public_jwk: None,
                private_key: None,
            });
        }
        let generated;
        let (pair, sealed) = match &self.settings.file_key {
            Some(pair) => (pair, None),
            None => {
                generated = KeyPair::generate(algorithm).map_err(AppError::Internal)?;
                let sealed = self
                    .seal
                    .seal(generated.kid(), algorithm, generated.pkcs8_der())
                    .map_err(AppError::Internal)?;
                (&generated, Some(sealed))
            }
        };
        let public = serde_json::to_string(pair.public_jwk()).map_err(|e| AppError::Internal(format!("jwk: {e}")))?;
        Ok(NewKey {
            generation,
            kid: pair.kid().to_string(),
            algorithm: pair.algorithm().as_str().into(),
            public_jwk: Some(public),
            private_key: sealed,
        })
    }
}

fn publish_ahead() -> chrono::Duration {
    chrono::Duration::seconds(PUBLISH_AHEAD.as_secs() as i64)
}

/// True once `row` has been published long enough to sign.
fn is_published(row: &StoredKey, now: DateTime<Utc>) -> bool {
    row.created_at + publish_ahead() <= now
}
