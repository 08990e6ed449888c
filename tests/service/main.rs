//! Service-level tests: the rules of visibility and paging driven through
//! the application core with an `Actor`, a fresh database per test and no
//! HTTP. They pin what every entry point (GraphQL, the command line, jobs)
//! relies on.
mod learning;
mod paging;
mod report_oracle;
mod report_world;
mod reports;
mod support;
mod visibility;
