//! The account rules. GraphQL resolvers and REST handlers call these
//! functions and only translate their inputs and outputs.

pub mod accounts;
pub mod auth;
pub mod captcha;
pub mod clock;
pub mod codes;
pub mod housekeeping;
pub mod limits;
pub mod passwords;
pub mod third_party;
pub mod tickets;
pub mod tokens;
pub mod verification;

use std::net::IpAddr;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::error::Lang;

/// Who is asking, as far as the transport can tell.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub lang: Lang,
    /// Came through the legacy REST layer: ShopXO and chickenshop clients
    /// have no refresh flow, so their access tokens live longer.
    pub legacy_client: bool,
}

/// The server-side key for HMACs of codes and captcha answers, derived from
/// the JWT secret so there is one secret to manage.
pub struct Secrets {
    hmac_key: Vec<u8>,
}

impl Secrets {
    /// Derives the HMAC key from the master secret.
    pub fn new(master: &SecretString) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(b"zhanghao code and captcha hmac v1");
        Secrets {
            hmac_key: mac.finalize().into_bytes().to_vec(),
        }
    }

    /// HMAC-SHA256 of the parts (NUL-separated, so parts cannot run together), hex.
    pub fn hmac_hex(&self, parts: &[&str]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.hmac_key)
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

/// Compares secrets without an early exit that would leak how much matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
