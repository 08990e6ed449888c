//! One row of a file read through a mapping: its cells restored (an
//! export's neutralised formulas), translated by the value maps, typed and
//! checked by the rules `createLead` and `updateLead` keep. Pure: no
//! database.
use std::collections::HashMap;

use sea_orm::Set;
use serde_json::{Map, Value};

use crate::{
    entity::lead,
    entity::lead_import::{AttributeType, ColumnMap, DedupeKey, Target},
    error::{client_path, AppError, AppResult},
    service::leads::{
        cells::{self, FromCell},
        export,
        write::{check_budget, derive_columns, phone_key},
        LeadChange, NewLead, RawNewLead,
    },
    values::{Column, Invalid},
};

/// Why a row (or one of its cells) was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub column: Option<String>,
    /// As clients name it.
    pub field: Option<String>,
    pub code: &'static str,
    pub message: String,
}

impl RowError {
    fn bad(column: Option<&str>, field: &str, message: impl Into<String>) -> Self {
        Self {
            column: column.map(str::to_string),
            field: Some(client_path(field)),
            code: "BAD_USER_INPUT",
            message: message.into(),
        }
    }
}

/// One row read through a mapping.
#[derive(Debug, Clone)]
pub struct RowRead {
    /// The lead the row would create, or why it could not.
    pub new: Result<NewLead, RowError>,
    /// What the row would change on a lead it matches (mapped columns only).
    pub change: LeadChange,
    /// Mapped attributes: a value, or none to remove it.
    pub attributes: Map<String, Value>,
    pub cleared_attributes: Vec<String>,
    /// Cells that break a rule: the row is not taken at all.
    pub errors: Vec<RowError>,
    /// The dedupe key's value, normalised (lower-cased email, phone digits).
    pub key: Option<String>,
    /// The row's email, for the uniqueness rule `createLead` keeps.
    pub email: Option<String>,
}

/// A cell as the mapping turns it into a value, owned (for previews).
pub fn translated(map: &ColumnMap, cell: &str) -> String {
    translate(map, cell).to_string()
}

/// A cell as the mapping turns it into a value: an export's neutralised
/// formula restored, then translated by the value map.
fn translate<'a>(map: &'a ColumnMap, cell: &'a str) -> &'a str {
    let cell = export::restore(cell);
    if let Some(to) = map.values.get(&cell.trim().to_lowercase()) {
        return to;
    }
    match &map.otherwise {
        Some(otherwise) if !cell.trim().is_empty() => otherwise,
        _ => cell,
    }
}

fn attribute(kind: AttributeType, cell: &str) -> Result<Value, Invalid> {
    match kind {
        AttributeType::Text => Ok(Value::String(cell.trim().to_string())),
        AttributeType::Number => {
            let n = f64::from_cell(cell)?;
            Ok(serde_json::Number::from_f64(n)
                .map(Value::Number)
                .unwrap_or(Value::Null))
        }
        AttributeType::Boolean => bool::from_cell(cell).map(Value::Bool),
    }
}

/// Reads one row of `width` cells through the mapping.
pub fn read_row(
    columns: &[ColumnMap],
    defaults: &[(String, String)],
    dedupe: Option<DedupeKey>,
    width: usize,
    cells: &[String],
) -> RowRead {
    let mut read = RowRead {
        new: Err(RowError {
            column: None,
            field: None,
            code: "BAD_USER_INPUT",
            message: String::new(),
        }),
        change: LeadChange::default(),
        attributes: Map::new(),
        cleared_attributes: Vec::new(),
        errors: Vec::new(),
        key: None,
        email: None,
    };
    if cells.len() != width {
        read.errors.push(RowError {
            column: None,
            field: None,
            code: "BAD_USER_INPUT",
            message: format!(
                "this row has {} cells where the header has {width}: a delimiter inside an unquoted cell?",
                cells.len()
            ),
        });
        return read;
    }
    let mut raw = RawNewLead::default();
    for (field, value) in defaults {
        // Checked when the import was created.
        let _ = cells::set_new(&mut raw, field, value);
    }
    let mut column_of: HashMap<&str, &str> = HashMap::new();
    for map in columns {
        let cell = translate(map, &cells[map.index]);
        let column = Some(map.header.as_str());
        match &map.target {
            Target::Field(field) => {
                column_of.insert(field, &map.header);
                let defaulted = cell.trim().is_empty() && defaults.iter().any(|(f, _)| f == field);
                if !defaulted {
                    if let Err(err) = cells::set_new(&mut raw, field, cell) {
                        read.errors.push(RowError::bad(column, field, err.0));
                        continue;
                    }
                }
                if let Err(err) = cells::set_change(&mut read.change, field, cell) {
                    read.errors.push(RowError::bad(column, field, err.0));
                }
            }
            Target::Attribute { name, kind } => {
                if cell.trim().is_empty() {
                    read.cleared_attributes.push(name.clone());
                    continue;
                }
                match attribute(*kind, cell) {
                    Ok(value) => {
                        read.attributes.insert(name.clone(), value);
                    }
                    Err(err) => read.errors.push(RowError::bad(
                        column,
                        &format!("attributes.{name}"),
                        err.0,
                    )),
                }
            }
        }
    }
    if !read.errors.is_empty() {
        return read;
    }
    if !read.attributes.is_empty() {
        let mut object = match raw.attributes.take() {
            Some(Value::Object(object)) => object,
            _ => Map::new(),
        };
        object.extend(read.attributes.clone());
        raw.attributes = Some(Value::Object(object));
    }
    read.new = raw
        .parse()
        .and_then(|new| {
            check_budget(
                new.budget_min.map(|m| m.minor_units()),
                new.budget_max.map(|m| m.minor_units()),
            )?;
            Ok(new)
        })
        .map_err(|err| {
            let (field, message) = match err {
                AppError::BadUserInput { field, message } => (field, message),
                other => (String::new(), other.message()),
            };
            RowError::bad(column_of.get(field.as_str()).copied(), &field, message)
        });
    read.email = match &read.change.email {
        Some(Some(email)) => Some(email.as_str().to_string()),
        _ => None,
    };
    read.key = dedupe.and_then(|key| match key {
        DedupeKey::Email => read.email.clone(),
        DedupeKey::ExternalId => match &read.change.external_id {
            Some(Some(id)) => Some(id.as_str().to_string()),
            _ => None,
        },
        DedupeKey::Phone => match &read.change.phone {
            Some(Some(phone)) => phone_key(&phone.clone().into_stored()),
            _ => None,
        },
    });
    read
}

