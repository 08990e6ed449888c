use leadscore::entity::{audit_log, inventory_item, user::Role};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{assert_ok, error_code, spawn_app, TestApp};

const CREATE: &str = "mutation($input: CreateInventoryItemInput!) { createInventoryItem(input: $input) { id name price currency quantityAvailable } }";
const LIST: &str = "query($filter: InventoryFilter) { inventoryItems(filter: $filter) { totalCount edges { node { name } } } }";

fn item(name: &str, category: &str, price: f64, quantity: i32) -> Value {
    json!({ "input": { "name": name, "category": category, "price": price, "quantityAvailable": quantity } })
}

async fn names(app: &TestApp, token: &str, filter: Value) -> Vec<String> {
    let body = app
        .gql(LIST, json!({ "filter": filter }), Some(token))
        .await;
    body["data"]["inventoryItems"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn managers_stock_inventory_and_everyone_signed_in_browses_it() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let rep = app.signed_in("rep@example.com", Role::SalesRep).await;

    let created = app
        .gql(
            CREATE,
            item("Metro Cargo Van", "Cargo van", 36_700.0, 5),
            Some(&manager.access),
        )
        .await;
    app.gql(
        CREATE,
        item("Volt Runner EV", "Electric vehicle", 41_990.0, 0),
        Some(&manager.access),
    )
    .await;
    let by_rep = app
        .gql(CREATE, item("Sneaky", "SUV", 1.0, 1), Some(&rep.access))
        .await;
    let anonymous = app.gql(LIST, json!({}), None).await;

    assert_ok(&created);
    assert_eq!(created["data"]["createInventoryItem"]["price"], 36_700.0);
    assert_eq!(created["data"]["createInventoryItem"]["currency"], "USD");
    assert_eq!(error_code(&by_rep), "FORBIDDEN");
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    assert_eq!(
        names(&app, &rep.access, json!({})).await,
        ["Metro Cargo Van", "Volt Runner EV"]
    );
    assert_eq!(
        names(&app, &rep.access, json!({ "inStock": true })).await,
        ["Metro Cargo Van"]
    );
    assert_eq!(
        names(&app, &rep.access, json!({ "category": "electric VEHICLE" })).await,
        ["Volt Runner EV"]
    );
    assert_eq!(
        names(&app, &rep.access, json!({ "search": "van" })).await,
        ["Metro Cargo Van"]
    );
}

#[tokio::test]
async fn bad_inventory_input_names_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let cases = [
        (item("", "SUV", 1.0, 1), "input.name"),
        (item("X", "SUV", -1.0, 1), "input.price"),
        (item("X", "SUV", 1.0, -3), "input.quantityAvailable"),
        (
            json!({ "input": { "name": "X", "category": "SUV", "price": 1.0, "quantityAvailable": 1, "currency": "ZZZ" } }),
            "input.currency",
        ),
        (
            json!({ "input": { "name": "X", "category": "SUV", "price": 1.0, "quantityAvailable": 1, "attributes": "not an object" } }),
            "input.attributes",
        ),
    ];
    for (input, field) in cases {
        let body = app.gql(CREATE, input.clone(), Some(&manager.access)).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{input}");
    }
    assert_eq!(
        inventory_item::Entity::find().count(&app.db).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn updates_are_audited_and_a_deleted_item_leaves_the_list() {
    let app = spawn_app().await;
    let manager = app.signed_in("manager@example.com", Role::Manager).await;
    let created = app
        .gql(
            CREATE,
            item("Metro Cargo Van", "Cargo van", 36_700.0, 5),
            Some(&manager.access),
        )
        .await;
    let id = created["data"]["createInventoryItem"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let updated = app.gql("mutation($id: ID!) { updateInventoryItem(id: $id, input: { quantityAvailable: 2, price: 35900.5 }) { quantityAvailable price } }", json!({ "id": id }), Some(&manager.access)).await;
    let deleted = app
        .gql(
            "mutation($id: ID!) { deleteInventoryItem(id: $id) }",
            json!({ "id": id }),
            Some(&manager.access),
        )
        .await;
    let again = app
        .gql(
            "mutation($id: ID!) { deleteInventoryItem(id: $id) }",
            json!({ "id": id }),
            Some(&manager.access),
        )
        .await;

    assert_eq!(
        updated["data"]["updateInventoryItem"],
        json!({ "quantityAvailable": 2, "price": 35900.5 })
    );
    assert_eq!(deleted["data"]["deleteInventoryItem"], true);
    assert_eq!(error_code(&again), "NOT_FOUND");
    assert!(names(&app, &manager.access, json!({})).await.is_empty());
    let entry = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("inventory.updated"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        entry.details.unwrap()["quantityAvailable"],
        json!({ "before": 5, "after": 2 })
    );
}
