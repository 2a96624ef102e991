//! Sellers' product mutations: create, update, archive and the bulk `upsertProducts`.
//!
//! Only the store's seller or an admin may write; anyone else gets `FORBIDDEN`. Input
//! problems are `userErrors` with paths and codes, and nothing is written when any exists.
//! Prices and quantities arrive as decimals of any size: the lint below keeps arithmetic on
//! them checked.
#![deny(clippy::arithmetic_side_effects)]

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use rust_decimal::Decimal;

use super::access::{writable_product, writable_store};
use super::input::{ProductDraft, ProductFields, validate};
use super::{Product, ProductStatus, ProductUnit, write};
use crate::catalogue::variants::{self, ProductOptionInput, ProductVariantInput, VariantsDraft};
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::guards::SignedIn;
use crate::graphql::ids::{CategoryId, ProductId, StoreId};
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// Most products one `upsertProducts` call takes.
pub const UPSERT_MAX: usize = 500;

/// The fields of a new product, shared by `createProduct` and `upsertProducts`.
#[derive(InputObject)]
pub struct NewProductFields {
    /// Global id of the category to file the product under.
    pub category_id: ID,
    /// The product's name, 3 to 150 characters after trimming; its slug is made from it.
    pub name: String,
    /// At most 5,000 characters; HTML is reduced to a small set of formatting tags
    /// (paragraphs, line breaks, bold, italics, underline, lists, `h3`, `h4`). Null: empty.
    pub description: Option<String>,
    /// Price of one unit, in the store's currency: more than 0, less than 10,000,000,000,
    /// at most 2 decimals.
    pub price: Decimal,
    /// How the product is sold.
    #[graphql(default_with = "ProductUnit::Piece")]
    pub unit: ProductUnit,
    /// Smallest quantity a cart line may hold, in `unit`: a multiple of `quantityStep`. Null:
    /// 1 piece, 1 metre or 0.5 kilogram, or `quantityStep` when that is larger. Like every
    /// quantity: more than 0, below 100,000,000,000, whole for PIECE, at most 3 decimals.
    pub min_quantity: Option<Decimal>,
    /// What quantities grow by, in `unit`: more than 0. Null: 1 piece, 0.5 metre or 0.25
    /// kilogram.
    pub quantity_step: Option<Decimal>,
    /// How much is available, in `unit`: 0 or more, a multiple of `quantityStep`. Required
    /// without `variants`; with them it is their sum, and this is ignored.
    pub stock: Option<Decimal>,
    /// Materials (`Lino`), at most 20 of at most 40 characters each; inner spaces are
    /// collapsed and duplicates that differ only in case dropped. Null: none.
    pub materials: Option<Vec<String>>,
    /// Colours, under the rules of `materials`. Null: none.
    pub colors: Option<Vec<String>>,
    /// Sizes, under the rules of `materials`. Null: none.
    pub sizes: Option<Vec<String>>,
    /// Publication state; DRAFT keeps it off sale until it is set to ACTIVE.
    #[graphql(default_with = "ProductStatus::Active")]
    pub status: ProductStatus,
    /// Grams of one unit (a piece, a metre, a kilogram of yarn: 1000), 1 to 1,000,000, for
    /// couriers that charge by weight. Null: unknown (weighs nothing in a shipping price).
    pub weight_grams: Option<i32>,
    /// 1 to 3 options buyers pick from (Talle, Color), given with `variants`. Null: none;
    /// the product sells as one variant.
    pub options: Option<Vec<ProductOptionInput>>,
    /// 1 to 100 variants, one per combination of `options` on sale, each with its SKU and
    /// stock; given with `options`.
    pub variants: Option<Vec<ProductVariantInput>>,
}

/// A product's options and variants as given (both, or neither).
pub struct ShapeInput {
    options: Option<Vec<ProductOptionInput>>,
    variants: Option<Vec<ProductVariantInput>>,
    /// Whether the input gave a stock of the product itself.
    stock_given: bool,
}

