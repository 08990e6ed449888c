//! Reports are hand-written SQL (CTEs and window functions, which both
//! backends have): one statement answers a whole table. Every statement
//! opens with `scope`, the leads the asker may see and asked for, built
//! from the same conditions as `leads`.
use sea_orm::{
    sea_query::{PostgresQueryBuilder, Query, SqliteQueryBuilder},
    Condition, ConnectionTrait, DbBackend, QueryResult, Statement, Value, Values,
};

use crate::{
    auth::Actor,
    db::Dialect,
    entity::lead,
    error::AppResult,
    service::leads::{visibility::visible_to, LeadFilter},
};

/// Activities a person logs (not the ones the system writes for status
/// changes and assignments): what "responded" and "touched" mean.
pub const LOGGED_KINDS: &str = "('CALL', 'EMAIL', 'MEETING', 'SMS', 'OTHER')";

/// One statement being written: its text and its bound values, numbered
/// the backend's way.
pub struct Sql {
    dialect: Dialect,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// `WITH scope AS (SELECT columns FROM leads WHERE visible AND filter
    /// AND extra)`; the caller goes on with `, next AS (...)` or `SELECT`.
    /// NOT MATERIALIZED: PostgreSQL materialises a CTE used twice and then
    /// plans the rest for 200 rows of it (nested loops over 100k leads);
    /// inlined, it plans with the leads table's statistics.
    pub fn with_scope(
        dialect: Dialect,
        actor: &Actor,
        filter: &LeadFilter,
        extra: Condition,
        columns: &[lead::Column],
    ) -> Self {
        let query = Query::select()
            .columns(columns.iter().copied())
            .from(lead::Entity)
            .cond_where(visible_to(actor))
            .cond_where(filter.condition())
            .cond_where(extra)
            .take();
        let (text, Values(values)) = match dialect {
            Dialect::Postgres => query.build(PostgresQueryBuilder),
            Dialect::Sqlite => query.build(SqliteQueryBuilder),
        };
        Self {
            dialect,
            text: format!("WITH scope AS NOT MATERIALIZED ({text})"),
            values,
        }
    }

    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.text.push_str(sql);
        self
    }

    /// Binds `value` where the text now ends.
    pub fn param(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.dialect {
            Dialect::Postgres => {
                let n = self.values.len();
                self.text.push_str(&format!("${n}"));
            }
            Dialect::Sqlite => self.text.push('?'),
        }
        self
    }

    pub fn epoch(&self, column: &str) -> String {
        self.dialect.epoch_seconds(column)
    }

    pub async fn rows<C: ConnectionTrait>(self, conn: &C) -> AppResult<Vec<QueryResult>> {
        let backend = match self.dialect {
            Dialect::Postgres => DbBackend::Postgres,
            Dialect::Sqlite => DbBackend::Sqlite,
        };
        Ok(conn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                self.text,
                self.values,
            ))
            .await?)
    }
}

/// `SELECT key, n, p50, p90` of `value` per `key` over `source` (a CTE
/// or subquery with columns named `key` and `value`): nearest-rank
/// percentiles (the smallest value with at least that share of values at
/// or below it), in SQL both backends run.
pub fn percentiles(source: &str) -> String {
    format!(
        "SELECT key, n, MAX(CASE WHEN rn = (n + 1) / 2 THEN value END) AS p50, \
         MAX(CASE WHEN rn = (9 * n + 9) / 10 THEN value END) AS p90 FROM (\
         SELECT key, value, ROW_NUMBER() OVER (PARTITION BY key ORDER BY value) AS rn, \
         COUNT(*) OVER (PARTITION BY key) AS n FROM ({source}) AS pv WHERE value IS NOT NULL\
         ) AS ranked GROUP BY key, n"
    )
}

/// A status, source or classification read back as its enum.
pub fn parse_enum<T: sea_orm::ActiveEnum<Value = String>>(
    raw: Option<&str>,
) -> AppResult<Option<T>> {
    raw.map(|s| {
        T::try_from_value(&s.to_string())
            .map_err(|_| crate::error::AppError::internal(format!("report: unknown value {s}")))
    })
    .transpose()
}

/// Keeps the activity kind list in step with the enum.
#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;
    use crate::entity::lead_activity::ActivityKind;

    #[test]
    fn logged_kinds_are_every_kind_a_person_logs() {
        let system = [
            ActivityKind::StatusChange,
            ActivityKind::Assignment,
            ActivityKind::Transfer,
            ActivityKind::Completion,
        ];
        for kind in ActivityKind::iter() {
            let listed = LOGGED_KINDS.contains(&format!("'{}'", kind.to_value()));
            assert_eq!(listed, !system.contains(&kind), "{kind:?}");
        }
    }
}
