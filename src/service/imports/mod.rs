//! Lead imports: a spreadsheet's rows become leads. A file is [`upload`]ed
//! (read as [`file`] describes, staged as rows in the database); a
//! [`mapping`] says what each column means; [`control`] starts, watches
//! and cancels the job, which [`run`] carries out (and resumes on any
//! server) a [`chunk`] per transaction. [`expiry`] bounds what uploads
//! keep in the database.
mod chunk;
pub mod control;
pub mod expiry;
pub mod file;
pub mod mapping;
mod plan;
pub mod row;
pub mod run;
pub mod upload;
mod write;

pub use control::{cancel, get, preview, start, ImportRequest, PreviewRow};
pub use mapping::{suggest, ColumnRequest};
pub use row::RowError;
