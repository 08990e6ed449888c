use async_graphql::{Json, Object, ID};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::entity::inventory_item;

pub struct InventoryItem(pub inventory_item::Model);

#[Object]
impl InventoryItem {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn category(&self) -> &str {
        &self.0.category
    }
    /// In major units of `currency` (kept exact in cents).
    async fn price(&self) -> f64 {
        self.0.price as f64 / 100.0
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn quantity_available(&self) -> i32 {
        self.0.quantity_available
    }
    async fn attributes(&self) -> Json<Value> {
        Json(self.0.attributes.clone())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
