//! From the table's rows to the ring a node installs: which keys are still
//! alive, which one this node signs with, what it publishes.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::Jwk;

use super::{SigningKeys, is_published};
use crate::crypto::JwtAlgorithm;
use crate::crypto::jwt::{KeyRing, SigningKey, VerifyingKey};
use crate::crypto::signing_keys::KeyPair;
use crate::error::AppError;
use crate::store::signing_keys::StoredKey;

impl SigningKeys {
    /// Builds the ring of `rows` (oldest first) and puts it in use.
    pub(super) fn install(&self, rows: &[StoredKey]) -> Result<(), AppError> {
        let now = self.clock.now();
        let live = self.live(rows, now);
        let Some((row, signer)) = self.choose(&live, now) else {
            return Err(AppError::Internal(
                "no live signing key this node can sign with (run it once with the same ZHANGHAO_JWT_ALG and ZHANGHAO_JWT_SECRET as the others)".into(),
            ));
        };
        let newest_is_own = rows.last().is_some_and(|newest| self.signer_of(newest).is_some());
        if !newest_is_own {
            tracing::warn!(
                generation = row.generation,
                "the newest signing key is not one this node can sign with; it signs with an older one (are the nodes configured alike?)"
            );
        }
        let mut verifiers = Vec::new();
        let mut published = Vec::new();
        let mut seen = HashSet::new();
        // Newest first: a key id met twice is the same key, alive as long as its newest row.
        for row in live.iter().rev() {
            if !seen.insert(row.kid.as_str()) {
                continue;
            }
            match self.verifier_of(row) {
                Ok((verifier, jwk)) => {
                    verifiers.push(verifier);
                    published.extend(jwk);
                }
                Err(why) => tracing::debug!(generation = row.generation, why, "signing key not used to verify"),
            }
        }
        self.tokens.install(KeyRing::new(signer, verifiers, published));
        Ok(())
    }

    /// The key to sign with among the `live` rows (oldest first): of the keys
    /// this node can sign with, the newest one published long enough, else the
    /// oldest (the one signing before the others came), so a lone key (the
    /// first, a new key file, a changed algorithm) signs at once.
    pub(super) fn choose<'a>(&self, live: &[&'a StoredKey], now: DateTime<Utc>) -> Option<(&'a StoredKey, SigningKey)> {
        let own: Vec<(&StoredKey, SigningKey)> = live
            .iter()
            .rev()
            .filter_map(|row| self.signer_of(row).map(|signer| (*row, signer)))
            .collect();
        let oldest = own.len().saturating_sub(1);
        let chosen = own.iter().position(|(row, _)| is_published(row, now)).unwrap_or(oldest);
        own.into_iter().nth(chosen)
    }

    /// The rows whose tokens still verify at `now`, oldest first.
    pub(super) fn live<'a>(&self, rows: &'a [StoredKey], now: DateTime<Utc>) -> Vec<&'a StoredKey> {
        rows.iter()
            .zip(self.verify_ends(rows))
            .filter(|(_, end)| end.is_none_or(|until| until >= now))
            .map(|(row, _)| row)
            .collect()
    }

    /// Until when each row's tokens verify: `None` for the newest (for as
    /// long as it is the newest); otherwise from the moment the next key
    /// arrived, for [`retirement`](Self::retirement).
    pub(super) fn verify_ends(&self, rows: &[StoredKey]) -> Vec<Option<DateTime<Utc>>> {
        (0..rows.len())
            .map(|i| rows.get(i + 1).map(|next| next.created_at + self.retirement()))
            .collect()
    }

    /// The private half of `row`, if this node is configured to sign with it.
    pub(super) fn signer_of(&self, row: &StoredKey) -> Option<SigningKey> {
        let algorithm = JwtAlgorithm::parse(&row.algorithm)?;
        if algorithm != self.settings.algorithm {
            return None;
        }
        if algorithm == JwtAlgorithm::Hs256 {
            return (row.kid == *self.hs_kid).then(|| SigningKey::hs256(&row.kid, &self.settings.secret));
        }
        if let Some(file) = &self.settings.file_key {
            return (row.kid == file.kid()).then(|| SigningKey::from_pair(file));
        }
        // Sealed under another secret (ZHANGHAO_JWT_SECRET changed) or for
        // another key: not this node's to sign with; a fresh key replaces it.
        let der = self.seal.open(&row.kid, algorithm, row.private_key.as_deref()?)?;
        let pair = KeyPair::from_pkcs8(algorithm, &der).ok()?;
        (pair.kid() == row.kid).then(|| SigningKey::from_pair(&pair))
    }

    /// The key that verifies `row`'s tokens and, for ES256/EdDSA, its public JWK.
    fn verifier_of(&self, row: &StoredKey) -> Result<(VerifyingKey, Option<Jwk>), &'static str> {
        let algorithm = JwtAlgorithm::parse(&row.algorithm).ok_or("unknown algorithm")?;
        if algorithm == JwtAlgorithm::Hs256 {
            if row.kid != *self.hs_kid {
                return Err("an HS256 key of another secret");
            }
            return Ok((VerifyingKey::hs256(&row.kid, &self.settings.secret), None));
        }
        let jwk: Jwk = serde_json::from_str(row.public_jwk.as_deref().ok_or("no public key")?)
            .map_err(|_| "damaged public key")?;
        if jwk.common.key_id.as_deref() != Some(row.kid.as_str()) {
            return Err("public key of another kid");
        }
        let verifier = VerifyingKey::from_public_jwk(algorithm, &jwk).map_err(|_| "public key of another algorithm")?;
        Ok((verifier, Some(jwk)))
    }
}
