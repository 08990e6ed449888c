//! The GraphQL API: roots split by domain and merged, one type per file.
use async_graphql::{extensions::Tracing, MergedObject, Schema, SchemaBuilder};

pub mod account;
pub mod api_keys;
pub mod audit;
pub mod context;
pub mod cursor;
pub mod engagement;
pub mod inventory;
pub mod leads;
pub mod loaders;
pub mod notifications;
pub mod rescore;
pub mod subscriptions;
pub mod types;
pub mod users;

pub use context::{ApiContext, RequestMeta};
pub use loaders::Loaders;

#[derive(MergedObject, Default)]
pub struct Query(
    account::AccountQuery,
    users::UserQuery,
    leads::LeadQuery,
    audit::AuditQuery,
    inventory::InventoryQuery,
    api_keys::ApiKeyQuery,
    rescore::RescoreQuery,
    notifications::NotificationQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    account::AccountMutation,
    users::UserMutation,
    leads::LeadMutation,
    inventory::InventoryMutation,
    engagement::EngagementMutation,
    api_keys::ApiKeyMutation,
    rescore::RescoreMutation,
    notifications::NotificationMutation,
);

pub use subscriptions::Subscription;

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Depth and complexity bounds: a hostile query cannot make the server walk
/// an unbounded graph.
pub const MAX_DEPTH: usize = 12;
pub const MAX_COMPLEXITY: usize = 2_000;

/// The schema without runtime data: what `leadscore schema` prints and what
/// the server serves once [`ApiContext`] is added.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .extension(Tracing)
}

pub fn build_schema(ctx: ApiContext, introspection: bool) -> AppSchema {
    let builder = schema_builder().data(ctx);
    if introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The committed SDL (`schema.graphql`) is this text.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}
