//! A new password: 8 to 128 characters, and never printed.
use std::fmt;

use super::{Invalid, Parse};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

impl Parse for Password {
    type Raw = String;

    fn parse(raw: String) -> Result<Self, Invalid> {
        let len = raw.chars().count();
        if len < MIN_LEN {
            return Err(Invalid(format!(
                "password must be at least {MIN_LEN} characters"
            )));
        }
        if len > MAX_LEN {
            return Err(Invalid(format!(
                "password must be at most {MAX_LEN} characters"
            )));
        }
        Ok(Self(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_outside_8_to_128_characters_are_refused_and_never_printed() {
        assert!(Password::parse("short".into()).is_err());
        assert!(Password::parse("x".repeat(129)).is_err());
        let ok = Password::parse("long enough".into()).unwrap();
        assert!(!format!("{ok:?}").contains("long enough"));
    }
}
