//! Inventory: browsed by everyone signed in, managed by managers and admins.
use async_graphql::{connection::Connection, Context, InputObject, Json, Object, Result, ID};
use serde_json::Value;

use super::{context::ContextExt, paging::TotalCount, types::InventoryItem, users::parse_id};
use crate::{
    graphql::wire::{parse, parse_optional},
    service::crm::inventory::{self, InventoryFilter, ItemChange, NewItem},
    values::{Attributes, CurrencyCode, Fallback, Money, Quantity, ShortText, Text},
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
    #[graphql(complexity = "super::paging::cost(first, None, child_complexity)")]
    async fn inventory_items(
        &self,
        ctx: &Context<'_>,
        filter: Option<InventoryFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, InventoryItem, TotalCount>> {
        let filter = filter.unwrap_or_default();
        let filter = InventoryFilter {
            category: parse_optional::<Text<100>>("filter.category", filter.category)?,
            search: parse_optional::<Text<100>>("filter.search", filter.search)?,
            in_stock: filter.in_stock,
        };
        let page = super::paging::forward(first, after)?;
        let (page, total_count) = inventory::list(ctx.core(), ctx.actor()?, filter, page).await?;
        Ok(super::paging::connection(
            page,
            TotalCount { total_count },
            |i| i.id,
            InventoryItem,
        ))
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
        let item = NewItem {
            name: parse::<ShortText>("input.name", input.name)?,
            category: parse::<Text<100>>("input.category", input.category)?,
            price: parse::<Money>("input.price", input.price)?,
            currency: match input.currency {
                Some(code) => parse::<CurrencyCode>("input.currency", code)?,
                None => CurrencyCode::fallback(),
            },
            quantity_available: parse::<Quantity>(
                "input.quantityAvailable",
                input.quantity_available,
            )?,
            attributes: match input.attributes {
                Some(json) => parse::<Attributes>("input.attributes", json.0)?,
                None => Attributes::fallback(),
            },
        };
        Ok(InventoryItem(
            inventory::create(ctx.core(), ctx.actor()?, item).await?,
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
        let change = ItemChange {
            name: parse_optional::<ShortText>("input.name", input.name)?,
            category: parse_optional::<Text<100>>("input.category", input.category)?,
            price: parse_optional::<Money>("input.price", input.price)?,
            currency: parse_optional::<CurrencyCode>("input.currency", input.currency)?,
            quantity_available: parse_optional::<Quantity>(
                "input.quantityAvailable",
                input.quantity_available,
            )?,
            attributes: parse_optional::<Attributes>(
                "input.attributes",
                input.attributes.map(|j| j.0),
            )?,
        };
        Ok(InventoryItem(
            inventory::update(ctx.core(), ctx.actor()?, id, change).await?,
        ))
    }

    /// Managers and admins.
    async fn delete_inventory_item(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id("id", &id)?;
        inventory::delete(ctx.core(), ctx.actor()?, id).await?;
        Ok(true)
    }
}
