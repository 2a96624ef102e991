//! Users and roles.

pub mod graphql;

use async_graphql::Enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::ApiResult;
use crate::ids::UserId;

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Enum, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "user_role", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserRole {
    Buyer,
    Seller,
    Admin,
}

/// A user row (without the password hash, which never leaves the accounts module).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: UserRole,
    pub suspended_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl crate::loaders::LoadById for User {
    const NAME: &'static str = "user";
    type Id = UserId;

    fn id(&self) -> UserId {
        self.id
    }

    async fn load(db: &Db, ids: &[UserId]) -> ApiResult<Vec<Self>> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        Ok(sqlx::query_as(
            "SELECT id, email, name, role, suspended_at, created_at FROM users WHERE id = ANY($1)",
        )
        .bind(ids)
        .fetch_all(db.executor())
        .await?)
    }
}
