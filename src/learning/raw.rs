//! A lead's raw features: named values as they were, before any encoding.
use std::collections::BTreeMap;

/// One raw value. The encoder decides, from the training rows, how each
/// feature is typed; a value of another type counts as missing there.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    Num(f64),
    Cat(String),
    Flag(bool),
    /// Words, such as a normalised job title's.
    Tokens(Vec<String>),
    Missing,
}

impl Raw {
    pub fn kind(&self) -> Option<RawKind> {
        match self {
            Raw::Num(x) if x.is_finite() => Some(RawKind::Num),
            Raw::Num(_) | Raw::Missing => None,
            Raw::Cat(_) => Some(RawKind::Cat),
            Raw::Flag(_) => Some(RawKind::Flag),
            Raw::Tokens(_) => Some(RawKind::Tokens),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RawKind {
    Num,
    Cat,
    Flag,
    Tokens,
}

/// A lead's features by name; a name absent is a missing value. Ordered, so
/// everything built from rows is built in the same order every time.
pub type RawRow = BTreeMap<String, Raw>;

/// Lower-case words of at least two letters, in order, each once.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 2)
    {
        if !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_titles_become_their_words() {
        assert_eq!(
            tokens("Sr. Sales-Manager, EMEA / sales"),
            ["sr", "sales", "manager", "emea"]
        );
        assert!(tokens("  ").is_empty());
    }

    #[test]
    fn a_number_that_is_not_finite_is_missing() {
        assert_eq!(Raw::Num(f64::NAN).kind(), None);
        assert_eq!(Raw::Num(2.0).kind(), Some(RawKind::Num));
    }
}
