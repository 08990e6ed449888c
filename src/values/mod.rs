//! Validated input values, parsed once at the edge (as zero-to-production's
//! `SubscriberName::parse`): a service that takes a [`PersonName`] or an
//! [`Email`] cannot receive one that breaks its rules. A refusal is an
//! [`Invalid`] message; whoever parses names the field it came from.
mod attributes;
mod email;
mod money;
mod password;
mod phone;
mod quantity;
mod text;

pub use attributes::Attributes;
pub use email::Email;
pub use money::{CurrencyCode, Money};
pub use password::Password;
pub use phone::Phone;
pub use quantity::Quantity;
pub use text::{FullName, LongText, NoteBody, PersonName, ShortText, Text};

/// Why a raw value was refused, in words; the caller adds the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// A value parsed from what a client sent.
pub trait Parse: Sized {
    /// What arrives from the edge.
    type Raw;
    fn parse(raw: Self::Raw) -> Result<Self, Invalid>;

    /// An optional value: absent is none. Text types also take a blank
    /// string as none.
    fn parse_optional(raw: Option<Self::Raw>) -> Result<Option<Self>, Invalid> {
        raw.map(Self::parse).transpose()
    }
}

/// `parse_optional` for text: a blank string is no value.
fn blank_is_none<T: Parse<Raw = String>>(raw: Option<String>) -> Result<Option<T>, Invalid> {
    raw.filter(|v| !v.trim().is_empty())
        .map(T::parse)
        .transpose()
}

/// A value as its database column holds it.
pub trait Column {
    type Stored;
    fn into_stored(self) -> Self::Stored;
}

/// A checked newtype stores what it wraps.
macro_rules! stored_as_is {
    ($(@[$($generics:tt)*])? $ty:ty: $stored:ty) => {
        impl$(<$($generics)*>)? $crate::values::Column for $ty {
            type Stored = $stored;
            fn into_stored(self) -> $stored {
                self.0
            }
        }
    };
}
use stored_as_is;

/// What a field that may be left out falls back to.
pub trait Fallback {
    fn fallback() -> Self;
}

/// Values that need no checking beyond their type (enums, booleans).
macro_rules! plain {
    ($($ty:ty),* $(,)?) => {$(
        impl Parse for $ty {
            type Raw = $ty;
            fn parse(raw: $ty) -> Result<Self, Invalid> {
                Ok(raw)
            }
        }
        impl Column for $ty {
            type Stored = $ty;
            fn into_stored(self) -> $ty {
                self
            }
        }
    )*};
}

plain!(
    bool,
    crate::entity::lead::LeadSource,
    crate::entity::lead::LeadStatus
);

impl Fallback for bool {
    fn fallback() -> Self {
        false
    }
}

impl Fallback for crate::entity::lead::LeadSource {
    fn fallback() -> Self {
        Self::Other
    }
}

impl Fallback for crate::entity::lead::LeadStatus {
    fn fallback() -> Self {
        Self::New
    }
}

/// Text with no control characters other than tab, line feed and carriage return.
pub fn has_control_characters(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}
