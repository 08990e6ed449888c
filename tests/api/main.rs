//! Black-box tests: a real server on port 0 and a fresh database per test
//! (a SQLite file, or a new PostgreSQL database when TEST_DATABASE_URL is set).
mod api_keys;
mod assignments;
mod auth;
mod authorization;
mod cli;
mod database_url;
mod demo;
mod engagement;
mod helpers;
mod http;
mod inventory;
mod leads;
mod live;
mod migrations;
mod n_plus_one;
mod notifications;
mod rescore_jobs;
mod schema;
mod scoring;
mod users;
mod websocket;
