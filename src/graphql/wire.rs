//! How validated values cross GraphQL: the input type a client sends for
//! each and the output type it reads back ([`Wire`]), and for a lead field,
//! the types its mode gives it ([`WireMode`]). The lead inputs and the
//! lead's own output fields are generated from the one field table
//! (`service::leads::fields`).
use async_graphql::{InputType, Json, MaybeUndefined, OutputType};
use serde_json::Value;

use super::types;
use crate::{
    entity::lead::{LeadSource, LeadStatus},
    service::leads::fields::{Defaulted, FieldMode, Optional, Required},
    values::{Attributes, Column, CurrencyCode, Email, Money, Parse, Phone, Text},
};

/// A value, the GraphQL input it is sent as and the output it is read as.
pub trait Wire: Parse + Column {
    type Input: InputType;
    type Output: OutputType;
    fn raw(input: Self::Input) -> Self::Raw;
    fn show(stored: &Self::Stored) -> Self::Output;
}

/// `Type: Input => Output, raw |input| .., show |stored| ..;`
macro_rules! on_the_wire {
    ($($ty:ty: $input:ty => $output:ty, raw |$i:ident| $raw:expr, show |$s:ident| $show:expr;)*) => {$(
        impl Wire for $ty {
            type Input = $input;
            type Output = $output;
            fn raw($i: $input) -> <$ty as Parse>::Raw {
                $raw
            }
            fn show($s: &<$ty as Column>::Stored) -> $output {
                $show
            }
        }
    )*};
}

on_the_wire! {
    Email: String => String, raw |input| input, show |stored| stored.clone();
    Phone: String => String, raw |input| input, show |stored| stored.clone();
    CurrencyCode: String => String, raw |input| input, show |stored| stored.clone();
    // Sent and read in major units; stored exactly in minor ones.
    Money: f64 => f64, raw |input| input, show |cents| *cents as f64 / 100.0;
    bool: bool => bool, raw |input| input, show |stored| *stored;
    Attributes: Json<Value> => Json<Value>, raw |input| input.0, show |stored| Json(stored.clone());
    // The entity's enums travel as their compile-checked GraphQL mirrors.
    LeadSource: types::LeadSource => types::LeadSource, raw |input| input.into(), show |stored| (*stored).into();
    LeadStatus: types::LeadStatus => types::LeadStatus, raw |input| input.into(), show |stored| (*stored).into();
}

impl<const MAX: usize> Wire for Text<MAX> {
    type Input = String;
    type Output = String;
    fn raw(input: String) -> String {
        input
    }
    fn show(stored: &String) -> String {
        stored.clone()
    }
}

/// The create and update input types of a field of type `T` in this mode.
pub trait WireMode<T: Wire>: FieldMode<T> {
    type Create: InputType;
    type Update: InputType;
    /// What the lead's field reads as.
    type Shown: OutputType;
    fn show(stored: &Self::Stored) -> Self::Shown;
    fn raw_new(value: Self::Create) -> Self::RawNew;
    fn raw_change(value: Self::Update) -> Self::RawChange;
    /// Whether the client sent the field.
    fn sent_create(value: &Self::Create) -> bool;
    fn sent_update(value: &Self::Update) -> bool;
}

impl<T> WireMode<T> for Required
where
    T: Wire + std::fmt::Debug + Clone,
    T::Raw: Default,
    T::Stored: Into<sea_orm::Value> + serde::Serialize,
{
    type Create = T::Input;
    type Update = Option<T::Input>;
    type Shown = T::Output;
    fn show(stored: &T::Stored) -> T::Output {
        T::show(stored)
    }
    fn raw_new(value: T::Input) -> T::Raw {
        T::raw(value)
    }
    fn raw_change(value: Option<T::Input>) -> Option<T::Raw> {
        value.map(T::raw)
    }
    fn sent_create(_: &T::Input) -> bool {
        true
    }
    fn sent_update(value: &Option<T::Input>) -> bool {
        value.is_some()
    }
}

impl<T> WireMode<T> for Optional
where
    T: Wire + std::fmt::Debug + Clone,
    Option<T::Stored>: Into<sea_orm::Value> + serde::Serialize,
{
    type Create = Option<T::Input>;
    type Update = MaybeUndefined<T::Input>;
    type Shown = Option<T::Output>;
    fn show(stored: &Option<T::Stored>) -> Option<T::Output> {
        stored.as_ref().map(T::show)
    }
    fn raw_new(value: Option<T::Input>) -> Option<T::Raw> {
        value.map(T::raw)
    }
    fn raw_change(value: MaybeUndefined<T::Input>) -> Option<Option<T::Raw>> {
        match value {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(v) => Some(Some(T::raw(v))),
        }
    }
    fn sent_create(value: &Option<T::Input>) -> bool {
        value.is_some()
    }
    fn sent_update(value: &MaybeUndefined<T::Input>) -> bool {
        !value.is_undefined()
    }
}

impl<T> WireMode<T> for Defaulted
where
    T: Wire + crate::values::Fallback + std::fmt::Debug + Clone,
    T::Stored: Into<sea_orm::Value> + serde::Serialize,
{
    type Create = Option<T::Input>;
    type Update = Option<T::Input>;
    type Shown = T::Output;
    fn show(stored: &T::Stored) -> T::Output {
        T::show(stored)
    }
    fn raw_new(value: Option<T::Input>) -> Option<T::Raw> {
        value.map(T::raw)
    }
    fn raw_change(value: Option<T::Input>) -> Option<T::Raw> {
        value.map(T::raw)
    }
    fn sent_create(value: &Option<T::Input>) -> bool {
        value.is_some()
    }
    fn sent_update(value: &Option<T::Input>) -> bool {
        value.is_some()
    }
}

/// Parses a required argument, naming it when it is refused.
pub fn parse<T: Parse>(field: &str, raw: T::Raw) -> crate::error::AppResult<T> {
    T::parse(raw).map_err(|e| crate::error::AppError::bad_input(field, e.0))
}

/// Parses an optional argument (absent, or blank text, is none).
pub fn parse_optional<T: Parse>(
    field: &str,
    raw: Option<T::Raw>,
) -> crate::error::AppResult<Option<T>> {
    T::parse_optional(raw).map_err(|e| crate::error::AppError::bad_input(field, e.0))
}
