//! Who is asking: passwords, tokens and the [`Actor`] every service takes.
pub mod actor;
pub mod cache;
pub mod password;
pub mod token;

pub use actor::{Actor, KeyGrant, Scope};

/// What signing in needs besides a connection, built once at start-up.
#[derive(Clone)]
pub struct AuthConfig {
    pub keys: token::TokenKeys,
    /// Verified against when the email is unknown, to equalise timing.
    pub decoy_hash: String,
    pub allow_signup: bool,
    /// Sign-up attempts one client address may make in an hour.
    pub signup_limit_per_hour: u32,
}
