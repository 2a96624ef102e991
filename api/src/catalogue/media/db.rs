//! SQL of product images: the files (`media_files`), a product's images in order
//! (`product_images`) and the variants each one shows (`variant_images`).

use std::collections::HashMap;
use std::sync::Arc;

use super::Inspected;
use crate::graphql::error::ApiResult;
use crate::graphql::ids::{ProductId, VariantId};
use crate::graphql::loaders::BatchLoad;
use crate::runtime::db::Db;

pub use crate::graphql::ids::ImageId;

/// Where a file is in its processing.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "media_state", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MediaState {
    /// Stored; the worker has not made its sizes yet. Its addresses answer 404 until then.
    Processing,
    /// Every size is served.
    Ready,
    /// The worker could not make the sizes (the upload is kept for another try).
    Failed,
}

/// One uploaded image of a product.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ImageRow {
    pub id: ImageId,
    pub product_id: ProductId,
    pub file_hash: String,
    pub position: i32,
    pub alt_text: Option<String>,
    pub width: i32,
    pub height: i32,
    pub state: MediaState,
    /// The variants it shows.
    pub variant_ids: Vec<i64>,
}

/// The images of these products, in display order.
pub async fn images_of(db: &Db, products: &[i64]) -> sqlx::Result<Vec<ImageRow>> {
    sqlx::query_as!(
        ImageRow,
        r#"SELECT i.id AS "id: ImageId", i.product_id AS "product_id: ProductId", i.file_hash,
                  i.position, i.alt_text, f.width, f.height, f.state AS "state: MediaState",
                  ARRAY(SELECT vi.variant_id FROM variant_images vi
                        WHERE vi.image_id = i.id ORDER BY vi.variant_id) AS "variant_ids!"
           FROM product_images i JOIN media_files f ON f.hash = i.file_hash
           WHERE i.product_id = ANY($1)
           ORDER BY i.product_id, i.position, i.id"#,
        products
    )
    .fetch_all(db.executor())
    .await
}

/// One image by id.
pub async fn image(db: &Db, id: ImageId) -> sqlx::Result<Option<ImageRow>> {
    sqlx::query_as!(
        ImageRow,
        r#"SELECT i.id AS "id: ImageId", i.product_id AS "product_id: ProductId", i.file_hash,
                  i.position, i.alt_text, f.width, f.height, f.state AS "state: MediaState",
                  ARRAY(SELECT vi.variant_id FROM variant_images vi
                        WHERE vi.image_id = i.id ORDER BY vi.variant_id) AS "variant_ids!"
           FROM product_images i JOIN media_files f ON f.hash = i.file_hash
           WHERE i.id = $1"#,
        id.0
    )
    .fetch_optional(db.executor())
    .await
}

/// A product's images, for `Product.images` and `ProductVariant.images`.
pub struct ProductImagesLoader(Db);

/// A product's uploaded images in every state, kept between requests (the row cache's kind
/// `images`): a listing that shows images reads them without a statement. The triggers of
/// `migrations/20261215000001_images_row_cache.sql` name the product on any change.
#[derive(Clone, Debug)]
pub struct KeptImages(pub Arc<Vec<ImageRow>>);

impl crate::runtime::row_cache::Cached for KeptImages {
    const KIND: crate::runtime::row_cache::Kind = crate::runtime::row_cache::Kind::Images;
    type Id = ProductId;
    fn number(id: ProductId) -> i64 {
        id.0
    }
    fn heap_bytes(&self) -> usize {
        self.0
            .iter()
            .map(|row| {
                std::mem::size_of::<ImageRow>()
                    + crate::runtime::row_cache::heap_of(
                        std::iter::once(&row.file_hash).chain(&row.alt_text),
                    )
                    + row.variant_ids.capacity() * std::mem::size_of::<i64>()
            })
            .sum()
    }
}

impl BatchLoad for ProductImagesLoader {
    type Key = ProductId;
    type Value = Arc<Vec<ImageRow>>;
    const NAME: &'static str = "product_images";

