//! Who may act, remembered between requests so a signed-in request need
//! not read the database to re-check its token. An entry holds only for
//! the access generation it was read in (any access change this instance
//! hears of, from any replica, or a gap in hearing them, moves it on) and
//! for at most [`AccessCache::FRESH_FOR`], the bound when another replica's
//! change cannot be heard (a listener down before it noticed). Only "may
//! act" is kept: a refusal is always read afresh. The user row read for the
//! check is kept with it, for `me`: every write of a user row publishes an
//! access change, so it is as fresh as the check itself.
use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use uuid::Uuid;

use super::Actor;
use crate::entity::user;

#[derive(Clone)]
struct Entry {
    generation: u64,
    read_at: Instant,
    token_version: i32,
    actor: Actor,
    user: Arc<user::Model>,
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
        self.fresh(user, session, generation, |e| {
            (e.token_version == token_version).then(|| e.actor.clone())
        })
    }

    /// The user row read with `user`'s `session`'s check, if still fresh.
    pub fn user(&self, user: Uuid, session: Uuid, generation: u64) -> Option<Arc<user::Model>> {
        self.fresh(user, session, generation, |e| Some(e.user.clone()))
    }

    fn fresh<T>(
        &self,
        user: Uuid,
        session: Uuid,
        generation: u64,
        take: impl FnOnce(&Entry) -> Option<T>,
    ) -> Option<T> {
        let entries = self.0.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&(user, session))
            .filter(|e| e.generation == generation && e.read_at.elapsed() < Self::FRESH_FOR)
            .and_then(take)
    }

    /// Remembers that `actor` may act, as read from the database after the
    /// access generation was `generation` (read before the query, so a
    /// change committed meanwhile leaves the entry already stale).
    pub fn put(&self, session: Uuid, generation: u64, actor: &Actor, mut user: user::Model) {
        // What is remembered for every session holds no secret; nothing
        // that reads a user from here needs the hash.
        user.password_hash = String::new();
        let mut entries = self.0.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= Self::CAPACITY {
            entries.clear();
        }
        entries.insert(
            (actor.user_id, session),
            Entry {
                generation,
                read_at: Instant::now(),
                token_version: user.token_version,
                actor: actor.clone(),
                user: Arc::new(user),
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

    fn row(id: Uuid, token_version: i32) -> user::Model {
        let now = chrono::Utc::now();
        user::Model {
            id,
            email: "rep@example.com".into(),
            full_name: "Rep".into(),
            password_hash: String::new(),
            role: Role::SalesRep,
            is_active: true,
            token_version,
            created_at: now,
            updated_at: now,
            last_login_at: None,
            time_zone: "UTC".into(),
        }
    }

    #[test]
    fn an_entry_holds_only_in_its_generation_and_token_version() {
        let cache = AccessCache::default();
        let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
        let mut read = row(user, 3);
        read.password_hash = "$argon2id$...".into();
        cache.put(session, 7, &actor(user), read);
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
        let remembered = cache
            .user(user, session, 7)
            .expect("the row read with the check");
        assert_eq!(remembered.id, user);
        assert!(remembered.password_hash.is_empty(), "no secret kept");
        assert!(
            cache.user(user, session, 8).is_none(),
            "the user row goes with the check"
        );
    }
}
