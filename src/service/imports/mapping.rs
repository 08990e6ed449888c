//! What a file's columns mean: the mapping a client sends, checked
//! against the file's header, or suggested from it (pure: no database).
use std::collections::BTreeMap;

use crate::{
    entity::lead_import::{AttributeType, ColumnMap, DedupeKey, Target},
    error::{client_path, AppError, AppResult},
    service::leads::{cells, LeadChange},
};

/// Columns one import may map, at most.
pub const MAX_COLUMNS: usize = 500;

/// One column's mapping as a client asks for it.
#[derive(Debug, Clone, Default)]
pub struct ColumnRequest {
    /// The column's header as the file has it (matched exactly, then
    /// ignoring case and spaces).
    pub column: String,
    /// A lead field as clients name it (`firstName`), or
    /// `attributes.<name>`; none: the column is ignored.
    pub field: Option<String>,
    /// For an attribute: how its cells are typed (TEXT unless given).
    pub attribute_type: Option<AttributeType>,
    /// Cell values translated before validation.
    pub values: Vec<(String, String)>,
    pub otherwise: Option<String>,
}

/// `firstName`, `First name` and `first_name` are one.
fn loose(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The service name of a lead field a column may fill, from any spelling.
fn field_named(name: &str) -> Option<&'static str> {
    let wanted = loose(name);
    cells::FIELDS.iter().copied().find(|f| loose(f) == wanted)
}

/// Headers that mean a field under another name, as spreadsheets say them.
const SYNONYMS: [(&str, &str); 12] = [
    ("emailaddress", "email"),
    ("mail", "email"),
    ("phonenumber", "phone"),
    ("mobile", "phone"),
    ("telephone", "phone"),
    ("companyname", "company"),
    ("organization", "company"),
    ("title", "job_title"),
    ("leadsource", "source"),
    ("leadstatus", "status"),
    ("firstname", "first_name"),
    ("lastname", "last_name"),
];

/// A suggested field for each header that names one (case, spaces and
/// punctuation ignored); `attributes.<name>` headers (an export's) too.
pub fn suggest(columns: &[String]) -> Vec<(String, String)> {
    let mut taken = Vec::new();
    columns
        .iter()
        .filter_map(|header| {
            let field = if let Some(name) = header.trim().strip_prefix("attributes.") {
                format!("attributes.{name}")
            } else {
                let wanted = loose(header);
                let field = field_named(header)
                    .or_else(|| SYNONYMS.iter().find(|(h, _)| *h == wanted).map(|(_, f)| *f))?;
                client_path(field)
            };
            if taken.contains(&field) {
                return None;
            }
            taken.push(field.clone());
            Some((header.clone(), field))
        })
        .collect()
}

/// Checks a mapping against the file's header: every column exists, every
/// field is a lead field or an attribute, no field is filled twice.
/// Refusals name the entry: `mapping[2].field`.
pub fn resolve(header: &[String], requests: Vec<ColumnRequest>) -> AppResult<Vec<ColumnMap>> {
    if requests.len() > MAX_COLUMNS {
        return Err(AppError::bad_input(
            "mapping",
            format!("map at most {MAX_COLUMNS} columns"),
        ));
    }
    let mut maps: Vec<ColumnMap> = Vec::new();
    for (i, request) in requests.into_iter().enumerate() {
        let at = |part: &str| format!("mapping[{i}].{part}");
        let index = header
            .iter()
            .position(|h| h == &request.column)
            .or_else(|| {
                let wanted = loose(&request.column);
                header.iter().position(|h| loose(h) == wanted)
            })
            .ok_or_else(|| {
                AppError::bad_input(
                    at("column"),
                    format!("the file has no column {:?}", request.column),
                )
            })?;
        let Some(field) = request.field.filter(|f| !f.trim().is_empty()) else {
            continue;
        };
        let target = if let Some(name) = field.trim().strip_prefix("attributes.") {
            if name.is_empty() || name.chars().count() > 64 {
                return Err(AppError::bad_input(
                    at("field"),
                    "an attribute is attributes.<name>, the name 1 to 64 characters",
                ));
            }
            Target::Attribute {
                name: name.to_string(),
                kind: request.attribute_type.unwrap_or(AttributeType::Text),
            }
        } else {
            let name = field_named(&field).ok_or_else(|| {
                let fields: Vec<String> = cells::FIELDS.iter().map(|f| client_path(f)).collect();
                AppError::bad_input(
                    at("field"),
                    format!(
                        "{field:?} is not a lead field: use attributes.<name> or one of {}",
                        fields.join(", ")
                    ),
                )
            })?;
            Target::Field(name.to_string())
        };
        if maps.iter().any(|m| m.target == target) {
            return Err(AppError::bad_input(
                at("field"),
                format!("{field} is already filled by another column"),
            ));
        }
        let mut values = BTreeMap::new();
        for (from, to) in request.values {
            values.insert(from.trim().to_lowercase(), to);
        }
        maps.push(ColumnMap {
            index,
            header: header[index].clone(),
            target,
            values,
            otherwise: request.otherwise,
        });
    }
    Ok(maps)
}

