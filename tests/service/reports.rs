//! Reports against a brute-force oracle over random data (on both
//! backends), for a manager and for a rep, with and without a filter; the
//! statements each report costs; and bad arguments.
use chrono::{DateTime, Duration, Utc};
use leadscore::{
    auth::Actor,
    core::Core,
    entity::lead::LeadSource,
    error::AppError,
    service::{
        leads::LeadFilter,
        reports::{
            buckets::{time_buckets, time_zone, Granularity, ScoreBands},
            calibration, distribution, funnel, pipeline,
            series::{self, Metric, SeriesRequest},
            sources, team, Period,
        },
    },
};
use std::sync::atomic::Ordering;

use crate::{
    report_oracle::Oracle,
    report_world::World,
    support::{core, TestDb},
};

/// Seconds computed by SQLite's julianday are good to a millisecond.
fn close(a: Option<f64>, b: Option<f64>, what: &str) {
    match (a, b) {
        (Some(x), Some(y)) => assert!(
            (x - y).abs() < 0.01 * (1.0 + y.abs() * 1e-6),
            "{what}: {x} != {y}"
        ),
        (None, None) => {}
        _ => panic!("{what}: {a:?} != {b:?}"),
    }
}

async fn world(seed: u64) -> (Core, TestDb, World) {
    let (core, db) = core().await;
    let world = World::build(&core, seed, 120).await;
    (core, db, world)
}

fn periods(now: DateTime<Utc>) -> [Period; 2] {
    [
        Period {
            from: None,
            to: now + Duration::seconds(1),
        },
        Period {
            from: Some(now - Duration::days(50)),
            to: now - Duration::days(12),
        },
    ]
}

async fn check_all(core: &Core, w: &World, actor: &Actor, source: Option<LeadSource>) {
    let o = Oracle { w, actor, source };
    let filter = LeadFilter {
        source,
        ..Default::default()
    };
    let ctx = format!("{:?} source {source:?}", actor.role);

    let p = pipeline::summary(core, actor, &filter).await.unwrap();
    let expected = o.pipeline();
    let mut got = std::collections::BTreeMap::new();
    let mut put = |key: String, g: (i64, &Vec<pipeline::Budget>)| {
        if g.0 > 0 {
            let budgets =
                g.1.iter()
                    .map(|b| (b.currency.clone(), (b.leads, b.min_total, b.max_total)))
                    .collect();
            got.insert(key, (g.0, budgets));
        }
    };
    p.by_status
        .iter()
        .for_each(|g| put(format!("status {:?}", g.key), (g.count, &g.budgets)));
    p.by_classification
        .iter()
        .for_each(|g| put(format!("class {:?}", g.key), (g.count, &g.budgets)));
    p.by_priority_tier
        .iter()
        .for_each(|g| put(format!("tier {:?}", g.key), (g.count, &g.budgets)));
    p.by_source
        .iter()
        .for_each(|g| put(format!("source {:?}", g.key), (g.count, &g.budgets)));
    put("side open".into(), (p.open.count, &p.open.budgets));
    put("side closed".into(), (p.closed.count, &p.closed.budgets));
    put("total".into(), (p.total.count, &p.total.budgets));
    assert_eq!(got, expected, "pipeline, {ctx}");

    for period in periods(w.now) {
        let f = funnel::funnel(core, actor, period, &filter).await.unwrap();
        let (leads, stages) = o.funnel(period);
        assert_eq!(f.leads, leads, "funnel leads, {ctx}");
        for (got, want) in f.stages.iter().zip(&stages) {
            let what = format!("funnel {:?}, {ctx}", got.status);
            assert_eq!(
                (got.reached, got.lost, got.exited),
                (want.0, want.1, want.2),
                "{what}"
            );
            close(got.median_seconds, want.3, &what);
            close(got.p90_seconds, want.4, &what);
        }

        let t = team::performance(core, actor, period, &filter, 48)
            .await
            .unwrap();
        let want = o.team(period, 48);
        let ids: Vec<_> = t.rows.iter().map(|r| r.rep.id).collect();
        let mut want_ids: Vec<_> = want.keys().copied().collect();
        want_ids.sort_by_key(|id| {
            (
                w.users
                    .iter()
                    .find(|u| u.id == *id)
                    .unwrap()
                    .full_name
                    .clone(),
                *id,
            )
        });
        assert_eq!(ids, want_ids, "team rows, {ctx}");
        for r in &t.rows {
            let e = want[&r.rep.id];
            let what = format!("team {}, {ctx}", r.rep.email);
            assert_eq!(
                (
                    r.assigned,
                    r.contacted,
                    r.responses,
                    r.won,
                    r.lost,
                    r.open_p1,
                    r.untouched_p1
                ),
                (e.0, e.1, e.2, e.5, e.6, e.7, e.8),
                "{what}"
            );
            close(r.first_response_p50_seconds, e.3, &what);
            close(r.first_response_p90_seconds, e.4, &what);
        }

        let s = sources::effectiveness(core, actor, period, &filter)
            .await
            .unwrap();
        for (source, e) in o.sources(period) {
            let r = s
                .rows
                .iter()
                .find(|r| format!("{:?}", r.source) == source)
                .unwrap();
            let what = format!("source {source}, {ctx}");
            assert_eq!((r.leads, r.won, r.lost), (e.0, e.1, e.2), "{what}");
            close(r.mean_score, e.3, &what);
            close(r.median_seconds_to_win, e.4, &what);
        }

        for (width, horizon) in [(10, 7), (25, 0), (7, 30)] {
            let bands = ScoreBands::new("w", width).unwrap();
            let c = calibration::calibration(core, actor, bands, horizon, period, &filter)
                .await
                .unwrap();
            let (per_band, per_class, unscored, auc, brier) =
                o.calibration(bands, horizon.into(), period);
            let what = format!("calibration {width}/{horizon}, {ctx}");
            let got: Vec<_> = c
                .bands
                .iter()
                .map(|b| (b.tally.leads, b.tally.won, b.tally.lost))
                .collect();
            assert_eq!(got, per_band, "{what}");
            for (class, tally) in &c.classes {
                let want = per_class
                    .get(&format!("{class:?}"))
                    .copied()
                    .unwrap_or_default();
                assert_eq!(
                    (tally.leads, tally.won, tally.lost),
                    want,
                    "{what} {class:?}"
                );
            }
            assert_eq!(c.unscored, unscored, "{what}");
            close(c.auc, auc, &what);
            close(c.brier, brier, &what);
        }
    }

    for (metric, granularity, zone) in [
        (Metric::LeadsCreated, Granularity::Week, "America/New_York"),
        (Metric::Contacted, Granularity::Day, "Asia/Kathmandu"),
        (Metric::Won, Granularity::Month, "UTC"),
        (Metric::Lost, Granularity::Week, "Europe/Berlin"),
        (
            Metric::ActivitiesLogged,
            Granularity::Day,
            "Australia/Adelaide",
        ),
        (
            Metric::EngagementEvents,
            Granularity::Week,
            "Pacific/Chatham",
        ),
    ] {
        let (from, to) = (w.now - Duration::days(80), w.now - Duration::hours(5));
        let tz = time_zone("z", zone).unwrap();
        let request = SeriesRequest {
            metric,
            granularity,
            time_zone: tz,
            from,
            to,
        };
        let got = series::series(core, actor, request, &filter).await.unwrap();
        let buckets = time_buckets(granularity, tz, from, to).unwrap();
        let counts: Vec<i64> = got.points.iter().map(|p| p.count).collect();
        assert_eq!(
            counts,
            o.series(metric, &buckets),
            "series {metric:?} {zone}, {ctx}"
        );
    }

    for width in [10, 3, 50] {
        let bands = ScoreBands::new("w", width).unwrap();
        let d = distribution::distribution(core, actor, bands, &filter)
            .await
            .unwrap();
        let (want, unscored) = o.distribution(bands);
        let got: Vec<i64> = d.bands.iter().map(|b| b.2).collect();
        assert_eq!(
            (got, d.unscored),
            (want, unscored),
            "distribution {width}, {ctx}"
        );
    }
}

