//! Users and roles.
//!
//! Key rule: a user is known to others by their public id and name only; role, email, store
//! and everything else go to the user themself and admins (see `graphql.rs`).

pub mod graphql;

use std::collections::HashMap;

use async_graphql::Enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::graphql::error::ApiResult;
use crate::graphql::ids::{UserId, UserPublicId};
use crate::graphql::loaders::BatchLoad;
use crate::runtime::db::Db;

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Enum, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "user_role", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserRole {
    /// Browses, buys, reviews what was delivered to them and writes to stores; every new
    /// account starts as one.
    Buyer,
    /// A buyer who also runs a store (opening one makes a buyer a seller): manages its
    /// products, answers its conversations, ships its orders.
    Seller,
    /// Runs the marketplace: manages users, categories and allowances, confirms payments,
    /// and may see and change everything.
    Admin,
}

/// A compile-checked statement that returns [`User`] rows: the SQL before the column list,
/// the SQL after it, then the arguments. The one place that lists a user's columns.
macro_rules! query_users {
    ($head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            $crate::accounts::users::User,
            $head
                + r#" id AS "id: crate::graphql::ids::UserId",
                    public_id AS "public_id: crate::graphql::ids::UserPublicId",
                    email, name, role AS "role: crate::accounts::users::UserRole",
                    suspended_at, created_at, email_verified_at "#
                + $tail
            $(, $arg)*
        )
    };
}
pub(crate) use query_users;

/// A user row (without the password hash, which never leaves the accounts module).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    pub public_id: UserPublicId,
    pub email: String,
    pub name: String,
    pub role: UserRole,
    pub suspended_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When the user proved they own `email` (`None`: not yet).
    pub email_verified_at: Option<DateTime<Utc>>,
}

impl crate::runtime::row_cache::Cached for User {
    const KIND: crate::runtime::row_cache::Kind = crate::runtime::row_cache::Kind::User;
    type Id = UserId;
    fn number(id: UserId) -> i64 {
        id.0
    }
    fn heap_bytes(&self) -> usize {
        crate::runtime::row_cache::heap_of([&self.email, &self.name])
    }
}

impl crate::graphql::loaders::LoadById for User {
    const FROM_STANDBY: bool = true;
    const NAME: &'static str = "user";
    type Id = UserId;

    fn id(&self) -> UserId {
        self.id
    }

    crate::graphql::loaders::kept_between_requests!();

    async fn load(db: &Db, ids: &[UserId]) -> ApiResult<Vec<Self>> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        Ok(
            query_users!("SELECT", "FROM users WHERE id = ANY($1)", &ids)
                .fetch_all(db.executor())
                .await?,
        )
    }
}

/// Loads users by their public ids (what a global id names), many in one statement.
pub struct UserByPublicIdLoader(pub Db);

impl BatchLoad for UserByPublicIdLoader {
    const NAME: &'static str = "user_by_public_id";

    fn build(db: &Db) -> Self {
        Self(db.clone())
    }
    type Key = UserPublicId;
    type Value = User;

    async fn load(&self, keys: &[UserPublicId]) -> ApiResult<HashMap<UserPublicId, User>> {
        let keys: Vec<uuid::Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = query_users!("SELECT", "FROM users WHERE public_id = ANY($1)", &keys)
            .fetch_all(self.0.executor())
            .await?;
        Ok(rows.into_iter().map(|u| (u.public_id, u)).collect())
    }
}

/// The row id of the user a global id names; `None` when there is none.
pub async fn resolve(db: &Db, id: &async_graphql::ID) -> ApiResult<Option<UserId>> {
    let public = UserPublicId::from_global(id)?;
    Ok(sqlx::query_scalar!(
        r#"SELECT id AS "id: UserId" FROM users WHERE public_id = $1"#,
        public.0
    )
    .fetch_optional(db.executor())
    .await?)
}
