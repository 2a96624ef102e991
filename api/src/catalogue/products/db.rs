//! SQL for products: listings with keyset pages, counts, facets, and lookups by id and slug.
//!
//! Text listings are PostgreSQL full-text search over the stored `search_document`
//! (`es_unaccent`: accents optional, Spanish stems, name weighed over category and
//! attributes over description), ranked by `ts_rank_cd`. When the words match nothing
//! together in the whole catalogue, the words no document matches are taken for typos and
//! matched by trigram word similarity against product names, ranked by that similarity, so
//! `vestdo` still finds `vestido`. Both branches are one `UNION ALL`; the fallback
//! (`products_named_like`, in `migrations/20261123000002_postgres_search.sql`) returns
//! nothing as soon as it sees the words match, which costs well under a millisecond for
//! common words.

pub mod facet_counts;
mod text_match;

use sqlx::{Postgres, QueryBuilder};

use self::text_match::TextMatch;
use super::{Product, ProductCursor, ProductHit, ProductListing, ProductSort};
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids::ProductId;
use crate::runtime::db::Db;

/// The columns of [`Product`], prefixed `p.`; never `*`, which would ship the tsvector too.
/// For the listings built at run time; statements written whole use [`query_products!`],
/// whose list must name the same columns (a listing's rows decode by these names, so the
/// listing tests fail when the two differ).
macro_rules! columns {
    () => {
        "p.id, p.store_id, p.category_id, p.slug, p.sku, p.name, p.description, p.price, \
         p.currency_code, p.unit, p.min_quantity, p.quantity_step, p.stock, p.status, p.materials, \
         p.colors, p.sizes, p.images, p.rating, p.review_count, p.sales_count, p.created_at, \
         p.updated_at, p.weight_grams, p.images_uploaded"
    };
}
/// A compile-checked statement that returns [`ProductRow`](super::ProductRow)s, with `p`
/// naming the products table: the SQL before the column list, the SQL after it, then the
/// arguments. The one place a written-out statement lists a product's columns.
macro_rules! query_products {
    ($head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            $crate::catalogue::products::ProductRow,
            $head
                + r#" p.id AS "id: crate::graphql::ids::ProductId",
                    p.store_id AS "store_id: crate::graphql::ids::StoreId",
                    p.category_id AS "category_id: crate::graphql::ids::CategoryId",
                    p.slug, p.sku, p.name, p.description, p.price, p.currency_code,
                    p.unit AS "unit: crate::catalogue::products::ProductUnit",
                    p.min_quantity, p.quantity_step, p.stock,
                    p.status AS "status: crate::catalogue::products::ProductStatus",
                    p.materials, p.colors, p.sizes, p.images, p.rating, p.review_count,
                    p.sales_count, p.created_at, p.updated_at, p.weight_grams,
                    p.images_uploaded "#
                + $tail
            $(, $arg)*
        )
    };
}
pub(crate) use query_products;

/// Which branch of a match set a select list is written for.
#[derive(Clone, Copy)]
enum Branch<'a> {
    /// No text: every product the filters let through.
    Everything,
    /// Products whose document matches the words.
    Words(&'a TextMatch),
    /// Products whose name is close to the words (`f.similarity` is in scope).
    Similar,
}

/// Which filters a match set applies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Filters {
    All,
    /// Only those that are not facets (status, stock, rating): facet counts apply the facet
    /// filters themselves, each but its own.
    NotFacets,
}

/// A facet filter of a listing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FacetFilter {
    Category,
    Store,
    Material,
    Color,
    Size,
    Price,
}

impl FacetFilter {
    const ALL: [FacetFilter; 6] = [
        FacetFilter::Category,
        FacetFilter::Store,
        FacetFilter::Material,
        FacetFilter::Color,
        FacetFilter::Size,
        FacetFilter::Price,
    ];
}

