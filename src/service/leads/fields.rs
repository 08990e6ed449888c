//! A lead's fields as clients write them, declared once, in
//! [`lead_fields!`]. Every layer that handles them expands the same table:
//! here the validated [`NewLead`] and [`LeadChange`], what they set on the
//! row and the audit diff; in the GraphQL layer the input types, their
//! parsing and the lead's output fields. So a new field is three edits: a
//! migration, the entity's column, and one line of the table (an X-macro: the table calls back the
//! macro that builds each layer's part).
//!
//! How a field is given decides its types ([`FieldMode`]): `Required`
//! (always sent when creating; cannot be cleared), `Optional` (may be
//! absent or cleared with `null`), `Defaulted` (falls back to a default
//! when creating; cannot be cleared).
use serde_json::{json, Value};

use crate::{
    entity::lead,
    error::{client_path, AppError, AppResult},
    values::{Column, Fallback, Invalid, Parse},
};

/// The table. Each line: doc (shown on the create input and on the lead),
/// name, validated type, mode.
macro_rules! lead_fields {
    ($then:ident) => {
        $then! {
            first_name: $crate::values::PersonName, Required;
            last_name: $crate::values::PersonName, Required;
            email: $crate::values::Email, Optional;
            /// E.164 when the number said its country, otherwise as it was given.
            phone: $crate::values::Phone, Optional;
            company: $crate::values::ShortText, Optional;
            job_title: $crate::values::ShortText, Optional;
            country: $crate::values::Text<100>, Optional;
            city: $crate::values::Text<100>, Optional;
            /// OTHER unless given.
            source: $crate::entity::lead::LeadSource, Defaulted;
            /// NEW unless given.
            status: $crate::entity::lead::LeadStatus, Defaulted;
            /// In major units of `currency` (kept exact in cents).
            budget_min: $crate::values::Money, Optional;
            /// In major units of `currency` (kept exact in cents).
            budget_max: $crate::values::Money, Optional;
            /// ISO 4217; USD unless given.
            currency: $crate::values::CurrencyCode, Defaulted;
            product_interest: $crate::values::ShortText, Optional;
            purchase_timeline: $crate::values::Text<100>, Optional;
            is_repeat_customer: bool, Defaulted;
            /// Custom fields: a JSON object of at most 16 KiB.
            attributes: $crate::values::Attributes, Defaulted;
            /// The id another system gives this lead; imports can find the lead by it.
            external_id: $crate::values::ShortText, Optional;
        }
    };
}
pub(crate) use lead_fields;

/// How a field of type `T` is given; see the module's doc.
pub trait FieldMode<T: Parse + Column> {
    /// In a [`NewLead`].
    type New: std::fmt::Debug + Clone;
    /// In a [`LeadChange`] (`None`: unchanged).
    type Change: std::fmt::Debug + Clone + Default;
    /// What the edge hands over for a new lead, and for a change.
    type RawNew: Default;
    type RawChange;
    /// As the row holds it.
    type Stored: Into<sea_orm::Value> + serde::Serialize;
    fn parse_new(raw: Self::RawNew) -> Result<Self::New, Invalid>;
    fn parse_change(raw: Self::RawChange) -> Result<Self::Change, Invalid>;
    fn store_new(value: Self::New) -> Self::Stored;
    /// `None` when the change leaves the field alone.
    fn store_change(value: Self::Change) -> Option<Self::Stored>;
}

pub struct Required;
pub struct Optional;
pub struct Defaulted;

/// The change and storage of a field that always holds a value (Required
/// and Defaulted differ only in how a new lead gives it).
macro_rules! never_empty {
    () => {
        fn parse_change(raw: Option<T::Raw>) -> Result<Option<T>, Invalid> {
            raw.map(T::parse).transpose()
        }
        fn store_new(value: T) -> T::Stored {
            value.into_stored()
        }
        fn store_change(value: Option<T>) -> Option<T::Stored> {
            value.map(Column::into_stored)
        }
    };
}

impl<T> FieldMode<T> for Required
where
    T: Parse + Column + std::fmt::Debug + Clone,
    T::Raw: Default,
    T::Stored: Into<sea_orm::Value> + serde::Serialize,
{
    type New = T;
    type Change = Option<T>;
    type RawNew = T::Raw;
    type RawChange = Option<T::Raw>;
    type Stored = T::Stored;
    fn parse_new(raw: T::Raw) -> Result<T, Invalid> {
        T::parse(raw)
    }
    never_empty!();
}

