//! leadscore: a GraphQL API server that tells a sales team which lead to call next.
//!
//! Data flows one way: [`http`] → [`graphql`] → [`service`] → [`entity`] and
//! [`scoring`] and [`learning`]; services publish to [`events`] through the unit of work
//! ([`db`]), and subscriptions read from [`events`]. [`core`] holds what
//! every entry point shares (the [`clock`] among it); [`values`] are inputs parsed at the edge; [`ops`]
//! (metrics, the circuit breaker) is a leaf every layer reports into.
pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod core;
pub mod db;
pub mod demo;
pub mod entity;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod learning;
pub mod ops;
pub mod scoring;
pub mod service;
pub mod smtp;
pub mod tasks;
pub mod telemetry;
pub mod values;
