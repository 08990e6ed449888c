//! Lead fields from spreadsheet cells, for imports: every field of the one
//! table ([`lead_fields!`]) can be set from text, for a new lead (blank is
//! "not given") or as a change (blank clears a field that may be empty and
//! leaves the others alone). Values are checked by the same rules as
//! `createLead` and `updateLead`.
use sea_orm::Iterable;
use serde_json::Value;

use super::fields::{
    lead_fields, Defaulted, FieldMode, LeadChange, Optional, RawNewLead, Required,
};
use crate::{
    entity::lead::{LeadSource, LeadStatus},
    values::{Column, Invalid, Parse},
};

/// A raw value read from a cell's text.
pub trait FromCell: Sized {
    fn from_cell(cell: &str) -> Result<Self, Invalid>;
}

impl FromCell for String {
    fn from_cell(cell: &str) -> Result<Self, Invalid> {
        Ok(cell.to_string())
    }
}

impl FromCell for f64 {
    fn from_cell(cell: &str) -> Result<Self, Invalid> {
        let text = cell.trim();
        // "12,500.50" as spreadsheets format it; a decimal comma is not guessed.
        let plain = if text.contains('.') || text.matches(',').count() > 1 {
            text.replace(',', "")
        } else {
            text.to_string()
        };
        plain
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| Invalid(format!("'{text}' is not a number")))
    }
}

impl FromCell for bool {
    fn from_cell(cell: &str) -> Result<Self, Invalid> {
        match cell.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => Ok(true),
            "false" | "no" | "n" | "0" => Ok(false),
            other => Err(Invalid(format!(
                "'{other}' is not a yes/no value (true, false, yes, no, 1 or 0)"
            ))),
        }
    }
}

impl FromCell for Value {
    fn from_cell(cell: &str) -> Result<Self, Invalid> {
        serde_json::from_str(cell).map_err(|_| Invalid::new("is not a JSON object"))
    }
}

/// An enum value by its API name, however it is cased or spaced
/// (`Walk-in`, `walk in` and `WALK_IN` are one).
fn enum_from_cell<T>(cell: &str) -> Result<T, Invalid>
where
    T: Iterable + serde::de::DeserializeOwned + serde::Serialize,
{
    let name: String = cell
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    serde_json::from_value(Value::String(name)).map_err(|_| {
        let names: Vec<String> = T::iter()
            .filter_map(|v| serde_json::to_value(v).ok())
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        Invalid(format!(
            "'{}' is not one of {}",
            cell.trim(),
            names.join(", ")
        ))
    })
}

impl FromCell for LeadSource {
    fn from_cell(cell: &str) -> Result<Self, Invalid> {
        enum_from_cell(cell)
    }
}

impl FromCell for LeadStatus {
    fn from_cell(cell: &str) -> Result<Self, Invalid> {
        enum_from_cell(cell)
    }
}

/// How a field of each mode is read from a cell.
pub trait CellMode<T: Parse + Column>: FieldMode<T> {
    /// For a new lead: blank is "not given".
    fn new_from_cell(cell: &str) -> Result<Self::RawNew, Invalid>;
    /// For a change, validated: blank clears an optional field, leaves others.
    fn change_from_cell(cell: &str) -> Result<Self::Change, Invalid>;
}

fn blank(cell: &str) -> bool {
    cell.trim().is_empty()
}

impl<T> CellMode<T> for Required
where
    Required: FieldMode<T, RawNew = T::Raw, Change = Option<T>>,
    T: Parse + Column,
    T::Raw: FromCell,
{
    fn new_from_cell(cell: &str) -> Result<T::Raw, Invalid> {
        T::Raw::from_cell(cell)
    }
    fn change_from_cell(cell: &str) -> Result<Option<T>, Invalid> {
        if blank(cell) {
            return Ok(None);
        }
        T::parse(T::Raw::from_cell(cell)?).map(Some)
    }
}

