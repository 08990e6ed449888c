//! A unit of work: one transaction and the events it causes. Events are
//! collected as the work goes and leave only when it commits, through the
//! dialect's one path (PostgreSQL: `pg_notify` inside the transaction,
//! delivered at commit; SQLite: the instance's bus, right after COMMIT).
//! Nothing is published for work that is rolled back or dropped, so a
//! subscriber that reads what an event announces always finds it.
use std::sync::Mutex;

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};

use super::dialect::Dialect;
use crate::events::{Bus, Event};

pub struct UnitOfWork {
    txn: DatabaseTransaction,
    dialect: Dialect,
    bus: Bus,
    events: Mutex<Vec<Event>>,
    /// Whether notifications written here may also be mailed (SMTP_URL set).
    mails: bool,
}

impl UnitOfWork {
    pub async fn begin(
        db: &DatabaseConnection,
        dialect: Dialect,
        bus: Bus,
        mails: bool,
    ) -> Result<Self, DbErr> {
        Ok(Self {
            txn: dialect.begin(db).await?,
            dialect,
            bus,
            events: Mutex::default(),
            mails,
        })
    }

    /// Whether email is configured, so notifications go to the outbox too.
    pub fn mails(&self) -> bool {
        self.mails
    }

    /// The transaction, for statements.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Announces `event` if, and when, this work commits.
    pub fn publish(&self, event: Event) {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event);
    }

    pub fn publish_all(&self, events: impl IntoIterator<Item = Event>) {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(events);
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        let events = self.events.into_inner().unwrap_or_else(|e| e.into_inner());
        let notified = self.dialect.notify_at_commit(&self.txn, &events).await?;
        self.txn.commit().await?;
        self.bus.published(events.len());
        if events
            .iter()
            .any(|e| matches!(e, Event::AccessChanged { .. }))
        {
            self.bus.access_changed();
        }
        if !notified {
            for event in events {
                self.bus.dispatch(event);
            }
        }
        Ok(())
    }
}
