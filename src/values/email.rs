//! Email addresses: syntactically plausible, lower-cased and trimmed.
use super::{Invalid, Parse};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl Parse for Email {
    type Raw = String;

    fn parse(raw: String) -> Result<Self, Invalid> {
        let email = raw.trim().to_lowercase();
        let bad = |why: &str| {
            Err(Invalid(format!(
                "'{}' is not a valid email address: {why}",
                raw.trim()
            )))
        };
        if email.is_empty() {
            return Err(Invalid::new("an email address is required"));
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

    fn parse_optional(raw: Option<String>) -> Result<Option<Self>, Invalid> {
        super::blank_is_none(raw)
    }
}

super::stored_as_is!(Email: String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ana@Example.COM ".into()).unwrap().as_str(),
            "ana@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for raw in [
            "",
            "no-at-sign",
            "a@b",
            "a b@example.com",
            "@example.com",
            "a@-x.com",
            "a@@example.com",
        ] {
            assert!(Email::parse(raw.into()).is_err(), "{raw:?}");
        }
    }
}
