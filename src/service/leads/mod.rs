//! Leads. [`visibility`] is the rule every other domain reads leads
//! through (it depends on no domain); [`fields`] declares what clients
//! write; [`write`] creates and changes; [`filter`] and [`listing`] find;
//! [`export`] turns them into rows of cells and [`cells`] reads fields back
//! from cells; [`bulk`] changes many at once.
pub mod bulk;
pub mod cells;
pub mod export;
pub mod fields;
pub mod filter;
pub mod listing;
pub mod status;
pub mod visibility;
pub mod write;

pub use fields::{LeadChange, NewLead, RawNewLead};
pub use filter::{AssigneeFilter, LeadFilter, SearchTerm};
pub use listing::{count, list, LeadKey, LeadOrder, LeadOrderField, LeadPage, LeadPageRequest};
pub use visibility::{find_visible, get};
pub use write::{create, delete, update, Creation};

use crate::{
    auth::{Actor, Scope},
    core::Core,
    entity::lead,
    error::AppResult,
};

/// One lead, if `actor` may see it (a person's read).
pub async fn read(core: &Core, actor: &Actor, id: uuid::Uuid) -> AppResult<lead::Model> {
    actor.may(Scope::LeadsRead)?;
    get(core.reads(), actor, id).await
}
