//! Leads. This module grows with the leads issue; for now it holds the rule
//! every writer of a lead must follow.

/// The lower-cased text that free-text search matches: name, email, company
/// and phone. Every insert and update of a lead writes it.
pub fn search_text(
    first_name: &str,
    last_name: &str,
    email: Option<&str>,
    company: Option<&str>,
    phone: Option<&str>,
) -> String {
    [Some(first_name), Some(last_name), email, company, phone]
        .into_iter()
        .flatten()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