/// Fetches up to `limit` products of a listing, starting after `after`.
pub async fn list(
    db: &Db,
    listing: &ProductListing,
    after: Option<&ProductCursor>,
    limit: usize,
) -> ApiResult<Vec<ProductHit>> {
    let ranked = listing.sort == ProductSort::Relevance && listing.text.is_some();
    let mut qb = QueryBuilder::<Postgres>::new("SELECT * FROM (");
    push_match_set(&mut qb, listing, Filters::All, |qb, branch| {
        qb.push(columns!()).push(", ");
        push_price(qb, listing);
        qb.push(" AS sort_price, ");
        match branch {
            Branch::Words(words) if ranked => {
                qb.push("ts_rank_cd(p.search_document, ");
                words.push_tsquery(qb);
                qb.push(") AS rank");
            }
            Branch::Similar if ranked => {
                qb.push("f.similarity AS rank");
            }
            _ => {
                qb.push("NULL::real AS rank");
            }
        }
    });
    qb.push(") s");

    let (key, descending) = match listing.sort {
        ProductSort::Relevance if ranked => ("s.rank", true),
        ProductSort::Relevance | ProductSort::Popular => ("s.sales_count", true),
        ProductSort::PriceAsc => ("s.sort_price", false),
        ProductSort::PriceDesc => ("s.sort_price", true),
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
                return Err(ApiError::bad_input(crate::tr!("cursor-wrong-sort")));
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
    let mut qb = QueryBuilder::<Postgres>::new("SELECT count(*) FROM (");
    push_match_set(&mut qb, listing, Filters::All, |qb, _| {
        qb.push("p.id");
    });
    qb.push(") s");
    Ok(qb
        .build_query_scalar::<i64>()
        .fetch_one(db.executor())
        .await?)
}

/// Pushes the `SELECT`s of the products a listing matches, `select` writing each branch's
/// select list (`p` is the product row).
fn push_match_set(
    qb: &mut QueryBuilder<Postgres>,
    listing: &ProductListing,
    filters: Filters,
    select: impl Fn(&mut QueryBuilder<Postgres>, Branch<'_>),
) {
    let words = match &listing.text {
        None => {
            qb.push("SELECT ");
            select(qb, Branch::Everything);
            qb.push(" FROM products p");
            push_filters(qb, listing, filters);
            return;
        }
        Some(text) => TextMatch::new(text),
    };
    let Some(words) = words else {
        // Punctuation alone: nothing to match.
        qb.push("SELECT ");
        select(qb, Branch::Everything);
        qb.push(" FROM products p WHERE FALSE");
        return;
    };
    qb.push("SELECT ");
    select(qb, Branch::Words(&words));
    qb.push(" FROM products p");
    push_filters(qb, listing, filters);
    qb.push(" AND p.search_document @@ ");
    words.push_tsquery(qb);

    qb.push(" UNION ALL SELECT ");
    select(qb, Branch::Similar);
    qb.push(" FROM products_named_like(");
    words.push_fallback_args(qb);
    qb.push(") f JOIN products p ON p.id = f.id");
    push_filters(qb, listing, filters);
}

/// Pushes the price a listing compares, as a `numeric`: the product's own, or without a
/// market its conversion to US dollars, the same `float8` product the index computes
/// (`textisur_search_index::Conversion`); NULL for a currency without a rate.
pub(super) fn push_price(qb: &mut QueryBuilder<Postgres>, listing: &ProductListing) {
    let Some(conversion) = listing.conversion else {
        qb.push("p.price");
        return;
    };
    qb.push("(((p.price * 100)::float8 * CASE p.currency_code");
    for market in crate::commerce::markets::Market::ALL {
        let factor = conversion.factor(market.code());
        qb.push(" WHEN ")
            .push_bind(market.currency().as_str())
            .push(" THEN ")
            .push_bind(factor)
            .push("::float8");
    }
    qb.push(" END)::numeric / 100)");
}

/// Pushes the `WHERE` clause of `filters`.
fn push_filters(qb: &mut QueryBuilder<Postgres>, listing: &ProductListing, filters: Filters) {
    qb.push(" WHERE p.status = 'ACTIVE'");
    if let Some(market) = listing.market {
        qb.push(" AND p.currency_code = ")
            .push_bind(market.currency().as_str());
    }
    if listing.in_stock {
        qb.push(" AND p.stock >= p.min_quantity");
    }
    if let Some(rating) = listing.min_rating {
        qb.push(" AND p.rating >= ").push_bind(rating);
    }
    if filters == Filters::All {
        for facet in FacetFilter::ALL {
            if is_filtered(listing, facet) {
                qb.push(" AND ");
                push_facet_condition(qb, listing, facet);
            }
        }
    }
}

/// Whether a listing filters on `facet`.
fn is_filtered(listing: &ProductListing, facet: FacetFilter) -> bool {
    match facet {
        FacetFilter::Category => !listing.category_ids.is_empty(),
        FacetFilter::Store => !listing.store_ids.is_empty(),
        FacetFilter::Material => !listing.material_keys.is_empty(),
        FacetFilter::Color => !listing.color_keys.is_empty(),
        FacetFilter::Size => !listing.size_keys.is_empty(),
        FacetFilter::Price => listing.min_price.is_some() || listing.max_price.is_some(),
    }
}

/// Pushes the condition of a facet filter as one boolean expression (`TRUE` when the
/// listing does not filter on it).
fn push_facet_condition(
    qb: &mut QueryBuilder<Postgres>,
    listing: &ProductListing,
    facet: FacetFilter,
) {
    if !is_filtered(listing, facet) {
        qb.push("TRUE");
        return;
    }
    match facet {
        FacetFilter::Category => {
            // A category filter includes every descendant category.
            qb.push(
                "p.category_id IN (WITH RECURSIVE sub(id) AS (\
                 SELECT id FROM categories WHERE id = ANY(",
            );
            qb.push_bind(listing.category_ids.iter().map(|c| c.0).collect::<Vec<_>>());
            qb.push(
                ") UNION SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id) \
                 SELECT id FROM sub)",
            );
        }
        FacetFilter::Store => {
            qb.push("p.store_id = ANY(");
            qb.push_bind(listing.store_ids.iter().map(|s| s.0).collect::<Vec<_>>())
                .push(")");
        }
        FacetFilter::Material => {
            qb.push("p.material_keys && ")
                .push_bind(listing.material_keys.clone());
        }
        FacetFilter::Color => {
            qb.push("p.color_keys && ")
                .push_bind(listing.color_keys.clone());
        }
        FacetFilter::Size => {
            qb.push("p.size_keys && ")
                .push_bind(listing.size_keys.clone());
        }
        FacetFilter::Price => {
            qb.push("(TRUE");
            if let Some(min) = listing.min_price {
                qb.push(" AND ");
                push_price(qb, listing);
                qb.push(" >= ").push_bind(min);
            }
            if let Some(max) = listing.max_price {
                qb.push(" AND ");
                push_price(qb, listing);
                qb.push(" <= ").push_bind(max);
            }
            qb.push(")");
        }
    }
}

/// Loads products by id, in any order; missing ids are absent.
pub async fn by_ids(db: &Db, ids: &[ProductId]) -> ApiResult<Vec<Product>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let rows = query_products!("SELECT", "FROM products p WHERE p.id = ANY($1)", &ids)
        .fetch_all(db.executor())
        .await?;
    Ok(rows.into_iter().map(Product::from).collect())
}

/// Loads one product by slug.
pub async fn by_slug(db: &Db, slug: &str) -> ApiResult<Option<Product>> {
    let row = query_products!("SELECT", "FROM products p WHERE p.slug = $1", slug)
        .fetch_optional(db.executor())
        .await?;
    Ok(row.map(Product::from))
}
