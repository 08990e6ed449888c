//! The GraphQL API: roots split by domain and merged, one type per file.
use async_graphql::{extensions::Tracing, MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::core::Core;

pub mod access;
pub mod account;
pub mod admission;
pub mod api_keys;
pub mod audit;
pub mod bulk_jobs;
pub mod context;
pub mod cursor;
pub mod email;
pub mod engagement;
pub mod imports;
pub mod inventory;
pub mod leads;
pub mod loaders;
pub mod notifications;
pub mod paging;
pub mod reports;
pub mod rescore;
pub mod scores;
pub mod scoring_models;
pub mod types;
pub mod users;
pub mod wire;

pub use context::RequestMeta;
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
    imports::ImportQuery,
    bulk_jobs::BulkJobQuery,
    scoring_models::ScoringModelQuery,
    notifications::NotificationQuery,
    email::EmailQuery,
    reports::ReportQuery,
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
    imports::ImportMutation,
    bulk_jobs::BulkJobMutation,
    scoring_models::ScoringModelMutation,
    notifications::NotificationMutation,
    email::EmailMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(
    notifications::NotificationSubscription,
    scores::ScoreSubscription,
    imports::ImportSubscription,
);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Complexity bounds (depth is bounded in admission, where introspection is
/// told apart): a hostile query cannot make the server walk
/// an unbounded graph. A field costs 1; a connection costs its children once
/// per item of the page it asks for (`first`/`last`, default 20), so a page
/// of 100 leads with a dozen fields each is about 1,300 and nested lists
/// multiply (see README, "Limits").
pub const MAX_COMPLEXITY: usize = 5_000;
pub const MAX_DIRECTIVES: usize = 20;

/// The schema without runtime data: what `leadscore schema` prints and what
/// the server serves once the [`Core`] is added.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(32)
    .limit_directives(MAX_DIRECTIVES)
    .extension(admission::ValidateOnly)
    .extension(access::KeyScopes)
}

/// `field_spans`: a tracing span per resolved field (`GRAPHQL_FIELD_SPANS`).
pub fn build_schema(core: Core, introspection: bool, field_spans: bool) -> AppSchema {
    let mut builder = schema_builder().data(core);
    if field_spans {
        builder = builder.extension(Tracing);
    }
    if introspection {
        builder.finish()
    } else {
        // Suggestions ("Did you mean ...?") would leak the schema anyway.
        builder
            .disable_introspection()
            .disable_suggestions()
            .finish()
    }
}

/// The committed SDL (`schema.graphql`) is this text.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}
