//! Keys, hashes and randomness the services use: the password hasher, the
//! JWT key ring (HS256, or ES256 / EdDSA key pairs sealed for the database),
//! the HMAC key for codes and captcha answers, the code generator, opaque
//! random tokens, the cloud request signers (TC3, Aliyun RPC). No account
//! rules here; every piece is built once at start-up (`state.rs`).

pub mod aliyun_rpc;
pub mod codes;
pub mod jwt;
pub mod passwords;
pub mod signing_keys;
pub mod tc3;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

pub use codes::{CodeGenerator, RandomCodes};
pub use jwt::{Claims, TokenKeys};
pub use passwords::PasswordHasher;
pub use signing_keys::JwtAlgorithm;

/// The server-side key for HMACs of codes and captcha answers, derived from
/// the JWT secret so there is one secret to manage.
pub struct HmacKey {
    key: Vec<u8>,
}

impl HmacKey {
    /// Derives the HMAC key from the master secret.
    pub fn new(master: &SecretString) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(b"zhanghao code and captcha hmac v1");
        HmacKey {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    /// HMAC-SHA256 of the parts (NUL-separated, so parts cannot run together), hex.
    pub fn hex(&self, parts: &[&str]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                mac.update(&[0]);
            }
            mac.update(part.as_bytes());
        }
        hex::encode(mac.finalize().into_bytes())
    }
}

/// HMAC-SHA256: the webhook signature, TC3's key derivation, GeeTest's `sign_token`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Compares secrets without an early exit that would leak how much matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// SHA-256 of an opaque token, hex: what the database keeps of refresh
/// tokens and bind tickets.
pub fn hash_opaque(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 256 random bits, URL-safe.
pub fn new_opaque_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The PKCE S256 challenge of a verifier (RFC 7636 §4.2): BASE64URL(SHA-256(verifier)), unpadded.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `len` random characters of `[A-Za-z0-9]`: OAuth states and nonces, in
/// the one alphabet every platform passes through unchanged.
pub fn random_alphanumeric(len: usize) -> String {
    use rand::distr::{Alphanumeric, SampleString};
    Alphanumeric.sample_string(&mut rand::rng(), len)
}