impl<T> CellMode<T> for Optional
where
    Optional: FieldMode<T, RawNew = Option<T::Raw>, Change = Option<Option<T>>>,
    T: Parse + Column,
    T::Raw: FromCell,
{
    fn new_from_cell(cell: &str) -> Result<Option<T::Raw>, Invalid> {
        if blank(cell) {
            return Ok(None);
        }
        T::Raw::from_cell(cell).map(Some)
    }
    fn change_from_cell(cell: &str) -> Result<Option<Option<T>>, Invalid> {
        if blank(cell) {
            return Ok(Some(None));
        }
        T::parse(T::Raw::from_cell(cell)?).map(|v| Some(Some(v)))
    }
}

impl<T> CellMode<T> for Defaulted
where
    Defaulted: FieldMode<T, RawNew = Option<T::Raw>, Change = Option<T>>,
    T: Parse + Column,
    T::Raw: FromCell,
{
    fn new_from_cell(cell: &str) -> Result<Option<T::Raw>, Invalid> {
        if blank(cell) {
            return Ok(None);
        }
        T::Raw::from_cell(cell).map(Some)
    }
    fn change_from_cell(cell: &str) -> Result<Option<T>, Invalid> {
        if blank(cell) {
            return Ok(None);
        }
        T::parse(T::Raw::from_cell(cell)?).map(Some)
    }
}

macro_rules! lead_cells {
    ($( $(#[$doc:meta])* $name:ident: $ty:ty, $mode:ident; )*) => {
        /// Every lead field a column may fill, by its service name.
        pub const FIELDS: &[&str] = &[$( stringify!($name), )*];

        /// Sets `field` of a new lead from a cell; an unknown field is refused.
        pub fn set_new(raw: &mut RawNewLead, field: &str, cell: &str) -> Result<(), Invalid> {
            match field {
                $( stringify!($name) => {
                    raw.$name = <$mode as CellMode<$ty>>::new_from_cell(cell)?;
                } )*
                other => return Err(Invalid(format!("there is no lead field {other}"))),
            }
            Ok(())
        }

        /// Sets `field` of a change from a cell, validated.
        pub fn set_change(change: &mut LeadChange, field: &str, cell: &str) -> Result<(), Invalid> {
            match field {
                $( stringify!($name) => {
                    change.$name = <$mode as CellMode<$ty>>::change_from_cell(cell)?;
                } )*
                other => return Err(Invalid(format!("there is no lead field {other}"))),
            }
            Ok(())
        }
    };
}

lead_fields!(lead_cells);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_set_new_leads_and_changes_by_the_create_rules() {
        let mut raw = RawNewLead::default();
        set_new(&mut raw, "first_name", "Ada").unwrap();
        set_new(&mut raw, "last_name", "Lovelace").unwrap();
        set_new(&mut raw, "source", "walk-in").unwrap();
        set_new(&mut raw, "budget_min", "12,500.50").unwrap();
        set_new(&mut raw, "is_repeat_customer", "Yes").unwrap();
        set_new(&mut raw, "email", " ").unwrap();
        let lead = raw.parse().unwrap();
        assert_eq!(lead.source, LeadSource::WalkIn);
        assert_eq!(lead.budget_min.unwrap().minor_units(), 1_250_050);
        assert!(lead.is_repeat_customer);
        assert!(lead.email.is_none());

        let mut raw = RawNewLead::default();
        assert!(set_new(&mut raw, "status", "maybe")
            .unwrap_err()
            .0
            .contains("WON"));
        assert!(set_new(&mut raw, "budget_max", "lots").is_err());
        assert!(set_new(&mut raw, "password", "x").is_err());

        let mut change = LeadChange::default();
        set_change(&mut change, "phone", "").unwrap();
        set_change(&mut change, "first_name", "").unwrap();
        assert_eq!(change.phone, Some(None), "blank clears an optional field");
        assert!(
            change.first_name.is_none(),
            "blank leaves a required one alone"
        );
        assert!(set_change(&mut change, "email", "not an email").is_err());
    }
}
