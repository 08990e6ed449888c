use uuid::Uuid;

use crate::{
    entity::user::{self, Role},
    error::{AppError, AppResult},
};

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
    pub api_key: Option<Uuid>,
}

impl Actor {
    pub fn from_user(user: &user::Model, session_id: Option<Uuid>) -> Self {
        Self {
            user_id: user.id,
            role: user.role,
            email: user.email.clone(),
            session_id,
            api_key: None,
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
