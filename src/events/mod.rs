//! Live events: the instance's [`bus`], the [`listener`] that carries
//! events between replicas on PostgreSQL, and the [`streams`] subscriptions
//! are built from (backlog and live feed merged, repeats dropped at the
//! seam, access re-checked, catch-up after a gap, slow consumers ended).
//! Streams read the database through [`ports`], which the service layer
//! implements: nothing here imports a service.
pub mod bus;
mod event;
mod figures;
pub mod listener;
pub mod ports;
pub mod shared;
pub mod streams;
mod subscriber;

pub use bus::{Bus, Delivery, Event, Missed, Subscriber, PER_SUBSCRIBER};
