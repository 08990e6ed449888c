//! The lead inputs, generated from the one field table: what a client
//! sends, parsed into the validated values the service takes.
use async_graphql::InputObject;

use crate::{
    error::{client_path, AppError, AppResult},
    graphql::wire::WireMode,
    service::leads::{
        fields::{lead_fields, Defaulted, FieldMode, Optional, Required},
        LeadChange, NewLead, RawNewLead,
    },
};

fn invalid(field: &str, err: crate::values::Invalid) -> AppError {
    AppError::bad_input(field, err.0)
}

macro_rules! lead_inputs {
    ($( $(#[$doc:meta])* $name:ident: $ty:ty, $mode:ident; )*) => {
        #[derive(InputObject)]
        pub struct CreateLeadInput {
            $( $(#[$doc])* pub $name: <$mode as WireMode<$ty>>::Create, )*
            /// Create it even if a live lead has the same email.
            #[graphql(default)]
            pub allow_duplicate: bool,
            /// When the lead came in, for imported history: default now;
            /// more than 7 days back only for admins and API keys
            /// (audited as back-dated); never in the future.
            pub created_at: Option<chrono::DateTime<chrono::Utc>>,
        }

        /// Absent fields stay as they are; `null` clears a field that may be empty.
        #[derive(InputObject)]
        pub struct UpdateLeadInput {
            $( pub $name: <$mode as WireMode<$ty>>::Update, )*
            /// When a status change sent with it happened, for imported
            /// history (a WON or LOST date): the same rules as `createdAt`.
            pub status_changed_at: Option<chrono::DateTime<chrono::Utc>>,
        }

        impl CreateLeadInput {
            /// The new lead, every field validated (fields named as the service names them).
            pub fn parse(self) -> AppResult<NewLead> {
                RawNewLead {
                    $( $name: <$mode as WireMode<$ty>>::raw_new(self.$name), )*
                }
                .parse()
            }

            /// The lead fields this input writes, as clients name them.
            pub fn sent(&self) -> Vec<String> {
                let mut sent = Vec::new();
                $(
                    if <$mode as WireMode<$ty>>::sent_create(&self.$name) {
                        sent.push(client_path(stringify!($name)));
                    }
                )*
                sent
            }
        }

        impl UpdateLeadInput {
            pub fn parse(self) -> AppResult<LeadChange> {
                Ok(LeadChange {
                    $(
                        $name: <$mode as FieldMode<$ty>>::parse_change(
                            <$mode as WireMode<$ty>>::raw_change(self.$name),
                        )
                        .map_err(|e| invalid(stringify!($name), e))?,
                    )*
                })
            }

            pub fn sent(&self) -> Vec<String> {
                let mut sent = Vec::new();
                $(
                    if <$mode as WireMode<$ty>>::sent_update(&self.$name) {
                        sent.push(client_path(stringify!($name)));
                    }
                )*
                sent
            }
        }
    };
}

lead_fields!(lead_inputs);
