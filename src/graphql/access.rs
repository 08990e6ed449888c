//! What an API key may reach, field by field: one decision for every root
//! field of the schema, enforced before the field's resolver runs. A field
//! missing from [`DECISIONS`] is refused to every key, and the scope test
//! (`tests/api/scopes.rs`) fails until it is given one, so a new field is
//! never open to integrations by accident. People are not judged here:
//! their roles are the services' to check. The services check a key's
//! scope too ([`Actor::may`], [`Actor::person`]), so the command line and
//! jobs keep the same rules; this table is what makes the rule total.
use std::sync::Arc;

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo},
    PathSegment, Pos, ServerResult, Value,
};

use super::RequestMeta;
use crate::{
    auth::{Actor, Scope},
    error::AppError,
};

/// Who may reach a root field besides people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// People only (signed in, or not, as the resolver says): no key.
    People,
    /// People by role, and a key holding this scope.
    Key(Scope),
}

/// The root type a field hangs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    Query,
    Mutation,
    Subscription,
}

impl Root {
    pub fn name(self) -> &'static str {
        match self {
            Root::Query => "Query",
            Root::Mutation => "Mutation",
            Root::Subscription => "Subscription",
        }
    }
}

use Access::{Key, People};
use Root::{Mutation, Query, Subscription};
use Scope::{EventsWrite, LeadsRead, LeadsWrite, ReportsRead};

/// Every root field and who may reach it. Keys write leads and events, read
/// leads back, import, and read reports; everything else (accounts, keys,
/// assignments, bulk changes, jobs, models, the bell, the outbox) is for
/// people, whose role decides in the service.
pub const DECISIONS: &[(Root, &str, Access)] = &[
    (Query, "me", People),
    (Query, "users", People),
    (Query, "user", People),
    (Query, "lead", Key(LeadsRead)),
    (Query, "leads", Key(LeadsRead)),
    (Query, "myLeads", Key(LeadsRead)),
    (Query, "prioritizedLeads", People),
    (Query, "auditLog", People),
    (Query, "inventoryItems", People),
    (Query, "apiKeys", People),
    (Query, "rescoreJob", People),
    (Query, "leadImportUpload", Key(LeadsWrite)),
    (Query, "leadImport", Key(LeadsWrite)),
    (Query, "leadImports", Key(LeadsWrite)),
    (Query, "previewLeadImport", Key(LeadsWrite)),
    (Query, "bulkLeadJob", People),
    (Query, "scoringModels", People),
    (Query, "scoringModel", People),
    (Query, "notifications", People),
    (Query, "unreadNotificationCount", People),
    (Query, "myNotificationPreferences", People),
    (Query, "myTimeZone", People),
    (Query, "emailOutbox", People),
    (Query, "reports", Key(ReportsRead)),
    (Mutation, "register", People),
    (Mutation, "login", People),
    (Mutation, "refreshToken", People),
    (Mutation, "logout", People),
    (Mutation, "changePassword", People),
    (Mutation, "createUser", People),
    (Mutation, "updateUser", People),
    (Mutation, "deactivateUser", People),
    (Mutation, "reactivateUser", People),
    (Mutation, "createLead", Key(LeadsWrite)),
    (Mutation, "updateLead", Key(LeadsWrite)),
    (Mutation, "deleteLead", People),
    (Mutation, "logActivity", Key(LeadsWrite)),
    (Mutation, "addNote", Key(LeadsWrite)),
    (Mutation, "editNote", People),
    (Mutation, "deleteNote", People),
    (Mutation, "scoreLead", People),
    (Mutation, "assignLead", People),
    (Mutation, "bulkAssignLeads", People),
    (Mutation, "bulkUpdateLeadStatus", People),
    (Mutation, "bulkDeleteLeads", People),
    (Mutation, "restoreLeads", People),
    (Mutation, "transferLead", People),
    (Mutation, "completeAssignment", People),
    (Mutation, "createInventoryItem", People),
    (Mutation, "updateInventoryItem", People),
    (Mutation, "deleteInventoryItem", People),
    (Mutation, "recordEngagementEvent", Key(EventsWrite)),
    (Mutation, "recordEngagementEvents", Key(EventsWrite)),
    (Mutation, "createApiKey", People),
    (Mutation, "enableApiKey", People),
    (Mutation, "revokeApiKey", People),
    (Mutation, "rescoreLeads", People),
    (Mutation, "createLeadImport", Key(LeadsWrite)),
    (Mutation, "cancelLeadImport", Key(LeadsWrite)),
    (Mutation, "bulkChangeLeadsByFilter", People),
    (Mutation, "cancelBulkLeadJob", People),
    (Mutation, "trainScoringModel", People),
    (Mutation, "activateScoringModel", People),
    (Mutation, "markNotificationsRead", People),
    (Mutation, "markAllNotificationsRead", People),
    (Mutation, "updateNotificationPreferences", People),
    (Mutation, "updateMyTimeZone", People),
    (Mutation, "retryEmail", People),
    // The websocket refuses keys at `connection_init`; these say so too.
    (Subscription, "notificationAdded", People),
    (Subscription, "unreadNotificationCountChanged", People),
    (Subscription, "leadScoreChanged", People),
    (Subscription, "leadImportProgress", People),
];

