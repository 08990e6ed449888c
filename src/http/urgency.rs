//! The dashboard's lines: each thing operators watch, how urgent it is
//! (critical, high, medium, low), and what it says, from one reading of
//! the figures.
use std::time::Duration;

use serde_json::{json, Value};

use super::figures::Figures;
use crate::ops::breaker;

/// One line of the dashboard: what, how urgent, in words.
fn line(item: &str, level: &str, says: String) -> Value {
    json!({ "item": item, "level": level, "says": says })
}

pub fn lines(
    sweep: Option<Duration>,
    figures: &Figures,
    problem: Option<&str>,
    rates: Option<(f64, f64)>,
) -> Vec<Value> {
    let mut lines = Vec::new();
    let circuit = &figures.breaker;
    lines.push(match (problem, circuit.unanswered_for) {
        (Some(why), _) => line("database", "critical", format!("unreachable: {why}")),
        (None, Some(slow)) => line(
            "database",
            "medium",
            format!(
                "answering slowly: no probe answered in time for {:.0} s (the circuit opens at {} s)",
                slow.as_secs_f64(),
                breaker::SLOW_WINDOW.as_secs()
            ),
        ),
        (None, None) => line("database", "low", "answering".into()),
    });
    lines.push(match circuit.state {
        breaker::State::Open => line(
            "circuit breaker",
            "critical",
            "open: requests are refused at once with DATABASE_UNAVAILABLE".into(),
        ),
        breaker::State::HalfOpen => line(
            "circuit breaker",
            "high",
            "half-open: a probe is testing the database".into(),
        ),
        breaker::State::Closed => line("circuit breaker", "low", "closed".into()),
    });
    if let Some(pool) = figures.pool {
        let busy = f64::from(pool.in_use) / f64::from(pool.max.max(1));
        let slow = figures.acquire_ms.is_some_and(|ms| ms > 100.0);
        let level = if busy >= 1.0 && slow {
            "high"
        } else if busy >= 0.8 || slow {
            "medium"
        } else {
            "low"
        };
        lines.push(line(
            "connection pool",
            level,
            format!(
                "{} of {} in use, {} idle; acquiring took {}",
                pool.in_use,
                pool.max,
                pool.idle,
                figures
                    .acquire_ms
                    .map_or("- (not sampled)".into(), |ms| format!("{ms:.1} ms"))
            ),
        ));
    }
    if let Some((requests, errors)) = rates {
        let share = if requests > 0.0 {
            errors / requests
        } else {
            0.0
        };
        let level = if share > 0.2 {
            "high"
        } else if share > 0.05 {
            "medium"
        } else {
            "low"
        };
        lines.push(line(
            "requests",
            level,
            format!(
                "{requests:.1}/s, errors {errors:.2}/s ({:.0}%)",
                share * 100.0
            ),
        ));
    }
    match figures.bus.listener_connected {
        Some(false) => lines.push(line(
            "event listener",
            "high",
            "reconnecting: other replicas' events wait; subscribers catch up after".into(),
        )),
        Some(true) => {
            let lag = figures.bus.event_lag_ms;
            let level = match lag {
                Some(ms) if ms > 5_000.0 => "high",
                Some(ms) if ms > 1_000.0 => "medium",
                _ => "low",
            };
            lines.push(line(
                "event listener",
                level,
                format!(
                    "connected; lag {}",
                    lag.map_or("not measured yet".into(), |ms| format!("{ms:.1} ms"))
                ),
            ));
        }
        None => lines.push(line(
            "event listener",
            "low",
            "none needed (SQLite: one process)".into(),
        )),
    }
    lines.push(line(
        "live connections",
        if figures.bus.slow_consumers > 0 {
            "medium"
        } else {
            "low"
        },
        format!(
            "{} websockets, {} subscriptions, {} slow consumers cut off since start",
            figures.websockets,
            figures.subscriptions(),
            figures.bus.slow_consumers
        ),
    ));
    lines.push(match figures.jobs {
        Some(jobs) => line(
            "background jobs",
            "low",
            format!(
                "{} rescore ({} of {} leads), {} imports ({} of {} rows), {} bulk; {}",
                jobs.rescore_jobs,
                jobs.rescore_done,
                jobs.rescore_total,
                jobs.imports,
                jobs.import_rows_done,
                jobs.import_rows_total,
                jobs.bulk_jobs,
                sweep.map_or("decay sweep off".into(), |d| format!(
                    "decay sweep every {} s",
                    d.as_secs()
                ))
            ),
        ),
        None => line(
            "background jobs",
            "medium",
            "unknown while the database is down".into(),
        ),
    });
    lines.push(match &figures.model {
        None => line(
            "scoring model",
            "low",
            "the rules score alone (no model is active)".into(),
        ),
        Some(model) => {
            let live = model.live.as_ref();
            let says = match live {
                None => format!("v{} active; no outcome since it was trained", model.version),
                Some(live) => format!(
                    "v{} active; on the {} outcomes since it was trained: AUC {}, calibration error {} (measured at {})",
                    model.version,
                    live.outcomes,
                    live.auc.map_or("-".into(), |a| format!("{a:.3}")),
                    live.calibration_error.map_or("-".into(), |c| format!("{c:.3}")),
                    model.measured_auc.map_or("-".into(), |a| format!("{a:.3}"))
                ),
            };
            match live.and_then(|l| l.drift.as_deref()) {
                Some(why) => line(
                    "scoring model",
                    "medium",
                    format!("{says}; drifting: {why}; retraining"),
                ),
                None => line("scoring model", "low", says),
            }
        }
    });
    if let Some(jobs) = figures.jobs.filter(|j| j.email_dead > 0) {
        lines.push(line(
            "email",
            "medium",
            format!(
                "{} messages dead-lettered (the mail server refused them); {} waiting",
                jobs.email_dead, jobs.email_pending
            ),
        ));
    }
    lines
}
