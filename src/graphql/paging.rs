//! One rule for the page arguments of every connection: `first` and `last`
//! from 1 to [`MAX_PAGE`] (outside that range is BAD_USER_INPUT naming the
//! maximum, as GitHub's API does; never silently clamped), and never both.
//! Cursors are opaque and checked by [`cursor`](super::cursor).
use async_graphql::{
    connection::{Connection, Edge},
    ObjectType, OutputType, SimpleObject,
};
use uuid::Uuid;

use crate::{
    error::AppResult,
    service::page::{checked_size, size_refused, Page, PageRequest, DEFAULT_PAGE, MAX_PAGE},
};

use super::cursor;

/// What a connection field costs in the complexity limit: its children once
/// per item of the largest page it may return.
pub fn cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first.or(last).map_or(DEFAULT_PAGE, |n| {
        u64::try_from(n).unwrap_or(0).clamp(1, MAX_PAGE)
    });
    (size as usize).saturating_mul(child_complexity.max(1))
}

/// `first` or `last` as sent, checked by the service's rule.
pub fn size(field: &str, value: Option<i32>) -> AppResult<Option<u64>> {
    value
        .map(|n| match u64::try_from(n) {
            Ok(n) => checked_size(field, Some(n)),
            Err(_) => Err(size_refused(field, n)),
        })
        .transpose()
}

/// A forward page of a connection keyed by id.
pub fn forward(first: Option<i32>, after: Option<String>) -> AppResult<PageRequest> {
    Ok(PageRequest {
        first: size("first", first)?,
        after: after
            .as_deref()
            .map(|c| cursor::decode("after", c))
            .transpose()?,
    })
}

/// The size of a whole result, across all pages.
#[derive(SimpleObject)]
pub struct TotalCount {
    /// How many items match the filter, across all pages.
    pub total_count: u64,
}

/// A service page as a connection whose cursors are the items' ids.
pub fn connection<T, N, F>(
    page: Page<T>,
    fields: F,
    id: impl Fn(&T) -> Uuid,
    node: impl Fn(T) -> N,
) -> Connection<String, N, F>
where
    N: OutputType,
    F: ObjectType,
{
    let mut connection =
        Connection::with_additional_fields(page.has_previous_page, page.has_next_page, fields);
    connection.edges.extend(
        page.items
            .into_iter()
            .map(|item| Edge::new(cursor::encode(id(&item)), node(item))),
    );
    connection
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;

    #[test]
    fn a_page_size_outside_one_to_the_maximum_is_refused_naming_it() {
        for bad in [0, -1, 101, i32::MAX] {
            match size("first", Some(bad)) {
                Err(AppError::BadUserInput { field, message }) => {
                    assert_eq!(field, "first");
                    assert!(message.contains("100"), "{message}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert_eq!(size("last", Some(100)).unwrap(), Some(100));
        assert_eq!(size("first", None).unwrap(), None);
    }

    #[test]
    fn the_cost_of_a_connection_grows_with_its_page() {
        assert_eq!(cost(Some(50), None, 10), 500);
        assert_eq!(cost(None, Some(5), 10), 50);
        assert_eq!(cost(None, None, 10), 200);
        assert_eq!(cost(Some(1_000_000), None, 10), 1_000);
    }
}