/// Sets a row's mapped columns on a lead, attributes merged into its own.
pub fn apply(row: &mut lead::ActiveModel, read: &RowRead) -> AppResult<()> {
    read.change.clone().apply(row);
    if !read.attributes.is_empty() || !read.cleared_attributes.is_empty() {
        let mut object = match row.attributes.try_as_ref() {
            Some(Value::Object(object)) => object.clone(),
            _ => Map::new(),
        };
        object.extend(read.attributes.clone());
        for name in &read.cleared_attributes {
            object.remove(name);
        }
        row.attributes = Set(Value::Object(object));
    }
    check_budget(
        row.budget_min.try_as_ref().copied().flatten(),
        row.budget_max.try_as_ref().copied().flatten(),
    )?;
    derive_columns(row);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::imports::mapping::{
        missing_required, resolve, resolve_defaults, ColumnRequest,
    };

    fn map(column: &str, field: &str) -> ColumnRequest {
        ColumnRequest {
            column: column.into(),
            field: Some(field.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_row_is_translated_typed_and_validated_like_create_lead() {
        let header: Vec<String> = ["First", "Last", "Converted", "Visits", "Email"]
            .map(String::from)
            .to_vec();
        let mut converted = map("Converted", "status");
        converted.values = vec![("1".into(), "WON".into()), ("0".into(), "LOST".into())];
        let mut visits = map("Visits", "attributes.visits");
        visits.attribute_type = Some(AttributeType::Number);
        let columns = resolve(
            &header,
            vec![
                map("First", "firstName"),
                map("Last", "lastName"),
                converted,
                visits,
                map("Email", "email"),
            ],
        )
        .unwrap();
        let cells = |row: &[&str]| row.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let read = read_row(
            &columns,
            &[],
            Some(DedupeKey::Email),
            5,
            &cells(&["Ada", "Lovelace", "1", "3", "ADA@Example.com"]),
        );
        assert!(read.errors.is_empty(), "{:?}", read.errors);
        let new = read.new.unwrap();
        assert_eq!(new.status, crate::entity::lead::LeadStatus::Won);
        assert_eq!(new.attributes.clone().into_stored()["visits"], 3.0);
        assert_eq!(read.key.as_deref(), Some("ada@example.com"));

        let read = read_row(
            &columns,
            &[],
            None,
            5,
            &cells(&["Ada", "", "1", "many", "x"]),
        );
        let fields: Vec<_> = read
            .errors
            .iter()
            .map(|e| e.field.clone().unwrap())
            .collect();
        assert_eq!(fields, ["attributes.visits", "email"]);
        assert_eq!(read.errors[1].column.as_deref(), Some("Email"));

        let read = read_row(&columns, &[], None, 5, &cells(&["Ada", " ", "0", "1", ""]));
        let err = read.new.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("lastName"));
        assert_eq!(err.column.as_deref(), Some("Last"));

        let read = read_row(&columns, &[], None, 5, &cells(&["Ada"]));
        assert!(
            read.errors[0].message.contains("1 cells"),
            "{:?}",
            read.errors
        );
    }

    #[test]
    fn defaults_fill_what_a_row_leaves_blank() {
        let header = vec!["Number".to_string()];
        let columns = resolve(&header, vec![map("Number", "lastName")]).unwrap();
        let defaults = resolve_defaults(vec![("firstName".into(), "Lead".into())]).unwrap();
        assert!(missing_required(&columns, &defaults).is_empty());
        assert_eq!(missing_required(&columns, &[]), ["firstName"]);
        let read = read_row(&columns, &defaults, None, 1, &["660737".to_string()]);
        let new = read.new.unwrap();
        assert_eq!(new.first_name.as_str(), "Lead");
        assert!(resolve_defaults(vec![("status".into(), "MAYBE".into())]).is_err());
    }
}
