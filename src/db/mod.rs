//! The database: connecting and diagnosing, the one module of backend
//! differences, and the unit of work every write goes through.
mod connect;
pub mod diagnose;
pub mod dialect;
mod unit_of_work;
pub mod watchdog;

pub use connect::{
    connect, connect_readers, for_migrations, max_connections, pool_figures, PoolFigures,
};
pub use diagnose::{classify::diagnose_runtime, Diagnosis, FailureClass};
pub use dialect::Dialect;
pub use unit_of_work::UnitOfWork;
