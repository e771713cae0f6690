//! Queries on `users`.

use chrono::{DateTime, Utc};
use entity::user::{ActiveModel, Column, Entity as Users, Model as UserRow};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryTrait,
    Select, Set,
};

use super::account_conflict;
use super::batch::beside_write;
use super::counters::{StreakTry, StreakTryUpsert};

mod admin;
mod deletion;
mod pay;
mod profile;
use crate::domain::{Account, Email, Gender, Mobile, Role, User, UserStatus};
use crate::error::AppError;
use crate::store::{Conn, Db, Writes};
pub use admin::*;
pub use deletion::*;
pub use pay::*;
pub use profile::*;

/// What a new account starts with; every identifier is optional.
#[derive(Debug, Default, Clone)]
pub struct NewUser {
    pub username: Option<String>,
    pub username_key: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub nickname: Option<String>,
    pub password_hash: Option<String>,
    pub referrer_id: Option<i64>,
    pub invite_code: Option<String>,
    pub register_ip: Option<String>,
}

/// Inserts a user; a taken username, mobile or email is ACCOUNT_EXISTS.
pub async fn insert<C: ConnectionTrait>(db: &C, new: NewUser, now: DateTime<Utc>) -> Result<User, AppError> {
    let row = ActiveModel {
        username: Set(new.username),
        username_key: Set(new.username_key),
        nickname: Set(new.nickname),
        mobile: Set(new.mobile),
        email: Set(new.email),
        avatar: Set(None),
        gender: Set(Gender::Unknown),
        birthday: Set(None),
        deletion_scheduled_at: Set(None),
        password_hash: Set(new.password_hash),
        pay_password_hash: Set(None),
        pay_password_failures: Set(0),
        pay_password_locked_until: Set(None),
        role: Set(Role::User),
        status: Set(UserStatus::Active),
        token_version: Set(0),
        referrer_id: Set(new.referrer_id),
        invite_code: Set(new.invite_code),
        mobile_verified_at: Set(None),
        mobile_verified_session: Set(None),
        locked_until: Set(None),
        register_ip: Set(new.register_ip),
        last_login_ip: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
        disabled_reason: Set(None),
        disabled_until: Set(None),
        ..Default::default()
    };
    row.insert(db).await.map(into_user).map_err(account_conflict)
}

/// The domain user of a row: its hashes become `has_password` flags.
fn into_user(row: UserRow) -> User {
    User {
        id: row.id,
        username: row.username,
        username_key: row.username_key,
        nickname: row.nickname,
        mobile: row.mobile.map(Mobile::from_e164),
        email: row.email.map(Email::from_stored),
        avatar: row.avatar,
        gender: row.gender,
        birthday: row.birthday,
        deletion_scheduled_at: row.deletion_scheduled_at,
        role: row.role,
        status: row.status,
        has_password: row.password_hash.is_some(),
        has_pay_password: row.pay_password_hash.is_some(),
        token_version: row.token_version,
        referrer_id: row.referrer_id,
        mobile_verified_at: row.mobile_verified_at,
        mobile_verified_session: row.mobile_verified_session,
        register_ip: row.register_ip,
        last_login_ip: row.last_login_ip,
        created_at: row.created_at,
        updated_at: row.updated_at,
        last_login_at: row.last_login_at,
        disabled_reason: row.disabled_reason,
        disabled_until: row.disabled_until,
    }
}

/// A user with the hash a password sign-in compares against.
pub struct SignInRecord {
    pub user: User,
    pub password_hash: Option<String>,
}

/// The account `account` names, with its password hash.
pub async fn for_password_sign_in<C: ConnectionTrait>(
    db: &C,
    account: &Account,
) -> Result<Option<SignInRecord>, AppError> {
    let row = super::by_key(named_by(account), db).await?;
    Ok(row.map(into_sign_in_record))
}

