//! Who is asking, as every service sees it: a person with a role, or an
//! integration's API key acting for the admin who made it. What a key may
//! do is decided here, so every entry point (resolvers, the command line,
//! jobs) enforces it the same way.
use uuid::Uuid;

use crate::{
    entity::user::{self, Role},
    error::{AppError, AppResult},
};

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `recordEngagementEvent(s)`.
    EventsWrite,
    /// `createLead`, `updateLead`, `logActivity` and `addNote`.
    LeadsWrite,
    /// `lead`, `leads` and their scores: what an integration reads back.
    LeadsRead,
    /// `reports`: what a BI dashboard reads (rep names and emails included).
    ReportsRead,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::EventsWrite => "EVENTS_WRITE",
            Scope::LeadsWrite => "LEADS_WRITE",
            Scope::LeadsRead => "LEADS_READ",
            Scope::ReportsRead => "REPORTS_READ",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "EVENTS_WRITE" => Some(Scope::EventsWrite),
            "LEADS_WRITE" => Some(Scope::LeadsWrite),
            "LEADS_READ" => Some(Scope::LeadsRead),
            "REPORTS_READ" => Some(Scope::ReportsRead),
            _ => None,
        }
    }
}

/// The key an actor acts through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGrant {
    pub id: Uuid,
    pub scopes: Vec<Scope>,
}

/// A signed-in user, as verified for this request: the role is read from the
/// database, not trusted from the token, so a demotion applies at once.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Uuid,
    pub role: Role,
    pub email: String,
    /// The refresh-token family (session) the access token belongs to.
    pub session_id: Option<Uuid>,
    /// Set when an integration's API key acts for this (admin) user.
    pub key: Option<KeyGrant>,
}

impl Actor {
    pub fn from_user(user: &user::Model, session_id: Option<Uuid>) -> Self {
        Self {
            user_id: user.id,
            role: user.role,
            email: user.email.clone(),
            session_id,
            key: None,
        }
    }

    /// The command line's admin, acting for whoever runs it: it has the
    /// database, so it may do what an admin may.
    pub fn operator() -> Self {
        Self {
            user_id: Uuid::nil(),
            role: Role::Admin,
            email: "operator@localhost".into(),
            session_id: None,
            key: None,
        }
    }

    /// The key this actor acts through, if any (kept in the audit log).
    pub fn api_key(&self) -> Option<Uuid> {
        self.key.as_ref().map(|k| k.id)
    }

    /// For every operation a person may run and a key may not: all reads,
    /// and every write no scope names.
    pub fn person(&self) -> AppResult<&Self> {
        match &self.key {
            None => Ok(self),
            Some(key) => {
                let scopes: Vec<&str> = key.scopes.iter().map(|s| s.as_str()).collect();
                Err(AppError::Forbidden(format!(
                    "this is for people signed in: an API key reaches only what its scopes ({}) name",
                    scopes.join(", ")
                )))
            }
        }
    }

    /// For an operation a key with `scope` may run (a person may, by role).
    pub fn may(&self, scope: Scope) -> AppResult<&Self> {
        match &self.key {
            Some(key) if !key.scopes.contains(&scope) => Err(AppError::Forbidden(format!(
                "this API key lacks the {} scope",
                scope.as_str()
            ))),
            _ => Ok(self),
        }
    }

    /// The operator acting through a key holding `scopes` (unit tests).
    #[cfg(test)]
    pub fn keyed(scopes: Vec<Scope>) -> Self {
        Self {
            key: Some(KeyGrant {
                id: Uuid::now_v7(),
                scopes,
            }),
            ..Self::operator()
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Managers and admins see and change every lead and can manage the team.
    pub fn is_manager_or_admin(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Manager)
    }

    pub fn require_admin(&self) -> AppResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden("only an admin may do this".into()))
        }
    }

    pub fn require_manager_or_admin(&self) -> AppResult<()> {
        if self.is_manager_or_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "only a manager or an admin may do this".into(),
            ))
        }
    }
}

/// For operations that need somebody signed in.
pub fn require(actor: Option<&Actor>) -> AppResult<&Actor> {
    actor.ok_or_else(|| {
        AppError::Unauthenticated("sign in first: send Authorization: Bearer <accessToken>".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_may_run_what_its_scopes_name_and_nothing_a_person_runs() {
        let events = Actor::keyed(vec![Scope::EventsWrite]);
        assert!(events.may(Scope::EventsWrite).is_ok());
        assert_eq!(
            events.may(Scope::LeadsWrite).unwrap_err().code(),
            "FORBIDDEN"
        );
        assert_eq!(events.person().unwrap_err().code(), "FORBIDDEN");
        assert!(Actor::operator().person().is_ok());
        assert!(Actor::operator().may(Scope::LeadsWrite).is_ok());
    }
}
