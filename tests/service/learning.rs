use chrono::{Duration, Utc};
use leadscore::{
    entity::{
        lead::{self, LeadStatus},
        lead_activity::{ActivityKind, Direction},
        lead_status_change,
        user::Role,
    },
    learning::{history::features, raw::Raw},
    scoring::EventKind,
    service::{
        crm::{
            activities::{self, LogActivity},
            engagement::{self, NewEvent},
            notes,
        },
        leads::{self, Creation, LeadChange, RawNewLead},
        scores::{inputs::inventory, learned::history::histories},
    },
    values::{Attributes, LongText, NoteBody, Parse},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::support::{core, person};

#[tokio::test]
async fn what_happens_after_an_outcome_never_reaches_the_features_it_trains_on() {
    let (core, _db) = core().await;
    let admin = person(&core, "admin@learning.test", Role::Admin).await;
    let now = Utc::now();
    let new = RawNewLead {
        first_name: "Early".into(),
        last_name: "Buyer".into(),
        attributes: Some(json!({ "plan": "pro" })),
        ..Default::default()
    }
    .parse()
    .expect("valid lead");
    let creation = Creation {
        allow_duplicate: false,
        created_at: Some(now - Duration::days(30)),
    };
    let lead = leads::create(&core, &admin, new, creation)
        .await
        .expect("lead");
    let visit = |at, seconds| NewEvent {
        lead_id: lead.id,
        kind: EventKind::PageView,
        occurred_at: Some(at),
        external_id: None,
        metadata: Some(json!({ "seconds": seconds, "pages": 3 })),
    };
    engagement::record(&core, &admin, vec![visit(now - Duration::days(20), 120)])
        .await
        .expect("visit before the outcome");
    let outcome_at = now - Duration::days(10);
    let won = LeadChange {
        status: Some(LeadStatus::Won),
        ..Default::default()
    };
    leads::update(&core, &admin, lead.id, won, Some(outcome_at))
        .await
        .expect("won, back-dated");

    let known = |lead: lead::Model| {
        let core = core.clone();
        async move {
            let inventory = inventory(core.db()).await.expect("inventory");
            let history = histories(core.db(), &[(lead, outcome_at)], &inventory)
                .await
                .expect("history")
                .pop()
                .expect("one history");
            features(&history, outcome_at)
        }
    };
    let before = known(lead.clone()).await;
    assert_eq!(
        before.get("attributes.plan"),
        Some(&Raw::Cat("pro".into())),
        "the attribute as it was is a feature: {before:?}"
    );

    // After the outcome: more visits, a call, a note, a changed attribute.
    engagement::record(&core, &admin, vec![visit(now - Duration::days(1), 3_000)])
        .await
        .expect("late visit");
    activities::log(
        &core,
        &admin,
        LogActivity {
            lead_id: lead.id,
            kind: ActivityKind::Call,
            direction: Some(Direction::Outbound),
            summary: LongText::parse("Thanks for signing".into()).unwrap(),
            occurred_at: None,
        },
    )
    .await
    .expect("late call");
    notes::add(
        &core,
        &admin,
        lead.id,
        NoteBody::parse("Signed the contract, budget approved".into()).unwrap(),
        None,
    )
    .await
    .expect("late note");
    let replan = LeadChange {
        attributes: Some(Attributes::parse(json!({ "plan": "enterprise" })).unwrap()),
        ..Default::default()
    };
    let changed = leads::update(&core, &admin, lead.id, replan, None)
        .await
        .expect("attribute changed later");

    let after = known(changed.clone()).await;
    assert_eq!(
        before, after,
        "features at the outcome moved with later history"
    );

    // The same history read up to now does see the late changes, so the
    // comparison above could fail.
    let inventory = inventory(core.db()).await.expect("inventory");
    let today = histories(core.db(), &[(changed, Utc::now())], &inventory)
        .await
        .expect("history")
        .pop()
        .expect("one history");
    let current = features(&today, Utc::now());
    assert_eq!(
        current.get("attributes.plan"),
        Some(&Raw::Cat("enterprise".into()))
    );
    assert_ne!(before, current);
}

#[tokio::test]
async fn every_status_change_is_kept_with_its_time_and_author() {
    let (core, _db) = core().await;
    let manager = person(&core, "manager@learning.test", Role::Manager).await;
    let lead = crate::support::lead(&core, &manager, "Mover", None).await;
    for status in [
        LeadStatus::Contacted,
        LeadStatus::Qualified,
        LeadStatus::Lost,
    ] {
        let change = LeadChange {
            status: Some(status),
            ..Default::default()
        };
        leads::update(&core, &manager, lead.id, change, None)
            .await
            .expect("status changed");
    }
    let history = lead_status_change::Entity::find()
        .filter(lead_status_change::Column::LeadId.eq(lead.id))
        .order_by_asc(lead_status_change::Column::ChangedAt)
        .order_by_asc(lead_status_change::Column::Id)
        .all(core.db())
        .await
        .expect("history");
    let steps: Vec<(Option<LeadStatus>, LeadStatus)> = history
        .iter()
        .map(|c| (c.from_status, c.to_status))
        .collect();
    assert_eq!(
        steps,
        vec![
            (None, LeadStatus::New),
            (Some(LeadStatus::New), LeadStatus::Contacted),
            (Some(LeadStatus::Contacted), LeadStatus::Qualified),
            (Some(LeadStatus::Qualified), LeadStatus::Lost),
        ]
    );
    assert!(history
        .iter()
        .all(|c| c.changed_by == Some(manager.user_id)));
    assert!(history
        .windows(2)
        .all(|w| w[0].changed_at <= w[1].changed_at));
}

#[path = "../support/b2b.rs"]
mod b2b;

/// A generated lead as the learning pipeline reads it from the database:
/// its history, cut at its outcome.
fn history(lead: &b2b::Lead, outcome: chrono::DateTime<Utc>) -> leadscore::learning::LeadHistory {
    use leadscore::learning::{LeadHistory, Logged, Profile, Touch};
    let before = |days: f64| outcome - Duration::seconds((days * 86_400.0) as i64);
    LeadHistory {
        profile: Profile {
            created_at: before(40.0),
            source: lead.source.into(),
            job_title: Some(lead.job_title.into()),
            email: true,
            currency: "EUR".into(),
            country: Some(lead.country.into()),
            ..Profile::default()
        },
        attributes: lead.attributes.clone(),
        events: lead
            .events
            .iter()
            .map(|(kind, days, seconds, pages)| Touch {
                kind: EventKind::parse(kind).expect("a known event kind"),
                at: before(*days),
                seconds: *seconds,
                pages: pages.map(f64::from),
            })
            .collect(),
        activities: lead
            .activities
            .iter()
            .map(|(kind, direction, days)| Logged {
                kind: (*kind).into(),
                direction: direction.map(str::to_string),
                at: before(*days),
            })
            .collect(),
        texts: Vec::new(),
        inventory: std::sync::Arc::from(Vec::new()),
    }
}

#[test]
fn on_a_world_with_a_curve_a_threshold_an_interaction_and_noise_the_model_is_within_two_points_of_the_truth(
) {
    use leadscore::learning::{
        metrics::auc, observe, slice_key, train_rows, Labelled, TrainConfig,
    };
    let outcome = Utc::now() - Duration::days(1);
    let rows = b2b::generate(4_000, 1)
        .into_iter()
        .enumerate()
        .map(|(i, lead)| {
            let (row, rule_total) = observe(&history(&lead, outcome), outcome);
            let label = Labelled {
                key: slice_key(&(i as u64).to_le_bytes()),
                converted: lead.converted,
                at: i as i64,
                rule_total,
                incumbent: None,
            };
            (row, label)
        });
    let config = TrainConfig {
        alpha: 1.0,
        threads: 2,
    };
    let trained = train_rows(rows, Vec::new(), &config).expect("trained");

    let fresh = b2b::generate(4_000, 2);
    let y: Vec<bool> = fresh.iter().map(|l| l.converted).collect();
    let truth: Vec<f64> = fresh.iter().map(|l| l.p).collect();
    let learned: Vec<f64> = fresh
        .iter()
        .map(|l| {
            let row = features(&history(l, outcome), outcome);
            trained.model.predict(&row).probability
        })
        .collect();
    let (ours, best) = (auc(&learned, &y), auc(&truth, &y));
    println!(
        "learned {ours:.4}, true model {best:.4}, measured by {}: {:.4} [{:.4}, {:.4}]",
        trained.evaluation.method.describe(),
        trained.evaluation.metrics.auc,
        trained.evaluation.interval.low,
        trained.evaluation.interval.high
    );
    assert!(
        best - ours <= 0.02,
        "learned {ours:.4}, true model {best:.4}"
    );
}
