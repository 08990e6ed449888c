//! Who is asking: passwords, tokens and the [`Actor`] every service takes.
pub mod actor;
pub mod password;
pub mod token;

pub use actor::Actor;
