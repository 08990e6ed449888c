//! Phone numbers: E.164 (`+` and 8 to 15 digits) when the number says its
//! country; otherwise the number as written, trimmed, since guessing a
//! country would corrupt it.
use super::{Invalid, Parse};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Parse for Phone {
    type Raw = String;

    fn parse(raw: String) -> Result<Self, Invalid> {
        let value = raw.trim();
        if value.chars().count() > 40 {
            return Err(Invalid::new("must be at most 40 characters"));
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().ext".contains(c))
        {
            return Err(Invalid::new("may hold only digits, spaces, + - ( ) ."));
        }
        let digits: String = value.chars().filter(char::is_ascii_digit).collect();
        if digits.len() < 5 {
            return Err(Invalid::new("has too few digits"));
        }
        let international = value.starts_with('+') || value.starts_with("00");
        let digits = if value.starts_with("00") {
            &digits[2..]
        } else {
            &digits[..]
        };
        if international && (8..=15).contains(&digits.len()) && !value.contains('x') {
            Ok(Self(format!("+{digits}")))
        } else {
            Ok(Self(value.to_string()))
        }
    }

    fn parse_optional(raw: Option<String>) -> Result<Option<Self>, Invalid> {
        super::blank_is_none(raw)
    }
}

super::stored_as_is!(Phone: String);

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(raw: &str) -> Result<String, Invalid> {
        Phone::parse(raw.into()).map(|p| p.0)
    }

    #[test]
    fn phones_with_a_country_become_e164_and_others_are_kept_as_written() {
        assert_eq!(phone("+44 20 7946 0958").unwrap(), "+442079460958");
        assert_eq!(phone("0049 30 123456").unwrap(), "+4930123456");
        assert_eq!(phone("(555) 010-2030").unwrap(), "(555) 010-2030");
        assert!(phone("call me maybe").is_err());
        assert!(phone("12").is_err());
        assert_eq!(Phone::parse_optional(Some("   ".into())).unwrap(), None);
    }
}