    fn build(db: &Db) -> Self {
        Self(db.clone())
    }

    async fn load(&self, keys: &[ProductId]) -> ApiResult<HashMap<ProductId, Self::Value>> {
        // Taken before the read, so an image changed meanwhile is not kept (the cache's "no
        // stale fill"); the rows come from the primary.
        let ticket = self.0.rows().ticket();
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let mut by_product: HashMap<ProductId, Vec<ImageRow>> = HashMap::new();
        for row in images_of(&self.0, &ids).await? {
            by_product.entry(row.product_id).or_default().push(row);
        }
        // Products without images are kept too, as empty lists: most listings show those.
        let loaded: HashMap<ProductId, Self::Value> = keys
            .iter()
            .map(|&k| (k, Arc::new(by_product.remove(&k).unwrap_or_default())))
            .collect();
        if let Some(ticket) = ticket {
            self.0.rows().fill(
                ticket,
                loaded.iter().map(|(&k, v)| (k, KeptImages(v.clone()))),
            );
        }
        Ok(loaded)
    }

    fn cached(&self, key: &ProductId) -> Option<Self::Value> {
        Some(self.0.rows().get::<KeptImages>(*key)?.0)
    }
}

/// Serialises the image writes of one product (count, positions) without locking the
/// product row, which checkouts lock.
pub async fn lock_product_images(
    tx: &mut sqlx::PgConnection,
    product: ProductId,
) -> sqlx::Result<()> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtext('product_images'), hashtext($1::bigint::text))",
        product.0
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// How many images a product has.
pub async fn count(tx: &mut sqlx::PgConnection, product: ProductId) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM product_images WHERE product_id = $1"#,
        product.0
    )
    .fetch_one(&mut *tx)
    .await
}

/// Records the file (once per content) and locks its row until the transaction ends, so the
/// orphan collector cannot delete it meanwhile. Returns the file's state: `Processing` means
/// the caller must (re)store the original for the worker.
pub async fn upsert_file(
    tx: &mut sqlx::PgConnection,
    file: &Inspected,
    bytes: usize,
) -> sqlx::Result<MediaState> {
    let width = i32::try_from(file.width).unwrap_or(i32::MAX);
    let height = i32::try_from(file.height).unwrap_or(i32::MAX);
    // A file the worker gave up on gets another try with the new upload.
    sqlx::query_scalar!(
        r#"INSERT INTO media_files AS f (hash, format, width, height, bytes)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (hash) DO UPDATE SET
               state = CASE WHEN f.state = 'FAILED' THEN 'PROCESSING'::media_state ELSE f.state END,
               attempts = CASE WHEN f.state = 'FAILED' THEN 0 ELSE f.attempts END
           RETURNING state AS "state: MediaState""#,
        file.hash,
        file.format.as_str(),
        width,
        height,
        i64::try_from(bytes).unwrap_or(i64::MAX)
    )
    .fetch_one(&mut *tx)
    .await
}

/// Adds an image at the end of the product's list.
pub async fn insert_image(
    tx: &mut sqlx::PgConnection,
    product: ProductId,
    hash: &str,
    alt_text: Option<&str>,
    variants: &[VariantId],
) -> sqlx::Result<ImageId> {
    let id = sqlx::query_scalar!(
        r#"INSERT INTO product_images (product_id, file_hash, position, alt_text)
           VALUES ($1, $2, (SELECT coalesce(max(position) + 1, 0) FROM product_images
                            WHERE product_id = $1), $3)
           RETURNING id AS "id: ImageId""#,
        product.0,
        hash,
        alt_text
    )
    .fetch_one(&mut *tx)
    .await?;
    set_variants(tx, id, variants).await?;
    Ok(id)
}

