//! Writing a batch of scores on each backend: new history rows or refreshed
//! latest ones, their insights, and the copy on each lead that lists sort by.
//!
//! On PostgreSQL each write is one statement that reads its rows from a
//! single JSON parameter (`json_to_recordset`): the SQL text never changes,
//! so it is prepared once, and 500 rows cost one parameter, not 7,000. That
//! is what takes rescoring 100,000 leads from minutes to seconds. SQLite runs
//! in-process, where plain multi-row statements are cheap.
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, Statement, Value,
};
use serde_json::json;
use uuid::Uuid;

use super::Dialect;
use crate::entity::{
    lead, lead_insight,
    lead_score::{self, PriorityTier},
};

/// Rows per statement on SQLite, far below its bind limit.
const SQLITE_ROWS: usize = 500;

/// Upserts `rows` (ids in `refreshed` replace their insights), inserts
/// `insights` and copies each score onto its lead.
pub async fn save_scores<C: ConnectionTrait>(
    dialect: Dialect,
    conn: &C,
    rows: &[lead_score::Model],
    refreshed: &[Uuid],
    insights: &[lead_insight::Model],
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    match dialect {
        Dialect::Postgres => save_postgres(conn, rows, refreshed, insights).await,
        Dialect::Sqlite => save_portable(conn, rows, refreshed, insights).await,
    }
}

/// The score columns a refresh brings up to date (the result columns are
/// equal by definition of a refresh).
const REFRESHED: [lead_score::Column; 9] = [
    lead_score::Column::EngagementScore,
    lead_score::Column::BuyingSignalScore,
    lead_score::Column::DemographicScore,
    lead_score::Column::Confidence,
    lead_score::Column::Factors,
    lead_score::Column::Missing,
    lead_score::Column::ScoredAt,
    lead_score::Column::ConversionProbability,
    lead_score::Column::Basis,
];

/// The lead's priority tier column is NULL where the score is unranked
/// (WON and LOST leads), so the call list's partial index skips them.
fn lead_tier(row: &lead_score::Model) -> Option<PriorityTier> {
    (row.priority_tier != PriorityTier::Unranked).then_some(row.priority_tier)
}

async fn save_postgres<C: ConnectionTrait>(
    conn: &C,
    rows: &[lead_score::Model],
    refreshed: &[Uuid],
    insights: &[lead_insight::Model],
) -> Result<(), DbErr> {
    let scores: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.id, "lead_id": r.lead_id, "total": r.total,
                "engagement_score": r.engagement_score, "buying_signal_score": r.buying_signal_score,
                "demographic_score": r.demographic_score, "confidence": r.confidence,
                "confidence_level": r.confidence_level, "classification": r.classification,
                "priority_tier": r.priority_tier, "factors": r.factors, "missing": r.missing,
                "model_version": r.model_version, "scored_at": r.scored_at,
                "conversion_probability": r.conversion_probability, "basis": r.basis,
                "lead_tier": lead_tier(r),
            })
        })
        .collect();
    let scores = json!(scores).to_string();
    run(
        conn,
        "INSERT INTO lead_scores (id, lead_id, total, engagement_score, buying_signal_score,
             demographic_score, confidence, confidence_level, classification, priority_tier,
             factors, missing, model_version, scored_at, conversion_probability, basis)
         SELECT id, lead_id, total, engagement_score, buying_signal_score, demographic_score,
             confidence, confidence_level, classification, priority_tier, factors, missing,
             model_version, scored_at, conversion_probability, basis
         FROM json_to_recordset($1::json) AS r(id uuid, lead_id uuid, total int,
             engagement_score float8, buying_signal_score float8, demographic_score float8,
             confidence float8, confidence_level text, classification text, priority_tier text,
             factors json, missing json, model_version text, scored_at timestamptz,
             conversion_probability float8, basis json)
         ON CONFLICT (id) DO UPDATE SET engagement_score = EXCLUDED.engagement_score,
             buying_signal_score = EXCLUDED.buying_signal_score,
             demographic_score = EXCLUDED.demographic_score, confidence = EXCLUDED.confidence,
             factors = EXCLUDED.factors, missing = EXCLUDED.missing,
             scored_at = EXCLUDED.scored_at,
             conversion_probability = EXCLUDED.conversion_probability, basis = EXCLUDED.basis",
        scores.clone(),
    )
    .await?;
    if !refreshed.is_empty() {
        run(
            conn,
            "DELETE FROM lead_insights
             WHERE score_id IN (SELECT value::uuid FROM json_array_elements_text($1::json))",
            json!(refreshed).to_string(),
        )
        .await?;
    }
    if !insights.is_empty() {
        let insights: Vec<_> = insights
            .iter()
            .map(|i| {
                json!({
                    "id": i.id, "lead_id": i.lead_id, "score_id": i.score_id, "kind": i.kind,
                    "text": i.text, "evidence": i.evidence, "position": i.position,
                    "created_at": i.created_at,
                })
            })
            .collect();
        run(
            conn,
            "INSERT INTO lead_insights (id, lead_id, score_id, kind, text, evidence, position, created_at)
             SELECT id, lead_id, score_id, kind, text, evidence, position, created_at
             FROM json_to_recordset($1::json) AS r(id uuid, lead_id uuid, score_id uuid, kind text,
                 text text, evidence json, position int, created_at timestamptz)",
            json!(insights).to_string(),
        )
        .await?;
    }
    run(
        conn,
        "UPDATE leads SET score = r.total, classification = r.classification,
             priority_tier = r.lead_tier, score_confidence = r.confidence, scored_at = r.scored_at
         FROM json_to_recordset($1::json) AS r(lead_id uuid, total int, classification text,
             lead_tier text, confidence float8, scored_at timestamptz)
         WHERE leads.id = r.lead_id",
        scores,
    )
    .await
}

async fn run<C: ConnectionTrait>(conn: &C, sql: &str, rows: String) -> Result<(), DbErr> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [Value::from(rows)],
    ))
    .await?;
    Ok(())
}

async fn save_portable<C: ConnectionTrait>(
    conn: &C,
    rows: &[lead_score::Model],
    refreshed: &[Uuid],
    insights: &[lead_insight::Model],
) -> Result<(), DbErr> {
    for chunk in rows.chunks(SQLITE_ROWS) {
        lead_score::Entity::insert_many(chunk.iter().cloned().map(lead_score::ActiveModel::from))
            .on_conflict(
                OnConflict::column(lead_score::Column::Id)
                    .update_columns(REFRESHED)
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    for chunk in refreshed.chunks(SQLITE_ROWS) {
        lead_insight::Entity::delete_many()
            .filter(lead_insight::Column::ScoreId.is_in(chunk.iter().copied()))
            .exec(conn)
            .await?;
    }
    for chunk in insights.chunks(SQLITE_ROWS) {
        lead_insight::Entity::insert_many(
            chunk.iter().cloned().map(lead_insight::ActiveModel::from),
        )
        .exec_without_returning(conn)
        .await?;
    }
    for row in rows {
        lead::Entity::update_many()
            .col_expr(lead::Column::Score, Expr::value(row.total))
            .col_expr(
                lead::Column::Classification,
                Expr::value(row.classification),
            )
            .col_expr(lead::Column::PriorityTier, Expr::value(lead_tier(row)))
            .col_expr(lead::Column::ScoreConfidence, Expr::value(row.confidence))
            .col_expr(lead::Column::ScoredAt, Expr::value(row.scored_at))
            .filter(lead::Column::Id.eq(row.lead_id))
            .exec(conn)
            .await?;
    }
    Ok(())
}
