//! Leads: who may see which, creating and changing them, and listing them
//! with filters and keyset pagination.
//!
//! Visibility is part of the SQL of every read ([`visible_to`]): ADMIN and
//! MANAGER see every live lead; a SALES_REP sees only the leads whose ACTIVE
//! assignment is theirs. A lead outside that set is NOT_FOUND, never
//! FORBIDDEN, so its existence does not leak.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait, LikeExpr, NullOrdering, Query, SimpleExpr},
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    auth::Actor,
    entity::{
        assignment::{self, AssignmentStatus},
        lead::{self, Column, LeadSource, LeadStatus},
        lead_activity::ActivityKind,
    },
    error::{AppError, AppResult},
    scoring::Thresholds,
    service::{
        activities, assignments,
        audit::{self, AuditEntry},
        lead_input as input,
        page::{DEFAULT_PAGE, MAX_PAGE},
        rescoring,
    },
};

/// The lower-cased text that free-text search matches: name, email, company
/// and phone. Every insert and update of a lead writes it.
pub fn search_text(
    first_name: &str,
    last_name: &str,
    email: Option<&str>,
    company: Option<&str>,
    phone: Option<&str>,
) -> String {
    [Some(first_name), Some(last_name), email, company, phone]
        .into_iter()
        .flatten()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Leads whose ACTIVE assignment belongs to `user_id`, as a subquery.
pub fn actively_assigned_to(user_id: Uuid) -> SimpleExpr {
    Column::Id.in_subquery(
        Query::select()
            .column(assignment::Column::LeadId)
            .from(assignment::Entity)
            .and_where(assignment::Column::AssigneeId.eq(user_id))
            .and_where(assignment::Column::Status.eq(AssignmentStatus::Active))
            .take(),
    )
}

/// The live leads `actor` may see, as a condition for any query on leads.
pub fn visible_to(actor: &Actor) -> Condition {
    let condition = Condition::all().add(Column::DeletedAt.is_null());
    if actor.is_manager_or_admin() {
        condition
    } else {
        condition.add(actively_assigned_to(actor.user_id))
    }
}

pub fn find_visible(actor: &Actor) -> Select<lead::Entity> {
    lead::Entity::find().filter(visible_to(actor))
}

/// The lead, if `actor` may see it; NOT_FOUND otherwise.
pub async fn get<C: ConnectionTrait>(conn: &C, actor: &Actor, id: Uuid) -> AppResult<lead::Model> {
    find_visible(actor)
        .filter(Column::Id.eq(id))
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("lead"))
}

/// Like [`get`], locking the row for the rest of the transaction (PostgreSQL).
pub async fn get_for_update<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: Uuid,
) -> AppResult<lead::Model> {
    find_visible(actor)
        .filter(Column::Id.eq(id))
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("lead"))
}

#[derive(Debug, Clone, Default)]
pub struct CreateLead {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub source: Option<LeadSource>,
    pub status: Option<LeadStatus>,
    pub budget_min: Option<f64>,
    pub budget_max: Option<f64>,
    pub currency: Option<String>,
    pub product_interest: Option<String>,
    pub purchase_timeline: Option<String>,
    pub is_repeat_customer: Option<bool>,
    pub attributes: Option<Value>,
    /// Create even when a live lead has the same email.
    pub allow_duplicate: bool,
}

/// A change to a nullable field: absent keeps it, `Some(None)` clears it.
pub type Patch<T> = Option<Option<T>>;

#[derive(Debug, Clone, Default)]
pub struct UpdateLead {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Patch<String>,
    pub phone: Patch<String>,
    pub company: Patch<String>,
    pub job_title: Patch<String>,
    pub source: Option<LeadSource>,
    pub status: Option<LeadStatus>,
    pub budget_min: Patch<f64>,
    pub budget_max: Patch<f64>,
    pub currency: Option<String>,
    pub product_interest: Patch<String>,
    pub purchase_timeline: Patch<String>,
    pub is_repeat_customer: Option<bool>,
    pub attributes: Option<Value>,
}

