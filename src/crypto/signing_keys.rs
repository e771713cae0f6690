//! Asymmetric signing keys (ES256 on P-256, EdDSA on Ed25519): made from
//! fresh randomness or read from a PEM file, kept as PKCS#8 DER, published as
//! a public JWK whose RFC 7638 thumbprint is the key id. [`KeySeal`] seals
//! the private half for the database.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters, Jwk, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse, ThumbprintHash,
};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretSlice, SecretString};

use super::hmac_sha256;

/// The signature algorithms a key can be pinned to (`ZHANGHAO_JWT_ALG`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 with ZHANGHAO_JWT_SECRET: only this server can verify.
    #[value(name = "HS256")]
    Hs256,
    /// ECDSA on P-256: app back ends verify with the published public key.
    #[value(name = "ES256")]
    Es256,
    /// Ed25519: app back ends verify with the published public key.
    #[value(name = "EdDSA")]
    EdDsa,
}

impl JwtAlgorithm {
    /// The JOSE name (`alg`).
    pub fn as_str(self) -> &'static str {
        match self {
            JwtAlgorithm::Hs256 => "HS256",
            JwtAlgorithm::Es256 => "ES256",
            JwtAlgorithm::EdDsa => "EdDSA",
        }
    }

    /// The algorithm of a JOSE name, exactly as [`as_str`](Self::as_str) writes it.
    pub fn parse(name: &str) -> Option<JwtAlgorithm> {
        [JwtAlgorithm::Hs256, JwtAlgorithm::Es256, JwtAlgorithm::EdDsa]
            .into_iter()
            .find(|alg| alg.as_str() == name)
    }

    /// jsonwebtoken's name for it.
    pub fn jose(self) -> jsonwebtoken::Algorithm {
        match self {
            JwtAlgorithm::Hs256 => jsonwebtoken::Algorithm::HS256,
            JwtAlgorithm::Es256 => jsonwebtoken::Algorithm::ES256,
            JwtAlgorithm::EdDsa => jsonwebtoken::Algorithm::EdDSA,
        }
    }
}

/// A private signing key with its public JWK (which carries `kid`, `alg`, `use`).
pub struct KeyPair {
    algorithm: JwtAlgorithm,
    pkcs8: SecretSlice<u8>,
    public: Jwk,
}

impl KeyPair {
    /// A fresh key for `algorithm` (ES256 or EdDSA).
    pub fn generate(algorithm: JwtAlgorithm) -> Result<KeyPair, String> {
        let mut seed = [0u8; 32];
        loop {
            rand::rng().fill_bytes(&mut seed);
            let der = match algorithm {
                JwtAlgorithm::Hs256 => return Err("HS256 has no key pair: it signs with ZHANGHAO_JWT_SECRET".into()),
                // A P-256 scalar must be below the group order: retry the
                // (about 2^-32 likely) seed that is not.
                JwtAlgorithm::Es256 => match p256::ecdsa::SigningKey::from_slice(&seed) {
                    Ok(key) => key.to_pkcs8_der().map_err(|e| format!("P-256 to PKCS#8: {e}"))?,
                    Err(_) => continue,
                },
                JwtAlgorithm::EdDsa => ed25519_dalek::SigningKey::from_bytes(&seed)
                    .to_pkcs8_der()
                    .map_err(|e| format!("Ed25519 to PKCS#8: {e}"))?,
            };
            return KeyPair::from_pkcs8(algorithm, der.as_bytes());
        }
    }

    /// The key of a PKCS#8 DER document, which must be of `algorithm`.
    pub fn from_pkcs8(algorithm: JwtAlgorithm, der: &[u8]) -> Result<KeyPair, String> {
        let parameters = match algorithm {
            JwtAlgorithm::Hs256 => return Err("HS256 has no key pair".into()),
            JwtAlgorithm::Es256 => {
                let key = p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|_| "not a P-256 PKCS#8 key")?;
                let point = key.verifying_key().to_encoded_point(false);
                let (Some(x), Some(y)) = (point.x(), point.y()) else {
                    return Err("P-256 public key without coordinates".into());
                };
                AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                    curve: EllipticCurve::P256,
                    x: URL_SAFE_NO_PAD.encode(x),
                    y: URL_SAFE_NO_PAD.encode(y),
                    ..Default::default()
                })
            }
            JwtAlgorithm::EdDsa => {
                let key = ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(|_| "not an Ed25519 PKCS#8 key")?;
                AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                    key_type: OctetKeyPairType::OctetKeyPair,
                    curve: EllipticCurve::Ed25519,
                    x: URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes()),
                })
            }
        };
        let mut public = Jwk {
            common: CommonParameters::default(),
            algorithm: parameters,
        };
        // The thumbprint covers the required public members only (RFC 7638),
        // so the same key has the same id on every node.
        let kid = public.thumbprint(ThumbprintHash::SHA256);
        public.common = CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(match algorithm {
                JwtAlgorithm::Es256 => KeyAlgorithm::ES256,
                _ => KeyAlgorithm::EdDSA,
            }),
            key_id: Some(kid),
            ..Default::default()
        };
        Ok(KeyPair {
            algorithm,
            pkcs8: SecretSlice::from(der.to_vec()),
            public,
        })
    }

    /// The key of a PEM file: PKCS#8 (`BEGIN PRIVATE KEY`, P-256 or Ed25519)
    /// or SEC1 (`BEGIN EC PRIVATE KEY`, what `openssl ecparam -genkey` writes).
    pub fn from_pem(pem: &str) -> Result<KeyPair, String> {
        if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_pem(pem) {
            let der = key.to_pkcs8_der().map_err(|e| format!("P-256 to PKCS#8: {e}"))?;
            return KeyPair::from_pkcs8(JwtAlgorithm::Es256, der.as_bytes());
        }
        if let Ok(secret) = p256::SecretKey::from_sec1_pem(pem) {
            let der = secret.to_pkcs8_der().map_err(|e| format!("P-256 to PKCS#8: {e}"))?;
            return KeyPair::from_pkcs8(JwtAlgorithm::Es256, der.as_bytes());
        }
        if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
            let der = key.to_pkcs8_der().map_err(|e| format!("Ed25519 to PKCS#8: {e}"))?;
            return KeyPair::from_pkcs8(JwtAlgorithm::EdDsa, der.as_bytes());
        }
        Err("not a PEM P-256 or Ed25519 private key (PKCS#8 `BEGIN PRIVATE KEY`, or `BEGIN EC PRIVATE KEY`)".into())
    }

    pub fn algorithm(&self) -> JwtAlgorithm {
        self.algorithm
    }

    /// The key id: the RFC 7638 SHA-256 thumbprint of the public key.
    pub fn kid(&self) -> &str {
        self.public.common.key_id.as_deref().unwrap_or_default()
    }

    /// The public half as published in the JWKS.
    pub fn public_jwk(&self) -> &Jwk {
        &self.public
    }

    /// The private half, PKCS#8 DER.
    pub fn pkcs8_der(&self) -> &[u8] {
        self.pkcs8.expose_secret()
    }
}

