//! A browser OAuth flow in progress: the single-use `state` of one
//! authorize URL, for ten minutes, with what the flow's end must match.

use sea_orm::entity::prelude::*;

/// One row of `oauth_states`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_states")]
pub struct Model {
    /// SHA-256 of the `state` handed to the browser, hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The platform's wire name (`wx_web`, `qq`, …).
    pub platform: String,
    /// The allow-listed URI the platform sends the browser back to.
    pub redirect_uri: String,
    /// BASE64URL(SHA-256(code verifier)): only the browser that asked knows the verifier.
    pub code_challenge: String,
    /// Apple only: the nonce its identity token must carry.
    pub nonce: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
