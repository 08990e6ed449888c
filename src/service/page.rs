//! Keyset pagination shared by list operations.
use uuid::Uuid;

/// The most items one page may hold, whatever the client asks.
pub const MAX_PAGE: u64 = 100;
pub const DEFAULT_PAGE: u64 = 20;

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
