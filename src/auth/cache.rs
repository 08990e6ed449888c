//! Who may act, remembered between requests so a signed-in request need
//! not read the database to re-check its token. An entry holds only for
//! the access generation it was read in (any access change this instance
//! hears of, from any replica, or a gap in hearing them, moves it on) and
//! for at most [`AccessCache::FRESH_FOR`], the bound when another replica's
//! change cannot be heard (a listener down before it noticed). Only "may
//! act" is kept: a refusal is always read afresh.
use std::{
    collections::HashMap,
    sync::RwLock,
    time::{Duration, Instant},
};

use uuid::Uuid;

use super::Actor;

#[derive(Clone)]
struct Entry {
    generation: u64,
    read_at: Instant,
    token_version: i32,
    actor: Actor,
}

#[derive(Default)]
pub struct AccessCache(RwLock<HashMap<(Uuid, Uuid), Entry>>);

impl AccessCache {
    pub const FRESH_FOR: Duration = Duration::from_secs(5);
    /// Sessions remembered at most; past it the cache starts again empty.
    const CAPACITY: usize = 50_000;

    /// The actor of `user`'s `session`, if read in `generation`, recently,
    /// with the token's version.
    pub fn get(
        &self,
        user: Uuid,
        session: Uuid,
        token_version: i32,
        generation: u64,
    ) -> Option<Actor> {
        let entries = self.0.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&(user, session))
            .filter(|e| {
                e.generation == generation
                    && e.token_version == token_version
                    && e.read_at.elapsed() < Self::FRESH_FOR
            })
            .map(|e| e.actor.clone())
    }

    /// Remembers that `actor` may act, as read from the database after the
    /// access generation was `generation` (read before the query, so a
    /// change committed meanwhile leaves the entry already stale).
    pub fn put(&self, session: Uuid, token_version: i32, generation: u64, actor: &Actor) {
        let mut entries = self.0.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= Self::CAPACITY {
            entries.clear();
        }
        entries.insert(
            (actor.user_id, session),
            Entry {
                generation,
                read_at: Instant::now(),
                token_version,
                actor: actor.clone(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::user::Role;

    fn actor(user: Uuid) -> Actor {
        Actor {
            user_id: user,
            role: Role::SalesRep,
            email: "rep@example.com".into(),
            session_id: None,
            key: None,
        }
    }

    #[test]
    fn an_entry_holds_only_in_its_generation_and_token_version() {
        let cache = AccessCache::default();
        let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
        cache.put(session, 3, 7, &actor(user));
        assert!(cache.get(user, session, 3, 7).is_some());
        assert!(
            cache.get(user, session, 3, 8).is_none(),
            "an access change moved the generation"
        );
        assert!(
            cache.get(user, session, 4, 7).is_none(),
            "another token version"
        );
        assert!(
            cache.get(user, Uuid::now_v7(), 3, 7).is_none(),
            "another session"
        );
    }
}
