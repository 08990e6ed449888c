//! Keyset pagination shared by list operations.
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The most items one page may hold, whatever the client asks.
pub const MAX_PAGE: u64 = 100;
pub const DEFAULT_PAGE: u64 = 20;

/// A page size as asked, from 1 to [`MAX_PAGE`] (never silently clamped);
/// the default when not asked.
pub fn checked_size(field: &str, size: Option<u64>) -> AppResult<u64> {
    match size {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(size_refused(field, n)),
    }
}

pub fn size_refused(field: &str, asked: impl std::fmt::Display) -> AppError {
    AppError::bad_input(
        field,
        format!("{field} must be from 1 to {MAX_PAGE} (got {asked})"),
    )
}

/// Refuses `first` together with `last`: a page is walked one way.
pub fn one_direction(first: Option<u64>, last: Option<u64>) -> AppResult<()> {
    if first.is_some() && last.is_some() {
        return Err(AppError::bad_input(
            "last",
            "pass first (with after) or last (with before), not both",
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, Default)]
pub struct PageRequest {
    pub first: Option<u64>,
    /// Items strictly after this key.
    pub after: Option<Uuid>,
}

impl PageRequest {
    pub fn limit(&self) -> u64 {
        self.first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
    }

    /// Turns rows fetched with `limit() + 1` into a page: the extra row only
    /// says that another page follows.
    pub fn page<T>(&self, mut items: Vec<T>) -> Page<T> {
        let has_next_page = items.len() as u64 > self.limit();
        items.truncate(self.limit() as usize);
        Page {
            items,
            has_next_page,
            has_previous_page: self.after.is_some(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// One page of `base` (a lead's notes, its activities), newest first by
/// `time` then `id`, after the row whose id the cursor holds. A cursor
/// from another list is BAD_USER_INPUT on `after` (`what` names the list).
pub async fn newest_first<E, C>(
    conn: &C,
    base: Select<E>,
    time: E::Column,
    id: E::Column,
    page: PageRequest,
    what: &str,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut query = base.clone();
    if let Some(after) = page.after {
        let anchor: Option<DateTime<Utc>> = base
            .filter(id.eq(after))
            .select_only()
            .column(time)
            .into_tuple()
            .one(conn)
            .await?;
        let Some(anchor) = anchor else {
            return Err(AppError::bad_input(
                "after",
                format!("not a cursor of this lead's {what}"),
            ));
        };
        // `time <= anchor` is redundant but bounds the index scan on
        // PostgreSQL, which cannot start from the OR alone.
        query = query.filter(
            Condition::all().add(time.lte(anchor)).add(
                Condition::any()
                    .add(time.lt(anchor))
                    .add(Condition::all().add(time.eq(anchor)).add(id.lt(after))),
            ),
        );
    }
    let items = query
        .order_by_desc(time)
        .order_by_desc(id)
        .limit(page.limit() + 1)
        .all(conn)
        .await?;
    Ok(page.page(items))
}
