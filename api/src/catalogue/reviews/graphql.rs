//! GraphQL types of reviews.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::{Review, ReviewCursor};
use crate::accounts::users::User;
use crate::catalogue::products::Product;
use crate::graphql::context::RequestContext;
use crate::graphql::error::ApiResult;
use crate::graphql::ids::ReviewId;
use crate::graphql::pagination::{Connection, Known, Paged};

/// The review with this id, for `node`: every review is public.
pub async fn visible_review(rc: &RequestContext, id: ReviewId) -> ApiResult<Option<Review>> {
    rc.loaders.by_id::<Review>().load_one(id).await
}

/// A buyer's rating of a product delivered to them, with an optional text.
#[Object]
impl Review {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        self.id.to_global()
    }

    /// The product reviewed.
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .by_id::<Product>()
            .load_one(self.product_id)
            .await?)
    }

    /// The buyer who wrote it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .by_id::<User>()
            .load_one(self.author_id)
            .await?)
    }

    /// 1 to 5.
    async fn rating(&self) -> i32 {
        i32::from(self.rating)
    }

    /// HTML-safe text without any tag, as a message's body; empty when the buyer only
    /// rated (or deleted their account).
    #[graphql(
        deprecation = "Entity-escaped text clients had to decode: use `text`. Removal not before 2027-06-06."
    )]
    async fn body(&self) -> &str {
        &self.body
    }

    /// What the buyer wrote, as plain text to show as it is (no markup, nothing to decode);
    /// empty when they only rated (or deleted their account).
    async fn text(&self) -> String {
        crate::graphql::plain_text::decode(&self.body)
    }

    /// When the review was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
}

/// A page of a product's reviews, newest first.
pub type ReviewConnection = Connection<Review, Known>;

impl Paged for Review {
    type Key = ReviewCursor;

    /// The keyset position of this review in a newest-first page.
    fn cursor_key(&self) -> ReviewCursor {
        (self.created_at, self.id)
    }
}
