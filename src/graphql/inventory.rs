//! Inventory: browsed by everyone signed in, managed by managers and admins.
use async_graphql::{
    connection::{Connection, Edge},
    Context, InputObject, Json, Object, Result, ID,
};
use serde_json::Value;

use super::{
    context::ContextExt, cursor, types::InventoryItem, users::parse_id, users::TotalCount,
};
use crate::service::{
    inventory::{self, CreateItem, InventoryFilter, UpdateItem},
    page::PageRequest,
};

#[derive(InputObject, Default)]
#[graphql(name = "InventoryFilter")]
pub struct InventoryFilterInput {
    pub category: Option<String>,
    /// Case-insensitive part of the name or category.
    pub search: Option<String>,
    pub in_stock: Option<bool>,
}

#[derive(InputObject)]
pub struct CreateInventoryItemInput {
    pub name: String,
    pub category: String,
    /// In major units of `currency`.
    pub price: f64,
    /// ISO 4217; default USD.
    pub currency: Option<String>,
    pub quantity_available: i32,
    pub attributes: Option<Json<Value>>,
}

#[derive(InputObject)]
pub struct UpdateInventoryItemInput {
    pub name: Option<String>,
    pub category: Option<String>,
    pub price: Option<f64>,
    pub currency: Option<String>,
    pub quantity_available: Option<i32>,
    pub attributes: Option<Json<Value>>,
}

#[derive(Default)]
pub struct InventoryQuery;

#[Object]
impl InventoryQuery {
    async fn inventory_items(
        &self,
        ctx: &Context<'_>,
        filter: Option<InventoryFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, InventoryItem, TotalCount>> {
        let filter = filter.unwrap_or_default();
        let filter = InventoryFilter {
            category: filter.category,
            search: filter.search,
            in_stock: filter.in_stock,
        };
        let page = PageRequest {
            first: first.map(|n| n.max(0) as u64),
            after: after
                .as_deref()
                .map(|c| cursor::decode("after", c))
                .transpose()?,
        };
        let (page, total_count) =
            inventory::list(&ctx.api().db, ctx.actor()?, filter, page).await?;
        let mut connection = Connection::with_additional_fields(
            page.has_previous_page,
            page.has_next_page,
            TotalCount { total_count },
        );
        connection.edges.extend(
            page.items
                .into_iter()
                .map(|i| Edge::new(cursor::encode(i.id), InventoryItem(i))),
        );
        Ok(connection)
    }
}

#[derive(Default)]
pub struct InventoryMutation;

#[Object]
impl InventoryMutation {
    /// Managers and admins.
    async fn create_inventory_item(
        &self,
        ctx: &Context<'_>,
        input: CreateInventoryItemInput,
    ) -> Result<InventoryItem> {
        let item = CreateItem {
            name: input.name,
            category: input.category,
            price: input.price,
            currency: input.currency,
            quantity_available: input.quantity_available,
            attributes: input.attributes.map(|j| j.0),
        };
        Ok(InventoryItem(
            inventory::create(&ctx.api().db, ctx.actor()?, item).await?,
        ))
    }

    /// Managers and admins.
    async fn update_inventory_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateInventoryItemInput,
    ) -> Result<InventoryItem> {
        let id = parse_id("id", &id)?;
        let change = UpdateItem {
            name: input.name,
            category: input.category,
            price: input.price,
            currency: input.currency,
            quantity_available: input.quantity_available,
            attributes: input.attributes.map(|j| j.0),
        };
        Ok(InventoryItem(
            inventory::update(&ctx.api().db, ctx.actor()?, id, change).await?,
        ))
    }

    /// Managers and admins.
    async fn delete_inventory_item(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id("id", &id)?;
        inventory::delete(&ctx.api().db, ctx.actor()?, id).await?;
        Ok(true)
    }
}
