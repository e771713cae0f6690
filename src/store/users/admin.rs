//! What operators do to `users`: disable and enable, the `users` filters,
//! the export's pages, the last-admin count.

use chrono::{DateTime, Utc};
use entity::user::{Column, Entity as Users};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{into_user, update_columns};
use crate::domain::{Role, User, UserStatus};
use crate::error::AppError;
use crate::store::Conn;

/// Which users `users` lists; every part given must match.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Contained (any case) in the username, nickname, mobile or email.
    pub text: Option<String>,
    /// Digits of the search, matched inside the mobile (`138 0013` → `1380013`).
    pub mobile_digits: Option<String>,
    /// The search read as a whole mobile (E.164) or as an id: equal to it.
    pub mobile: Option<String>,
    pub id: Option<i64>,
    /// With the time a ban with an end is judged at.
    pub status: Option<(UserStatus, DateTime<Utc>)>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

impl UserFilter {
    /// The filter as one condition.
    pub(super) fn condition(&self) -> Condition {
        let mut all = Condition::all();
        let mut any = Condition::any();
        let mut searching = false;
        if let Some(text) = self.text.as_deref().filter(|t| !t.is_empty()) {
            let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
            for column in [Column::UsernameKey, Column::Nickname, Column::Mobile, Column::Email] {
                any = any.add(Func::lower(Expr::col(column)).like(LikeExpr::new(pattern.clone()).escape('\\')));
            }
            searching = true;
        }
        if let Some(digits) = self.mobile_digits.as_deref().filter(|d| !d.is_empty()) {
            any = any.add(Column::Mobile.like(LikeExpr::new(format!("%{digits}%"))));
            searching = true;
        }
        if let Some(mobile) = &self.mobile {
            any = any.add(Column::Mobile.eq(mobile.as_str()));
            searching = true;
        }
        if let Some(id) = self.id {
            any = any.add(Column::Id.eq(id));
            searching = true;
        }
        if searching {
            all = all.add(any);
        }
        if let Some((status, now)) = self.status {
            all = all.add(status_condition(status, now));
        }
        if let Some(after) = self.created_after {
            all = all.add(Column::CreatedAt.gte(after));
        }
        if let Some(before) = self.created_before {
            all = all.add(Column::CreatedAt.lt(before));
        }
        all
    }
}

/// A ban whose end has passed counts as ACTIVE, as `User::status_at` reads it.
fn status_condition(status: UserStatus, now: DateTime<Utc>) -> Condition {
    let over = Condition::all()
        .add(Column::Status.eq(UserStatus::Disabled))
        .add(Column::DisabledUntil.lte(now));
    match status {
        UserStatus::Active => Condition::any().add(Column::Status.eq(UserStatus::Active)).add(over),
        UserStatus::Disabled => Condition::all().add(Column::Status.eq(UserStatus::Disabled)).add(
            Condition::any()
                .add(Column::DisabledUntil.is_null())
                .add(Column::DisabledUntil.gt(now)),
        ),
        #[allow(unreachable_patterns)]
        other => Condition::all().add(Column::Status.eq(other)),
    }
}

fn escape_like(term: &str) -> String {
    term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// One page of users in id order after `after_id` matching `filter`, plus
/// the total matching; `first + 1` rows, so the caller sees whether more follow.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    first: u64,
    after_id: Option<i64>,
    filter: &UserFilter,
) -> Result<(Vec<User>, u64), AppError> {
    let matching = filter.condition();
    let total = Users::find().filter(matching.clone()).count(db).await?;
    let mut query = Users::find().filter(matching).order_by_asc(Column::Id).limit(first + 1);
    if let Some(after) = after_id {
        query = query.filter(Column::Id.gt(after));
    }
    let rows = query.all(db).await?;
    Ok((rows.into_iter().map(into_user).collect(), total))
}

/// Up to `limit` users after `after_id`, in id order: one page of the export.
pub async fn export_page<C: ConnectionTrait>(db: &C, after_id: i64, limit: u64) -> Result<Vec<User>, AppError> {
    let rows = Users::find()
        .filter(Column::Id.gt(after_id))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(into_user).collect())
}

/// Disables a user with the operator's reason and optional end.
pub async fn disable<C: Conn>(
    db: &C,
    id: i64,
    reason: Option<&str>,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<User, AppError> {
    let changes = [
        (Column::Status, Expr::value(UserStatus::Disabled)),
        (Column::DisabledReason, Expr::value(reason.map(str::to_string))),
        (Column::DisabledUntil, Expr::value(until)),
    ];
    update_columns(db, id, changes, now).await
}

/// Enables a user and forgets the ban's reason and end.
pub async fn enable<C: Conn>(db: &C, id: i64, now: DateTime<Utc>) -> Result<User, AppError> {
    let changes = [
        (Column::Status, Expr::value(UserStatus::Active)),
        (Column::DisabledReason, Expr::value(Option::<String>::None)),
        (Column::DisabledUntil, Expr::value(Option::<DateTime<Utc>>::None)),
    ];
    update_columns(db, id, changes, now).await
}

/// How many ADMINs there are.
pub async fn admin_count<C: ConnectionTrait>(db: &C) -> Result<u64, AppError> {
    Ok(Users::find().filter(Column::Role.eq(Role::Admin)).count(db).await?)
}
