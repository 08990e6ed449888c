//! One file per GraphQL type.
pub mod auth_payload;
pub mod role;
pub mod user;

pub use auth_payload::AuthPayload;
pub use role::Role;
pub use user::User;
