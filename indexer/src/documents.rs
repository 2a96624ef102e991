//! Search documents built from the current PostgreSQL rows.
//!
//! The incremental path, the full rebuild and `verify` all build documents here, so a
//! document's fingerprint depends only on the rows, never on the path that indexed it.

use std::collections::HashMap;

use anyhow::Context;
use sqlx::PgConnection;
use textisur_search_index::{ProductDoc, StoreDoc};

use crate::plain_text::html_to_text;

/// A compile-checked statement over the active products `p` that returns [`ProductRow`]s:
/// the SQL before the `SELECT` (a `WITH`, or nothing), the conditions after the status one,
/// then the arguments. The one place a product's indexed columns are listed.
macro_rules! query_active_products {
    ($with:literal, $conditions:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            ProductRow,
            $with
                + r#"SELECT p.id, p.store_id, p.category_id, p.name, p.description,
                       p.materials, p.colors, p.sizes,
                       (p.price * 100)::int8 AS "price_cents!",
                       EXISTS (SELECT 1 FROM product_variants v
                               WHERE v.product_id = p.id AND v.is_active
                                 AND v.stock >= p.min_quantity) AS "in_stock!",
                       (SELECT coalesce(jsonb_agg(to_jsonb(v.options) ORDER BY v.position, v.id),
                                        '[]')
                        FROM product_variants v
                        WHERE v.product_id = p.id AND v.is_active AND v.options <> '{}'
                          AND v.stock >= p.min_quantity)
                           AS "variants!: sqlx::types::Json<Vec<Vec<String>>>",
                       p.rating::float8 AS "rating!",
                       p.review_count::int8 AS "review_count!",
                       p.sales_count::int8 AS "sales_count!",
                       (extract(epoch FROM p.created_at) * 1000000)::int8 AS "created_at_micros!",
                       (SELECT s.country_code FROM stores s WHERE s.id = p.store_id) AS "country!"
                FROM products p WHERE p.status = 'ACTIVE' "#
                + $conditions
            $(, $arg)*
        )
    };
}

/// A compile-checked statement that returns [`StoreRow`]s: the SQL after `FROM stores`, then
/// the arguments.
macro_rules! query_stores {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            StoreRow,
            r#"SELECT id, name, description, city, region, latitude, longitude,
                      COALESCE(rating, 0)::float8 AS "rating!", country_code
               FROM stores "#
                + $tail
            $(, $arg)*
        )
    };
}

struct ProductRow {
    id: i64,
    store_id: i64,
    category_id: i64,
    name: String,
    description: String,
    materials: Vec<String>,
    colors: Vec<String>,
    sizes: Vec<String>,
    price_cents: i64,
    in_stock: bool,
    variants: sqlx::types::Json<Vec<Vec<String>>>,
    rating: f64,
    review_count: i64,
    sales_count: i64,
    created_at_micros: i64,
    country: String,
}

struct StoreRow {
    id: i64,
    name: String,
    description: String,
    city: String,
    region: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    rating: f64,
    country_code: String,
}

/// The documents of the active products among `ids` (the others have none).
pub async fn products_by_id(
    conn: &mut PgConnection,
    ids: &[i64],
) -> anyhow::Result<Vec<ProductDoc>> {
    let rows = query_active_products!("", "AND p.id = ANY($1) ORDER BY p.id", ids)
        .fetch_all(&mut *conn)
        .await
        .context("load products by id")?;
    with_categories(conn, rows).await
}

/// Up to `limit` active products with an id above `after`, by id.
pub async fn products_after(
    conn: &mut PgConnection,
    after: i64,
    limit: i64,
) -> anyhow::Result<Vec<ProductDoc>> {
    let rows = query_active_products!("", "AND p.id > $1 ORDER BY p.id LIMIT $2", after, limit)
        .fetch_all(&mut *conn)
        .await
        .context("load products page")?;
    with_categories(conn, rows).await
}

