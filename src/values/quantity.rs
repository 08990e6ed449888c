//! A count of things in stock: a whole number, not negative.
use super::{Invalid, Parse};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(i32);

impl Parse for Quantity {
    type Raw = i32;

    fn parse(raw: i32) -> Result<Self, Invalid> {
        if raw < 0 {
            return Err(Invalid::new("must not be negative"));
        }
        Ok(Self(raw))
    }
}

super::stored_as_is!(Quantity: i32);
