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
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub total_count: u64,
}