/// The decision for `root.field`, if one was made.
pub fn decision(root: Root, field: &str) -> Option<Access> {
    DECISIONS
        .iter()
        .find(|(r, f, _)| *r == root && *f == field)
        .map(|(_, _, access)| *access)
}

/// Whether `actor` may reach `root.field`: always for people and the
/// anonymous (their role is the service's to check); for a key, only what
/// its scopes name.
pub fn check(actor: Option<&Actor>, root: Root, field: &str) -> Result<(), AppError> {
    let Some(key) = actor.and_then(|a| a.key.as_ref()) else {
        return Ok(());
    };
    match decision(root, field) {
        Some(Key(scope)) if key.scopes.contains(&scope) => Ok(()),
        Some(Key(scope)) => Err(AppError::Forbidden(format!(
            "this API key lacks the {} scope, which `{field}` needs",
            scope.as_str()
        ))),
        Some(People) | None => Err(AppError::Forbidden(format!(
            "`{field}` is for people signed in: no API-key scope reaches it"
        ))),
    }
}

/// The extension that applies [`check`] to every root field of a query or
/// a mutation before it resolves (introspection is left alone).
pub struct KeyScopes;

impl ExtensionFactory for KeyScopes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(KeyScopes)
    }
}

#[async_trait::async_trait]
impl Extension for KeyScopes {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_none() && !info.name.starts_with("__") {
            let root = match info.parent_type {
                "Mutation" => Some(Mutation),
                "Query" => Some(Query),
                _ => None,
            };
            if let Some(root) = root {
                let actor = ctx.data_opt::<RequestMeta>().and_then(|m| m.actor.as_ref());
                if let Err(err) = check(actor, root, info.name) {
                    let mut error =
                        async_graphql::Error::from(err).into_server_error(Pos::default());
                    error.locations.clear();
                    error.path = vec![PathSegment::Field(
                        info.alias.unwrap_or(info.name).to_string(),
                    )];
                    return Err(error);
                }
            }
        }
        next.run(ctx, info).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reaches_what_its_scopes_name_and_people_are_left_to_the_services() {
        let reports = Actor::keyed(vec![ReportsRead]);
        assert!(check(Some(&reports), Query, "reports").is_ok());
        let err = check(Some(&reports), Query, "leads").unwrap_err();
        assert_eq!(err.code(), "FORBIDDEN");
        assert!(err.message().contains("LEADS_READ"), "{}", err.message());
        let err = check(Some(&reports), Query, "emailOutbox").unwrap_err();
        assert!(
            err.message().contains("no API-key scope"),
            "{}",
            err.message()
        );
        assert!(
            check(Some(&reports), Query, "aFieldNobodyDecided").is_err(),
            "undecided fields are closed to keys"
        );
        assert!(check(Some(&Actor::operator()), Mutation, "retryEmail").is_ok());
        assert!(check(None, Mutation, "login").is_ok());
    }

    /// The root fields of the schema as built, by root.
    fn schema_fields() -> Vec<(&'static str, String)> {
        use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
        let sdl = crate::graphql::sdl();
        let doc = async_graphql::parser::parse_schema(&sdl).expect("the SDL parses");
        let mut fields = Vec::new();
        for definition in doc.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let Some(root) = [Query, Mutation, Subscription]
                .into_iter()
                .find(|r| r.name() == ty.node.name.node.as_str())
            else {
                continue;
            };
            if let TypeKind::Object(object) = &ty.node.kind {
                for field in &object.fields {
                    fields.push((root.name(), field.node.name.node.to_string()));
                }
            }
        }
        fields
    }

    #[test]
    fn every_root_field_of_the_schema_is_decided_exactly_once() {
        let fields = schema_fields();
        assert!(fields.len() > 60, "the schema's roots were read");
        let undecided: Vec<String> = fields
            .iter()
            .filter(|(root, field)| {
                !DECISIONS
                    .iter()
                    .any(|(r, f, _)| r.name() == *root && f == field)
            })
            .map(|(root, field)| format!("{root}.{field}"))
            .collect();
        assert!(
            undecided.is_empty(),
            "decide in DECISIONS which API-key scope may reach: {undecided:?}"
        );
        let mut seen = std::collections::HashSet::new();
        for (root, field, _) in DECISIONS {
            assert!(seen.insert((root.name(), *field)), "{field} decided twice");
            assert!(
                fields.iter().any(|(r, f)| r == &root.name() && f == field),
                "{}.{field} is no longer in the schema",
                root.name()
            );
        }
    }
}