/// Seals private keys for the database with AES-256-GCM under a key derived
/// from the JWT secret, bound to the key's id and algorithm: a database dump
/// or a read-only SQL account is not enough to sign tokens.
pub struct KeySeal {
    cipher: Aes256Gcm,
}

const SEAL_VERSION: &str = "v1.";

impl KeySeal {
    /// The seal of `master` (the resolved ZHANGHAO_JWT_SECRET).
    pub fn new(master: &SecretString) -> KeySeal {
        KeySeal::for_purpose(master, b"zhanghao signing key seal v1")
    }

    /// A seal of `master` for one purpose: each purpose derives its own key.
    pub fn for_purpose(master: &SecretString, purpose: &[u8]) -> KeySeal {
        let key = hmac_sha256(master.expose_secret().as_bytes(), purpose);
        let cipher = Aes256Gcm::new_from_slice(&key).unwrap_or_else(|_| unreachable!("HMAC-SHA256 gives 32 bytes"));
        KeySeal { cipher }
    }

    /// `v1.` + base64(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, kid: &str, algorithm: JwtAlgorithm, plain: &[u8]) -> Result<String, String> {
        self.seal_for(&format!("{kid}|{}", algorithm.as_str()), plain)
    }

    /// The private key sealed by [`KeySeal::seal`], or `None` when it was sealed
    /// under another secret (or for another key id) or is damaged.
    pub fn open(&self, kid: &str, algorithm: JwtAlgorithm, sealed: &str) -> Option<Vec<u8>> {
        self.open_for(&format!("{kid}|{}", algorithm.as_str()), sealed)
    }

    /// Seals `plain` bound to `context` (authenticated, not encrypted).
    pub fn seal_for(&self, context: &str, plain: &[u8]) -> Result<String, String> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| "sealing failed".to_string())?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(format!("{SEAL_VERSION}{}", STANDARD.encode(out)))
    }

    /// What [`KeySeal::seal_for`] sealed for `context`, or `None`.
    pub fn open_for(&self, context: &str, sealed: &str) -> Option<Vec<u8>> {
        let bytes = STANDARD.decode(sealed.strip_prefix(SEAL_VERSION)?).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, body) = bytes.split_at(12);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context.as_bytes(),
                },
            )
            .ok()
    }
}

/// The key id of the HS256 key: an HMAC of the secret, so it names the
/// secret without telling anything about it.
pub fn hs256_kid(secret: &SecretString) -> String {
    let mac = hmac_sha256(secret.expose_secret().as_bytes(), b"zhanghao hs256 key id v1");
    format!("hs256-{}", URL_SAFE_NO_PAD.encode(&mac[..12]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_round_trip_through_pkcs8_and_keep_their_id() {
        for algorithm in [JwtAlgorithm::Es256, JwtAlgorithm::EdDsa] {
            let pair = KeyPair::generate(algorithm).expect("generate");
            let again = KeyPair::from_pkcs8(algorithm, pair.pkcs8_der()).expect("parse");
            assert_eq!(pair.kid(), again.kid());
            assert_eq!(pair.kid().len(), 43, "base64url SHA-256");
            let other = if algorithm == JwtAlgorithm::Es256 {
                JwtAlgorithm::EdDsa
            } else {
                JwtAlgorithm::Es256
            };
            assert!(
                KeyPair::from_pkcs8(other, pair.pkcs8_der()).is_err(),
                "algorithm pinned"
            );
        }
    }

    #[test]
    fn a_sealed_key_opens_only_with_its_secret_and_its_id() {
        let seal = KeySeal::new(&SecretString::from("one secret one secret one secret 0123"));
        let other = KeySeal::new(&SecretString::from("two secret two secret two secret 0123"));
        let sealed = seal.seal("kid-1", JwtAlgorithm::Es256, b"private").expect("seal");
        assert_eq!(
            seal.open("kid-1", JwtAlgorithm::Es256, &sealed).as_deref(),
            Some(&b"private"[..])
        );
        assert!(other.open("kid-1", JwtAlgorithm::Es256, &sealed).is_none());
        assert!(seal.open("kid-2", JwtAlgorithm::Es256, &sealed).is_none());
        assert!(seal.open("kid-1", JwtAlgorithm::EdDsa, &sealed).is_none());
        assert!(seal.open("kid-1", JwtAlgorithm::Es256, "v1.AAAA").is_none());
    }
}
