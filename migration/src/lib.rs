//! Database migrations of zhanghao, one change per file, each with a real `down()`.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_create_users;
mod m20261121_000002_create_sessions;
mod m20261121_000003_create_captchas;
mod m20261121_000004_create_settings;
mod m20261121_000005_create_rate_counters;
mod m20261121_000006_create_codes;
mod m20261121_000007_create_bind_tickets;
mod m20261121_000008_create_third_party_bindings;
mod m20261121_000009_add_binding_verified;
mod m20261121_000010_add_session_token_version;
mod m20261121_000011_add_user_mobile_verified_session;
mod m20261121_000012_create_signing_keys;
mod m20261121_000013_create_oauth_states;
mod m20261121_000014_add_user_birthday;
mod m20261121_000015_add_ticket_email;
mod m20261121_000016_create_login_events;
mod m20261121_000020_create_events;
mod m20261121_000021_add_user_deletion;
mod m20261121_000022_add_revocation_tokens;
mod m20261121_000030_add_user_disabled;
mod m20261121_000031_create_audit_events;
mod m20261202_000032_notify_user_changes;

/// Every migration, in order; `zhanghao migrate` and `serve` apply the pending ones.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_users::Migration),
            Box::new(m20261121_000002_create_sessions::Migration),
            Box::new(m20261121_000003_create_captchas::Migration),
            Box::new(m20261121_000004_create_settings::Migration),
            Box::new(m20261121_000005_create_rate_counters::Migration),
            Box::new(m20261121_000006_create_codes::Migration),
            Box::new(m20261121_000007_create_bind_tickets::Migration),
            Box::new(m20261121_000008_create_third_party_bindings::Migration),
            Box::new(m20261121_000009_add_binding_verified::Migration),
            Box::new(m20261121_000010_add_session_token_version::Migration),
            Box::new(m20261121_000011_add_user_mobile_verified_session::Migration),
            Box::new(m20261121_000012_create_signing_keys::Migration),
            Box::new(m20261121_000013_create_oauth_states::Migration),
            Box::new(m20261121_000014_add_user_birthday::Migration),
            Box::new(m20261121_000015_add_ticket_email::Migration),
            Box::new(m20261121_000016_create_login_events::Migration),
            Box::new(m20261121_000020_create_events::Migration),
            Box::new(m20261121_000021_add_user_deletion::Migration),
            Box::new(m20261121_000022_add_revocation_tokens::Migration),
            Box::new(m20261121_000030_add_user_disabled::Migration),
            Box::new(m20261121_000031_create_audit_events::Migration),
            Box::new(m20261202_000032_notify_user_changes::Migration),
        ]
    }
}
