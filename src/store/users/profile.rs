//! `updateProfile` and `changeUsername` on `users`.

use chrono::{DateTime, NaiveDate, Utc};
use entity::user::Column;
use sea_orm::sea_query::Expr;

use super::update_columns;
use crate::domain::{Gender, User};
use crate::error::AppError;
use crate::store::Conn;

/// The profile fields `updateProfile` changes: `None` keeps a field,
/// `Some(None)` clears it.
#[derive(Debug, Default, Clone)]
pub struct ProfileUpdate {
    pub nickname: Option<Option<String>>,
    pub avatar: Option<Option<String>>,
    pub gender: Option<Gender>,
    pub birthday: Option<Option<NaiveDate>>,
}

/// Writes the fields of `update` that are given.
pub async fn update_profile<C: Conn>(
    db: &C,
    id: i64,
    update: ProfileUpdate,
    now: DateTime<Utc>,
) -> Result<User, AppError> {
    let mut changes = Vec::new();
    if let Some(nickname) = update.nickname {
        changes.push((Column::Nickname, Expr::value(nickname)));
    }
    if let Some(avatar) = update.avatar {
        changes.push((Column::Avatar, Expr::value(avatar)));
    }
    if let Some(gender) = update.gender {
        changes.push((Column::Gender, Expr::value(gender)));
    }
    if let Some(birthday) = update.birthday {
        changes.push((Column::Birthday, Expr::value(birthday)));
    }
    update_columns(db, id, changes, now).await
}

/// Renames the user; a key taken by another user is ACCOUNT_EXISTS (the
/// unique index on the lower-cased key decides, on SQLite and PostgreSQL alike).
pub async fn set_username<C: Conn>(
    db: &C,
    id: i64,
    username: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<User, AppError> {
    let changes = [
        (Column::Username, Expr::value(username)),
        (Column::UsernameKey, Expr::value(key)),
    ];
    update_columns(db, id, changes, now).await
}