/// CONFLICT when a live lead has this email; its id is shown only to those who may see it.
async fn ensure_unique_email<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    email: &str,
    except: Option<Uuid>,
) -> AppResult<()> {
    let mut query = lead::Entity::find()
        .filter(Column::DeletedAt.is_null())
        .filter(Column::Email.eq(email));
    if let Some(id) = except {
        query = query.filter(Column::Id.ne(id));
    }
    let Some(existing) = query.one(conn).await? else {
        return Ok(());
    };
    let visible = get(conn, actor, existing.id).await.is_ok();
    Err(AppError::Conflict {
        message: "input.email: a lead with this email already exists (pass allowDuplicate: true to create it anyway)".into(),
        existing_id: visible.then_some(existing.id),
    })
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    new: CreateLead,
    thresholds: Thresholds,
) -> AppResult<lead::Model> {
    let first_name = input::name("input.firstName", &new.first_name)?;
    let last_name = input::name("input.lastName", &new.last_name)?;
    let email = input::email("input.email", new.email.as_deref())?;
    let phone = input::phone("input.phone", new.phone.as_deref())?;
    let company = input::optional_text("input.company", new.company.as_deref(), 200)?;
    let job_title = input::optional_text("input.jobTitle", new.job_title.as_deref(), 200)?;
    let budget_min = input::money("input.budgetMin", new.budget_min)?;
    let budget_max = input::money("input.budgetMax", new.budget_max)?;
    input::budget_range(budget_min, budget_max, "input.budgetMin")?;
    let currency = input::currency("input.currency", new.currency.as_deref().unwrap_or("USD"))?;
    let product_interest = input::optional_text(
        "input.productInterest",
        new.product_interest.as_deref(),
        200,
    )?;
    let purchase_timeline = input::optional_text(
        "input.purchaseTimeline",
        new.purchase_timeline.as_deref(),
        100,
    )?;
    let attributes = input::attributes(
        "input.attributes",
        new.attributes.unwrap_or_else(|| json!({})),
    )?;

    let txn = db.begin().await?;
    if let (Some(email), false) = (&email, new.allow_duplicate) {
        ensure_unique_email(&txn, actor, email, None).await?;
    }
    let now = Utc::now();
    let lead = lead::ActiveModel {
        id: Set(Uuid::now_v7()),
        search_text: Set(search_text(
            &first_name,
            &last_name,
            email.as_deref(),
            company.as_deref(),
            phone.as_deref(),
        )),
        first_name: Set(first_name),
        last_name: Set(last_name),
        email: Set(email),
        phone: Set(phone),
        company: Set(company),
        job_title: Set(job_title),
        source: Set(new.source.unwrap_or(LeadSource::Other)),
        status: Set(new.status.unwrap_or(LeadStatus::New)),
        budget_min: Set(budget_min),
        budget_max: Set(budget_max),
        currency: Set(currency),
        product_interest: Set(product_interest),
        purchase_timeline: Set(purchase_timeline),
        is_repeat_customer: Set(new.is_repeat_customer.unwrap_or(false)),
        attributes: Set(attributes),
        score: Set(None),
        classification: Set(None),
        priority_tier: Set(None),
        score_confidence: Set(None),
        scored_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        last_activity_at: Set(None),
        created_by: Set(Some(actor.user_id)),
        deleted_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEntry::new("lead.created")
            .by(actor)
            .entity("lead", lead.id)
            .details(json!({ "name": format!("{} {}", lead.first_name, lead.last_name) })),
    )
    .await?;
    // A rep's own lead is theirs to work: it is assigned to them at once.
    if !actor.is_manager_or_admin() {
        assignments::insert_active(
            &txn,
            lead.id,
            actor.user_id,
            Some(actor.user_id),
            Some("created by the rep".into()),
        )
        .await?;
    }
    rescoring::rescore(&txn, lead.id, thresholds).await?;
    let lead = get(&txn, actor, lead.id).await?;
    txn.commit().await?;
    Ok(lead)
}

