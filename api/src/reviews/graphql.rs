//! GraphQL types of reviews.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::Review;
use crate::pagination::{Page, PageInfo, encode_cursor};
use crate::products::Product;
use crate::schema::RequestContext;
use crate::users::User;

#[Object]
impl Review {
    pub async fn id(&self) -> ID {
        self.id.to_global()
    }

    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .products
            .load_one(self.product_id)
            .await?)
    }

    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .users
            .load_one(self.author_id)
            .await?)
    }

    /// 1 to 5.
    async fn rating(&self) -> i32 {
        i32::from(self.rating)
    }

    async fn body(&self) -> &str {
        &self.body
    }

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

#[Object]
impl ReviewEdge {
    async fn cursor(&self) -> String {
        encode_cursor(&self.0.cursor_key())
    }

    async fn node(&self) -> &Review {
        &self.0
    }
}

#[Object]
impl ReviewConnection {
    async fn edges(&self) -> Vec<ReviewEdge> {
        self.page.rows.iter().cloned().map(ReviewEdge).collect()
    }

    async fn nodes(&self) -> &[Review] {
        &self.page.rows
    }

    async fn page_info(&self) -> PageInfo {
        self.page.page_info(|r| encode_cursor(&r.cursor_key()))
    }

    async fn total_count(&self) -> i32 {
        self.total
    }
}