/// [`for_password_sign_in`] with a try counted first, in the same round
/// trip on PostgreSQL (the upsert as a `WITH` part), where the round trip
/// costs more CPU than either statement; one after the other on SQLite.
/// Without an account to look up, the try alone.
///
/// On PostgreSQL this statement commits without waiting for its WAL to
/// reach the disk (`synchronous_commit` off for its own transaction only):
/// the count is visible to every node at once, as before, and only a crash
/// of PostgreSQL itself may forget the tries of its last ~0.6 s (three
/// `wal_writer_delay`s), nothing against an hourly limit of 100. On a
/// 2-core host the two flushes of a login were a quarter of PostgreSQL's
/// CPU for it (perf, 7 Dec); this leaves one.
pub async fn for_password_sign_in_counting(
    db: &Db,
    account: Option<&Account>,
    count: StreakTryUpsert,
) -> Result<(StreakTry, Option<SignInRecord>), AppError> {
    let backend = db.get_database_backend();
    let Some(account) = account else {
        return Ok((count.send(db).await?, None));
    };
    if backend != DbBackend::Postgres {
        let counted = count.send(db).await?;
        return Ok((counted, for_password_sign_in(db, account).await?));
    }
    let statement = beside_write(
        "counted",
        count.statement(backend),
        named_by(account).build(backend),
        |read| {
            format!(
                "SELECT set_config('synchronous_commit', 'off', true) AS commit_mode, \
             counted.count AS try_count, counted.expires_at AS try_ends, found.* \
             FROM counted LEFT JOIN ({read}) AS found ON TRUE"
            )
        },
    );
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| AppError::Internal("streak upsert returned no row".into()))?;
    let counted = StreakTry::from_row(&row, "try_count", "try_ends")?;
    let found: Option<i64> = row.try_get("", "id")?;
    let record = match found {
        Some(_) => Some(into_sign_in_record(UserRow::from_query_result(&row, "")?)),
        None => None,
    };
    Ok((counted, record))
}

fn named_by(account: &Account) -> Select<Users> {
    let by = match account {
        Account::Username(name) => Column::UsernameKey.eq(name.key()),
        Account::Mobile(mobile) => Column::Mobile.eq(mobile.as_str()),
        Account::Email(email) => Column::Email.eq(email.as_str()),
    };
    Users::find().filter(by)
}

fn into_sign_in_record(row: UserRow) -> SignInRecord {
    SignInRecord {
        password_hash: row.password_hash.clone(),
        user: into_user(row),
    }
}

/// The account `account` names.
pub async fn by_account<C: ConnectionTrait>(db: &C, account: &Account) -> Result<Option<User>, AppError> {
    Ok(for_password_sign_in(db, account).await?.map(|record| record.user))
}

/// The login password hash of a user, if they have one.
pub async fn password_hash<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<String>, AppError> {
    Ok(super::by_key(Users::find_by_id(id), db)
        .await?
        .and_then(|row| row.password_hash))
}

/// The user with this id.
pub async fn by_id<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<User>, AppError> {
    Ok(super::by_key(Users::find_by_id(id), db).await?.map(into_user))
}

/// The user with this id, from this node's cache while it can prove the row
/// current (see `user_cache`): the token check of every request.
pub async fn by_id_cached(db: &Db, id: i64) -> Result<Option<User>, AppError> {
    let cache = db.users();
    let Some(stamp) = cache.stamp() else {
        return by_id(db, id).await;
    };
    if let Some(user) = cache.get(stamp, id) {
        return Ok(Some(user));
    }
    let user = by_id(db, id).await?;
    if let Some(user) = &user {
        cache.put(stamp, user);
    }
    Ok(user)
}

/// The user whose lower-cased username is `key`.
pub async fn by_username_key<C: ConnectionTrait>(db: &C, key: &str) -> Result<Option<User>, AppError> {
    Ok(super::by_key(Users::find().filter(Column::UsernameKey.eq(key)), db)
        .await?
        .map(into_user))
}

/// The user with this E.164 mobile.
pub async fn by_mobile<C: ConnectionTrait>(db: &C, mobile: &str) -> Result<Option<User>, AppError> {
    Ok(super::by_key(Users::find().filter(Column::Mobile.eq(mobile)), db)
        .await?
        .map(into_user))
}

/// The user with this normalised email.
pub async fn by_email<C: ConnectionTrait>(db: &C, email: &str) -> Result<Option<User>, AppError> {
    Ok(super::by_key(Users::find().filter(Column::Email.eq(email)), db)
        .await?
        .map(into_user))
}

