//! A learned model in each score: the rule engine scores first, then, with
//! a model active, its calibrated probability is blended in by how much
//! the model learned from, the classification and tier follow the blend,
//! and the score keeps the probability and its drivers in words.
use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{basis::basis, history::histories};
use crate::{
    core::Core,
    entity::{
        lead,
        lead_score::{Basis, BasisKind, StoredDriver},
    },
    error::AppResult,
    learning::{self, blend, drivers, ActiveModel, Contribution, Prediction},
    scoring::{self, Insight, InsightKind, InventoryItem, Score, ScoringInput},
};

/// What one batch of scores rests on.
pub enum BatchBasis {
    Rules {
        explanation: String,
    },
    Learned {
        active: Arc<ActiveModel>,
        weight: f64,
        predictions: HashMap<Uuid, Prediction>,
    },
}

/// Reads the basis and, with a model active, predicts every lead of the
/// batch as it is at `now`.
pub async fn for_batch<C: ConnectionTrait>(
    core: &Core,
    conn: &C,
    leads: &[lead::Model],
    inventory: &Arc<[InventoryItem]>,
    now: DateTime<Utc>,
) -> AppResult<BatchBasis> {
    let settings = core.scoring().learned;
    match basis(core, conn).await? {
        learning::Basis::Rules { won, lost } => Ok(BatchBasis::Rules {
            explanation: match settings.enough(won, lost) {
                Err(why) => why,
                Ok(()) => format!("rules only: no model trained yet ({} outcomes)", won + lost),
            },
        }),
        learning::Basis::Learned(active) => {
            let at_now: Vec<(lead::Model, DateTime<Utc>)> =
                leads.iter().map(|l| (l.clone(), now)).collect();
            let model = active.clone();
            let histories = histories(conn, &at_now, inventory).await?;
            let ids: Vec<Uuid> = leads.iter().map(|l| l.id).collect();
            // Scoring a batch is CPU work: off the async workers.
            let predictions = tokio::task::spawn_blocking(move || {
                ids.into_iter()
                    .zip(histories)
                    .map(|(id, history)| {
                        (id, model.model.predict(&learning::features(&history, now)))
                    })
                    .collect::<HashMap<_, _>>()
            })
            .await
            .map_err(|e| crate::error::AppError::internal(format!("prediction panicked: {e}")))?;
            Ok(BatchBasis::Learned {
                weight: settings.weight(active.labelled),
                active,
                predictions,
            })
        }
    }
}

impl BatchBasis {
    /// Blends the learned part into `score` (the rules' score of `lead_id`)
    /// and returns the probability and the basis to keep with it.
    pub fn apply(
        &self,
        core: &Core,
        lead_id: Uuid,
        input: &ScoringInput,
        score: &mut Score,
        now: DateTime<Utc>,
    ) -> (Option<f64>, Basis) {
        let (active, weight, prediction) = match self {
            BatchBasis::Rules { explanation } => {
                return (
                    None,
                    Basis {
                        kind: BasisKind::Rules,
                        model_id: None,
                        version: None,
                        learned_weight: 0.0,
                        explanation: explanation.clone(),
                        drivers: Vec::new(),
                    },
                )
            }
            BatchBasis::Learned {
                active,
                weight,
                predictions,
            } => match predictions.get(&lead_id) {
                Some(p) => (active, *weight, p),
                None => return (None, BatchBasis::rules_fallback()),
            },
        };
        let settings = core.scoring();
        let (value, class) = blend::blend(
            score.total,
            prediction.probability,
            weight,
            settings.thresholds,
            &settings.learned,
        );
        score.total = (value * 100.0).round().clamp(0.0, 100.0) as u8;
        score.classification = class;
        score.priority_tier = scoring::priority(input, now, class);
        score.model_version = format!("learned-v{}", active.version);
        let drivers = drivers(&prediction.contributions);
        let reasons: Vec<String> = drivers
            .iter()
            .filter(|d| d.points > 0.0)
            .take(3)
            .map(Contribution::text)
            .collect();
        if !reasons.is_empty() {
            score.insights.insert(
                0,
                Insight {
                    kind: InsightKind::TalkingPoint,
                    text: format!("Why this lead: {}", reasons.join("; ")),
                    evidence: format!("learned model v{}", active.version),
                },
            );
        }
        let basis = Basis {
            kind: BasisKind::Learned,
            model_id: Some(active.id),
            version: Some(active.version),
            learned_weight: weight,
            explanation: format!(
                "learned model v{} (logistic regression on {} outcomes), {:.0}% of the score",
                active.version,
                active.labelled,
                weight * 100.0
            ),
            drivers: drivers
                .into_iter()
                .map(|d| StoredDriver {
                    feature: d.feature,
                    label: d.label,
                    value: d.value,
                    points: (d.points * 10.0).round() / 10.0,
                })
                .collect(),
        };
        (Some(prediction.probability), basis)
    }

    fn rules_fallback() -> Basis {
        Basis {
            kind: BasisKind::Rules,
            model_id: None,
            version: None,
            learned_weight: 0.0,
            explanation: "rules only".into(),
            drivers: Vec::new(),
        }
    }
}
