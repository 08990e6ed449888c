//! Inventory: what the dealership can sell, matched against what leads want.
use chrono::Utc;
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func},
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::Actor,
    core::Core,
    entity::inventory_item::{self, Column},
    error::{AppError, AppResult},
    service::{
        audit,
        page::{Page, PageRequest},
        search::contains,
    },
    values::{Attributes, Column as _, CurrencyCode, Money, Quantity, ShortText, Text},
};

#[derive(Debug, Default, Clone)]
pub struct InventoryFilter {
    pub category: Option<Text<100>>,
    /// Case-insensitive part of the name or category.
    pub search: Option<Text<100>>,
    pub in_stock: Option<bool>,
}

/// A new item, every field validated.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub name: ShortText,
    pub category: Text<100>,
    pub price: Money,
    pub currency: CurrencyCode,
    pub quantity_available: Quantity,
    pub attributes: Attributes,
}

impl NewItem {
    fn into_row(self, now: chrono::DateTime<Utc>) -> inventory_item::ActiveModel {
        inventory_item::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(self.name.into_inner()),
            category: Set(self.category.into_inner()),
            price: Set(self.price.into_stored()),
            currency: Set(self.currency.into_stored()),
            quantity_available: Set(self.quantity_available.into_stored()),
            attributes: Set(self.attributes.into_stored()),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
        }
    }
}

/// What a change sets; a `None` field stays as it is.
#[derive(Debug, Clone, Default)]
pub struct ItemChange {
    pub name: Option<ShortText>,
    pub category: Option<Text<100>>,
    pub price: Option<Money>,
    pub currency: Option<CurrencyCode>,
    pub quantity_available: Option<Quantity>,
    pub attributes: Option<Attributes>,
}

/// Items any signed-in user may browse, by name.
pub async fn list(
    core: &Core,
    actor: &Actor,
    filter: InventoryFilter,
    page: PageRequest,
) -> AppResult<(Page<inventory_item::Model>, u64)> {
    actor.person()?;
    let db = core.reads();
    let mut c = Condition::all().add(Column::DeletedAt.is_null());
    if let Some(category) = &filter.category {
        c = c.add(
            Expr::expr(Func::lower(Expr::col(Column::Category)))
                .eq(category.as_str().to_lowercase()),
        );
    }
    if let Some(term) = &filter.search {
        c = c.add(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(Column::Name))).like(contains(term.as_str())))
                .add(
                    Expr::expr(Func::lower(Expr::col(Column::Category)))
                        .like(contains(term.as_str())),
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
pub async fn create(core: &Core, actor: &Actor, item: NewItem) -> AppResult<inventory_item::Model> {
    actor.person()?.require_manager_or_admin()?;
    let now = Utc::now();
    let uow = core.begin().await?;
    let txn = uow.conn();
    let model = item.into_row(now).insert(txn).await?;
    audit::acted(
        txn,
        actor,
        "inventory.created",
        ("inventory_item", model.id),
        json!({ "name": model.name }),
    )
    .await?;
    uow.commit().await?;
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
    core: &Core,
    actor: &Actor,
    id: Uuid,
    change: ItemChange,
) -> AppResult<inventory_item::Model> {
    actor.person()?.require_manager_or_admin()?;
    let uow = core.begin().await?;
    let txn = uow.conn();
    let before = live(txn, id).await?;
    let mut model = before.clone().into_active_model();
    if let Some(v) = change.name {
        model.name = Set(v.into_inner());
    }
    if let Some(v) = change.category {
        model.category = Set(v.into_inner());
    }
    if let Some(v) = change.price {
        model.price = Set(v.into_stored());
    }
    if let Some(v) = change.currency {
        model.currency = Set(v.into_stored());
    }
    if let Some(v) = change.quantity_available {
        model.quantity_available = Set(v.into_stored());
    }
    if let Some(v) = change.attributes {
        model.attributes = Set(v.into_stored());
    }
    model.updated_at = Set(Utc::now());
    let after = model.update(txn).await?;
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
    audit::acted(
        txn,
        actor,
        "inventory.updated",
        ("inventory_item", id),
        changes,
    )
    .await?;
    uow.commit().await?;
    Ok(after)
}

/// Soft delete: engagement events may still name the item.
#[tracing::instrument(skip_all, fields(actor = %actor.user_id, item = %id))]
pub async fn delete(core: &Core, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.person()?.require_manager_or_admin()?;
    let uow = core.begin().await?;
    let txn = uow.conn();
    let mut model = live(txn, id).await?.into_active_model();
    model.deleted_at = Set(Some(Utc::now()));
    model.update(txn).await?;
    audit::acted(
        txn,
        actor,
        "inventory.deleted",
        ("inventory_item", id),
        None,
    )
    .await?;
    uow.commit().await?;
    Ok(())
}
