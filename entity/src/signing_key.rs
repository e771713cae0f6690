//! A JWT signing key of one generation: the newest signs, older ones verify
//! until the tokens they signed have expired.

use sea_orm::entity::prelude::*;

/// One row of `signing_keys`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    /// 1 for the first key, one more for each key after it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub generation: i32,
    /// The `kid` tokens carry: the RFC 7638 thumbprint of a public key, or
    /// the HS256 secret's id.
    pub kid: String,
    /// `HS256`, `ES256` or `EdDSA`.
    pub algorithm: String,
    /// The public JWK (ES256 / EdDSA); none for HS256.
    pub public_jwk: Option<String>,
    /// The PKCS#8 private key sealed under the JWT secret; none for HS256 and
    /// for keys read from ZHANGHAO_JWT_PRIVATE_KEY_FILE.
    pub private_key: Option<String>,
    /// When this key became the one tokens are signed with.
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
