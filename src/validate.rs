//! Validated input types, parsed once at the edge. Each parse takes the name
//! of the input field so a refusal says which field to fix.
use crate::error::{AppError, AppResult};

/// A syntactically plausible email address, lower-cased and trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> AppResult<Self> {
        let email = raw.trim().to_lowercase();
        let bad = |why: &str| {
            Err(AppError::bad_input(
                field,
                format!("'{}' is not a valid email address: {why}", raw.trim()),
            ))
        };
        if email.is_empty() {
            return Err(AppError::bad_input(field, "email is required"));
        }
        if email.len() > 254 {
            return bad("longer than 254 characters");
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return bad("missing '@'");
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return bad("the part before '@' must be 1 to 64 characters");
        }
        if email.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '<' | '>' | '(' | ')' | ',' | ';' | ':' | '\\' | '"' | '[' | ']'
                )
        }) {
            return bad("contains characters not allowed in an address");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels
                .iter()
                .any(|l| l.is_empty() || l.len() > 63 || l.starts_with('-') || l.ends_with('-'))
        {
            return bad("the domain must look like example.com");
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Trimmed free text of bounded length, required or not.
pub fn text(field: &str, raw: &str, max_chars: usize) -> AppResult<String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(AppError::bad_input(
            field,
            format!("{field} must not be empty"),
        ));
    }
    if value.chars().count() > max_chars {
        return Err(AppError::bad_input(
            field,
            format!("{field} must be at most {max_chars} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(AppError::bad_input(
            field,
            format!("{field} contains control characters"),
        ));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("email", "  Ana@Example.COM ")
                .unwrap()
                .as_str(),
            "ana@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused_with_the_field_name() {
        for raw in [
            "",
            "no-at-sign",
            "a@b",
            "a b@example.com",
            "@example.com",
            "a@-x.com",
            "a@@example.com",
        ] {
            match Email::parse("input.email", raw) {
                Err(AppError::BadUserInput { field, .. }) => assert_eq!(field, "input.email"),
                other => panic!("{raw:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn text_is_bounded_and_required() {
        assert!(text("fullName", "   ", 10).is_err());
        assert!(text("fullName", &"a".repeat(11), 10).is_err());
        assert_eq!(text("fullName", " Ana ", 10).unwrap(), "Ana");
    }
}
