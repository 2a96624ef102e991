//! GraphQL resolvers of users.
//!
//! Anyone may see a user's opaque id and display name (a review's author, a message's
//! sender). Everything else is restricted to the user and admins: listing users' roles or
//! their stores would undo the restriction on `Store.owner`.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::{User, UserRole};
use crate::accounts::graphql::{Session, sessions_of};
use async_graphql::Guard;

use crate::accounts::users::UserByPublicIdLoader;
use crate::catalogue::stores::Store;
use crate::catalogue::stores::StoreByOwnerLoader;
use crate::commerce::addresses::Address;
use crate::commerce::carts::graphql::Cart;
use crate::commerce::orders::db::OrderOwner;
use crate::commerce::orders::graphql::OrderConnection;
use crate::conversations::graphql::{ConversationConnection, conversations_of};
use crate::graphql::context::RequestContext;
use crate::graphql::error::ApiResult;
use crate::graphql::guards::SelfOrAdmin;
use crate::graphql::ids::UserPublicId;

/// The user with this public id, for `node`: anyone may see a user's public fields.
pub async fn visible_user(rc: &RequestContext, id: UserPublicId) -> ApiResult<Option<User>> {
    rc.loaders.get::<UserByPublicIdLoader>().load_one(id).await
}

/// User root fields.
#[derive(Default)]
pub struct UserQueries;

#[Object]
impl UserQueries {
    /// The signed-in user; null for anonymous callers.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let rc = RequestContext::of(ctx);
        match rc.viewer.user_id() {
            Some(id) => Ok(rc.loaders.by_id::<User>().load_one(id).await?),
            None => Ok(None),
        }
    }
}

/// A person with an account: a buyer, a seller who runs a store, or an administrator.
/// Anyone may see the id and name; every other field is restricted to the user and admins.
#[Object]
impl User {
    /// Opaque global id (random, so it reveals nothing about other accounts).
    pub async fn id(&self) -> ID {
        self.public_id.to_global()
    }

    /// The display name; `Usuario eliminado` once the account is deleted.
    async fn name(&self) -> &str {
        &self.name
    }

    /// The user's email address. Restricted: the user and admins.
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        SelfOrAdmin(self.id).check(ctx).await?;
        Ok(Some(&self.email))
    }

    /// Whether the user proved they own their email address (by the link mailed to it).
    /// Restricted: the user and admins.
    async fn email_verified(&self, ctx: &Context<'_>) -> Result<bool> {
        SelfOrAdmin(self.id).check(ctx).await?;
        Ok(self.email_verified_at.is_some())
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

    /// What the user may do. Restricted: the user and admins.
    async fn role(&self, ctx: &Context<'_>) -> Result<Option<UserRole>> {
        SelfOrAdmin(self.id).check(ctx).await?;
        Ok(Some(self.role))
    }

    /// The store this user runs, if any. Restricted: the user and admins.
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        SelfOrAdmin(self.id).check(ctx).await?;
        Ok(RequestContext::of(ctx)
            .loaders
            .get::<StoreByOwnerLoader>()
            .load_one(self.id)
            .await?)
    }

    /// When the user signed up. Restricted: the user and admins.
    async fn created_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        SelfOrAdmin(self.id).check(ctx).await?;
        Ok(Some(self.created_at))
    }

    /// Conversations the user takes part in, as buyer or as the seller of the store, most
    /// recent activity first. Restricted: the user and admins.
    async fn conversations(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 20,
            desc = "How many conversations to return: default 20, at most 100."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; the page starts after it.")]
        after: Option<String>,
    ) -> Result<Option<ConversationConnection>> {
        SelfOrAdmin(self.id).check(ctx).await?;
        let rc = RequestContext::of(ctx);
        Ok(Some(conversations_of(rc, self.id, first, after).await?))
    }

    /// Where the user has orders delivered, the default first. Restricted: the user and
    /// admins.
    async fn addresses(&self, ctx: &Context<'_>) -> Result<Option<Vec<Address>>> {
        SelfOrAdmin(self.id).check(ctx).await?;
        Ok(Some(
            crate::commerce::addresses::of_user(&RequestContext::of(ctx).db, self.id).await?,
        ))
    }

    /// What the user is about to buy. Restricted: the user and admins.
    async fn cart(&self, ctx: &Context<'_>) -> Result<Option<Cart>> {
        SelfOrAdmin(self.id).check(ctx).await?;
        Ok(Some(Cart::load(RequestContext::of(ctx), self.id).await?))
    }

    /// The user's orders as a buyer, newest first. Restricted: the user and admins.
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many orders to return: default 20, at most 100.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; the page starts after it.")]
        after: Option<String>,
    ) -> Result<Option<OrderConnection>> {
        SelfOrAdmin(self.id).check(ctx).await?;
        let rc = RequestContext::of(ctx);
        Ok(Some(
            OrderConnection::fetch(rc, OrderOwner::Buyer(self.id), first, after).await?,
        ))
    }
}
