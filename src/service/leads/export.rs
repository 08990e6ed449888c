//! Leads as rows of text cells, for a CSV export: the columns a client may
//! choose, pages in id order (so an export of any size holds one page in
//! memory), and cells made safe to open in a spreadsheet.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{filter::LeadFilter, listing::visible_and_filtered};
use crate::{
    auth::{Actor, Scope},
    core::Core,
    entity::{lead, user},
    error::{AppError, AppResult},
    service::{
        audit::{self, AuditEntry},
        crm::assignments,
    },
};

/// At most this many columns in one export.
pub const MAX_COLUMNS: usize = 100;

/// One column of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Id,
    FirstName,
    LastName,
    Email,
    Phone,
    Company,
    JobTitle,
    Country,
    City,
    Source,
    Status,
    BudgetMin,
    BudgetMax,
    Currency,
    ProductInterest,
    PurchaseTimeline,
    IsRepeatCustomer,
    Score,
    Classification,
    PriorityTier,
    ScoredAt,
    /// The email of the user of the lead's ACTIVE assignment.
    Assignee,
    CreatedAt,
    UpdatedAt,
    LastActivityAt,
    ExternalId,
    /// A custom field: `attributes.<name>`.
    Attribute(String),
}

/// The fixed columns by name, in the default order (the GraphQL field
/// names, so a client names a column as it names the field).
const FIXED: [(&str, Column); 26] = [
    ("id", Column::Id),
    ("firstName", Column::FirstName),
    ("lastName", Column::LastName),
    ("email", Column::Email),
    ("phone", Column::Phone),
    ("company", Column::Company),
    ("jobTitle", Column::JobTitle),
    ("country", Column::Country),
    ("city", Column::City),
    ("source", Column::Source),
    ("status", Column::Status),
    ("budgetMin", Column::BudgetMin),
    ("budgetMax", Column::BudgetMax),
    ("currency", Column::Currency),
    ("productInterest", Column::ProductInterest),
    ("purchaseTimeline", Column::PurchaseTimeline),
    ("isRepeatCustomer", Column::IsRepeatCustomer),
    ("externalId", Column::ExternalId),
    ("score", Column::Score),
    ("classification", Column::Classification),
    ("priorityTier", Column::PriorityTier),
    ("scoredAt", Column::ScoredAt),
    ("assignee", Column::Assignee),
    ("createdAt", Column::CreatedAt),
    ("updatedAt", Column::UpdatedAt),
    ("lastActivityAt", Column::LastActivityAt),
];

impl Column {
    /// Every fixed column, in the default order.
    pub fn defaults() -> Vec<Column> {
        FIXED.iter().map(|(_, c)| c.clone()).collect()
    }

    pub fn parse(name: &str) -> AppResult<Column> {
        let name = name.trim();
        if let Some(attribute) = name.strip_prefix("attributes.") {
            if attribute.is_empty() || attribute.len() > 64 {
                return Err(AppError::bad_input(
                    "columns",
                    "an attribute column is attributes.<name>, the name 1 to 64 characters",
                ));
            }
            return Ok(Column::Attribute(attribute.to_string()));
        }
        FIXED
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, c)| c.clone())
            .ok_or_else(|| {
                AppError::bad_input(
                    "columns",
                    format!(
                        "unknown column {name:?}: use attributes.<name> or one of {}",
                        FIXED.map(|(n, _)| n).join(", ")
                    ),
                )
            })
    }

    /// The columns `actor` asked for (none or blank: every column they may
    /// read), refused before anything is sent when one is not theirs to
    /// read: a key reads the leads, not the people assigned to them, as in
    /// GraphQL (`lead { assignee }`).
    pub fn chosen_by(actor: &Actor, list: Option<&str>) -> AppResult<Vec<Column>> {
        let explicit = list.is_some_and(|l| !l.trim().is_empty());
        let mut columns = Column::parse_list(list)?;
        if actor.key.is_some() {
            if explicit && columns.contains(&Column::Assignee) {
                return Err(AppError::Forbidden(
                    "an API key may not read the `assignee` column (a person's email): leave it out"
                        .into(),
                ));
            }
            columns.retain(|c| c != &Column::Assignee);
        }
        Ok(columns)
    }

    /// A comma-separated list (none or blank: [`Column::defaults`]).
    pub fn parse_list(list: Option<&str>) -> AppResult<Vec<Column>> {
        let Some(list) = list.filter(|l| !l.trim().is_empty()) else {
            return Ok(Column::defaults());
        };
        let columns = list
            .split(',')
            .map(Column::parse)
            .collect::<AppResult<Vec<_>>>()?;
        if columns.len() > MAX_COLUMNS {
            return Err(AppError::bad_input(
                "columns",
                format!("at most {MAX_COLUMNS} columns"),
            ));
        }
        Ok(columns)
    }

    pub fn header(&self) -> String {
        match self {
            Column::Attribute(name) => format!("attributes.{name}"),
            fixed => FIXED
                .iter()
                .find(|(_, c)| c == fixed)
                .map(|(n, _)| n.to_string())
                .unwrap_or_default(),
        }
    }
}

/// One page of an export: its rows, and the id to continue after (none
/// when this was the last page).
pub struct Page {
    pub rows: Vec<Vec<String>>,
    pub next: Option<Uuid>,
}

