//! SQL that writes reviews and keeps the ratings they feed.

use super::Review;
use crate::graphql::error::ApiResult;
use crate::graphql::ids::{ProductId, ReviewId, StoreId, UserId};
use crate::graphql::plain_text::PlainText;
use crate::graphql::user_errors::{UserError, UserErrorCode};
use crate::runtime::db::Db;

/// A review to write.
pub struct NewReview {
    pub product: ProductId,
    pub author: UserId,
    /// 1 to 5.
    pub rating: i16,
    pub body: Option<PlainText>,
}

/// Writes a review if its author received the product, does not run its store, and has not
/// reviewed it yet, and recomputes the product's and the store's ratings in the same transaction (the product
/// update queues it for the search index). A user error, and nothing written, otherwise.
pub async fn add(db: &Db, review: &NewReview) -> ApiResult<Result<Review, UserError>> {
    let mut tx = db.begin().await?;
    let store = sqlx::query!(
        r#"SELECT p.store_id AS "store_id: StoreId", s.owner_id AS "owner_id: UserId"
           FROM products p JOIN stores s ON s.id = p.store_id
           WHERE p.id = $1"#,
        review.product.0
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|row| (row.store_id, row.owner_id));
    let Some((store, owner)) = store else {
        return Ok(Err(UserError::at(
            &["productId"],
            UserErrorCode::NotFound,
            crate::tr!("product-not-found"),
        )));
    };
    // The store's own accounts (its owner; stores have no other staff) may not review its
    // products, whatever orders they managed to get delivered.
    if owner == review.author {
        return Ok(Err(UserError::at(
            &["productId"],
            UserErrorCode::NotEligible,
            crate::tr!("review-own-store"),
        )));
    }
    // Reviews of one store take turns: each average below is then computed by a statement
    // that started after every earlier review committed, so none is left out.
    sqlx::query_scalar!(
        "SELECT 1 AS locked FROM stores WHERE id = $1 FOR UPDATE",
        store.0
    )
    .fetch_optional(&mut *tx)
    .await?;
    let delivered = sqlx::query_scalar!(
        r#"SELECT EXISTS (
               SELECT 1 FROM orders o JOIN order_lines l ON l.order_id = o.id
               WHERE o.buyer_id = $1 AND l.product_id = $2 AND o.status = 'DELIVERED'
           ) AS "delivered!""#,
        review.author.0,
        review.product.0
    )
    .fetch_one(&mut *tx)
    .await?;
    if !delivered {
        return Ok(Err(UserError::at(
            &["productId"],
            UserErrorCode::NotEligible,
            crate::tr!("review-not-delivered"),
        )));
    }
    let written = sqlx::query_as!(
        Review,
        r#"INSERT INTO reviews (product_id, author_id, rating, body) VALUES ($1, $2, $3, $4)
           ON CONFLICT (product_id, author_id) DO NOTHING
           RETURNING id AS "id: ReviewId", product_id AS "product_id: ProductId",
                     author_id AS "author_id: UserId", rating, body, created_at"#,
        review.product.0,
        review.author.0,
        review.rating,
        review.body.as_ref().map_or("", PlainText::as_str)
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(written) = written else {
        return Ok(Err(UserError::at(
            &["productId"],
            UserErrorCode::Taken,
            crate::tr!("review-taken"),
        )));
    };
    sqlx::query!(
        "UPDATE products p SET rating = a.rating, review_count = a.n
         FROM (SELECT round(avg(rating), 2) AS rating, count(*) AS n
               FROM reviews WHERE product_id = $1) a
         WHERE p.id = $1",
        review.product.0
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE stores SET rating = (
             SELECT round(avg(r.rating), 2) FROM reviews r JOIN products p ON p.id = r.product_id
             WHERE p.store_id = $1)
         WHERE id = $1",
        store.0
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(written))
}
