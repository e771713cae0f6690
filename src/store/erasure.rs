//! What an anonymised account leaves in the other tables, removed: its
//! bindings, sessions, login history, codes and tickets sent to its mobile or
//! email, and the rate counters keyed by its identifiers.

use entity::{audit_event, bind_ticket, code, login_event, rate_counter, session, third_party_binding};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::error::AppError;

/// The identifiers the account had, as stored.
#[derive(Debug, Default, Clone)]
pub struct Traces {
    pub user_id: i64,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub username_key: Option<String>,
}

/// Removes everything of the account outside `users`, in the caller's transaction.
pub async fn erase_traces<C: ConnectionTrait>(db: &C, traces: &Traces) -> Result<(), AppError> {
    let openids: Vec<String> = third_party_binding::Entity::find()
        .select_only()
        .column(third_party_binding::Column::Openid)
        .filter(third_party_binding::Column::UserId.eq(traces.user_id))
        .into_tuple()
        .all(db)
        .await?;
    third_party_binding::Entity::delete_many()
        .filter(third_party_binding::Column::UserId.eq(traces.user_id))
        .exec(db)
        .await?;
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(traces.user_id))
        .exec(db)
        .await?;
    login_event::Entity::delete_many()
        .filter(login_event::Column::UserId.eq(traces.user_id))
        .exec(db)
        .await?;
    let targets: Vec<&str> = [traces.mobile.as_deref(), traces.email.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !targets.is_empty() {
        code::Entity::delete_many()
            .filter(code::Column::Target.is_in(targets.iter().copied()))
            .exec(db)
            .await?;
    }
    let mut tickets = Condition::any();
    if let Some(mobile) = &traces.mobile {
        tickets = tickets.add(bind_ticket::Column::Mobile.eq(mobile.as_str()));
    }
    if let Some(email) = &traces.email {
        tickets = tickets.add(bind_ticket::Column::Email.eq(email.as_str()));
    }
    if !openids.is_empty() {
        tickets = tickets.add(bind_ticket::Column::Openid.is_in(openids));
    }
    if !tickets.is_empty() {
        bind_ticket::Entity::delete_many().filter(tickets).exec(db).await?;
    }
    // The audit log keeps what happened to the id, not where the user was.
    audit_event::Entity::update_many()
        .col_expr(audit_event::Column::Ip, Expr::value(Option::<String>::None))
        .filter(
            Condition::any()
                .add(audit_event::Column::ActorId.eq(traces.user_id))
                .add(audit_event::Column::TargetUserId.eq(traces.user_id)),
        )
        .exec(db)
        .await?;
    erase_counters(db, traces).await
}

/// Counters are keyed `send:day:<target>`, `…:m:<mobile>`, `…:u:<username>`:
/// any key holding one of the identifiers goes.
async fn erase_counters<C: ConnectionTrait>(db: &C, traces: &Traces) -> Result<(), AppError> {
    let mut keys = Condition::any();
    let identifiers = [&traces.mobile, &traces.email, &traces.username_key];
    for identifier in identifiers.into_iter().flatten() {
        let pattern = format!("%{}%", escape_like(identifier));
        keys = keys.add(Expr::col(rate_counter::Column::Key).like(LikeExpr::new(pattern).escape('\\')));
    }
    if !keys.is_empty() {
        rate_counter::Entity::delete_many().filter(keys).exec(db).await?;
    }
    Ok(())
}

/// `%`, `_` and the escape itself stand for themselves.
fn escape_like(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
