//! SeaORM entities of zhanghao: one module per table. Entities are storage
//! rows only; wire types live in the GraphQL and REST layers.

pub mod audit_event;
pub mod bind_ticket;
pub mod captcha;
pub mod code;
pub mod event;
pub mod login_event;
pub mod oauth_state;
pub mod rate_counter;
pub mod session;
pub mod setting;
pub mod signing_key;
pub mod third_party_binding;
pub mod user;