impl<T> FieldMode<T> for Optional
where
    T: Parse + Column + std::fmt::Debug + Clone,
    Option<T::Stored>: Into<sea_orm::Value> + serde::Serialize,
{
    type New = Option<T>;
    type Change = Option<Option<T>>;
    type RawNew = Option<T::Raw>;
    type RawChange = Option<Option<T::Raw>>;
    type Stored = Option<T::Stored>;
    fn parse_new(raw: Option<T::Raw>) -> Result<Option<T>, Invalid> {
        T::parse_optional(raw)
    }
    fn parse_change(raw: Option<Option<T::Raw>>) -> Result<Option<Option<T>>, Invalid> {
        raw.map(T::parse_optional).transpose()
    }
    fn store_new(value: Option<T>) -> Option<T::Stored> {
        value.map(Column::into_stored)
    }
    fn store_change(value: Option<Option<T>>) -> Option<Option<T::Stored>> {
        value.map(|v| v.map(Column::into_stored))
    }
}

impl<T> FieldMode<T> for Defaulted
where
    T: Parse + Column + Fallback + std::fmt::Debug + Clone,
    T::Stored: Into<sea_orm::Value> + serde::Serialize,
{
    type New = T;
    type Change = Option<T>;
    type RawNew = Option<T::Raw>;
    type RawChange = Option<T::Raw>;
    type Stored = T::Stored;
    fn parse_new(raw: Option<T::Raw>) -> Result<T, Invalid> {
        Ok(raw.map(T::parse).transpose()?.unwrap_or_else(T::fallback))
    }
    never_empty!();
}

macro_rules! lead_structs {
    ($( $(#[$doc:meta])* $name:ident: $ty:ty, $mode:ident; )*) => {
        /// A new lead, every field validated.
        #[derive(Debug, Clone)]
        pub struct NewLead {
            $( pub $name: <$mode as FieldMode<$ty>>::New, )*
        }

        /// What a change sets; a `None` field stays as it is.
        #[derive(Debug, Clone, Default)]
        pub struct LeadChange {
            $( pub $name: <$mode as FieldMode<$ty>>::Change, )*
        }

        /// A new lead as sent, before validation: what the GraphQL layer,
        /// imports and tools hand over.
        #[derive(Default)]
        pub struct RawNewLead {
            $( pub $name: <$mode as FieldMode<$ty>>::RawNew, )*
        }

        impl RawNewLead {
            /// Validates every field; a refusal names the field.
            pub fn parse(self) -> AppResult<NewLead> {
                Ok(NewLead {
                    $(
                        $name: <$mode as FieldMode<$ty>>::parse_new(self.$name)
                            .map_err(|e| AppError::bad_input(stringify!($name), e.0))?,
                    )*
                })
            }
        }

        impl NewLead {
            /// The row's columns for these fields (the rest left unset).
            pub fn columns(self) -> lead::ActiveModel {
                lead::ActiveModel {
                    $( $name: sea_orm::Set(<$mode as FieldMode<$ty>>::store_new(self.$name)), )*
                    ..Default::default()
                }
            }
        }

        impl LeadChange {
            /// Sets what this change changes on `row`.
            pub fn apply(self, row: &mut lead::ActiveModel) {
                $(
                    if let Some(value) = <$mode as FieldMode<$ty>>::store_change(self.$name) {
                        row.$name = sea_orm::Set(value);
                    }
                )*
            }
        }

        /// `{"field": {"before": .., "after": ..}}` for the fields that differ.
        pub fn audit_diff(before: &lead::Model, after: &lead::Model) -> Value {
            let mut diff = serde_json::Map::new();
            $(
                if before.$name != after.$name {
                    diff.insert(
                        client_path(stringify!($name)),
                        json!({ "before": before.$name, "after": after.$name }),
                    );
                }
            )*
            Value::Object(diff)
        }
    };
}

lead_fields!(lead_structs);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_defaulted_field_falls_back_and_an_optional_one_may_be_cleared() {
        let source = <Defaulted as FieldMode<lead::LeadSource>>::parse_new(None).unwrap();
        assert_eq!(source, lead::LeadSource::Other);
        let cleared =
            <Optional as FieldMode<crate::values::Email>>::parse_change(Some(None)).unwrap();
        assert_eq!(cleared, Some(None));
        assert_eq!(
            <Optional as FieldMode<crate::values::Email>>::store_change(cleared),
            Some(None)
        );
        let bad = <Required as FieldMode<crate::values::PersonName>>::parse_new("  ".into());
        assert!(bad.is_err());
    }
}
