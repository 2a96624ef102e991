//! SQL that writes products. The search outbox is filled by triggers in the same
//! transaction, so every write here reaches the index.

use serde_json::json;

use super::db::query_products;
use super::input::ProductDraft;
use super::{Product, ProductStatus, ProductUnit};
use crate::graphql::error::ApiResult;
use crate::graphql::ids::{CategoryId, ProductId, StoreId};
use crate::runtime::db::Db;

/// A compile-checked statement that writes a product from a draft and returns its row: the
/// SQL (ending in `RETURNING`), the draft, then the arguments that come before the draft's.
/// The draft's sixteen values follow them in this order, the one definition the insert and
/// the update share: sku, name, description, price, unit, min_quantity, quantity_step,
/// stock, status, materials, material_keys, colors, color_keys, sizes, size_keys,
/// weight_grams.
macro_rules! write_draft {
    ($sql:literal, $draft:expr $(, $arg:expr)* $(,)?) => {{
        let draft: &ProductDraft = $draft;
        let (material_keys, color_keys, size_keys) = (
            ProductDraft::keys(&draft.materials),
            ProductDraft::keys(&draft.colors),
            ProductDraft::keys(&draft.sizes),
        );
        query_products!(
            $sql,
            "",
            $($arg,)*
            draft.sku.as_deref(),
            &draft.name,
            &draft.description,
            draft.price,
            draft.unit as ProductUnit,
            draft.min_quantity,
            draft.quantity_step,
            draft.stock,
            draft.status as ProductStatus,
            &draft.materials,
            &material_keys,
            &draft.colors,
            &color_keys,
            &draft.sizes,
            &size_keys,
            draft.weight_grams
        )
    }};
}

/// Whether a write failed on the per-store SKU uniqueness.
pub fn is_duplicate_sku(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.constraint() == Some("products_store_sku_key"))
}

fn new_slug(name: &str) -> String {
    let suffix: u32 = rand::random();
    format!("{}-{:x}", slug::slugify(name), suffix)
}

/// Inserts a product; `Err` carries the database error (e.g. a duplicate SKU).
pub async fn insert(
    tx: &mut sqlx::PgConnection,
    store: StoreId,
    currency: &str,
    category: CategoryId,
    draft: &ProductDraft,
) -> Result<Product, sqlx::Error> {
    let row = write_draft!(
        "INSERT INTO products AS p (store_id, category_id, slug, currency_code, sku, name,
             description, price, unit, min_quantity, quantity_step, stock, status, materials,
             material_keys, colors, color_keys, sizes, size_keys, weight_grams)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                 $20)
         RETURNING",
        draft,
        store.0,
        category.0,
        new_slug(&draft.name),
        currency
    )
    .fetch_one(tx)
    .await?;
    Ok(Product::from(row))
}

/// Replaces a product's editable fields.
pub async fn update(
    tx: &mut sqlx::PgConnection,
    id: ProductId,
    category: CategoryId,
    draft: &ProductDraft,
) -> Result<Option<Product>, sqlx::Error> {
    let row = write_draft!(
        "UPDATE products p SET category_id = $2, sku = $3, name = $4, description = $5,
             price = $6, unit = $7, min_quantity = $8, quantity_step = $9, stock = $10,
             status = $11, materials = $12, material_keys = $13, colors = $14, color_keys = $15,
             sizes = $16, size_keys = $17, weight_grams = $18, updated_at = now()
         WHERE p.id = $1
         RETURNING",
        draft,
        id.0,
        category.0
    )
    .fetch_optional(tx)
    .await?;
    Ok(row.map(Product::from))
}

/// Archives a product.
pub async fn archive(db: &Db, id: ProductId) -> ApiResult<Option<Product>> {
    let row = query_products!(
        "UPDATE products p SET status = 'ARCHIVED', updated_at = now() WHERE p.id = $1 RETURNING",
        "",
        id.0
    )
    .fetch_optional(db.executor())
    .await?;
    Ok(row.map(Product::from))
}