fn patch_text(
    field: &str,
    patch: Patch<String>,
    max: usize,
    current: Option<String>,
) -> AppResult<Option<String>> {
    match patch {
        None => Ok(current),
        Some(value) => input::optional_text(field, value.as_deref(), max),
    }
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, lead_id = %id))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    change: UpdateLead,
    thresholds: Thresholds,
) -> AppResult<lead::Model> {
    let txn = db.begin().await?;
    let before = get_for_update(&txn, actor, id).await?;
    let first_name = change
        .first_name
        .as_deref()
        .map(|v| input::name("input.firstName", v))
        .transpose()?
        .unwrap_or_else(|| before.first_name.clone());
    let last_name = change
        .last_name
        .as_deref()
        .map(|v| input::name("input.lastName", v))
        .transpose()?
        .unwrap_or_else(|| before.last_name.clone());
    let email = match change.email {
        None => before.email.clone(),
        Some(value) => input::email("input.email", value.as_deref())?,
    };
    let phone = match change.phone {
        None => before.phone.clone(),
        Some(value) => input::phone("input.phone", value.as_deref())?,
    };
    let company = patch_text("input.company", change.company, 200, before.company.clone())?;
    let job_title = patch_text(
        "input.jobTitle",
        change.job_title,
        200,
        before.job_title.clone(),
    )?;
    let product_interest = patch_text(
        "input.productInterest",
        change.product_interest,
        200,
        before.product_interest.clone(),
    )?;
    let purchase_timeline = patch_text(
        "input.purchaseTimeline",
        change.purchase_timeline,
        100,
        before.purchase_timeline.clone(),
    )?;
    let budget_min = match change.budget_min {
        None => before.budget_min,
        Some(value) => input::money("input.budgetMin", value)?,
    };
    let budget_max = match change.budget_max {
        None => before.budget_max,
        Some(value) => input::money("input.budgetMax", value)?,
    };
    input::budget_range(budget_min, budget_max, "input.budgetMin")?;
    let currency = change
        .currency
        .as_deref()
        .map(|c| input::currency("input.currency", c))
        .transpose()?
        .unwrap_or_else(|| before.currency.clone());
    let attributes = change
        .attributes
        .map(|a| input::attributes("input.attributes", a))
        .transpose()?
        .unwrap_or_else(|| before.attributes.clone());
    if let Some(email) = email
        .as_deref()
        .filter(|e| Some(*e) != before.email.as_deref())
    {
        ensure_unique_email(&txn, actor, email, Some(id)).await?;
    }

    let now = Utc::now();
    let mut model = before.clone().into_active_model();
    model.search_text = Set(search_text(
        &first_name,
        &last_name,
        email.as_deref(),
        company.as_deref(),
        phone.as_deref(),
    ));
    model.first_name = Set(first_name);
    model.last_name = Set(last_name);
    model.email = Set(email);
    model.phone = Set(phone);
    model.company = Set(company);
    model.job_title = Set(job_title);
    model.source = Set(change.source.unwrap_or(before.source));
    model.status = Set(change.status.unwrap_or(before.status));
    model.budget_min = Set(budget_min);
    model.budget_max = Set(budget_max);
    model.currency = Set(currency);
    model.product_interest = Set(product_interest);
    model.purchase_timeline = Set(purchase_timeline);
    model.is_repeat_customer = Set(change
        .is_repeat_customer
        .unwrap_or(before.is_repeat_customer));
    model.attributes = Set(attributes);
    model.updated_at = Set(now);
    let after = model.update(&txn).await?;

    let changes = audit::changes(&[
        (
            "firstName",
            json!(before.first_name),
            json!(after.first_name),
        ),
        ("lastName", json!(before.last_name), json!(after.last_name)),
        ("email", json!(before.email), json!(after.email)),
        ("phone", json!(before.phone), json!(after.phone)),
        ("company", json!(before.company), json!(after.company)),
        ("jobTitle", json!(before.job_title), json!(after.job_title)),
        ("source", json!(before.source), json!(after.source)),
        ("status", json!(before.status), json!(after.status)),
        (
            "budgetMin",
            json!(before.budget_min),
            json!(after.budget_min),
        ),
        (
            "budgetMax",
            json!(before.budget_max),
            json!(after.budget_max),
        ),
        ("currency", json!(before.currency), json!(after.currency)),
        (
            "productInterest",
            json!(before.product_interest),
            json!(after.product_interest),
        ),
        (
            "purchaseTimeline",
            json!(before.purchase_timeline),
            json!(after.purchase_timeline),
        ),
        (
            "isRepeatCustomer",
            json!(before.is_repeat_customer),
            json!(after.is_repeat_customer),
        ),
        (
            "attributes",
            before.attributes.clone(),
            after.attributes.clone(),
        ),
    ]);
    audit::record(
        &txn,
        AuditEntry::new("lead.updated")
            .by(actor)
            .entity("lead", id)
            .details(changes),
    )
    .await?;
    if before.status != after.status {
        let name = |s: LeadStatus| json!(s).as_str().unwrap_or_default().to_string();
        let summary = format!(
            "Status changed from {} to {}",
            name(before.status),
            name(after.status)
        );
        activities::record(
            &txn,
            id,
            Some(actor.user_id),
            ActivityKind::StatusChange,
            None,
            summary,
            now,
        )
        .await?;
    }
    rescoring::rescore(&txn, id, thresholds).await?;
    let after = lead::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("lead"))?;
    txn.commit().await?;
    Ok(after)
}

