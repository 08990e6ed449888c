//! The rules about settings that no single flag can check.
use super::{Secret, Settings};

impl Settings {
    /// Rules no single flag can check. Each message names the setting and the fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.is_production() && self.database_url.is_none() {
            return Err(
                "DATABASE_URL is not set and LEADSCORE_ENV=production: refusing to fall back \
                 to the embedded SQLite file. Set DATABASE_URL to your PostgreSQL URL, e.g. \
                 postgres://user:password@db.internal:5432/leadscore."
                    .into(),
            );
        }
        if !(self.score_warm_threshold < self.score_hot_threshold
            && self.score_hot_threshold <= 100)
        {
            return Err(format!(
                "SCORE_WARM_THRESHOLD ({}) must be below SCORE_HOT_THRESHOLD ({}), which must be at most 100",
                self.score_warm_threshold, self.score_hot_threshold
            ));
        }
        if !(0.0 < self.model_warm_probability
            && self.model_warm_probability < self.model_hot_probability
            && self.model_hot_probability < 1.0)
        {
            return Err(format!(
                "MODEL_WARM_PROBABILITY ({}) must be above 0 and below MODEL_HOT_PROBABILITY ({}), which must be below 1",
                self.model_warm_probability, self.model_hot_probability
            ));
        }
        if !(self.model_activation_p_value > 0.0 && self.model_activation_p_value < 1.0) {
            return Err(format!(
                "MODEL_ACTIVATION_P_VALUE ({}) must be above 0 and below 1 (0.05 is usual)",
                self.model_activation_p_value
            ));
        }
        if self.model_min_evaluation_leads < 20 || self.model_min_evaluation_per_outcome < 5 {
            return Err("MODEL_MIN_EVALUATION_LEADS must be at least 20 and \
                 MODEL_MIN_EVALUATION_PER_OUTCOME at least 5: fewer cannot tell two models apart"
                .into());
        }
        if self.model_min_labelled < 20 || self.model_min_per_outcome < 5 {
            return Err(
                "MODEL_MIN_LABELLED must be at least 20 and MODEL_MIN_PER_OUTCOME at least 5: \
                 fewer outcomes cannot be held out and measured"
                    .into(),
            );
        }
        if !self.is_postgres() && self.db_max_connections.is_some_and(|n| n != 1) {
            return Err(format!(
                "DB_MAX_CONNECTIONS={} with SQLite: the embedded database has one writer, and \
                 more connections turn concurrent writes into \"database is locked\" errors. \
                 Leave DB_MAX_CONNECTIONS unset (or 1) on SQLite, or use PostgreSQL to scale.",
                self.db_max_connections.unwrap_or_default()
            ));
        }
        if !(1..=64).contains(&self.sqlite_readers) {
            return Err("SQLITE_READERS must be from 1 to 64".into());
        }
        if self.max_connections == 0 || self.max_connections > 1_000_000 {
            return Err("MAX_CONNECTIONS must be from 1 to 1000000".into());
        }
        let needs_key = self.is_postgres() || self.is_production();
        match self.secret_key.as_ref().map(Secret::expose) {
            Some(key) if key.len() < 32 => Err(format!(
                "SECRET_KEY is {} bytes; it must be at least 32. Generate one with: openssl rand -hex 32",
                key.len()
            )),
            None if needs_key => Err("SECRET_KEY is required when the database is PostgreSQL or \
                 LEADSCORE_ENV=production (tokens must verify on every replica). Generate one with: \
                 openssl rand -hex 32"
                .into()),
            _ => Ok(()),
        }
    }
}
