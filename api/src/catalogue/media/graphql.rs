//! `Image` and the sellers' image mutations: upload, alt text and variants, order, delete.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, SimpleObject, Upload};
use object_store::{ObjectStoreExt as _, PutPayload};

use super::db::{self, ImageId, ImageRow, MediaState, ProductImagesLoader};
use super::{ImageSize, MAX_IMAGES, MediaStore, Refused, inspect, original_path};
use crate::catalogue::products::Product;
use crate::catalogue::products::access::writable_product;
use crate::catalogue::stores::Store;
use crate::catalogue::variants::{VariantId, VariantSetLoader};
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::guards::SignedIn;
use crate::graphql::plain_text::{PlainText, PlainTextError};
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// Longest alt text, in characters.
pub const ALT_TEXT_MAX: usize = 250;

/// A product image: one the seller uploaded (served in three sizes), or one hosted
/// elsewhere (an imported address, served as it is).
pub struct Image {
    source: Source,
    /// The row's alt text, or the product's name.
    alt_text: String,
}

enum Source {
    Uploaded(ImageRow),
    External(String),
}

impl Image {
    fn uploaded(row: ImageRow, product_name: &str) -> Self {
        let alt_text = row
            .alt_text
            .clone()
            .unwrap_or_else(|| product_name.to_owned());
        Self {
            source: Source::Uploaded(row),
            alt_text,
        }
    }

    fn size(&self, size: ImageSize) -> Option<(u32, u32)> {
        match &self.source {
            Source::Uploaded(row) => {
                let width = u32::try_from(row.width).ok()?;
                let height = u32::try_from(row.height).ok()?;
                Some(size.fit(width, height))
            }
            Source::External(_) => None,
        }
    }
}

/// A product image. Uploaded images are served as WebP in three sizes under addresses that
/// change with their content, cached for a year.
#[Object]
impl Image {
    /// Global id of an uploaded image (for `updateProductImage`, `reorderProductImages` and
    /// `deleteProductImage`); null for an image hosted elsewhere.
    async fn id(&self) -> Option<ID> {
        match &self.source {
            Source::Uploaded(row) => Some(row.id.to_global()),
            Source::External(_) => None,
        }
    }

    /// Address of the image file in `size` (an image hosted elsewhere has one address for
    /// every size).
    async fn url(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "ImageSize::Card", desc = "The size to serve.")] size: ImageSize,
    ) -> String {
        match &self.source {
            Source::Uploaded(row) => match &RequestContext::of(ctx).media {
                Some(media) => media.url(&row.file_hash, size),
                None => format!("/media/{}", super::file_name(&row.file_hash, size)),
            },
            Source::External(url) => url.clone(),
        }
    }

    /// Text for those who cannot see the image: the seller's, or else the product's name.
    async fn alt_text(&self) -> &str {
        &self.alt_text
    }

    /// Width in pixels of the file in `size`; null for an image hosted elsewhere.
    async fn width(
        &self,
        #[graphql(
            default_with = "ImageSize::Card",
            desc = "The size whose width to give."
        )]
        size: ImageSize,
    ) -> Option<i32> {
        self.size(size).and_then(|(w, _)| i32::try_from(w).ok())
    }

    /// Height in pixels of the file in `size`; null for an image hosted elsewhere.
    async fn height(
        &self,
        #[graphql(
            default_with = "ImageSize::Card",
            desc = "The size whose height to give."
        )]
        size: ImageSize,
    ) -> Option<i32> {
        self.size(size).and_then(|(_, h)| i32::try_from(h).ok())
    }

    /// `PROCESSING` until the sizes are made (seconds after the upload; until then its
    /// addresses answer 404), then `READY`. Images hosted elsewhere are `READY`.
    async fn status(&self) -> MediaState {
        match &self.source {
            Source::Uploaded(row) => row.state,
            Source::External(_) => MediaState::Ready,
        }
    }
}

/// `Product.images`: the uploaded images in the seller's order, then those hosted
/// elsewhere, at most [`MAX_IMAGES`]. Images still processing (or failed) show only to
/// whoever may edit the product.
pub async fn product_images(rc: &RequestContext, product: &Product) -> ApiResult<Vec<Image>> {
    let rows = uploaded(rc, product).await?;
    let editor = !rows.is_empty() && may_edit(rc, product).await?;
    let mut images: Vec<Image> = rows
        .iter()
        .filter(|row| editor || row.state == MediaState::Ready)
        .map(|row| Image::uploaded(row.clone(), &product.name))
        .collect();
    images.extend(product.images.iter().map(|url| Image {
        source: Source::External(url.clone()),
        alt_text: product.name.clone(),
    }));
    images.truncate(MAX_IMAGES);
    Ok(images)
}