/// Queues the record of a successful sign-in.
pub fn touch_login(writes: &mut Writes, id: i64, ip: Option<String>, now: DateTime<Utc>) {
    writes.push(
        &Users::update_many()
            .col_expr(Column::LastLoginAt, Expr::value(now))
            .col_expr(Column::LastLoginIp, Expr::value(ip))
            .filter(Column::Id.eq(id)),
    );
    writes.user_touched(id);
}

/// Attaches a mobile proven by a code; a taken one is ACCOUNT_EXISTS.
pub async fn set_mobile<C: Conn>(db: &C, id: i64, mobile: &str, now: DateTime<Utc>) -> Result<User, AppError> {
    let changes = [(Column::Mobile, Expr::value(mobile))];
    update_columns(db, id, changes, now).await
}

/// Attaches an email proven by a code; a taken one is ACCOUNT_EXISTS.
pub async fn set_email<C: Conn>(db: &C, id: i64, email: &str, now: DateTime<Utc>) -> Result<User, AppError> {
    let changes = [(Column::Email, Expr::value(email))];
    update_columns(db, id, changes, now).await
}

/// Opens the VERIFY window (REBIND, `setPassword`): the current mobile or
/// email proven now, by `session`.
pub async fn open_verify_window<C: Conn>(db: &C, id: i64, session: &str, now: DateTime<Utc>) -> Result<User, AppError> {
    let changes = [
        (Column::MobileVerifiedAt, Expr::value(Some(now))),
        (Column::MobileVerifiedSession, Expr::value(Some(session))),
    ];
    update_columns(db, id, changes, now).await
}

/// Replaces the mobile and closes the REBIND window that allowed it.
pub async fn rebind_mobile<C: Conn>(db: &C, id: i64, mobile: &str, now: DateTime<Utc>) -> Result<User, AppError> {
    let changes = [
        (Column::Mobile, Expr::value(mobile)),
        (Column::MobileVerifiedAt, Expr::value(Option::<DateTime<Utc>>::None)),
        (Column::MobileVerifiedSession, Expr::value(Option::<String>::None)),
    ];
    update_columns(db, id, changes, now).await
}

/// Stores a new login password hash.
pub async fn set_password_hash<C: Conn>(db: &C, id: i64, hash: &str, now: DateTime<Utc>) -> Result<User, AppError> {
    let changes = [(Column::PasswordHash, Expr::value(hash))];
    update_columns(db, id, changes, now).await
}

/// Stores the first login password hash of a user who has none; `None`
/// when they had one by then.
pub async fn set_first_password_hash<C: Conn>(
    db: &C,
    id: i64,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<User>, AppError> {
    let result = Users::update_many()
        .col_expr(Column::PasswordHash, Expr::value(hash))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::PasswordHash.is_null())
        .exec(db)
        .await?;
    db.user_changed(id).await;
    if result.rows_affected == 0 {
        return Ok(None);
    }
    by_id(db, id).await
}

/// Sets columns of one user, bumps `updated_at` and reads the row back;
/// unique violations become ACCOUNT_EXISTS.
async fn update_columns<C: Conn>(
    db: &C,
    id: i64,
    changes: impl IntoIterator<Item = (Column, Expr)>,
    now: DateTime<Utc>,
) -> Result<User, AppError> {
    let mut update = Users::update_many().col_expr(Column::UpdatedAt, Expr::value(now));
    for (column, value) in changes {
        update = update.col_expr(column, value);
    }
    update
        .filter(Column::Id.eq(id))
        .exec(db)
        .await
        .map_err(account_conflict)?;
    db.user_changed(id).await;
    by_id(db, id).await?.ok_or(AppError::NotFound)
}

/// Invalidates every access token issued so far (password reset, rebind, ban).
pub async fn bump_token_version<C: Conn>(db: &C, id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    Users::update_many()
        .col_expr(Column::TokenVersion, Expr::col(Column::TokenVersion).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    db.user_changed(id).await;
    Ok(())
}

/// Sets the role (`zhanghao admin grant`).
pub async fn set_role<C: Conn>(db: &C, id: i64, role: Role, now: DateTime<Utc>) -> Result<(), AppError> {
    Users::update_many()
        .col_expr(Column::Role, Expr::value(role))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    db.user_changed(id).await;
    Ok(())
}
