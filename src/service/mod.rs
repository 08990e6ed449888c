//! Business operations, one folder per domain. Each operation takes the
//! application [`Core`](crate::core::Core) and the [`Actor`] (who asks);
//! authorization is decided here and in the SQL, never only in resolvers,
//! so the command line and background jobs are held to the same rules.
//! Nothing here knows about GraphQL.
//!
//! Dependencies run one way: `leads::visibility`, `audit`, `backdate`, `lease`,
//! `page`, `newest` and `search` depend on no domain; `notifications` and `scores`
//! on those; `crm` and `leads` on all of them; `imports` and `bulk_jobs` on `crm`,
//! `leads` and what they use (`watch` resumes both); `accounts` on `audit` alone;
//! `reports` only reads, through `leads`' filter and visibility.
//!
//! [`Actor`]: crate::auth::Actor
pub mod accounts;
pub mod audit;
pub mod backdate;
pub mod background;
pub mod bulk_jobs;
pub mod crm;
pub mod email;
pub mod imports;
pub mod leads;
pub mod lease;
pub mod newest;
pub mod notifications;
pub mod page;
pub mod reports;
pub mod scores;
pub mod search;
pub mod watch;