#[tokio::test]
async fn every_report_matches_a_brute_force_count_over_random_leads_for_managers_and_reps() {
    for seed in [7, 1_001, 42_424] {
        let (core, _db, w) = world(seed).await;
        for actor in [&w.manager, &w.reps[0], &w.reps[2]] {
            for source in [None, Some(LeadSource::Referral)] {
                check_all(&core, &w, actor, source).await;
            }
        }
    }
}

/// The demo a manager opens in GraphiQL: every report gives the numbers
/// the oracle gives over the same rows.
#[tokio::test]
async fn on_the_demo_data_every_report_matches_the_brute_force_count() {
    let (core, _db) = core().await;
    leadscore::demo::seed(&core, false, leadscore::demo::DEFAULT_LEADS)
        .await
        .unwrap();
    let w = World::read(&core, "manager@example.com").await;
    assert!(w.history.len() > w.leads.len() && !w.events.is_empty());
    for actor in [&w.manager, &w.reps[0]] {
        check_all(&core, &w, actor, None).await;
    }
}

#[tokio::test]
async fn a_reps_reports_never_count_another_reps_lead() {
    let (core, _db, w) = world(99).await;
    let rep = &w.reps[1];
    let theirs = Oracle {
        w: &w,
        actor: rep,
        source: None,
    }
    .leads()
    .len() as i64;
    let all = Oracle {
        w: &w,
        actor: &w.manager,
        source: None,
    }
    .leads()
    .len() as i64;
    assert!(
        theirs > 0 && theirs < all,
        "the world gives the rep some leads, not all"
    );
    let filter = LeadFilter::default();
    let p = pipeline::summary(&core, rep, &filter).await.unwrap();
    assert_eq!(p.total.count, theirs);
    let open = Period {
        from: None,
        to: w.now + Duration::seconds(1),
    };
    let f = funnel::funnel(&core, rep, open, &filter).await.unwrap();
    assert_eq!(f.leads, theirs);
    let t = team::performance(&core, rep, open, &filter, 48)
        .await
        .unwrap();
    assert_eq!(
        t.rows.iter().map(|r| r.rep.id).collect::<Vec<_>>(),
        vec![rep.user_id]
    );
    let s = sources::effectiveness(&core, rep, open, &filter)
        .await
        .unwrap();
    assert_eq!(s.rows.iter().map(|r| r.leads).sum::<i64>(), theirs);
    let bands = ScoreBands::new("w", 10).unwrap();
    let c = calibration::calibration(&core, rep, bands, 7, open, &filter)
        .await
        .unwrap();
    assert_eq!(
        c.bands.iter().map(|b| b.tally.leads).sum::<i64>() + c.unscored,
        theirs
    );
    let d = distribution::distribution(&core, rep, bands, &filter)
        .await
        .unwrap();
    assert_eq!(
        d.bands.iter().map(|b| b.2).sum::<i64>() + d.unscored,
        theirs
    );
    let request = SeriesRequest {
        metric: Metric::LeadsCreated,
        granularity: Granularity::Month,
        time_zone: time_zone("z", "UTC").unwrap(),
        from: w.now - Duration::days(120),
        to: w.now + Duration::seconds(1),
    };
    let ts = series::series(&core, rep, request, &filter).await.unwrap();
    assert_eq!(ts.total, theirs);
}

