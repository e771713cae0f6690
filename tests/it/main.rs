//! The one integration-test binary: each module drives the router in
//! process against a fresh database (SQLite, or PostgreSQL when
//! `ZHANGHAO_TEST_DATABASE_URL` is set).

#![allow(clippy::unwrap_used)]

mod common;

mod account_page;
mod accounts;
mod admin;
mod admin_console;
mod admin_export;
mod browser;
mod browser_ready;
mod cli;
mod deletion;
mod discuz_login;
mod email_flows;
mod enumeration;
mod events;
mod faults;
mod graphql_http;
mod ip_limits;
mod jwks;
mod legacy_envelopes;
mod legacy_sessions;
mod lockout;
mod login_history;
mod notices;
mod observability;
mod one_click;
mod profile;
mod rest_chickenshop;
mod rest_discuz;
mod rest_docs;
mod rest_shopxo;
mod send_captcha;
mod shopxo_codes;
mod sms;
mod sms_pumping;
mod structure;
mod third_party;
mod tokens;
mod two_nodes;
mod user_cache;
