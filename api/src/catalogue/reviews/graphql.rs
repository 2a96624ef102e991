//! GraphQL types of reviews.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::Review;
use crate::accounts::users::User;
use crate::catalogue::products::Product;
use crate::graphql::context::RequestContext;
use crate::graphql::error::ApiResult;
use crate::graphql::ids::ReviewId;
use crate::graphql::pagination::{Page, PageInfo, encode_cursor};

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

/// A page of reviews, newest first.
pub struct ReviewConnection {
    page: Page<Review>,
    total: i32,
}

impl ReviewConnection {
    /// Wraps a fetched page; `total` is the product's review count.
    pub fn new(page: Page<Review>, total: i32) -> Self {
        Self { page, total }
    }
}

/// One review of a page.
pub struct ReviewEdge(Review);

/// One review of a page, with its cursor.
#[Object]
impl ReviewEdge {
    /// Opaque cursor of this review: pass it as `after` to continue after it.
    async fn cursor(&self) -> String {
        encode_cursor(&self.0.cursor_key())
    }

    /// The review.
    async fn node(&self) -> &Review {
        &self.0
    }
}

/// A page of a product's reviews, newest first.
#[Object]
impl ReviewConnection {
    /// The reviews of this page with their cursors.
    async fn edges(&self) -> Vec<ReviewEdge> {
        self.page.rows.iter().cloned().map(ReviewEdge).collect()
    }

    /// The reviews of this page, without cursors.
    async fn nodes(&self) -> &[Review] {
        &self.page.rows
    }

    /// Whether more reviews follow, and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        self.page.page_info(|r| encode_cursor(&r.cursor_key()))
    }

    /// Every review of the product (its `reviewCount`).
    async fn total_count(&self) -> i32 {
        self.total
    }
}