#[tokio::test]
async fn every_report_runs_in_at_most_three_statements() {
    let (core, _db, w) = world(5).await;
    let filter = LeadFilter {
        source: Some(LeadSource::Website),
        ..Default::default()
    };
    let open = Period {
        from: None,
        to: w.now,
    };
    let bands = ScoreBands::new("w", 10).unwrap();
    let counter = core.statements().clone();
    for actor in [&w.manager, &w.reps[0]] {
        let mut costs = Vec::new();
        macro_rules! cost {
            ($name:expr, $call:expr) => {{
                let before = counter.load(Ordering::SeqCst);
                $call.await.unwrap();
                costs.push(($name, counter.load(Ordering::SeqCst) - before));
            }};
        }
        cost!("pipelineSummary", pipeline::summary(&core, actor, &filter));
        cost!("funnel", funnel::funnel(&core, actor, open, &filter));
        cost!(
            "repPerformance",
            team::performance(&core, actor, open, &filter, 48)
        );
        cost!(
            "sourceEffectiveness",
            sources::effectiveness(&core, actor, open, &filter)
        );
        cost!(
            "scoreCalibration",
            calibration::calibration(&core, actor, bands, 7, open, &filter)
        );
        cost!(
            "timeSeries",
            series::series(
                &core,
                actor,
                SeriesRequest {
                    metric: Metric::EngagementEvents,
                    granularity: Granularity::Day,
                    time_zone: time_zone("z", "Europe/Paris").unwrap(),
                    from: w.now - Duration::days(90),
                    to: w.now,
                },
                &filter
            )
        );
        cost!(
            "scoreDistribution",
            distribution::distribution(&core, actor, bands, &filter)
        );
        for (name, n) in costs {
            assert!(
                (1..=3).contains(&n),
                "{name} ran {n} statements for {:?}",
                actor.role
            );
        }
    }
}

#[tokio::test]
async fn bad_report_arguments_name_the_argument() {
    let (core, _db) = core().await;
    let manager = crate::support::person(
        &core,
        "m@example.com",
        leadscore::entity::user::Role::Manager,
    )
    .await;
    let field = |e: AppError| match e {
        AppError::BadUserInput { field, .. } => field,
        other => panic!("not BAD_USER_INPUT: {other:?}"),
    };
    let now = Utc::now();
    assert_eq!(
        field(Period::new("period", Some(now), Some(now - Duration::days(1)), now).unwrap_err()),
        "period.from"
    );
    assert_eq!(
        field(time_zone("timeZone", "Europe/Atlantis").unwrap_err()),
        "timeZone"
    );
    assert_eq!(
        field(ScoreBands::new("bucketWidth", 0).unwrap_err()),
        "bucketWidth"
    );
    let long = SeriesRequest {
        metric: Metric::Won,
        granularity: Granularity::Day,
        time_zone: time_zone("z", "UTC").unwrap(),
        from: now - Duration::days(400),
        to: now,
    };
    let err = series::series(&core, &manager, long, &LeadFilter::default())
        .await
        .unwrap_err();
    assert_eq!(field(err), "to");
    let backwards = SeriesRequest {
        metric: Metric::Won,
        granularity: Granularity::Day,
        time_zone: time_zone("z", "UTC").unwrap(),
        from: now,
        to: now - Duration::days(1),
    };
    let err = series::series(&core, &manager, backwards, &LeadFilter::default())
        .await
        .unwrap_err();
    assert_eq!(field(err), "from");
    let open = Period {
        from: None,
        to: now,
    };
    let bands = ScoreBands::new("w", 10).unwrap();
    let err = calibration::calibration(&core, &manager, bands, 400, open, &LeadFilter::default())
        .await
        .unwrap_err();
    assert_eq!(field(err), "horizonDays");
    let err = team::performance(&core, &manager, open, &LeadFilter::default(), 0)
        .await
        .unwrap_err();
    assert_eq!(field(err), "untouchedHours");
}
