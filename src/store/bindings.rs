//! Queries on `third_party_bindings`.

use chrono::{DateTime, Utc};
use entity::third_party_binding::{ActiveModel, Column, Entity as Bindings};

/// A stored binding (read-only: writes go through the functions here).
pub use entity::third_party_binding::Model as Binding;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::is_unique_violation;
use crate::error::AppError;

/// A platform identity to bind.
#[derive(Debug, Clone)]
pub struct NewBinding {
    pub user_id: i64,
    pub platform: String,
    pub app_id: String,
    pub openid: String,
    pub unionid: Option<String>,
    /// Proven by the platform (true) or claimed by the client (false).
    pub verified: bool,
    /// Sealed token that revokes the authorisation at the platform (Apple).
    pub revocation: Option<String>,
}

/// Binds; an identity already bound, or a second one of the same platform
/// on this user, is ALREADY_BOUND.
pub async fn insert<C: ConnectionTrait>(db: &C, new: NewBinding, now: DateTime<Utc>) -> Result<(), AppError> {
    let row = ActiveModel {
        user_id: Set(new.user_id),
        platform: Set(new.platform),
        app_id: Set(new.app_id),
        openid: Set(new.openid),
        unionid: Set(new.unionid),
        verified: Set(new.verified),
        revocation: Set(new.revocation),
        created_at: Set(now),
        ..Default::default()
    };
    Bindings::insert(row).exec_without_returning(db).await.map_err(|err| {
        if is_unique_violation(&err) {
            AppError::AlreadyBound
        } else {
            AppError::from(err)
        }
    })?;
    Ok(())
}

/// The binding of a platform identity.
pub async fn by_identity<C: ConnectionTrait>(
    db: &C,
    platform: &str,
    app_id: &str,
    openid: &str,
) -> Result<Option<Binding>, AppError> {
    Ok(Bindings::find()
        .filter(Column::Platform.eq(platform))
        .filter(Column::AppId.eq(app_id))
        .filter(Column::Openid.eq(openid))
        .one(db)
        .await?)
}

/// A verified binding carrying this unionid (same person, another app of
/// one WeChat account); claimed bindings never join accounts.
pub async fn by_unionid<C: ConnectionTrait>(db: &C, unionid: &str) -> Result<Option<Binding>, AppError> {
    Ok(Bindings::find()
        .filter(Column::Unionid.eq(unionid))
        .filter(Column::Verified.eq(true))
        .order_by_asc(Column::Id)
        .one(db)
        .await?)
}

/// A user's bindings, oldest first.
pub async fn for_user<C: ConnectionTrait>(db: &C, user_id: i64) -> Result<Vec<Binding>, AppError> {
    Ok(Bindings::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// Removes a user's binding of one platform; true if there was one.
pub async fn delete<C: ConnectionTrait>(db: &C, user_id: i64, platform: &str) -> Result<bool, AppError> {
    let result = Bindings::delete_many()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Platform.eq(platform))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Marks a claimed binding as proven, with the unionid the platform reported.
pub async fn mark_verified<C: ConnectionTrait>(db: &C, id: i64, unionid: Option<&str>) -> Result<(), AppError> {
    let mut update = Bindings::update_many()
        .col_expr(Column::Verified, sea_orm::sea_query::Expr::value(true))
        .filter(Column::Id.eq(id));
    if let Some(unionid) = unionid {
        update = update.col_expr(Column::Unionid, sea_orm::sea_query::Expr::value(unionid));
    }
    update.exec(db).await?;
    Ok(())
}

/// Removes one binding (a claim superseded by a proof).
pub async fn delete_by_id<C: ConnectionTrait>(db: &C, id: i64) -> Result<(), AppError> {
    Bindings::delete_many().filter(Column::Id.eq(id)).exec(db).await?;
    Ok(())
}
