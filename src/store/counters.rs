//! Fixed-window counters in `rate_counters`, shared by every node.

use entity::rate_counter::{Column, Entity as Counters};
use sea_orm::sea_query::{Expr, ExprTrait, InsertStatement, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryResult, Statement};

use super::Writes;
use crate::error::AppError;

/// Adds one to `key`'s window and returns the new count, atomically (one
/// upsert statement), so concurrent requests on any node never undercount.
pub async fn increment<C: ConnectionTrait>(
    db: &C,
    key: &str,
    window_start: i64,
    expires_at: i64,
) -> Result<i64, AppError> {
    let insert = Query::insert()
        .into_table(Counters)
        .columns([Column::Key, Column::WindowStart, Column::Count, Column::ExpiresAt])
        .values_panic([key.into(), window_start.into(), 1i32.into(), expires_at.into()])
        .on_conflict(
            OnConflict::columns([Column::Key, Column::WindowStart])
                .value(Column::Count, Expr::col((Counters, Column::Count)).add(1))
                .to_owned(),
        )
        .returning_col(Column::Count)
        .to_owned();
    let row = db
        .query_one(&insert)
        .await?
        .ok_or_else(|| AppError::Internal("counter upsert returned no row".into()))?;
    let count: i32 = row.try_get("", "count")?;
    Ok(i64::from(count))
}