/// Replaces the variants an image shows.
pub async fn set_variants(
    tx: &mut sqlx::PgConnection,
    image: ImageId,
    variants: &[VariantId],
) -> sqlx::Result<()> {
    let ids: Vec<i64> = variants.iter().map(|v| v.0).collect();
    sqlx::query!("DELETE FROM variant_images WHERE image_id = $1", image.0)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "INSERT INTO variant_images (variant_id, image_id)
         SELECT DISTINCT v, $1::bigint FROM unnest($2::bigint[]) AS v",
        image.0,
        &ids
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Sets or clears an image's alt text.
pub async fn set_alt_text(
    tx: &mut sqlx::PgConnection,
    image: ImageId,
    alt_text: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE product_images SET alt_text = $2 WHERE id = $1",
        image.0,
        alt_text
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The ids of a product's images, in display order.
pub async fn image_ids(tx: &mut sqlx::PgConnection, product: ProductId) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "SELECT id FROM product_images WHERE product_id = $1 ORDER BY position, id",
        product.0
    )
    .fetch_all(&mut *tx)
    .await
}

/// Puts a product's images in this order (every one of its images, each once).
pub async fn reorder(tx: &mut sqlx::PgConnection, order: &[ImageId]) -> sqlx::Result<()> {
    let ids: Vec<i64> = order.iter().map(|i| i.0).collect();
    sqlx::query!(
        "UPDATE product_images i SET position = o.position - 1
         FROM unnest($1::bigint[]) WITH ORDINALITY AS o(id, position)
         WHERE i.id = o.id",
        &ids
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Removes an image from its product (its file goes when no image uses it any more).
pub async fn delete_image(tx: &mut sqlx::PgConnection, image: ImageId) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM product_images WHERE id = $1", image.0)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A file waiting for its sizes, locked for this transaction (other workers skip it).
pub struct Pending {
    pub hash: String,
    pub format: String,
    pub attempts: i32,
}

/// The oldest file waiting for its sizes that no other worker holds.
pub async fn take_pending(tx: &mut sqlx::PgConnection) -> sqlx::Result<Option<Pending>> {
    sqlx::query_as!(
        Pending,
        "SELECT hash, format, attempts FROM media_files WHERE state = 'PROCESSING'
         ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED"
    )
    .fetch_optional(&mut *tx)
    .await
}

/// Locks every file still `PROCESSING`, waiting for the workers that hold some; how many.
pub async fn lock_processing(tx: &mut sqlx::PgConnection) -> sqlx::Result<usize> {
    let rows =
        sqlx::query_scalar!("SELECT hash FROM media_files WHERE state = 'PROCESSING' FOR UPDATE")
            .fetch_all(&mut *tx)
            .await?;
    Ok(rows.len())
}

/// Marks a file's sizes made.
pub async fn mark_ready(tx: &mut sqlx::PgConnection, hash: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE media_files SET state = 'READY', ready_at = now(), error = NULL WHERE hash = $1",
        hash
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Records a failed try; after `max_attempts` the file is `FAILED`.
pub async fn mark_attempt_failed(
    tx: &mut sqlx::PgConnection,
    hash: &str,
    error: &str,
    max_attempts: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE media_files SET attempts = attempts + 1, error = $2,
             state = CASE WHEN attempts + 1 >= $3 THEN 'FAILED'::media_state ELSE state END
         WHERE hash = $1",
        hash,
        error,
        max_attempts
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Files no image uses any more, locked for this transaction (an upload of the same content
/// waits, then stores it anew).
pub async fn take_unused(tx: &mut sqlx::PgConnection, limit: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT f.hash FROM media_files f
         WHERE NOT EXISTS (SELECT 1 FROM product_images i WHERE i.file_hash = f.hash)
         LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit
    )
    .fetch_all(&mut *tx)
    .await
}

/// Deletes file rows.
pub async fn delete_files(tx: &mut sqlx::PgConnection, hashes: &[String]) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM media_files WHERE hash = ANY($1)", hashes)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Which of these hashes have a row.
pub async fn known_files(db: &Db, hashes: &[String]) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!("SELECT hash FROM media_files WHERE hash = ANY($1)", hashes)
        .fetch_all(db.executor())
        .await
}
