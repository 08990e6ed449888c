//! leadscore: a GraphQL API server that tells a sales team which lead to call next.
pub mod app;
pub mod auth;
pub mod bus;
pub mod cli;
pub mod config;
pub mod db;
pub mod entity;
pub mod error;
pub mod graphql;
pub mod http;
pub mod scoring;
pub mod service;
pub mod telemetry;
pub mod validate;
