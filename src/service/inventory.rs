//! Inventory: what the dealership can sell, matched against what leads want.
use chrono::Utc;
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    auth::Actor,
    entity::inventory_item::{self, Column},
    error::{AppError, AppResult},
    service::{
        audit::{self, AuditEntry},
        lead_input as input,
        page::{Page, PageRequest},
    },
    validate,
};

#[derive(Debug, Default, Clone)]
pub struct InventoryFilter {
    pub category: Option<String>,
    /// Case-insensitive part of the name or category.
    pub search: Option<String>,
    pub in_stock: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct CreateItem {
    pub name: String,
    pub category: String,
    /// Major units.
    pub price: f64,
    pub currency: Option<String>,
    pub quantity_available: i32,
    pub attributes: Option<Value>,
}

#[derive(Debug, Clone, Default)]
pub struct UpdateItem {
    pub name: Option<String>,
    pub category: Option<String>,
    pub price: Option<f64>,
    pub currency: Option<String>,
    pub quantity_available: Option<i32>,
    pub attributes: Option<Value>,
}

fn quantity(value: i32) -> AppResult<i32> {
    if value < 0 {
        return Err(AppError::bad_input(
            "input.quantityAvailable",
            "must not be negative",
        ));
    }
    Ok(value)
}

fn price(value: f64) -> AppResult<i64> {
    input::money("input.price", Some(value))?
        .ok_or_else(|| AppError::bad_input("input.price", "is required"))
}

/// Items any signed-in user may browse, by name.
pub async fn list(
    db: &DatabaseConnection,
    _actor: &Actor,
    filter: InventoryFilter,
    page: PageRequest,
) -> AppResult<(Page<inventory_item::Model>, u64)> {
    let mut c = Condition::all().add(Column::DeletedAt.is_null());
    if let Some(category) = filter
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        c = c.add(Expr::expr(Func::lower(Expr::col(Column::Category))).eq(category.to_lowercase()));
    }
    if let Some(term) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = format!(
            "%{}%",
            term.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        c = c.add(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(Column::Name)))
                        .like(LikeExpr::new(pattern.as_str()).escape('\\')),
                )
                .add(
                    Expr::expr(Func::lower(Expr::col(Column::Category)))
                        .like(LikeExpr::new(pattern.as_str()).escape('\\')),
                ),
        );
    }
    match filter.in_stock {
        Some(true) => c = c.add(Column::QuantityAvailable.gt(0)),
        Some(false) => c = c.add(Column::QuantityAvailable.lte(0)),
        None => {}
    }
    let total = inventory_item::Entity::find()
        .filter(c.clone())
        .count(db)
        .await?;
    let mut query = inventory_item::Entity::find().filter(c);
    if let Some(after) = page.after {
        query = query.filter(Column::Id.gt(after));
    }
    let items = query
        .order_by_asc(Column::Id)
        .limit(page.limit() + 1)
        .all(db)
        .await?;
    Ok((page.page(items), total))
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    item: CreateItem,
) -> AppResult<inventory_item::Model> {
    actor.require_manager_or_admin()?;
    let name = validate::text("input.name", &item.name, 200)?;
    let category = validate::text("input.category", &item.category, 100)?;
    let price = price(item.price)?;
    let currency = input::currency("input.currency", item.currency.as_deref().unwrap_or("USD"))?;
    let quantity = quantity(item.quantity_available)?;
    let attributes = input::attributes(
        "input.attributes",
        item.attributes.unwrap_or_else(|| json!({})),
    )?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let model = inventory_item::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        category: Set(category),
        price: Set(price),
        currency: Set(currency),
        quantity_available: Set(quantity),
        attributes: Set(attributes),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEntry::new("inventory.created")
            .actor(actor.user_id)
            .entity("inventory_item", model.id)
            .details(json!({ "name": model.name })),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

async fn live(txn: &sea_orm::DatabaseTransaction, id: Uuid) -> AppResult<inventory_item::Model> {
    inventory_item::Entity::find_by_id(id)
        .filter(Column::DeletedAt.is_null())
        .one(txn)
        .await?
        .ok_or(AppError::NotFound("inventory item"))
}

#[tracing::instrument(skip_all, fields(actor = %actor.user_id, item = %id))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    change: UpdateItem,
) -> AppResult<inventory_item::Model> {
    actor.require_manager_or_admin()?;
    let name = change
        .name
        .as_deref()
        .map(|n| validate::text("input.name", n, 200))
        .transpose()?;
    let category = change
        .category
        .as_deref()
        .map(|c| validate::text("input.category", c, 100))
        .transpose()?;
    let new_price = change.price.map(price).transpose()?;
    let currency = change
        .currency
        .as_deref()
        .map(|c| input::currency("input.currency", c))
        .transpose()?;
    let new_quantity = change.quantity_available.map(quantity).transpose()?;
    let attributes = change
        .attributes
        .map(|a| input::attributes("input.attributes", a))
        .transpose()?;
    let txn = db.begin().await?;
    let before = live(&txn, id).await?;
    let mut model = before.clone().into_active_model();
    if let Some(v) = name {
        model.name = Set(v);
    }
    if let Some(v) = category {
        model.category = Set(v);
    }
    if let Some(v) = new_price {
        model.price = Set(v);
    }
    if let Some(v) = currency {
        model.currency = Set(v);
    }
    if let Some(v) = new_quantity {
        model.quantity_available = Set(v);
    }
    if let Some(v) = attributes {
        model.attributes = Set(v);
    }
    model.updated_at = Set(Utc::now());
    let after = model.update(&txn).await?;
    let changes = audit::changes(&[
        ("name", json!(before.name), json!(after.name)),
        ("category", json!(before.category), json!(after.category)),
        ("price", json!(before.price), json!(after.price)),
        ("currency", json!(before.currency), json!(after.currency)),
        (
            "quantityAvailable",
            json!(before.quantity_available),
            json!(after.quantity_available),
        ),
        (
            "attributes",
            before.attributes.clone(),
            after.attributes.clone(),
        ),
    ]);
    audit::record(
        &txn,
        AuditEntry::new("inventory.updated")
            .actor(actor.user_id)
            .entity("inventory_item", id)
            .details(changes),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Soft delete: engagement events may still name the item.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, item = %id))]
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require_manager_or_admin()?;
    let txn = db.begin().await?;
    let mut model = live(&txn, id).await?.into_active_model();
    model.deleted_at = Set(Some(Utc::now()));
    model.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new("inventory.deleted")
            .actor(actor.user_id)
            .entity("inventory_item", id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
