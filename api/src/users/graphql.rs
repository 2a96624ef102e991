//! GraphQL resolvers of users.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::{User, UserRole};
use crate::accounts::graphql::{Session, sessions_of};
use async_graphql::Guard;

use crate::guards::SelfOrAdmin;
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

    /// The user's email address. Restricted: the user and admins.
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        SelfOrAdmin(self.id).check(ctx).await?;
        Ok(Some(&self.email))
    }

    /// Whether and since when the account is suspended. Restricted: the user and admins.
    async fn suspended_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        SelfOrAdmin(self.id).check(ctx).await?;
        Ok(self.suspended_at)
    }

    /// Signed-in devices and browsers. Restricted: the user and admins.
    async fn sessions(&self, ctx: &Context<'_>) -> Result<Option<Vec<Session>>> {
        SelfOrAdmin(self.id).check(ctx).await?;
        Ok(Some(sessions_of(ctx, self.id).await?))
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
