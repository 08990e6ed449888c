//! Black-box tests: a real server on port 0 and a fresh database per test
//! (a SQLite file, or a new PostgreSQL database when TEST_DATABASE_URL is set).
mod auth;
mod cli;
mod database_url;
mod demo;
mod helpers;
mod http;
mod leads;
mod migrations;
mod schema;
mod users;
