use async_graphql::{Object, ID};
use chrono::{DateTime, Utc};

use super::Role;
use crate::entity::user;

pub struct User(pub user::Model);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn full_name(&self) -> &str {
        &self.0.full_name
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn last_login_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_login_at
    }
}