/// Soft delete: the lead leaves every query; its history stays.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, lead_id = %id))]
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppResult<()> {
    let txn = db.begin().await?;
    // A rep learns nothing about leads that are not theirs: NOT_FOUND first.
    let lead = get_for_update(&txn, actor, id).await?;
    actor.require_manager_or_admin()?;
    let mut model = lead.into_active_model();
    model.deleted_at = Set(Some(Utc::now()));
    model.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new("lead.deleted")
            .actor(actor.user_id)
            .entity("lead", id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum AssigneeFilter {
    User(Uuid),
    Unassigned,
}

/// Serialisable, so a rescore job can keep the filter it was started with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LeadFilter {
    pub statuses: Vec<LeadStatus>,
    pub source: Option<LeadSource>,
    pub classification: Option<String>,
    pub score_min: Option<i32>,
    pub score_max: Option<i32>,
    pub assignee: Option<AssigneeFilter>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub updated_after: Option<DateTime<Utc>>,
    pub updated_before: Option<DateTime<Utc>>,
    /// Case-insensitive part of the name, email, company or phone.
    pub search: Option<String>,
}

fn filter_condition(actor: &Actor, filter: &LeadFilter) -> AppResult<Condition> {
    Ok(visible_to(actor).add(matching(filter)?))
}

/// The leads `filter` selects, whoever asks (callers add visibility).
pub fn matching(filter: &LeadFilter) -> AppResult<Condition> {
    let mut c = Condition::all();
    if !filter.statuses.is_empty() {
        c = c.add(Column::Status.is_in(filter.statuses.clone()));
    }
    if let Some(source) = filter.source {
        c = c.add(Column::Source.eq(source));
    }
    if let Some(class) = &filter.classification {
        c = c.add(Column::Classification.eq(class.as_str()));
    }
    if let Some(min) = filter.score_min {
        c = c.add(Column::Score.gte(min));
    }
    if let Some(max) = filter.score_max {
        c = c.add(Column::Score.lte(max));
    }
    match filter.assignee {
        Some(AssigneeFilter::User(id)) => c = c.add(actively_assigned_to(id)),
        Some(AssigneeFilter::Unassigned) => {
            c = c.add(
                Column::Id.not_in_subquery(
                    Query::select()
                        .column(assignment::Column::LeadId)
                        .from(assignment::Entity)
                        .and_where(assignment::Column::Status.eq(AssignmentStatus::Active))
                        .take(),
                ),
            )
        }
        None => {}
    }
    for (column, bound, after) in [
        (Column::CreatedAt, filter.created_after, true),
        (Column::CreatedAt, filter.created_before, false),
        (Column::UpdatedAt, filter.updated_after, true),
        (Column::UpdatedAt, filter.updated_before, false),
    ] {
        if let Some(at) = bound {
            c = c.add(if after { column.gte(at) } else { column.lt(at) });
        }
    }
    if let Some(term) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if term.chars().count() > 100 {
            return Err(AppError::bad_input(
                "filter.search",
                "search must be at most 100 characters",
            ));
        }
        let escaped = term
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        c = c.add(
            Expr::col(Column::SearchText).like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    Ok(c)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeadOrderField {
    Score,
    CreatedAt,
    UpdatedAt,
    LastActivityAt,
    Name,
}

#[derive(Debug, Clone, Copy)]
pub struct LeadOrder {
    pub field: LeadOrderField,
    pub descending: bool,
}

impl Default for LeadOrder {
    fn default() -> Self {
        Self {
            field: LeadOrderField::CreatedAt,
            descending: true,
        }
    }
}

/// Where a page starts or ends: the sort value of a lead and its id. Opaque
/// to clients; it stays valid when rows are inserted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadKey {
    pub field: LeadOrderField,
    pub score: Option<i32>,
    pub at: Option<DateTime<Utc>>,
    pub name: Option<(String, String)>,
    pub id: Uuid,
}

impl LeadKey {
    pub fn of(lead: &lead::Model, field: LeadOrderField) -> Self {
        let mut key = Self {
            field,
            score: None,
            at: None,
            name: None,
            id: lead.id,
        };
        match field {
            LeadOrderField::Score => key.score = lead.score,
            LeadOrderField::CreatedAt => key.at = Some(lead.created_at),
            LeadOrderField::UpdatedAt => key.at = Some(lead.updated_at),
            LeadOrderField::LastActivityAt => key.at = lead.last_activity_at,
            LeadOrderField::Name => {
                key.name = Some((lead.last_name.clone(), lead.first_name.clone()))
            }
        }
        key
    }
}

#[derive(Debug, Clone, Default)]
pub struct LeadPageRequest {
    pub first: Option<u64>,
    pub after: Option<LeadKey>,
    pub last: Option<u64>,
    pub before: Option<LeadKey>,
}

#[derive(Debug, Clone)]
pub struct LeadPage {
    pub leads: Vec<lead::Model>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// Rows strictly past `key` when walking in `descending` order with NULLs
/// `nulls_last`: the keyset condition, with the id as the tiebreaker.
fn past(field: LeadOrderField, key: &LeadKey, descending: bool, nulls_last: bool) -> Condition {
    let id_past = if descending {
        Column::Id.lt(key.id)
    } else {
        Column::Id.gt(key.id)
    };
    let nullable = |column: Column, value: Option<SimpleExpr>| -> Condition {
        match value {
            Some(v) => {
                let beyond = if descending {
                    Expr::col(column).lt(v.clone())
                } else {
                    Expr::col(column).gt(v.clone())
                };
                let mut c = Condition::any().add(beyond).add(
                    Condition::all()
                        .add(Expr::col(column).eq(v))
                        .add(id_past.clone()),
                );
                if nulls_last {
                    c = c.add(column.is_null());
                }
                c
            }
            None if nulls_last => Condition::all().add(column.is_null()).add(id_past.clone()),
            None => Condition::any()
                .add(column.is_not_null())
                .add(Condition::all().add(column.is_null()).add(id_past.clone())),
        }
    };
    match field {
        LeadOrderField::Score => nullable(Column::Score, key.score.map(Expr::val)),
        LeadOrderField::LastActivityAt => nullable(Column::LastActivityAt, key.at.map(Expr::val)),
        LeadOrderField::CreatedAt | LeadOrderField::UpdatedAt => {
            let column = if field == LeadOrderField::CreatedAt {
                Column::CreatedAt
            } else {
                Column::UpdatedAt
            };
            nullable(column, Some(Expr::val(key.at.unwrap_or_default())))
        }
        LeadOrderField::Name => {
            let (last, first) = key.name.clone().unwrap_or_default();
            let ours = Expr::tuple([
                Expr::col(Column::LastName),
                Expr::col(Column::FirstName),
                Expr::col(Column::Id),
            ]);
            let theirs = Expr::tuple([Expr::val(last), Expr::val(first), Expr::val(key.id)]);
            Condition::all().add(if descending {
                ours.lt(theirs)
            } else {
                ours.gt(theirs)
            })
        }
    }
}

fn ordered(
    query: Select<lead::Entity>,
    field: LeadOrderField,
    descending: bool,
    nulls_last: bool,
) -> Select<lead::Entity> {
    let order = if descending { Order::Desc } else { Order::Asc };
    let nulls = if nulls_last {
        NullOrdering::Last
    } else {
        NullOrdering::First
    };
    let query = match field {
        LeadOrderField::Score => query.order_by_with_nulls(Column::Score, order.clone(), nulls),
        LeadOrderField::CreatedAt => query.order_by(Column::CreatedAt, order.clone()),
        LeadOrderField::UpdatedAt => query.order_by(Column::UpdatedAt, order.clone()),
        LeadOrderField::LastActivityAt => {
            query.order_by_with_nulls(Column::LastActivityAt, order.clone(), nulls)
        }
        LeadOrderField::Name => query
            .order_by(Column::LastName, order.clone())
            .order_by(Column::FirstName, order.clone()),
    };
    query.order_by(Column::Id, order)
}

/// The statement behind one page, and how to read its rows.
pub struct PagePlan {
    pub query: Select<lead::Entity>,
    backwards: bool,
    limit: u64,
}

/// Builds the query [`list`] runs (also used to EXPLAIN it in benchmarks).
pub fn page_plan(
    actor: &Actor,
    filter: &LeadFilter,
    order: LeadOrder,
    page: &LeadPageRequest,
) -> AppResult<PagePlan> {
    for (name, key) in [("after", &page.after), ("before", &page.before)] {
        if key.as_ref().is_some_and(|k| k.field != order.field) {
            return Err(AppError::bad_input(
                name,
                "this cursor belongs to another order: start again without it",
            ));
        }
    }
    let backwards = page.last.is_some() || page.before.is_some() && page.first.is_none();
    let limit = if backwards { page.last } else { page.first }
        .unwrap_or(DEFAULT_PAGE)
        .clamp(1, MAX_PAGE);
    let mut query = lead::Entity::find().filter(filter_condition(actor, filter)?);
    // Walking backwards reverses the order (and where NULLs fall), then the page is flipped back.
    let (descending, nulls_last) = if backwards {
        (!order.descending, false)
    } else {
        (order.descending, true)
    };
    if let Some(key) = if backwards { &page.before } else { &page.after } {
        query = query.filter(past(order.field, key, descending, nulls_last));
    }
    // One row more than asked tells whether another page follows.
    let query = ordered(query, order.field, descending, nulls_last).limit(limit + 1);
    Ok(PagePlan {
        query,
        backwards,
        limit,
    })
}

/// One page of the leads `actor` may see. NULL sort values come last.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id))]
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &LeadFilter,
    order: LeadOrder,
    page: LeadPageRequest,
) -> AppResult<LeadPage> {
    let plan = page_plan(actor, filter, order, &page)?;
    let mut leads = plan.query.all(db).await?;
    let more = leads.len() as u64 > plan.limit;
    leads.truncate(plan.limit as usize);
    if plan.backwards {
        leads.reverse();
        Ok(LeadPage {
            leads,
            has_previous_page: more,
            has_next_page: page.before.is_some(),
        })
    } else {
        Ok(LeadPage {
            leads,
            has_next_page: more,
            has_previous_page: page.after.is_some(),
        })
    }
}

/// How many leads match, with the same visibility as [`list`].
pub async fn count(db: &DatabaseConnection, actor: &Actor, filter: &LeadFilter) -> AppResult<u64> {
    Ok(lead::Entity::find()
        .filter(filter_condition(actor, filter)?)
        .count(db)
        .await?)
}
