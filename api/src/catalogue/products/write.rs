//! SQL that writes products. The search outbox is filled by triggers in the same
//! transaction, so every write here reaches the index.

use serde_json::json;

use super::input::ProductDraft;
use super::{Product, ProductUnit};
use crate::graphql::error::ApiResult;
use crate::graphql::ids::{CategoryId, ProductId, StoreId};
use crate::runtime::db::Db;

macro_rules! returning {
    () => {
        " RETURNING id, store_id, category_id, slug, sku, name, description, price, currency_code, \
         unit, min_quantity, quantity_step, stock, status, materials, colors, sizes, images, rating, \
         review_count, sales_count, created_at, updated_at"
    };
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
    db: &Db,
    store: StoreId,
    currency: &str,
    category: CategoryId,
    draft: &ProductDraft,
) -> Result<Product, sqlx::Error> {
    sqlx::query_as(concat!(
        "INSERT INTO products (store_id, category_id, slug, sku, name, description, price, currency_code,
             unit, min_quantity, quantity_step, stock, status, materials, material_keys, colors,
             color_keys, sizes, size_keys)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        returning!()
    ))
    .bind(store.0)
    .bind(category.0)
    .bind(new_slug(&draft.name))
    .bind(&draft.sku)
    .bind(&draft.name)
    .bind(&draft.description)
    .bind(draft.price)
    .bind(currency)
    .bind(draft.unit)
    .bind(draft.min_quantity)
    .bind(draft.quantity_step)
    .bind(draft.stock)
    .bind(draft.status)
    .bind(&draft.materials)
    .bind(ProductDraft::keys(&draft.materials))
    .bind(&draft.colors)
    .bind(ProductDraft::keys(&draft.colors))
    .bind(&draft.sizes)
    .bind(ProductDraft::keys(&draft.sizes))
    .fetch_one(db.executor())
    .await
}

/// Replaces a product's editable fields.
pub async fn update(
    db: &Db,
    id: ProductId,
    category: CategoryId,
    draft: &ProductDraft,
) -> Result<Option<Product>, sqlx::Error> {
    sqlx::query_as(concat!(
        "UPDATE products SET category_id = $2, sku = $3, name = $4, description = $5, price = $6,
             unit = $7, min_quantity = $8, quantity_step = $9, stock = $10, status = $11,
             materials = $12, material_keys = $13, colors = $14, color_keys = $15, sizes = $16,
             size_keys = $17, updated_at = now()
         WHERE id = $1",
        returning!()
    ))
    .bind(id.0)
    .bind(category.0)
    .bind(&draft.sku)
    .bind(&draft.name)
    .bind(&draft.description)
    .bind(draft.price)
    .bind(draft.unit)
    .bind(draft.min_quantity)
    .bind(draft.quantity_step)
    .bind(draft.stock)
    .bind(draft.status)
    .bind(&draft.materials)
    .bind(ProductDraft::keys(&draft.materials))
    .bind(&draft.colors)
    .bind(ProductDraft::keys(&draft.colors))
    .bind(&draft.sizes)
    .bind(ProductDraft::keys(&draft.sizes))
    .fetch_optional(db.executor())
    .await
}

/// Archives a product.
pub async fn archive(db: &Db, id: ProductId) -> ApiResult<Option<Product>> {
    Ok(sqlx::query_as(concat!(
        "UPDATE products SET status = 'ARCHIVED', updated_at = now() WHERE id = $1",
        returning!()
    ))
    .bind(id.0)
    .fetch_optional(db.executor())
    .await?)
}

/// Inserts or updates (by SKU) many products of one store in one statement: all or nothing.
pub async fn upsert_many(
    db: &Db,
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
            })
        })
        .collect();
    Ok(sqlx::query_as(concat!(
        "INSERT INTO products AS p (store_id, category_id, slug, sku, name, description, price,
             currency_code, unit, min_quantity, quantity_step, stock, status, materials,
             material_keys, colors, color_keys, sizes, size_keys)
         SELECT $1, r.category_id, r.slug, r.sku, r.name, r.description, r.price, $2,
             r.unit::product_unit, r.min_quantity, r.quantity_step, r.stock, r.status::product_status,
             ARRAY(SELECT jsonb_array_elements_text(r.materials)),
             ARRAY(SELECT jsonb_array_elements_text(r.material_keys)),
             ARRAY(SELECT jsonb_array_elements_text(r.colors)),
             ARRAY(SELECT jsonb_array_elements_text(r.color_keys)),
             ARRAY(SELECT jsonb_array_elements_text(r.sizes)),
             ARRAY(SELECT jsonb_array_elements_text(r.size_keys))
         FROM jsonb_to_recordset($3) AS r(category_id bigint, slug text, sku text, name text,
             description text, price numeric, unit text, min_quantity numeric, quantity_step numeric,
             stock numeric, status text, materials jsonb, material_keys jsonb, colors jsonb,
             color_keys jsonb, sizes jsonb, size_keys jsonb)
         ON CONFLICT (store_id, sku) WHERE sku IS NOT NULL DO UPDATE SET
             category_id = EXCLUDED.category_id, name = EXCLUDED.name,
             description = EXCLUDED.description, price = EXCLUDED.price, unit = EXCLUDED.unit,
             min_quantity = EXCLUDED.min_quantity, quantity_step = EXCLUDED.quantity_step,
             stock = EXCLUDED.stock, status = EXCLUDED.status, materials = EXCLUDED.materials,
             material_keys = EXCLUDED.material_keys, colors = EXCLUDED.colors,
             color_keys = EXCLUDED.color_keys, sizes = EXCLUDED.sizes, size_keys = EXCLUDED.size_keys,
             updated_at = now()",
        returning!()
    ))
    .bind(store.0)
    .bind(currency)
    .bind(serde_json::Value::Array(rows))
    .fetch_all(db.executor())
    .await?)
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
    Ok(
        sqlx::query_scalar("SELECT id FROM categories WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(db.executor())
            .await?,
    )
}
