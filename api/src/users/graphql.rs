//! GraphQL resolvers of users.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::{User, UserRole};
use crate::error::ApiError;
use crate::schema::RequestContext;
use crate::stores::Store;

/// User root fields.
#[derive(Default)]
pub struct UserQueries;

#[Object]
impl UserQueries {
    /// The signed-in user; null for anonymous callers.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let rc = RequestContext::of(ctx);
        match rc.viewer.user_id() {
            Some(id) => Ok(rc.loaders.users.load_one(id).await?),
            None => Ok(None),
        }
    }
}

#[Object]
impl User {
    pub async fn id(&self) -> ID {
        self.id.to_global()
    }

    async fn name(&self) -> &str {
        &self.name
    }

    /// The user's email address (the user and admins only).
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        if RequestContext::of(ctx).viewer.is_self_or_admin(self.id) {
            Ok(Some(&self.email))
        } else {
            Err(ApiError::Forbidden("only the user and admins see an email".into()).into())
        }
    }

    async fn role(&self) -> UserRole {
        self.role
    }

    /// The store this user runs, if any.
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .store_by_owner
            .load_one(self.id)
            .await?)
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
}
