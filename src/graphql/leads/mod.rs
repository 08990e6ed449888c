//! Leads over GraphQL: reading ([`query`]), changing them and the work on
//! them ([`mutation`]), the generated inputs ([`inputs`]), the filter, and
//! pages of leads ([`connection`]).
pub mod connection;
pub mod filter;
pub mod inputs;
pub mod mutation;
pub mod query;

pub use mutation::LeadMutation;
pub use query::LeadQuery;