/// Checks defaults: each a lead field (by any spelling) and a valid value
/// for it. Returns them by service name.
pub fn resolve_defaults(defaults: Vec<(String, String)>) -> AppResult<Vec<(String, String)>> {
    defaults
        .into_iter()
        .enumerate()
        .map(|(i, (field, value))| {
            let name = field_named(&field).ok_or_else(|| {
                AppError::bad_input(
                    format!("defaults[{i}].field"),
                    format!("{field:?} is not a lead field"),
                )
            })?;
            cells::set_change(&mut LeadChange::default(), name, &value)
                .map_err(|e| AppError::bad_input(format!("defaults[{i}].value"), e.0))?;
            Ok((name.to_string(), value))
        })
        .collect()
}

/// The fields a lead cannot be created without, when neither a column nor
/// a default gives them.
pub fn missing_required(columns: &[ColumnMap], defaults: &[(String, String)]) -> Vec<String> {
    ["first_name", "last_name"]
        .into_iter()
        .filter(|field| {
            !columns
                .iter()
                .any(|c| c.target == Target::Field(field.to_string()))
                && !defaults.iter().any(|(f, _)| f == field)
        })
        .map(client_path)
        .collect()
}

/// The lead field a dedupe key reads.
pub fn key_field(key: DedupeKey) -> &'static str {
    match key {
        DedupeKey::Email => "email",
        DedupeKey::ExternalId => "external_id",
        DedupeKey::Phone => "phone",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn map(column: &str, field: &str) -> ColumnRequest {
        ColumnRequest {
            column: column.into(),
            field: Some(field.into()),
            ..Default::default()
        }
    }

    #[test]
    fn headers_suggest_fields_ignoring_case_spaces_and_synonyms() {
        let suggested = suggest(&header(&[
            "First Name",
            "E-mail Address",
            "Lead Source",
            "Prospect ID",
            "attributes.plan",
        ]));
        assert_eq!(
            suggested,
            vec![
                ("First Name".to_string(), "firstName".to_string()),
                ("E-mail Address".to_string(), "email".to_string()),
                ("Lead Source".to_string(), "source".to_string()),
                ("attributes.plan".to_string(), "attributes.plan".to_string()),
            ]
        );
    }

    #[test]
    fn a_mapping_names_real_columns_and_fields_once() {
        let header = header(&["Name", "Surname", "Mail"]);
        let maps = resolve(
            &header,
            vec![map("name", "firstName"), map("SURNAME", "last_name")],
        )
        .unwrap();
        assert_eq!(maps[1].index, 1);
        assert_eq!(maps[1].target, Target::Field("last_name".into()));
        let err = resolve(&header, vec![map("Phone", "phone")]).unwrap_err();
        assert!(format!("{err:?}").contains("mapping[0].column"), "{err:?}");
        let err = resolve(&header, vec![map("Mail", "password")]).unwrap_err();
        assert!(format!("{err:?}").contains("mapping[0].field"), "{err:?}");
        let err = resolve(&header, vec![map("Name", "email"), map("Mail", "email")]).unwrap_err();
        assert!(format!("{err:?}").contains("mapping[1].field"), "{err:?}");
    }
}