/// `ProductVariant.images`: the product's ready images that show this variant.
pub async fn variant_images(
    rc: &RequestContext,
    product: &Product,
    variant: VariantId,
) -> ApiResult<Vec<Image>> {
    let rows = uploaded(rc, product).await?;
    Ok(rows
        .iter()
        .filter(|row| row.state == MediaState::Ready && row.variant_ids.contains(&variant.0))
        .take(MAX_IMAGES)
        .map(|row| Image::uploaded(row.clone(), &product.name))
        .collect())
}

/// The product's uploaded images in every state; none without a lookup when it never had one
/// (`products.images_uploaded`), as nearly every product of a listing.
async fn uploaded(rc: &RequestContext, product: &Product) -> ApiResult<Arc<Vec<ImageRow>>> {
    if !product.images_uploaded {
        return Ok(Arc::default());
    }
    Ok(rc
        .loaders
        .get::<ProductImagesLoader>()
        .load_one(product.id)
        .await?
        .unwrap_or_default())
}

/// Whether the viewer runs the product's store or is an admin.
async fn may_edit(rc: &RequestContext, product: &Product) -> ApiResult<bool> {
    if rc.viewer.user_id().is_none() {
        return Ok(false);
    }
    let store = rc
        .loaders
        .by_id::<Store>()
        .load_one(product.store_id)
        .await?;
    Ok(store.is_some_and(|store| rc.viewer.is_self_or_admin(store.owner_id)))
}

/// Result of the image mutations.
#[derive(SimpleObject, Default)]
pub struct ProductImagePayload {
    /// The image written; null on user errors and after `deleteProductImage`.
    pub image: Option<Image>,
    /// The product, its images in their new order; null on user errors.
    pub product: Option<Product>,
    /// Why nothing was written; empty on success.
    pub user_errors: Vec<UserError>,
}

impl ProductImagePayload {
    fn error(path: &[&str], code: UserErrorCode, message: String) -> Self {
        Self::failed(UserError::at(path, code, message))
    }

    fn failed(error: UserError) -> Self {
        Self {
            user_errors: vec![error],
            ..Self::default()
        }
    }

    async fn written(
        rc: &RequestContext,
        product: Product,
        image: Option<ImageId>,
    ) -> ApiResult<Self> {
        let image = match image {
            Some(id) => db::image(&rc.db, id)
                .await?
                .map(|row| Image::uploaded(row, &product.name)),
            None => None,
        };
        Ok(Self {
            image,
            product: Some(product),
            user_errors: Vec::new(),
        })
    }
}

/// The sellers' image mutations.
#[derive(Default)]
pub struct MediaMutations;

