//! SQL of variants: reading a product's variants and replacing them from a draft.

use serde_json::json;

use super::VariantsDraft;
use crate::graphql::ids::{ProductId, StoreId};
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// Gives `product` the draft's options and variants, in the caller's transaction (which
/// has written, and so locked, the product row). Variants are matched by SKU: one the
/// product has is updated, a new one inserted; the product's other variants (its default
/// one included) go off sale but stay, since orders name them. Every variant goes off sale
/// first, so combinations may move between SKUs without meeting the one-per-combination
/// index halfway. A SKU another product of
/// the store uses is a user error at `prefix.variants.<i>.sku`.
pub async fn replace(
    tx: &mut sqlx::PgConnection,
    product: ProductId,
    store: StoreId,
    draft: &VariantsDraft,
    prefix: &[String],
) -> Result<Result<(), UserError>, sqlx::Error> {
    sqlx::query!(
        "UPDATE product_variants SET is_active = false, updated_at = now()
         WHERE product_id = $1 AND is_active",
        product.0
    )
    .execute(&mut *tx)
    .await?;
    let rows: Vec<serde_json::Value> = draft
        .variants
        .iter()
        .enumerate()
        .map(|(position, v)| {
            json!({
                "sku": v.sku, "options": v.values, "stock": v.stock, "price": v.price,
                "is_active": v.is_active, "position": position,
            })
        })
        .collect();
    // A SKU of another product stays with it: the conflict's update does not apply, so
    // that row comes back neither inserted nor updated.
    let written = sqlx::query_scalar!(
        "INSERT INTO product_variants AS v
             (product_id, store_id, sku, options, stock, price, is_active, position)
         SELECT $1, $2, r.sku, ARRAY(SELECT jsonb_array_elements_text(r.options)), r.stock,
                r.price, r.is_active, r.position
         FROM jsonb_to_recordset($3) AS r(sku text, options jsonb, stock numeric,
                                          price numeric, is_active boolean, position int)
         ON CONFLICT (store_id, sku) WHERE sku IS NOT NULL DO UPDATE SET
             options = EXCLUDED.options, stock = EXCLUDED.stock, price = EXCLUDED.price,
             is_active = EXCLUDED.is_active, position = EXCLUDED.position, updated_at = now()
         WHERE v.product_id = EXCLUDED.product_id
         RETURNING sku",
        product.0,
        store.0,
        serde_json::Value::Array(rows)
    )
    .fetch_all(&mut *tx)
    .await?;
    if written.len() < draft.variants.len() {
        let index = draft
            .variants
            .iter()
            .position(|v| !written.iter().any(|w| w.as_deref() == Some(v.sku.as_str())))
            .unwrap_or_default();
        return Ok(Err(UserError::under(
            prefix,
            &["variants", &index.to_string(), "sku"],
            UserErrorCode::Taken,
            crate::tr!("variant-sku-taken"),
        )));
    }
    // The default variant of a product given options goes, unless a cart or an order
    // names it.
    sqlx::query!(
        "DELETE FROM product_variants v
         WHERE v.product_id = $1 AND v.options = '{}'
           AND NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.variant_id = v.id)
           AND NOT EXISTS (SELECT 1 FROM cart_lines l WHERE l.variant_id = v.id)",
        product.0
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM product_options WHERE product_id = $1",
        product.0
    )
    .execute(&mut *tx)
    .await?;
    for (position, option) in draft.options.iter().enumerate() {
        sqlx::query!(
            r#"INSERT INTO product_options (product_id, position, name, "values")
               VALUES ($1, $2, $3, $4)"#,
            product.0,
            i16::try_from(position).unwrap_or(i16::MAX),
            option.name,
            &option.values
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(Ok(()))
}

/// Whether a write failed on the per-store variant SKU uniqueness (a variant inserted with
/// the SKU of a variant of another product).
pub fn is_duplicate_variant_sku(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.constraint() == Some("product_variants_store_sku_key"))
}
