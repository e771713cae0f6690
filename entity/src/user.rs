//! An account. Username, mobile and email are each unique when present.

use sea_orm::entity::prelude::*;

/// One row of `users`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// As the user typed it.
    pub username: Option<String>,
    /// Lower-cased username: the unique key, so `Alice` and `alice` collide.
    #[sea_orm(unique)]
    pub username_key: Option<String>,
    pub nickname: Option<String>,
    /// E.164, e.g. `+8613113690000`.
    #[sea_orm(unique)]
    pub mobile: Option<String>,
    /// Normalised (lower-case domain and local part).
    #[sea_orm(unique)]
    pub email: Option<String>,
    pub avatar: Option<String>,
    pub gender: Gender,
    pub password_hash: Option<String>,
    pub pay_password_hash: Option<String>,
    pub pay_password_failures: i32,
    pub pay_password_locked_until: Option<DateTimeUtc>,
    pub role: Role,
    pub status: UserStatus,
    /// Bumped to revoke every access token issued before.
    pub token_version: i32,
    pub referrer_id: Option<i64>,
    pub invite_code: Option<String>,
    /// Set by a VERIFY code; opens the REBIND window.
    pub mobile_verified_at: Option<DateTimeUtc>,
    /// Too many failed codes or passwords: sign-in refused until then.
    pub locked_until: Option<DateTimeUtc>,
    pub register_ip: Option<String>,
    pub last_login_ip: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_login_at: Option<DateTimeUtc>,
    /// The session (refresh-token family) that set `mobile_verified_at`.
    pub mobile_verified_session: Option<String>,
    pub birthday: Option<Date>,
    /// PENDING_DELETION: when the account is anonymised.
    pub deletion_scheduled_at: Option<DateTimeUtc>,
    /// The operator's words when disabling the account.
    pub disabled_reason: Option<String>,
    /// A disabled account signs in again from then on; null: until enabled.
    pub disabled_until: Option<DateTimeUtc>,
}

/// Stored as ShopXO numbers it: 0 unknown, 1 female, 2 male.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "i32", db_type = "Integer")]
pub enum Gender {
    #[sea_orm(num_value = 0)]
    Unknown,
    #[sea_orm(num_value = 1)]
    Female,
    #[sea_orm(num_value = 2)]
    Male,
}

/// What a user may do; stored as `USER` or `ADMIN`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Role {
    #[sea_orm(string_value = "USER")]
    User,
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}

/// Whether a user may sign in; stored as `ACTIVE`, `DISABLED`, `PENDING_DELETION`
/// (signs in, so the owner can cancel) or `DELETED` (a tombstone: the id and nothing else).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum UserStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "DISABLED")]
    Disabled,
    #[sea_orm(string_value = "PENDING_DELETION")]
    PendingDeletion,
    #[sea_orm(string_value = "DELETED")]
    Deleted,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