/// Up to `limit` active products filed under any of `categories` or their descendants, with
/// an id above `after`, by id.
pub async fn products_in_subtrees(
    conn: &mut PgConnection,
    categories: &[i64],
    after: i64,
    limit: i64,
) -> anyhow::Result<Vec<ProductDoc>> {
    let rows = query_active_products!(
        "WITH RECURSIVE subtree (id) AS (
             SELECT id FROM categories WHERE id = ANY($1)
             UNION
             SELECT c.id FROM categories c JOIN subtree s ON c.parent_id = s.id
         ) ",
        "AND p.category_id IN (SELECT id FROM subtree) AND p.id > $2 ORDER BY p.id LIMIT $3",
        categories,
        after,
        limit
    )
    .fetch_all(&mut *conn)
    .await
    .context("load products of changed categories")?;
    with_categories(conn, rows).await
}

/// The documents of the stores among `ids` that exist.
pub async fn stores_by_id(conn: &mut PgConnection, ids: &[i64]) -> anyhow::Result<Vec<StoreDoc>> {
    let rows = query_stores!("WHERE id = ANY($1) ORDER BY id", ids)
        .fetch_all(conn)
        .await
        .context("load stores by id")?;
    Ok(rows.into_iter().map(store_doc).collect())
}

/// Up to `limit` stores with an id above `after`, by id.
pub async fn stores_after(
    conn: &mut PgConnection,
    after: i64,
    limit: i64,
) -> anyhow::Result<Vec<StoreDoc>> {
    let rows = query_stores!("WHERE id > $1 ORDER BY id LIMIT $2", after, limit)
        .fetch_all(conn)
        .await
        .context("load stores page")?;
    Ok(rows.into_iter().map(store_doc).collect())
}

async fn with_categories(
    conn: &mut PgConnection,
    rows: Vec<ProductRow>,
) -> anyhow::Result<Vec<ProductDoc>> {
    let mut leaves: Vec<i64> = rows.iter().map(|r| r.category_id).collect();
    leaves.sort_unstable();
    leaves.dedup();
    let paths: HashMap<i64, (Vec<i64>, Vec<String>)> = if leaves.is_empty() {
        HashMap::new()
    } else {
        // Each category with its ancestors up to the root (depth-bounded in case of a cycle).
        sqlx::query!(
            r#"WITH RECURSIVE path (leaf, id, parent_id, name, depth) AS (
                   SELECT c.id, c.id, c.parent_id, c.name, 0 FROM categories c
                   WHERE c.id = ANY($1)
                   UNION ALL
                   SELECT path.leaf, c.id, c.parent_id, c.name, path.depth + 1
                   FROM path JOIN categories c ON c.id = path.parent_id
                   WHERE path.depth < 32
               )
               SELECT leaf AS "leaf!", array_agg(id ORDER BY depth) AS "ids!",
                      array_agg(name ORDER BY depth) AS "names!"
               FROM path GROUP BY leaf"#,
            &leaves
        )
        .fetch_all(conn)
        .await
        .context("load category paths")?
        .into_iter()
        .map(|row| (row.leaf, (row.ids, row.names)))
        .collect()
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let (ids, names) = paths.get(&row.category_id).cloned().unwrap_or_default();
            product_doc(row, ids, names)
        })
        .collect())
}

fn product_doc(row: ProductRow, category_ids: Vec<i64>, category_names: Vec<String>) -> ProductDoc {
    ProductDoc {
        id: id(row.id),
        store_id: id(row.store_id),
        country: row.country.trim().to_owned(),
        category_ids: category_ids.into_iter().map(id).collect(),
        category_names,
        name: row.name,
        description: html_to_text(&row.description),
        materials: row.materials,
        colors: row.colors,
        sizes: row.sizes,
        price_cents: row.price_cents,
        in_stock: row.in_stock,
        variants: row.variants.0,
        rating: row.rating,
        review_count: id(row.review_count),
        sales_count: id(row.sales_count),
        created_at_micros: row.created_at_micros,
    }
}

fn store_doc(row: StoreRow) -> StoreDoc {
    StoreDoc {
        id: id(row.id),
        country: row.country_code.trim().to_owned(),
        name: row.name,
        description: html_to_text(&row.description),
        city: row.city,
        region: row.region,
        location: row.latitude.zip(row.longitude),
        rating: row.rating,
    }
}

/// Ids and counts are never negative (identity columns, CHECK constraints).
fn id(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}