/// Inserts or updates (by SKU) many products of one store in one statement: all or nothing.
pub async fn upsert_many(
    tx: &mut sqlx::PgConnection,
    store: StoreId,
    currency: &str,
    items: &[(CategoryId, ProductDraft)],
) -> ApiResult<Vec<Product>> {
    let rows: Vec<serde_json::Value> = items
        .iter()
        .map(|(category, d)| {
            json!({
                "category_id": category.0, "slug": new_slug(&d.name), "sku": d.sku, "name": d.name,
                "description": d.description, "price": d.price, "unit": unit_label(d.unit),
                "min_quantity": d.min_quantity, "quantity_step": d.quantity_step, "stock": d.stock,
                "status": status_label(d.status),
                "materials": d.materials, "material_keys": ProductDraft::keys(&d.materials),
                "colors": d.colors, "color_keys": ProductDraft::keys(&d.colors),
                "sizes": d.sizes, "size_keys": ProductDraft::keys(&d.sizes),
                "weight_grams": d.weight_grams,
            })
        })
        .collect();
    let rows = query_products!(
        "INSERT INTO products AS p (store_id, category_id, slug, sku, name, description, price,
             currency_code, unit, min_quantity, quantity_step, stock, status, materials,
             material_keys, colors, color_keys, sizes, size_keys, weight_grams)
         SELECT $1, r.category_id, r.slug, r.sku, r.name, r.description, r.price, $2,
             r.unit::product_unit, r.min_quantity, r.quantity_step, r.stock, r.status::product_status,
             ARRAY(SELECT jsonb_array_elements_text(r.materials)),
             ARRAY(SELECT jsonb_array_elements_text(r.material_keys)),
             ARRAY(SELECT jsonb_array_elements_text(r.colors)),
             ARRAY(SELECT jsonb_array_elements_text(r.color_keys)),
             ARRAY(SELECT jsonb_array_elements_text(r.sizes)),
             ARRAY(SELECT jsonb_array_elements_text(r.size_keys)), r.weight_grams
         FROM jsonb_to_recordset($3) AS r(category_id bigint, slug text, sku text, name text,
             description text, price numeric, unit text, min_quantity numeric, quantity_step numeric,
             stock numeric, status text, materials jsonb, material_keys jsonb, colors jsonb,
             color_keys jsonb, sizes jsonb, size_keys jsonb, weight_grams int)
         ON CONFLICT (store_id, sku) WHERE sku IS NOT NULL DO UPDATE SET
             category_id = EXCLUDED.category_id, name = EXCLUDED.name,
             description = EXCLUDED.description, price = EXCLUDED.price, unit = EXCLUDED.unit,
             min_quantity = EXCLUDED.min_quantity, quantity_step = EXCLUDED.quantity_step,
             stock = EXCLUDED.stock, status = EXCLUDED.status, materials = EXCLUDED.materials,
             material_keys = EXCLUDED.material_keys, colors = EXCLUDED.colors,
             color_keys = EXCLUDED.color_keys, sizes = EXCLUDED.sizes, size_keys = EXCLUDED.size_keys,
             weight_grams = EXCLUDED.weight_grams, updated_at = now()
         RETURNING",
        "",
        store.0,
        currency,
        serde_json::Value::Array(rows)
    )
    .fetch_all(tx)
    .await?;
    Ok(rows.into_iter().map(Product::from).collect())
}

fn unit_label(unit: ProductUnit) -> &'static str {
    match unit {
        ProductUnit::Piece => "PIECE",
        ProductUnit::Metre => "METRE",
        ProductUnit::Kilogram => "KILOGRAM",
    }
}

fn status_label(status: super::ProductStatus) -> &'static str {
    match status {
        super::ProductStatus::Draft => "DRAFT",
        super::ProductStatus::Active => "ACTIVE",
        super::ProductStatus::Archived => "ARCHIVED",
    }
}

/// Which of these categories exist.
pub async fn existing_categories(db: &Db, ids: &[CategoryId]) -> ApiResult<Vec<CategoryId>> {
    let ids: Vec<i64> = ids.iter().map(|c| c.0).collect();
    Ok(sqlx::query_scalar!(
        r#"SELECT id AS "id: CategoryId" FROM categories WHERE id = ANY($1)"#,
        &ids
    )
    .fetch_all(db.executor())
    .await?)
}