/// Takes back one count from `key`'s window (a refused event).
pub async fn decrement<C: ConnectionTrait>(db: &C, key: &str, window_start: i64) -> Result<(), AppError> {
    Counters::update_many()
        .col_expr(Column::Count, Expr::col(Column::Count).sub(1))
        .filter(Column::Key.eq(key))
        .filter(Column::WindowStart.eq(window_start))
        .filter(Column::Count.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// The current count of `key`'s window, without changing it.
pub async fn get<C: ConnectionTrait>(db: &C, key: &str, window_start: i64) -> Result<i64, AppError> {
    let row = super::by_key(Counters::find_by_id((key.to_string(), window_start)), db).await?;
    Ok(row.map_or(0, |r| i64::from(r.count)))
}

/// Forgets `key`'s window (a successful sign-in clears the failure count).
pub async fn clear<C: ConnectionTrait>(db: &C, key: &str) -> Result<(), AppError> {
    Counters::delete_many().filter(Column::Key.eq(key)).exec(db).await?;
    Ok(())
}

/// Deletes windows that can no longer matter.
pub async fn sweep<C: ConnectionTrait>(db: &C, now_unix: i64) -> Result<u64, AppError> {
    Ok(Counters::delete_many()
        .filter(Column::ExpiresAt.lte(now_unix))
        .exec(db)
        .await?
        .rows_affected)
}

/// Claims the right to act on `key` if its gap has passed, and starts a new
/// gap of `gap_seconds`. `None` on success, else the seconds left. One
/// statement decides, so two nodes cannot both claim the same gap.
pub async fn claim_gap<C: ConnectionTrait>(
    db: &C,
    key: &str,
    now_unix: i64,
    gap_seconds: i64,
) -> Result<Option<i64>, AppError> {
    let until = now_unix + gap_seconds;
    let reclaimed = Counters::update_many()
        .col_expr(Column::ExpiresAt, Expr::value(until))
        .filter(Column::Key.eq(key))
        .filter(Column::WindowStart.eq(0))
        .filter(Column::ExpiresAt.lte(now_unix))
        .exec(db)
        .await?;
    if reclaimed.rows_affected == 1 {
        return Ok(None);
    }
    let inserted = Query::insert()
        .into_table(Counters)
        .columns([Column::Key, Column::WindowStart, Column::Count, Column::ExpiresAt])
        .values_panic([key.into(), 0i64.into(), 1i32.into(), until.into()])
        .on_conflict(
            OnConflict::columns([Column::Key, Column::WindowStart])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    let result = db.execute(&inserted).await?;
    if result.rows_affected() == 1 {
        return Ok(None);
    }
    let current = super::by_key(Counters::find_by_id((key.to_string(), 0i64)), db).await?;
    Ok(Some(
        current.map_or(gap_seconds, |row| Ord::max(row.expires_at - now_unix, 1)),
    ))
}

/// What [`reserve_streak_try`] decided.
pub struct StreakTry {
    /// Tries in the current streak, this one included.
    pub count: i64,
    /// When the streak (or its lock) ends, unix seconds.
    pub ends_at: i64,
}

/// One try in `key`'s failure streak, not yet sent: [`reserve_streak_try`]
/// sends it alone, `users::for_password_sign_in_counting` beside the read a
/// password check needs.
pub struct StreakTryUpsert(InsertStatement);

/// Reserves one try in `key`'s failure streak, in one upsert statement so
/// concurrent tries on any node are counted before any is checked. A streak
/// lasts `streak_seconds` from its first try; the `limit`-th try locks it
/// until `lock_seconds` later; a try after the streak (or lock) ended starts
/// a new one. The caller refuses the try when `count > limit`.
pub async fn reserve_streak_try<C: ConnectionTrait>(
    db: &C,
    key: &str,
    now_unix: i64,
    limit: u32,
    streak_seconds: i64,
    lock_seconds: i64,
) -> Result<StreakTry, AppError> {
    streak_try_upsert(key, now_unix, limit, streak_seconds, lock_seconds)
        .send(db)
        .await
}

/// The upsert [`reserve_streak_try`] sends.
pub fn streak_try_upsert(
    key: &str,
    now_unix: i64,
    limit: u32,
    streak_seconds: i64,
    lock_seconds: i64,
) -> StreakTryUpsert {
    let limit = i32::try_from(limit).unwrap_or(i32::MAX);
    let row_count = Expr::col((Counters, Column::Count));
    let row_ends = Expr::col((Counters, Column::ExpiresAt));
    let ended = row_ends.clone().lte(now_unix);
    let first_ends = if limit <= 1 {
        now_unix + lock_seconds
    } else {
        now_unix + streak_seconds
    };
    let count = Expr::case(ended.clone(), 1i32).finally(row_count.clone().add(1));
    let ends = Expr::case(ended, first_ends)
        .case(row_count.add(1).eq(limit), now_unix + lock_seconds)
        .finally(row_ends);
    let upsert = Query::insert()
        .into_table(Counters)
        .columns([Column::Key, Column::WindowStart, Column::Count, Column::ExpiresAt])
        .values_panic([key.into(), STREAK_WINDOW.into(), 1i32.into(), first_ends.into()])
        .on_conflict(
            OnConflict::columns([Column::Key, Column::WindowStart])
                .values([(Column::Count, count.into()), (Column::ExpiresAt, ends.into())])
                .to_owned(),
        )
        .returning(Query::returning().columns([Column::Count, Column::ExpiresAt]))
        .to_owned();
    StreakTryUpsert(upsert)
}

impl StreakTryUpsert {
    /// Sends the upsert alone.
    pub async fn send<C: ConnectionTrait>(self, db: &C) -> Result<StreakTry, AppError> {
        let row = db
            .query_one(&self.0)
            .await?
            .ok_or_else(|| AppError::Internal("streak upsert returned no row".into()))?;
        StreakTry::from_row(&row, "count", "expires_at")
    }

    /// The statement for `backend`, returning `count` and `expires_at`.
    pub(super) fn statement(&self, backend: DbBackend) -> Statement {
        backend.build(&self.0)
    }
}

impl StreakTry {
    /// The try a returned row tells, its columns under these names.
    pub(super) fn from_row(row: &QueryResult, count: &str, ends_at: &str) -> Result<Self, AppError> {
        let count: i32 = row.try_get("", count)?;
        Ok(StreakTry {
            count: i64::from(count),
            ends_at: row.try_get("", ends_at)?,
        })
    }
}

/// The tries in `key`'s streak, 0 when it has none or it ended.
pub async fn streak_count<C: ConnectionTrait>(db: &C, key: &str, now_unix: i64) -> Result<i64, AppError> {
    let row = super::by_key(Counters::find_by_id((key.to_string(), STREAK_WINDOW)), db).await?;
    Ok(row
        .filter(|r| r.expires_at > now_unix)
        .map_or(0, |r| i64::from(r.count)))
}

/// Moves the end of `key`'s streak (or lock) to `ends_at`, unix seconds.
pub async fn set_streak_end<C: ConnectionTrait>(db: &C, key: &str, ends_at: i64) -> Result<(), AppError> {
    Counters::update_many()
        .col_expr(Column::ExpiresAt, Expr::value(ends_at))
        .filter(Column::Key.eq(key))
        .filter(Column::WindowStart.eq(STREAK_WINDOW))
        .exec(db)
        .await?;
    Ok(())
}

/// Queues the end of the failure streaks under `keys` (a successful sign-in).
pub fn clear_streaks(writes: &mut Writes, keys: &[String]) {
    if keys.is_empty() {
        return;
    }
    writes.push(
        &Counters::delete_many()
            .filter(Column::Key.is_in(keys.iter().cloned()))
            .filter(Column::WindowStart.eq(STREAK_WINDOW)),
    );
}

/// What [`hold`] found under one key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeldCounts {
    /// The window before `window_start`.
    pub previous: i64,
    pub current: i64,
}

/// Takes the rows of each of `keys` (distinct) for the current window and
/// the one before it until `db`'s transaction ends, making missing ones at
/// 0, and returns their counts unchanged, in the order of `keys`. The
/// statement is a write, so every other transaction holding the same keys
/// waits until this one ends (PostgreSQL: the rows' locks; SQLite: the one
/// writer): what it reads cannot change before this transaction counts.
pub async fn hold<C: ConnectionTrait>(
    db: &C,
    keys: &[&str],
    window_start: i64,
    window_seconds: i64,
) -> Result<Vec<HeldCounts>, AppError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let previous_start = window_start - window_seconds;
    let mut insert = Query::insert();
    insert
        .into_table(Counters)
        .columns([Column::Key, Column::WindowStart, Column::Count, Column::ExpiresAt]);
    for key in keys {
        for start in [previous_start, window_start] {
            // Kept one window longer than it counts, as `increment` keeps it.
            let expires_at = start + 2 * window_seconds;
            insert.values_panic([(*key).into(), start.into(), 0i32.into(), expires_at.into()]);
        }
    }
    insert
        .on_conflict(
            OnConflict::columns([Column::Key, Column::WindowStart])
                .value(Column::Count, Expr::col((Counters, Column::Count)))
                .to_owned(),
        )
        .returning(Query::returning().columns([Column::Key, Column::WindowStart, Column::Count]));
    let mut held = vec![HeldCounts::default(); keys.len()];
    for row in db.query_all(&insert).await? {
        let key: String = row.try_get("", "key")?;
        let start: i64 = row.try_get("", "window_start")?;
        let count = i64::from(row.try_get::<i32>("", "count")?);
        let Some(index) = keys.iter().position(|k| *k == key) else {
            continue;
        };
        if start == window_start {
            held[index].current = count;
        } else {
            held[index].previous = count;
        }
    }
    Ok(held)
}

/// Adds one to the current window of each of `keys`, rows [`hold`] made sure of.
pub async fn count_held<C: ConnectionTrait>(db: &C, keys: &[&str], window_start: i64) -> Result<(), AppError> {
    Counters::update_many()
        .col_expr(Column::Count, Expr::col(Column::Count).add(1))
        .filter(Column::Key.is_in(keys.iter().map(|k| k.to_string())))
        .filter(Column::WindowStart.eq(window_start))
        .exec(db)
        .await?;
    Ok(())
}

/// Streak rows live beside the windows of `increment` and the gaps of
/// `claim_gap` (window 0) under a window value no clock-aligned window has.
const STREAK_WINDOW: i64 = -1;
