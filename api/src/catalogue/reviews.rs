//! Reviews of products: rows, and the loader that fetches one page of reviews for many
//! products in a single statement.

pub mod db;
pub mod graphql;
pub mod mutations;

use std::collections::HashMap;

use crate::graphql::loaders::BatchLoad;
use chrono::{DateTime, Utc};

use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids::{ProductId, ReviewId, UserId};
use crate::runtime::db::Db;

/// A review row.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Review {
    pub id: ReviewId,
    pub product_id: ProductId,
    pub author_id: UserId,
    pub rating: i16,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// The newest reviews of one product, newest first, kept between requests: at most
/// [`NewestReviews::KEPT`] + 1, so a first page of up to `KEPT` knows whether more follow.
/// Fewer means there are no more.
#[derive(Clone, Debug)]
pub struct NewestReviews {
    pub product: ProductId,
    /// Shared, so a hit copies only the reviews its page shows.
    pub reviews: std::sync::Arc<[Review]>,
}

impl NewestReviews {
    /// The longest first page served from the cache.
    pub const KEPT: usize = 20;
}

impl crate::runtime::row_cache::Cached for NewestReviews {
    const KIND: crate::runtime::row_cache::Kind = crate::runtime::row_cache::Kind::Reviews;
    type Id = ProductId;
    fn number(id: ProductId) -> i64 {
        id.0
    }
    fn heap_bytes(&self) -> usize {
        self.reviews
            .iter()
            .map(|r| std::mem::size_of::<Review>() + r.body.capacity())
            .sum()
    }
}

impl crate::graphql::loaders::LoadById for Review {
    const FROM_STANDBY: bool = true;
    const NAME: &'static str = "review";
    type Id = ReviewId;

    fn id(&self) -> ReviewId {
        self.id
    }

    async fn load(db: &Db, ids: &[ReviewId]) -> ApiResult<Vec<Self>> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        Ok(sqlx::query_as!(
            Review,
            r#"SELECT id AS "id: ReviewId", product_id AS "product_id: ProductId",
                      author_id AS "author_id: UserId", rating, body, created_at
               FROM reviews WHERE id = ANY($1)"#,
            &ids
        )
        .fetch_all(db.executor())
        .await?)
    }
}

/// Where a newest-first page of reviews resumes: after this review's timestamp and id.
pub type ReviewCursor = (DateTime<Utc>, ReviewId);

/// One page of one product's reviews: `first + 1` rows after the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReviewPageKey {
    pub product: ProductId,
    pub first: usize,
    pub after: Option<ReviewCursor>,
}

/// Loads review pages for many products; keys sharing `first` and `after` share a statement.
pub struct ReviewPageLoader {
    db: Db,
}

impl BatchLoad for ReviewPageLoader {
    const NAME: &'static str = "review_page";

    fn build(db: &Db) -> Self {
        Self { db: db.clone() }
    }
    type Key = ReviewPageKey;
    type Value = Vec<Review>;

    async fn load(
        &self,
        keys: &[ReviewPageKey],
    ) -> Result<HashMap<ReviewPageKey, Vec<Review>>, ApiError> {
        let mut groups: HashMap<(usize, Option<ReviewCursor>), Vec<i64>> = HashMap::new();
        for key in keys {
            groups
                .entry((key.first, key.after))
                .or_default()
                .push(key.product.0);
        }
        let mut pages = HashMap::new();
        for ((first, after), products) in groups {
            // A first page short enough to be kept reads what the cache keeps, and keeps it.
            let kept = after.is_none() && first <= NewestReviews::KEPT;
            let ticket = if kept { self.db.rows().ticket() } else { None };
            let limit = if ticket.is_some() {
                NewestReviews::KEPT + 1
            } else {
                first + 1
            };
            // The columns come out of a lateral subquery, where PostgreSQL does not say they
            // are NOT NULL: `!` says so (they are, in `reviews`).
            // Hydration: a standby may answer (kept under its window's rule when one did).
            let keys = &products;
            let (rows, served) = self
                .db
                .read(|db| async move {
                    let rows: Vec<Review> = sqlx::query_as!(
                        Review,
                        r#"SELECT r.id AS "id!: ReviewId", r.product_id AS "product_id!: ProductId",
                                  r.author_id AS "author_id!: UserId", r.rating AS "rating!",
                                  r.body AS "body!", r.created_at AS "created_at!"
                           FROM unnest($1::bigint[]) AS k(product_id)
                           CROSS JOIN LATERAL (
                               SELECT * FROM reviews
                               WHERE product_id = k.product_id
                                 AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
                               ORDER BY created_at DESC, id DESC
                               LIMIT $2
                           ) r"#,
                        keys,
                        limit as i64,
                        after.map(|a| a.0),
                        after.map(|a| a.1.0)
                    )
                    .fetch_all(db.executor())
                    .await?;
                    Ok::<_, ApiError>(rows)
                })
                .await?;
            let mut by_product: HashMap<ProductId, Vec<Review>> = HashMap::new();
            for row in rows {
                by_product.entry(row.product_id).or_default().push(row);
            }
            let ticket = self.db.keep_ticket(ticket, served);
            if let Some(ticket) = ticket {
                let newest = products.iter().map(|&product| {
                    let product = ProductId(product);
                    let reviews = by_product.get(&product).map_or(&[][..], Vec::as_slice);
                    let reviews = reviews.into();
                    (product, NewestReviews { product, reviews })
                });
                self.db.rows().fill(ticket, newest);
            }
            for product in products {
                let key = ReviewPageKey {
                    product: ProductId(product),
                    first,
                    after,
                };
                let mut page = by_product.remove(&key.product).unwrap_or_default();
                page.truncate(first + 1);
                pages.insert(key, page);
            }
        }
        Ok(pages)
    }

    fn cached(&self, key: &ReviewPageKey) -> Option<Vec<Review>> {
        if key.after.is_some() || key.first > NewestReviews::KEPT {
            return None;
        }
        let kept = self.db.rows().get::<NewestReviews>(key.product)?.reviews;
        Some(kept[..kept.len().min(key.first + 1)].to_vec())
    }
}