impl NewProductFields {
    /// The category id, the fields to validate, and the options and variants.
    fn into_fields(self, sku: Option<String>) -> (ID, ProductFields, ShapeInput) {
        let shape = ShapeInput {
            options: self.options,
            variants: self.variants,
            stock_given: self.stock.is_some(),
        };
        let fields = ProductFields {
            name: self.name,
            description: self.description.unwrap_or_default(),
            price: self.price,
            unit: self.unit,
            min_quantity: self.min_quantity,
            quantity_step: self.quantity_step,
            stock: self.stock.unwrap_or_default(),
            materials: self.materials.unwrap_or_default(),
            colors: self.colors.unwrap_or_default(),
            sizes: self.sizes.unwrap_or_default(),
            status: self.status,
            sku,
            weight_grams: self.weight_grams,
        };
        (self.category_id, fields, shape)
    }
}

/// Validates the options and variants given with a product against its validated draft,
/// and makes the draft agree with them: its stock is their sum, and its sizes and colours
/// hold the values of its size and colour options. `Ok(None)` when neither was given (then
/// a new product needs its own stock: `stock_required`).
fn shape_draft(
    draft: &mut ProductDraft,
    shape: ShapeInput,
    stock_required: bool,
    prefix: &[String],
) -> Result<Option<VariantsDraft>, Vec<UserError>> {
    let required = |path: &str| {
        Err(vec![UserError::under(
            prefix,
            &[path],
            UserErrorCode::Required,
            crate::tr!("variant-options-and-variants"),
        )])
    };
    let (options, variants) = match (shape.options, shape.variants) {
        (None, None) if stock_required && !shape.stock_given => {
            return Err(vec![UserError::under(
                prefix,
                &["stock"],
                UserErrorCode::Required,
                crate::tr!("product-stock-required"),
            )]);
        }
        (None, None) => return Ok(None),
        (Some(_), None) => return required("variants"),
        (None, Some(_)) => return required("options"),
        (Some(options), Some(variants)) => (options, variants),
    };
    let shaped = variants::validate(options, variants, draft.unit, draft.quantity_step, prefix)?;
    draft.stock = shaped.stock();
    let (sizes, colors) = shaped.facet_values();
    for (list, values) in [(&mut draft.sizes, sizes), (&mut draft.colors, colors)] {
        for value in values {
            if !list
                .iter()
                .any(|v| v.to_lowercase() == value.to_lowercase())
            {
                list.push(value);
            }
        }
    }
    Ok(Some(shaped))
}

/// Writes a product's options and variants in the transaction that wrote the product.
async fn write_shape(
    tx: &mut sqlx::PgConnection,
    product: &Product,
    shape: Option<&VariantsDraft>,
    prefix: &[String],
) -> ApiResult<Result<(), UserError>> {
    match shape {
        Some(shape) => {
            Ok(variants::db::replace(tx, product.id, product.store_id, shape, prefix).await?)
        }
        None => Ok(Ok(())),
    }
}

/// `createProduct`'s input.
#[derive(InputObject)]
pub struct CreateProductInput {
    /// Global id of the store to add the product to.
    pub store_id: ID,
    #[graphql(flatten)]
    pub product: NewProductFields,
    /// The store's own code for the product: at most 64 ASCII letters, digits, `-`, `_` or
    /// `.`, used by no other product of the store. Null or blank: none.
    pub sku: Option<String>,
}

/// One product of `upsertProducts`: `CreateProductInput` without `storeId`, `sku` required.
#[derive(InputObject)]
pub struct ProductUpsertInput {
    /// Which product of the store this is: a SKU the store has updates that product
    /// (every field replaced, absent ones by their defaults), a new one creates it. At most
    /// 64 ASCII letters, digits, `-`, `_` or `.`; each at most once per call.
    pub sku: String,
    #[graphql(flatten)]
    pub product: NewProductFields,
}

