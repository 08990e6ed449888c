//! Working a lead: what happened with it ([`activities`]), who owns it
//! ([`assignments`]), notes on it ([`notes`]), what it did
//! ([`engagement`]), and what there is to sell ([`inventory`]).
pub mod activities;
pub mod assignments;
pub mod engagement;
pub mod inventory;
pub mod notes;
