//! The account rules. Each service is a value built once from the pieces it
//! needs (`state.rs` wires them); GraphQL resolvers and REST handlers call
//! their methods and only translate inputs and outputs.
//!
//! Services depend on each other in one direction only, leaves first:
//! `limits` → `captcha` → `codes`; `keys` → `auth`; `tokens`, `tickets` (with `bindings`);
//! then `accounts`, which `third_party` and `verification` build on.

pub mod accounts;
pub mod admin;
pub mod audit;
pub mod auth;
mod bindings;
pub mod captcha;
pub mod codes;
pub mod erasure;
pub mod events;
pub mod housekeeping;
pub mod keys;
pub mod limits;
pub mod notices;
pub mod privacy;
pub mod rules;
pub mod sign_ins;
pub mod third_party;
pub mod tickets;
pub mod tokens;
pub mod verification;

use std::net::IpAddr;

pub use accounts::Accounts;
pub use admin::Admin;
pub use auth::Authenticator;
pub use captcha::Captchas;
pub use codes::Codes;
pub use erasure::Erasure;
pub use events::Events;
pub use housekeeping::Housekeeping;
pub use keys::SigningKeys;
pub use limits::Limits;
pub use notices::Notices;
pub use sign_ins::SignIns;
pub use third_party::ThirdParty;
pub use tickets::Tickets;
pub use tokens::Tokens;
pub use verification::Verification;

/// Who is asking, as far as the transport can tell.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// Came through the legacy REST layer: ShopXO and chickenshop clients
    /// have no refresh flow, so their access tokens live longer.
    pub legacy_client: bool,
}

impl RequestMeta {
    /// The client IP as stored on users and sessions.
    pub fn ip_text(&self) -> Option<String> {
        self.ip.map(|ip| ip.to_string())
    }
}

/// Every service the front doors call, built once at start-up.
#[derive(Clone)]
pub struct Services {
    pub accounts: Accounts,
    pub verification: Verification,
    pub third_party: ThirdParty,
    pub tokens: Tokens,
    pub captchas: Captchas,
    pub codes: Codes,
    pub auth: Authenticator,
    pub housekeeping: Housekeeping,
    pub keys: SigningKeys,
    pub events: Events,
    pub erasure: Erasure,
    pub sign_ins: SignIns,
    pub admin: Admin,
}