/// Up to `size` leads `actor` may see that match `filter`, after `after`
/// in id order (ids grow with creation time), as cells of `columns`.
pub async fn page(
    core: &Core,
    actor: &Actor,
    filter: &LeadFilter,
    columns: &[Column],
    after: Option<Uuid>,
    size: u64,
) -> AppResult<Page> {
    actor.may(Scope::LeadsRead)?;
    let mut query = lead::Entity::find().filter(visible_and_filtered(actor, filter));
    if let Some(after) = after {
        query = query.filter(lead::Column::Id.gt(after));
    }
    let leads = query
        .order_by_asc(lead::Column::Id)
        .limit(size)
        .all(core.reads())
        .await?;
    let next = (leads.len() as u64 == size)
        .then(|| leads.last().map(|l| l.id))
        .flatten();
    let assignees: HashMap<Uuid, user::Model> = if columns.contains(&Column::Assignee) {
        let ids: Vec<Uuid> = leads.iter().map(|l| l.id).collect();
        assignments::assignees_of(core, actor, &ids).await?
    } else {
        HashMap::new()
    };
    let rows = leads
        .iter()
        .map(|lead| {
            columns
                .iter()
                .map(|c| neutralise(cell(lead, assignees.get(&lead.id), c)))
                .collect()
        })
        .collect();
    Ok(Page { rows, next })
}

fn cell(lead: &lead::Model, assignee: Option<&user::Model>, column: &Column) -> String {
    fn text(value: &Option<String>) -> String {
        value.clone().unwrap_or_default()
    }
    fn name<T: serde::Serialize>(value: &T) -> String {
        match serde_json::to_value(value) {
            Ok(Value::String(s)) => s,
            _ => String::new(),
        }
    }
    fn when(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
        at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_default()
    }
    match column {
        Column::Id => lead.id.to_string(),
        Column::FirstName => lead.first_name.clone(),
        Column::LastName => lead.last_name.clone(),
        Column::Email => text(&lead.email),
        Column::Phone => text(&lead.phone),
        Column::Company => text(&lead.company),
        Column::JobTitle => text(&lead.job_title),
        Column::Country => text(&lead.country),
        Column::City => text(&lead.city),
        Column::Source => name(&lead.source),
        Column::Status => name(&lead.status),
        Column::BudgetMin => lead.budget_min.map(major_units).unwrap_or_default(),
        Column::BudgetMax => lead.budget_max.map(major_units).unwrap_or_default(),
        Column::Currency => lead.currency.clone(),
        Column::ProductInterest => text(&lead.product_interest),
        Column::PurchaseTimeline => text(&lead.purchase_timeline),
        Column::IsRepeatCustomer => lead.is_repeat_customer.to_string(),
        Column::ExternalId => text(&lead.external_id),
        Column::Score => lead.score.map(|s| s.to_string()).unwrap_or_default(),
        Column::Classification => lead.classification.as_ref().map(name).unwrap_or_default(),
        Column::PriorityTier => lead.priority_tier.as_ref().map(name).unwrap_or_default(),
        Column::ScoredAt => when(lead.scored_at),
        Column::Assignee => assignee.map(|u| u.email.clone()).unwrap_or_default(),
        Column::CreatedAt => when(Some(lead.created_at)),
        Column::UpdatedAt => when(Some(lead.updated_at)),
        Column::LastActivityAt => when(lead.last_activity_at),
        Column::Attribute(key) => match lead.attributes.get(key) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        },
    }
}

/// Cents as major units, exactly: 123456 → "1234.56".
fn major_units(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    format!("{sign}{}.{:02}", minor / 100, minor % 100)
}

/// A cell a spreadsheet would read as a formula (it begins with `=`, `+`,
/// `-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP
/// advises against CSV injection; [`restore`] undoes it.
pub fn neutralise(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// Undoes [`neutralise`]: what an import of an export reads.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// Audits an export when it ends: who, with which filter and columns, how
/// many rows, and whether it ran to the end.
pub async fn audit_export(
    core: &Core,
    actor: &Actor,
    filter: &Value,
    columns: &[Column],
    rows: u64,
    complete: bool,
) -> AppResult<()> {
    let columns: Vec<String> = columns.iter().map(Column::header).collect();
    audit::record(
        core.db(),
        AuditEntry::new("leads.exported").by(actor).details(json!({
            "filter": filter,
            "columns": columns,
            "rows": rows,
            "complete": complete,
        })),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_neutralised_and_restored() {
        for formula in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            let safe = neutralise(formula.to_string());
            assert_eq!(safe, format!("'{formula}"));
            assert_eq!(restore(&safe), formula);
        }
        for plain in ["Acme", "'quoted", "", "1-2"] {
            assert_eq!(neutralise(plain.to_string()), plain);
            assert_eq!(restore(plain), plain);
        }
    }

    #[test]
    fn budgets_are_exact_major_units() {
        assert_eq!(major_units(123456), "1234.56");
        assert_eq!(major_units(5), "0.05");
        assert_eq!(major_units(-150), "-1.50");
    }

    #[test]
    fn columns_parse_by_field_name_and_attribute_and_refuse_the_unknown() {
        assert_eq!(
            Column::parse_list(Some("email, score,attributes.plan")).unwrap(),
            vec![
                Column::Email,
                Column::Score,
                Column::Attribute("plan".into())
            ]
        );
        assert_eq!(Column::parse_list(None).unwrap(), Column::defaults());
        let err = Column::parse_list(Some("email,password")).unwrap_err();
        assert!(format!("{err:?}").contains("password"), "{err:?}");
        assert_eq!(Column::Attribute("plan".into()).header(), "attributes.plan");
        assert_eq!(Column::BudgetMin.header(), "budgetMin");
    }
}