/// `updateProduct`'s input: every field optional; absent fields keep their value.
#[derive(InputObject, Default)]
pub struct UpdateProductInput {
    /// Global id of the new category.
    pub category_id: Option<ID>,
    /// The new name, 3 to 150 characters after trimming (the slug stays).
    pub name: Option<String>,
    /// The new description, at most 5,000 characters; HTML is reduced to a small set of
    /// formatting tags. `null` empties it; leaving the field out keeps it.
    pub description: MaybeUndefined<String>,
    /// The new price of one unit, in the store's currency: more than 0, less than
    /// 10,000,000,000, at most 2 decimals. Carts show the change as a warning.
    pub price: Option<Decimal>,
    /// The new unit. Changing it without `minQuantity` and `quantityStep` resets both to the
    /// new unit's defaults.
    pub unit: Option<ProductUnit>,
    /// The new smallest quantity of a cart line, in the unit: a multiple of the step.
    pub min_quantity: Option<Decimal>,
    /// The new step of quantities, in the unit; the minimum and the stock must be multiples
    /// of it.
    pub quantity_step: Option<Decimal>,
    /// The new stock, in the unit (it replaces the current figure): 0 or more, a multiple
    /// of the step.
    pub stock: Option<Decimal>,
    /// The new materials, replacing the list (rules of `CreateProductInput.materials`);
    /// `[]` empties it.
    pub materials: Option<Vec<String>>,
    /// The new colours, replacing the list; `[]` empties it.
    pub colors: Option<Vec<String>>,
    /// The new sizes, replacing the list; `[]` empties it.
    pub sizes: Option<Vec<String>>,
    /// The new publication state (ARCHIVED takes it off sale, as `archiveProduct` does).
    pub status: Option<ProductStatus>,
    /// The new SKU, under the rules of `CreateProductInput.sku`. `null` (or an empty
    /// string) removes it; leaving the field out keeps it.
    pub sku: MaybeUndefined<String>,
    /// The new weight of one unit in grams, under the rules of
    /// `CreateProductInput.weightGrams`. `null` clears it; leaving the field out keeps it.
    pub weight_grams: MaybeUndefined<i32>,
    /// New options, replacing them, given with `variants` (rules of
    /// `CreateProductInput.options`).
    pub options: Option<Vec<ProductOptionInput>>,
    /// New variants, given with `options`: variants are matched by SKU, and those left out
    /// go off sale (they stay for past orders). A product with options takes its stock
    /// per variant, never in `stock`.
    pub variants: Option<Vec<ProductVariantInput>>,
}

/// Result of the single-product mutations.
#[derive(SimpleObject, Default)]
pub struct ProductPayload {
    /// The product as written; null when there are user errors.
    pub product: Option<Product>,
    /// Why nothing was written; empty on success.
    pub user_errors: Vec<UserError>,
    /// Pass it as `consistencyToken` to a listing to be sure it includes this write.
    pub consistency_token: Option<String>,
}

impl ProductPayload {
    fn errors(user_errors: Vec<UserError>) -> Self {
        Self {
            product: None,
            user_errors,
            consistency_token: None,
        }
    }
}

/// Result of `upsertProducts`.
#[derive(SimpleObject, Default)]
pub struct UpsertProductsPayload {
    /// The written products, in input order.
    pub products: Vec<Product>,
    /// Why nothing was written (all or nothing): the first 50 problems; empty on success.
    pub user_errors: Vec<UserError>,
    /// Pass it as `consistencyToken` to a listing to be sure it includes this write.
    pub consistency_token: Option<String>,
}

/// Parses a category id and checks it exists; a user error otherwise.
async fn category(
    rc: &RequestContext,
    id: &ID,
    prefix: &[String],
) -> ApiResult<Result<CategoryId, UserError>> {
    let not_found = || {
        UserError::under(
            prefix,
            &["categoryId"],
            UserErrorCode::NotFound,
            crate::tr!("category-not-found"),
        )
    };
    let Ok(id) = CategoryId::from_global(id) else {
        return Ok(Err(not_found()));
    };
    Ok(
        if write::existing_categories(&rc.db, &[id]).await?.is_empty() {
            Err(not_found())
        } else {
            Ok(id)
        },
    )
}

/// Writes a written product's options and variants and commits; the payload holds the
/// product as committed (its stock is its variants' sum, which the database works out
/// after the statement that returned `written`).
async fn finish_write(
    rc: &RequestContext,
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    written: Product,
    shape: Option<&VariantsDraft>,
    prefix: &[String],
) -> ApiResult<ProductPayload> {
    if let Err(e) = write_shape(&mut tx, &written, shape, prefix).await? {
        return Ok(ProductPayload::errors(vec![e]));
    }
    tx.commit().await?;
    let mut fresh =
        <Product as crate::graphql::loaders::LoadById>::load(&rc.db, &[written.id]).await?;
    Ok(ProductPayload {
        product: Some(fresh.pop().unwrap_or(written)),
        user_errors: Vec::new(),
        consistency_token: rc.after_write().await,
    })
}

