//! Schema migrations for leadscore. Append-only: a change to the schema is a
//! new file, never an edit of one that may already have run somewhere.
pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261123_000001_create_accounts;
mod m20261123_000002_create_leads;
mod m20261123_000003_create_scoring;
mod m20261123_000004_create_notifications;
mod m20261123_000005_add_lead_sort_indexes;
mod m20261123_000006_add_priority_index;
mod m20261123_000007_create_rescore_jobs;
mod m20261123_000008_set_leads_fillfactor;
mod m20261124_000009_add_key_disabling_and_event_senders;
mod m20261124_000010_check_score_enums;
mod m20261124_000011_add_learned_scoring;
mod m20261124_000012_create_lead_imports;
mod m20261124_000013_create_lead_bulk_jobs;
mod m20261124_000014_add_report_indexes;
mod m20261124_000015_create_email_outbox;
mod m20261207_000016_add_upload_expiry;
mod m20261207_000017_add_model_comparison;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_accounts::Migration),
            Box::new(m20261123_000002_create_leads::Migration),
            Box::new(m20261123_000003_create_scoring::Migration),
            Box::new(m20261123_000004_create_notifications::Migration),
            Box::new(m20261123_000005_add_lead_sort_indexes::Migration),
            Box::new(m20261123_000006_add_priority_index::Migration),
            Box::new(m20261123_000007_create_rescore_jobs::Migration),
            Box::new(m20261123_000008_set_leads_fillfactor::Migration),
            Box::new(m20261124_000009_add_key_disabling_and_event_senders::Migration),
            Box::new(m20261124_000010_check_score_enums::Migration),
            Box::new(m20261124_000011_add_learned_scoring::Migration),
            Box::new(m20261124_000012_create_lead_imports::Migration),
            Box::new(m20261124_000013_create_lead_bulk_jobs::Migration),
            Box::new(m20261124_000014_add_report_indexes::Migration),
            Box::new(m20261124_000015_create_email_outbox::Migration),
            Box::new(m20261207_000016_add_upload_expiry::Migration),
            Box::new(m20261207_000017_add_model_comparison::Migration),
        ]
    }
}