#[Object]
impl MediaMutations {
    /// Adds an image to a product from an uploaded file, sent by the GraphQL multipart
    /// request spec (`multipart/form-data` with `operations`, `map` and the file; Apollo
    /// Upload and urql send it so), with an `Apollo-Require-Preflight: true` or
    /// `GraphQL-Preflight: 1` header. The file must be a JPEG, PNG or WebP image (told by its
    /// content, not its name) of at most 10 MiB and 40 megapixels. The image is `PROCESSING`
    /// until its three sizes are made, then `READY`; EXIF and other metadata are dropped.
    /// User errors: NOT_FOUND, UNSUPPORTED_FORMAT, TOO_LARGE, INVALID, TOO_LONG, TOO_MANY.
    /// Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn upload_product_image(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product's global id.")] product_id: ID,
        #[graphql(desc = "The image file.")] file: Upload,
        #[graphql(desc = "Alt text (Spanish), at most 250 characters; null: the product's name.")]
        alt: Option<String>,
        #[graphql(desc = "Global ids of the product's variants the image shows.")]
        variant_ids: Option<Vec<ID>>,
    ) -> Result<ProductImagePayload> {
        let rc = RequestContext::of(ctx);
        let media = media(rc)?;
        let Some(product) = writable_product(rc, &product_id).await? else {
            return Ok(not_found(&["productId"], crate::tr!("product-not-found")));
        };
        let alt = match alt_text(alt.as_deref()) {
            Ok(alt) => alt,
            Err(error) => return Ok(ProductImagePayload::failed(error)),
        };
        let variants = match variants_of(rc, &product, variant_ids.as_deref()).await? {
            Ok(variants) => variants,
            Err(error) => return Ok(ProductImagePayload::failed(error)),
        };
        // A request that is not multipart carries no file, whatever its variables say (and
        // async-graphql's `Upload::value` indexes the request's files without a check).
        let upload = (file.0 < ctx.query_env.uploads.len())
            .then(|| file.value(ctx).ok())
            .flatten();
        let Some(upload) = upload else {
            return Ok(ProductImagePayload::error(
                &["file"],
                UserErrorCode::Required,
                crate::tr!("image-file-missing"),
            ));
        };
        let bytes = upload.content;
        let limits = media.limits;
        let checked = {
            let bytes = bytes.clone();
            tokio::task::spawn_blocking(move || inspect(&bytes, &limits))
                .await
                .map_err(|e| ApiError::Internal(format!("image check: {e}")))?
        };
        let inspected = match checked {
            Ok(inspected) => inspected,
            Err(refused) => return Ok(ProductImagePayload::failed(refusal(&refused, &limits))),
        };
        let mut tx = rc.db.begin().await.map_err(ApiError::from)?;
        db::lock_product_images(&mut tx, product.id).await?;
        if db::count(&mut tx, product.id).await? >= MAX_IMAGES as i64 {
            return Ok(ProductImagePayload::error(
                &["productId"],
                UserErrorCode::TooMany,
                crate::tr!("image-count", max = MAX_IMAGES),
            ));
        }
        // The file row stays locked until commit: the collector cannot delete the original
        // between the store's write and the image's row.
        if db::upsert_file(&mut tx, &inspected, bytes.len()).await? == MediaState::Processing {
            media
                .store()
                .put(&original_path(&inspected.hash), PutPayload::from(bytes))
                .await
                .map_err(|e| ApiError::Internal(format!("store the upload: {e}")))?;
        }
        let id = db::insert_image(
            &mut tx,
            product.id,
            &inspected.hash,
            alt.as_deref(),
            &variants,
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        media.wake();
        metrics::counter!("textisur_images_uploaded_total").increment(1);
        Ok(ProductImagePayload::written(rc, product, Some(id)).await?)
    }

    /// Changes an uploaded image's alt text and the variants it shows. An argument left out
    /// is kept; `alt: null` goes back to the product's name, `variantIds: []` to none.
    /// User errors: NOT_FOUND, INVALID, TOO_LONG.
    /// Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn update_product_image(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The image's global id.")] id: ID,
        #[graphql(desc = "Alt text (Spanish), at most 250 characters; null: the product's name.")]
        alt: async_graphql::MaybeUndefined<String>,
        #[graphql(desc = "Global ids of the product's variants the image shows.")]
        variant_ids: Option<Vec<ID>>,
    ) -> Result<ProductImagePayload> {
        let rc = RequestContext::of(ctx);
        let Some((product, image)) = writable_image(rc, &id).await? else {
            return Ok(not_found(&["id"], crate::tr!("image-not-found")));
        };
        let alt = match &alt {
            async_graphql::MaybeUndefined::Undefined => None,
            async_graphql::MaybeUndefined::Null => Some(None),
            async_graphql::MaybeUndefined::Value(text) => match alt_text(Some(text)) {
                Ok(alt) => Some(alt),
                Err(error) => return Ok(ProductImagePayload::failed(error)),
            },
        };
        let variants = match &variant_ids {
            None => None,
            Some(ids) => match variants_of(rc, &product, Some(ids)).await? {
                Ok(variants) => Some(variants),
                Err(error) => return Ok(ProductImagePayload::failed(error)),
            },
        };
        let mut tx = rc.db.begin().await.map_err(ApiError::from)?;
        if let Some(alt) = alt {
            db::set_alt_text(&mut tx, image.id, alt.as_deref()).await?;
        }
        if let Some(variants) = variants {
            db::set_variants(&mut tx, image.id, &variants).await?;
        }
        tx.commit().await.map_err(ApiError::from)?;
        Ok(ProductImagePayload::written(rc, product, Some(image.id)).await?)
    }

    /// Puts a product's uploaded images in this order: every one of them, each once.
    /// User errors: NOT_FOUND, INVALID.
    /// Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn reorder_product_images(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product's global id.")] product_id: ID,
        #[graphql(desc = "Global ids of all the product's uploaded images, first to last.")]
        image_ids: Vec<ID>,
    ) -> Result<ProductImagePayload> {
        let rc = RequestContext::of(ctx);
        let Some(product) = writable_product(rc, &product_id).await? else {
            return Ok(not_found(&["productId"], crate::tr!("product-not-found")));
        };
        let order: Option<Vec<ImageId>> = image_ids
            .iter()
            .map(|id| ImageId::from_global(id).ok())
            .collect();
        let mut tx = rc.db.begin().await.map_err(ApiError::from)?;
        db::lock_product_images(&mut tx, product.id).await?;
        let mut current = db::image_ids(&mut tx, product.id).await?;
        let mut asked: Vec<i64> = order.iter().flatten().map(|i| i.0).collect();
        current.sort_unstable();
        asked.sort_unstable();
        let Some(order) = order.filter(|_| asked == current) else {
            return Ok(ProductImagePayload::error(
                &["imageIds"],
                UserErrorCode::Invalid,
                crate::tr!("image-order-incomplete"),
            ));
        };
        db::reorder(&mut tx, &order).await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(ProductImagePayload::written(rc, product, None).await?)
    }

    /// Removes an uploaded image from its product; its files are deleted once no image uses
    /// them.
    /// User errors: NOT_FOUND.
    /// Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn delete_product_image(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The image's global id.")] id: ID,
    ) -> Result<ProductImagePayload> {
        let rc = RequestContext::of(ctx);
        let Some((product, image)) = writable_image(rc, &id).await? else {
            return Ok(not_found(&["id"], crate::tr!("image-not-found")));
        };
        let mut tx = rc.db.begin().await.map_err(ApiError::from)?;
        db::delete_image(&mut tx, image.id).await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(ProductImagePayload::written(rc, product, None).await?)
    }
}