fn sku_taken(prefix: &[String]) -> UserError {
    UserError::under(
        prefix,
        &["sku"],
        UserErrorCode::Taken,
        crate::tr!("product-sku-taken"),
    )
}

/// Product mutations.
#[derive(Default)]
pub struct ProductMutations;

#[Object]
impl ProductMutations {
    /// Adds a product to a store.
    /// User errors: INVALID, TOO_SHORT, TOO_LONG, TAKEN, NOT_FOUND, OUT_OF_RANGE, PRECISION, NOT_MULTIPLE, TOO_MANY.
    /// Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new product and the store it goes to.")] input: CreateProductInput,
    ) -> Result<ProductPayload> {
        let rc = RequestContext::of(ctx);
        let prefix = vec!["input".to_owned()];
        let Ok(store_id) = StoreId::from_global(&input.store_id) else {
            return Ok(ProductPayload::errors(vec![UserError::at(
                &["input", "storeId"],
                UserErrorCode::NotFound,
                crate::tr!("store-not-found"),
            )]));
        };
        let Some(store) = writable_store(rc, store_id).await? else {
            return Ok(ProductPayload::errors(vec![UserError::at(
                &["input", "storeId"],
                UserErrorCode::NotFound,
                crate::tr!("store-not-found"),
            )]));
        };
        let (category_id, fields, shape) = input.product.into_fields(input.sku);
        let (mut draft, category) = match (
            validate(fields, &prefix),
            category(rc, &category_id, &prefix).await?,
        ) {
            (Ok(draft), Ok(category)) => (draft, category),
            (draft, category) => {
                let mut errors = draft.err().unwrap_or_default();
                errors.extend(category.err());
                return Ok(ProductPayload::errors(errors));
            }
        };
        let shape = match shape_draft(&mut draft, shape, true, &prefix) {
            Ok(shape) => shape,
            Err(errors) => return Ok(ProductPayload::errors(errors)),
        };
        let mut tx = rc.db.begin().await.map_err(ApiError::from)?;
        match write::insert(&mut tx, store.id, &store.currency_code, category, &draft).await {
            Ok(product) => Ok(finish_write(rc, tx, product, shape.as_ref(), &prefix).await?),
            Err(e) if write::is_duplicate_sku(&e) => {
                Ok(ProductPayload::errors(vec![sku_taken(&prefix)]))
            }
            Err(e) => Err(ApiError::from(e).into()),
        }
    }

    /// Changes a product; the result must pass every rule of `createProduct`.
    /// User errors: INVALID, TOO_SHORT, TOO_LONG, TAKEN, NOT_FOUND, OUT_OF_RANGE, PRECISION, NOT_MULTIPLE, TOO_MANY.
    /// Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product's global id.")] id: ID,
        #[graphql(desc = "The fields to change; absent ones keep their value.")]
        input: UpdateProductInput,
    ) -> Result<ProductPayload> {
        let rc = RequestContext::of(ctx);
        let prefix = vec!["input".to_owned()];
        let Some(current) = writable_product(rc, &id).await? else {
            return Ok(ProductPayload::errors(vec![UserError::at(
                &["id"],
                UserErrorCode::NotFound,
                crate::tr!("product-not-found"),
            )]));
        };
        let has_options = !crate::catalogue::variants::graphql::variant_set(rc, &current)
            .await?
            .options
            .is_empty();
        let current = current.into_row();
        let product_id = current.id;
        if has_options && input.stock.is_some() && input.variants.is_none() {
            return Ok(ProductPayload::errors(vec![UserError::at(
                &["input", "stock"],
                UserErrorCode::Invalid,
                crate::tr!("variant-stock-per-variant"),
            )]));
        }
        let shape = ShapeInput {
            options: input.options,
            variants: input.variants,
            stock_given: true,
        };
        // A unit change without new quantities takes that unit's defaults.
        let unit_changed = input.unit.is_some_and(|u| u != current.unit);
        let fields = ProductFields {
            name: input.name.unwrap_or(current.name),
            description: match input.description {
                MaybeUndefined::Undefined => current.description,
                MaybeUndefined::Null => String::new(),
                MaybeUndefined::Value(description) => description,
            },
            price: input.price.unwrap_or(current.price),
            unit: input.unit.unwrap_or(current.unit),
            min_quantity: input
                .min_quantity
                .or((!unit_changed).then_some(current.min_quantity)),
            quantity_step: input
                .quantity_step
                .or((!unit_changed).then_some(current.quantity_step)),
            stock: input.stock.unwrap_or(current.stock),
            materials: input.materials.unwrap_or(current.materials),
            colors: input.colors.unwrap_or(current.colors),
            sizes: input.sizes.unwrap_or(current.sizes),
            status: input.status.unwrap_or(current.status),
            sku: match input.sku {
                MaybeUndefined::Undefined => current.sku,
                MaybeUndefined::Null => None,
                MaybeUndefined::Value(sku) => Some(sku),
            },
            weight_grams: match input.weight_grams {
                MaybeUndefined::Undefined => current.weight_grams,
                MaybeUndefined::Null => None,
                MaybeUndefined::Value(grams) => Some(grams),
            },
        };
        let category = match &input.category_id {
            Some(id) => category(rc, id, &prefix).await?,
            None => Ok(current.category_id),
        };
        let (mut draft, category) = match (validate(fields, &prefix), category) {
            (Ok(draft), Ok(category)) => (draft, category),
            (draft, category) => {
                let mut errors = draft.err().unwrap_or_default();
                errors.extend(category.err());
                return Ok(ProductPayload::errors(errors));
            }
        };
        let shape = match shape_draft(&mut draft, shape, false, &prefix) {
            Ok(shape) => shape,
            Err(errors) => return Ok(ProductPayload::errors(errors)),
        };
        let mut tx = rc.db.begin().await.map_err(ApiError::from)?;
        match write::update(&mut tx, product_id, category, &draft).await {
            Ok(Some(product)) => Ok(finish_write(rc, tx, product, shape.as_ref(), &prefix).await?),
            Ok(None) => Ok(ProductPayload::default()),
            Err(e) if write::is_duplicate_sku(&e) => {
                Ok(ProductPayload::errors(vec![sku_taken(&prefix)]))
            }
            Err(e) => Err(ApiError::from(e).into()),
        }
    }

    /// Takes a product off sale (it stays reachable by id).
    /// User errors: NOT_FOUND.
    /// Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn archive_product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product's global id.")] id: ID,
    ) -> Result<ProductPayload> {
        let rc = RequestContext::of(ctx);
        let Some(current) = writable_product(rc, &id).await? else {
            return Ok(ProductPayload::errors(vec![UserError::at(
                &["id"],
                UserErrorCode::NotFound,
                crate::tr!("product-not-found"),
            )]));
        };
        let product_id = current.id;
        Ok(ProductPayload {
            product: write::archive(&rc.db, product_id).await?,
            user_errors: Vec::new(),
            consistency_token: rc.after_write().await,
        })
    }

    /// Creates or updates, by sku, up to 500 products of one store: all or nothing. Errors
    /// name the item's index (`["products", "316", "price"]`); an empty list or more than
    /// 500 is `TOO_MANY`.
    /// User errors: INVALID, REQUIRED, TOO_SHORT, TOO_LONG, TAKEN, NOT_FOUND, OUT_OF_RANGE, PRECISION, NOT_MULTIPLE, TOO_MANY.
    /// Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn upsert_products(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The store's global id.")] store_id: ID,
        #[graphql(desc = "1 to 500 products, matched to the store's products by `sku`.")]
        products: Vec<ProductUpsertInput>,
    ) -> Result<UpsertProductsPayload> {
        let rc = RequestContext::of(ctx);
        let payload_error = |error: UserError| UpsertProductsPayload {
            products: Vec::new(),
            user_errors: vec![error],
            consistency_token: None,
        };
        let Some(store) = StoreId::from_global(&store_id).ok() else {
            return Ok(payload_error(UserError::at(
                &["storeId"],
                UserErrorCode::NotFound,
                crate::tr!("store-not-found"),
            )));
        };
        let Some(store) = writable_store(rc, store).await? else {
            return Ok(payload_error(UserError::at(
                &["storeId"],
                UserErrorCode::NotFound,
                crate::tr!("store-not-found"),
            )));
        };
        if products.is_empty() || products.len() > UPSERT_MAX {
            return Ok(payload_error(UserError::at(
                &["products"],
                UserErrorCode::TooMany,
                crate::tr!("product-upsert-count"),
            )));
        }
        let category_ids: Vec<CategoryId> = products
            .iter()
            .filter_map(|p| CategoryId::from_global(&p.product.category_id).ok())
            .collect();
        let existing = write::existing_categories(&rc.db, &category_ids).await?;
        let mut errors = Vec::new();
        let mut items = Vec::with_capacity(products.len());
        let mut seen_skus = std::collections::HashSet::new();
        let mut seen_variant_skus = std::collections::HashSet::new();
        for (index, input) in products.into_iter().enumerate() {
            let prefix = vec!["products".to_owned(), index.to_string()];
            let category = CategoryId::from_global(&input.product.category_id)
                .ok()
                .filter(|c| existing.contains(c));
            if category.is_none() {
                errors.push(UserError::under(
                    &prefix,
                    &["categoryId"],
                    UserErrorCode::NotFound,
                    crate::tr!("category-not-found"),
                ));
            }
            let sku = input.sku.trim().to_owned();
            if sku.is_empty() {
                errors.push(UserError::under(
                    &prefix,
                    &["sku"],
                    UserErrorCode::Required,
                    crate::tr!("product-sku-required"),
                ));
            } else if !seen_skus.insert(sku.clone()) {
                errors.push(UserError::under(
                    &prefix,
                    &["sku"],
                    UserErrorCode::Taken,
                    crate::tr!("product-sku-repeated"),
                ));
            }
            for (i, variant) in input.product.variants.iter().flatten().enumerate() {
                if !seen_variant_skus.insert(variant.sku.trim().to_owned()) {
                    errors.push(UserError::under(
                        &prefix,
                        &["variants", &i.to_string(), "sku"],
                        UserErrorCode::Taken,
                        crate::tr!("product-sku-repeated"),
                    ));
                }
            }
            let (_, fields, shape) = input.product.into_fields(Some(sku));
            match (validate(fields, &prefix), category) {
                (Ok(mut draft), Some(category)) => {
                    match shape_draft(&mut draft, shape, true, &prefix) {
                        Ok(shape) => items.push((category, draft, shape)),
                        Err(mut e) => errors.append(&mut e),
                    }
                }
                (Err(mut e), _) => errors.append(&mut e),
                (Ok(_), None) => {}
            }
        }
        if !errors.is_empty() {
            errors.truncate(crate::graphql::user_errors::MAX_USER_ERRORS);
            return Ok(UpsertProductsPayload {
                products: Vec::new(),
                user_errors: errors,
                consistency_token: None,
            });
        }
        let (shapes, items): (Vec<_>, Vec<_>) = items
            .into_iter()
            .map(|(category, draft, shape)| (shape, (category, draft)))
            .unzip();
        let mut tx = rc.db.begin().await.map_err(ApiError::from)?;
        let written = write::upsert_many(&mut tx, store.id, &store.currency_code, &items).await?;
        // Return them in input order.
        let mut by_sku: std::collections::HashMap<String, Product> = written
            .into_iter()
            .filter_map(|p| p.sku.clone().map(|s| (s, p)))
            .collect();
        let ordered: Vec<Product> = items
            .iter()
            .filter_map(|(_, d)| d.sku.as_ref().and_then(|s| by_sku.remove(s)))
            .collect();
        for (index, (product, shape)) in ordered.iter().zip(&shapes).enumerate() {
            let prefix = vec!["products".to_owned(), index.to_string()];
            if let Err(e) = write_shape(&mut tx, product, shape.as_ref(), &prefix).await? {
                return Ok(payload_error(e));
            }
        }
        tx.commit().await.map_err(ApiError::from)?;
        let ordered = if shapes.iter().any(Option::is_some) {
            let ids: Vec<ProductId> = ordered.iter().map(|p| p.id).collect();
            let mut fresh =
                <Product as crate::graphql::loaders::LoadById>::load(&rc.db, &ids).await?;
            fresh.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
            fresh
        } else {
            ordered
        };
        Ok(UpsertProductsPayload {
            products: ordered,
            user_errors: Vec::new(),
            consistency_token: rc.after_write().await,
        })
    }
}
