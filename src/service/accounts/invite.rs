//! Invite codes, as `register`, `verifySms` LOGIN and `oneClickLogin` take them.

use super::Accounts;
use crate::error::{AppError, Field, InputProblem};
use crate::store;

impl Accounts {
    /// An invite code is the inviter's user id (Discuz! Q); anything else is kept
    /// as given for the operator, without a referrer.
    pub async fn parse_invite(&self, raw: Option<&str>) -> Result<(Option<i64>, Option<String>), AppError> {
        let Some(code) = raw.map(str::trim).filter(|c| !c.is_empty()) else {
            return Ok((None, None));
        };
        if code.chars().count() > 64 {
            return Err(AppError::bad(Field::InviteCode, InputProblem::TooLong(64)));
        }
        let referrer = match code.parse::<i64>() {
            Ok(id) => store::users::by_id(&self.db, id).await?.map(|u| u.id),
            Err(_) => None,
        };
        Ok((referrer, Some(code.to_string())))
    }
}