fn media(rc: &RequestContext) -> ApiResult<&Arc<MediaStore>> {
    rc.media
        .as_ref()
        .ok_or_else(|| ApiError::Internal("no media store configured".to_owned()))
}

fn not_found(path: &[&str], message: String) -> ProductImagePayload {
    ProductImagePayload::error(path, UserErrorCode::NotFound, message)
}

/// The image and its product, once the caller is known to run its store.
async fn writable_image(rc: &RequestContext, id: &ID) -> ApiResult<Option<(Product, ImageRow)>> {
    let Ok(image_id) = ImageId::from_global(id) else {
        return Ok(None);
    };
    let Some(image) = db::image(&rc.db, image_id).await? else {
        return Ok(None);
    };
    let Some(product) = writable_product(rc, &image.product_id.to_global()).await? else {
        return Ok(None);
    };
    Ok(Some((product, image)))
}

/// Alt text as stored: sanitised plain text, or `None` for the product's name.
fn alt_text(raw: Option<&str>) -> Result<Option<String>, UserError> {
    match raw.map(|raw| PlainText::parse(raw, ALT_TEXT_MAX)) {
        None | Some(Err(PlainTextError::Empty)) => Ok(None),
        Some(Ok(text)) => Ok(Some(text.as_str().to_owned())),
        Some(Err(PlainTextError::TooLong)) => Err(UserError::at(
            &["alt"],
            UserErrorCode::TooLong,
            crate::tr!("image-alt-too-long", max = ALT_TEXT_MAX),
        )),
    }
}

/// The variants `ids` name, each one of `product`'s.
async fn variants_of(
    rc: &RequestContext,
    product: &Product,
    ids: Option<&[ID]>,
) -> ApiResult<Result<Vec<VariantId>, UserError>> {
    let Some(ids) = ids.filter(|ids| !ids.is_empty()) else {
        return Ok(Ok(Vec::new()));
    };
    let set = rc
        .loaders
        .get::<VariantSetLoader>()
        .load_one(product.id)
        .await?
        .unwrap_or_default();
    let mut variants = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let found = VariantId::from_global(id)
            .ok()
            .filter(|v| set.variants.iter().any(|variant| variant.id == *v));
        match found {
            Some(variant) => variants.push(variant),
            None => {
                let index = i.to_string();
                return Ok(Err(UserError::at(
                    &["variantIds", &index],
                    UserErrorCode::NotFound,
                    crate::tr!("variant-not-found"),
                )));
            }
        }
    }
    Ok(Ok(variants))
}

/// The user error for a refused upload, at `file`.
fn refusal(refused: &Refused, limits: &super::MediaLimits) -> UserError {
    let (code, message) = match refused {
        Refused::Empty | Refused::NotAnImage => (
            UserErrorCode::UnsupportedFormat,
            crate::tr!("image-not-an-image"),
        ),
        Refused::TooManyBytes { .. } => (
            UserErrorCode::TooLarge,
            crate::tr!("image-too-many-bytes", max_mib = limits.max_bytes >> 20),
        ),
        Refused::TooManyPixels { width, height, .. } => (
            UserErrorCode::TooLarge,
            crate::tr!(
                "image-too-many-pixels",
                width = *width,
                height = *height,
                max_megapixels = limits.max_pixels / 1_000_000
            ),
        ),
        Refused::Corrupt(_) => (UserErrorCode::Invalid, crate::tr!("image-corrupt")),
    };
    UserError::at(&["file"], code, message)
}
