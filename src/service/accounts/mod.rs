//! Accounts: who may act ([`access`]), signing in and sessions
//! ([`sessions`]), guessing and sign-up limits ([`throttle`]), the team
//! ([`users`]) and integrations' keys ([`api_keys`]).
pub mod access;
pub mod api_keys;
pub mod sessions;
pub mod throttle;
pub mod users;

pub use sessions::{change_password, login, logout, refresh, register, Registration, Session};
