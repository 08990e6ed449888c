//! The lead's own fields as clients read them, generated from the one field
//! table (`service::leads::fields`) and flattened into [`Lead`](super::Lead),
//! so a new column reaches the API without another edit here.
use async_graphql::Object;

use crate::{
    entity::lead,
    graphql::wire::WireMode,
    service::leads::fields::{lead_fields, Defaulted, Optional, Required},
};

/// Borrowed for one resolution: nothing is copied but the fields selected.
pub struct LeadColumns<'a>(pub &'a lead::Model);

macro_rules! lead_columns {
    ($( $(#[$doc:meta])* $name:ident: $ty:ty, $mode:ident; )*) => {
        #[Object]
        impl LeadColumns<'_> {
            $(
                $(#[$doc])*
                async fn $name(&self) -> <$mode as WireMode<$ty>>::Shown {
                    <$mode as WireMode<$ty>>::show(&self.0.$name)
                }
            )*
        }
    };
}

lead_fields!(lead_columns);
