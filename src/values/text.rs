//! Bounded free text: trimmed, not blank, within a length, no control
//! characters other than tab and line breaks.
use super::{has_control_characters, Invalid, Parse};

/// Text of at most `MAX` characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<const MAX: usize>(String);

/// A first or last name.
pub type PersonName = Text<100>;
/// A user's full name.
pub type FullName = Text<200>;
/// A company, a job title, a product interest.
pub type ShortText = Text<200>;
/// A summary, an assignment note.
pub type LongText = Text<2000>;
/// The body of a note.
pub type NoteBody = Text<10_000>;

impl<const MAX: usize> Text<MAX> {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<const MAX: usize> Parse for Text<MAX> {
    type Raw = String;

    fn parse(raw: String) -> Result<Self, Invalid> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(Invalid::new("must not be empty"));
        }
        if value.chars().count() > MAX {
            return Err(Invalid(format!("must be at most {MAX} characters")));
        }
        if has_control_characters(value) {
            return Err(Invalid::new("contains control characters"));
        }
        Ok(Self(value.to_string()))
    }

    fn parse_optional(raw: Option<String>) -> Result<Option<Self>, Invalid> {
        super::blank_is_none(raw)
    }
}

super::stored_as_is!(@[const MAX: usize] Text<MAX>: String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_required_and_free_of_control_characters() {
        assert!(Text::<10>::parse("   ".into()).is_err());
        assert!(Text::<10>::parse("a".repeat(11)).is_err());
        assert!(Text::<10>::parse("a\u{0}b".into()).is_err());
        assert_eq!(Text::<10>::parse(" Ana ".into()).unwrap().as_str(), "Ana");
        assert_eq!(Text::<10>::parse_optional(Some("  ".into())).unwrap(), None);
        assert_eq!(
            Text::<20>::parse("line\nline\ttab".into())
                .unwrap()
                .as_str(),
            "line\nline\ttab"
        );
    }
}
