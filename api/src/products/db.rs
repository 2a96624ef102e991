//! SQL for products: listings with keyset pages, counts, and lookups by id and slug.

use sqlx::{Postgres, QueryBuilder};

use super::{Product, ProductCursor, ProductHit, ProductListing, ProductSort};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::ids::ProductId;

/// The stored text-search document (`products_search_idx`).
const DOCUMENT: &str = "p.search_document";

/// The columns of [`Product`], prefixed `p.`; never `*`, which would ship the tsvector too.
macro_rules! columns {
    () => {
        "p.id, p.store_id, p.category_id, p.slug, p.sku, p.name, p.description, p.price, \
         p.currency_code, p.unit, p.min_quantity, p.quantity_step, p.stock, p.status, p.materials, \
         p.colors, p.sizes, p.images, p.rating, p.review_count, p.sales_count, p.created_at, \
         p.updated_at"
    };
}

/// Fetches up to `limit` products of a listing, starting after `after`.
pub async fn list(
    db: &Db,
    listing: &ProductListing,
    after: Option<&ProductCursor>,
    limit: usize,
) -> ApiResult<Vec<ProductHit>> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT * FROM (SELECT ");
    qb.push(columns!()).push(", ");
    match &listing.text {
        Some(text) => {
            qb.push("ts_rank(")
                .push(DOCUMENT)
                .push(", websearch_to_tsquery('spanish', ");
            qb.push_bind(text.clone()).push(")) AS rank");
        }
        None => {
            qb.push("NULL::real AS rank");
        }
    }
    qb.push(" FROM products p");
    push_filters(&mut qb, listing);
    qb.push(") s");

    let ranked = listing.sort == ProductSort::Relevance && listing.text.is_some();
    let (key, descending) = match listing.sort {
        ProductSort::Relevance if ranked => ("s.rank", true),
        ProductSort::Relevance | ProductSort::Popular => ("s.sales_count", true),
        ProductSort::PriceAsc => ("s.price", false),
        ProductSort::PriceDesc => ("s.price", true),
        ProductSort::Newest => ("s.created_at", true),
        ProductSort::TopRated => ("s.rating", true),
    };
    if let Some(cursor) = after {
        let op = if descending { " < " } else { " > " };
        qb.push(" WHERE (")
            .push(key)
            .push(", s.id)")
            .push(op)
            .push("(");
        match (listing.sort, cursor) {
            (ProductSort::Relevance, ProductCursor::Rank(rank, id)) if ranked => {
                qb.push_bind(*rank).push("::real, ").push_bind(id.0);
            }
            (ProductSort::Relevance | ProductSort::Popular, ProductCursor::Popular(n, id))
                if !ranked =>
            {
                qb.push_bind(*n).push(", ").push_bind(id.0);
            }
            (ProductSort::PriceAsc, ProductCursor::PriceAsc(price, id))
            | (ProductSort::PriceDesc, ProductCursor::PriceDesc(price, id))
            | (ProductSort::TopRated, ProductCursor::TopRated(price, id)) => {
                qb.push_bind(*price).push(", ").push_bind(id.0);
            }
            (ProductSort::Newest, ProductCursor::Newest(at, id)) => {
                qb.push_bind(*at).push(", ").push_bind(id.0);
            }
            _ => {
                return Err(ApiError::bad_input(
                    "cursor does not belong to this sort order",
                ));
            }
        }
        qb.push(")");
    }
    let direction = if descending { " DESC" } else { " ASC" };
    qb.push(" ORDER BY ")
        .push(key)
        .push(direction)
        .push(", s.id")
        .push(direction);
    qb.push(" LIMIT ").push_bind(limit as i64);

    Ok(qb
        .build_query_as::<ProductHit>()
        .fetch_all(db.executor())
        .await?)
}

/// Counts every product a listing matches.
pub async fn count(db: &Db, listing: &ProductListing) -> ApiResult<i64> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT count(*) FROM products p");
    push_filters(&mut qb, listing);
    Ok(qb
        .build_query_scalar::<i64>()
        .fetch_one(db.executor())
        .await?)
}

fn push_filters(qb: &mut QueryBuilder<Postgres>, listing: &ProductListing) {
    qb.push(" WHERE p.status = 'ACTIVE'");
    if let Some(text) = &listing.text {
        qb.push(" AND ")
            .push(DOCUMENT)
            .push(" @@ websearch_to_tsquery('spanish', ");
        qb.push_bind(text.clone()).push(")");
    }
    if !listing.category_ids.is_empty() {
        // A category filter includes every descendant category.
        qb.push(
            " AND p.category_id IN (WITH RECURSIVE sub(id) AS (\
             SELECT id FROM categories WHERE id = ANY(",
        );
        qb.push_bind(listing.category_ids.iter().map(|c| c.0).collect::<Vec<_>>());
        qb.push(
            ") UNION SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id) \
             SELECT id FROM sub)",
        );
    }
    if !listing.store_ids.is_empty() {
        qb.push(" AND p.store_id = ANY(");
        qb.push_bind(listing.store_ids.iter().map(|s| s.0).collect::<Vec<_>>())
            .push(")");
    }
    for (column, keys) in [
        ("p.material_keys", &listing.material_keys),
        ("p.color_keys", &listing.color_keys),
        ("p.size_keys", &listing.size_keys),
    ] {
        if !keys.is_empty() {
            qb.push(" AND ")
                .push(column)
                .push(" && ")
                .push_bind(keys.clone());
        }
    }
    if let Some(min) = listing.min_price {
        qb.push(" AND p.price >= ").push_bind(min);
    }
    if let Some(max) = listing.max_price {
        qb.push(" AND p.price <= ").push_bind(max);
    }
    if listing.in_stock {
        qb.push(" AND p.stock >= p.min_quantity");
    }
    if let Some(rating) = listing.min_rating {
        qb.push(" AND p.rating >= ").push_bind(rating);
    }
}

/// Loads products by id, in any order; missing ids are absent.
pub async fn by_ids(db: &Db, ids: &[ProductId]) -> ApiResult<Vec<Product>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM products p WHERE p.id = ANY($1)"
    ))
    .bind(ids)
    .fetch_all(db.executor())
    .await?)
}

/// Loads one product by slug.
pub async fn by_slug(db: &Db, slug: &str) -> ApiResult<Option<Product>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM products p WHERE p.slug = $1"
    ))
    .bind(slug)
    .fetch_optional(db.executor())
    .await?)
}
