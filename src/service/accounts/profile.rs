//! The signed-in user's profile (`updateProfile`) and username (`changeUsername`).

use chrono::NaiveDate;

use super::Accounts;
use crate::domain::{Avatar, Gender, User, Username, parse_birthday};
use crate::error::{AppError, Field, InputProblem};
use crate::service::auth::Viewer;
use crate::service::events::EventType;
use crate::store::{self, users::ProfileUpdate};

/// What to do with one optional profile field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change<T> {
    /// Absent from the input: stays as it is.
    Keep,
    /// Given as null: removed.
    Clear,
    Set(T),
}

/// `updateProfile` as the client sent it.
#[derive(Debug, Clone)]
pub struct ProfileChange {
    pub nickname: Change<String>,
    pub avatar: Change<String>,
    /// `None` keeps the gender; UNKNOWN is how it is unset.
    pub gender: Option<Gender>,
    pub birthday: Change<NaiveDate>,
}

/// The hours the earliest time zone (UTC+14) is ahead of UTC.
const EARLIEST_ZONE_HOURS: i64 = 14;

impl Accounts {
    /// Changes the fields given and keeps the others; every field is checked
    /// before anything is written.
    pub async fn update_profile(&self, viewer: &Viewer, change: ProfileChange) -> Result<User, AppError> {
        let me = viewer.require()?;
        let now = self.clock.now();
        let today = (now + chrono::Duration::hours(EARLIEST_ZONE_HOURS)).date_naive();
        let update = ProfileUpdate {
            nickname: parse_change(change.nickname, |raw| parse_given_nickname(&raw))?,
            avatar: parse_change(change.avatar, |raw| {
                Avatar::parse(&raw)
                    .map(|avatar| avatar.as_str().to_string())
                    .map_err(|problem| AppError::bad(Field::Avatar, problem))
            })?,
            gender: change.gender,
            birthday: parse_change(change.birthday, |date| {
                parse_birthday(date, today).map_err(|problem| AppError::bad(Field::Birthday, problem))
            })?,
        };
        let fields: Vec<&str> = [
            ("nickname", update.nickname.is_some()),
            ("avatar", update.avatar.is_some()),
            ("gender", update.gender.is_some()),
            ("birthday", update.birthday.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect();
        let txn = store::begin(&self.db).await?;
        let user = store::users::update_profile(&txn, me.id, update, now).await?;
        let data = serde_json::json!({ "fields": fields });
        self.events.record(&txn, me.id, EventType::UserUpdated, data).await?;
        store::commit(txn).await?;
        Ok(user)
    }

    /// Renames the caller. A name another account has in any letter case is
    /// ACCOUNT_EXISTS; the caller's own name in another case changes its case.
    pub async fn change_username(&self, viewer: &Viewer, raw: &str) -> Result<User, AppError> {
        let me = viewer.require()?;
        if raw.trim().is_empty() {
            return Err(AppError::bad(Field::Username, InputProblem::Missing));
        }
        let username =
            Username::parse(raw, self.rules.region).ok_or(AppError::bad(Field::Username, InputProblem::Malformed))?;
        let txn = store::begin(&self.db).await?;
        let user =
            store::users::set_username(&txn, me.id, username.as_str(), &username.key(), self.clock.now()).await?;
        let data = serde_json::json!({ "fields": ["username"] });
        self.events.record(&txn, me.id, EventType::UserUpdated, data).await?;
        store::commit(txn).await?;
        Ok(user)
    }
}

/// The store's reading of a [`Change`]: `None` keeps, `Some(None)` clears.
fn parse_change<T, U>(
    change: Change<T>,
    parse: impl FnOnce(T) -> Result<U, AppError>,
) -> Result<Option<Option<U>>, AppError> {
    Ok(match change {
        Change::Keep => None,
        Change::Clear => Some(None),
        Change::Set(value) => Some(Some(parse(value)?)),
    })
}

/// An optional nickname (sign-up): blank is none.
pub(super) fn parse_nickname(raw: Option<&str>) -> Result<Option<String>, AppError> {
    match raw.map(str::trim).filter(|n| !n.is_empty()) {
        Some(nickname) => parse_given_nickname(nickname).map(Some),
        None => Ok(None),
    }
}

/// A nickname that was given: 1–32 characters after trimming, no control characters.
fn parse_given_nickname(raw: &str) -> Result<String, AppError> {
    let nickname = raw.trim();
    if nickname.is_empty() {
        return Err(AppError::bad(Field::Nickname, InputProblem::Missing));
    }
    if nickname.chars().count() > 32 {
        return Err(AppError::bad(Field::Nickname, InputProblem::TooLong(32)));
    }
    if nickname.chars().any(char::is_control) {
        return Err(AppError::bad(Field::Nickname, InputProblem::Malformed));
    }
    Ok(nickname.to_string())
}
