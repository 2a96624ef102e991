//! Sellers' product mutations: create, update, archive and the bulk `upsertProducts`.
//!
//! Only the store's seller or an admin may write; anyone else gets `FORBIDDEN`. Input
//! problems are `userErrors` with paths and codes, and nothing is written when any exists.
//! Prices and quantities arrive as decimals of any size: the lint below keeps arithmetic on
//! them checked.
#![deny(clippy::arithmetic_side_effects)]

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use rust_decimal::Decimal;

use super::input::{ProductFields, validate};
use super::{Product, ProductStatus, ProductUnit, write};
use crate::error::{ApiError, ApiResult};
use crate::guards::SignedIn;
use crate::ids::{CategoryId, ProductId, StoreId};
use crate::schema::RequestContext;
use crate::search;
use crate::stores::Store;
use crate::user_errors::{UserError, UserErrorCode};

/// Most products one `upsertProducts` call takes.
pub const UPSERT_MAX: usize = 500;

/// The fields of a new product, shared by `createProduct` and `upsertProducts`.
#[derive(InputObject)]
pub struct NewProductFields {
    pub category_id: ID,
    pub name: String,
    pub description: Option<String>,
    pub price: Decimal,
    #[graphql(default_with = "ProductUnit::Piece")]
    pub unit: ProductUnit,
    pub min_quantity: Option<Decimal>,
    pub quantity_step: Option<Decimal>,
    pub stock: Decimal,
    pub materials: Option<Vec<String>>,
    pub colors: Option<Vec<String>>,
    pub sizes: Option<Vec<String>>,
    #[graphql(default_with = "ProductStatus::Active")]
    pub status: ProductStatus,
}

impl NewProductFields {
    /// The category id and the fields to validate.
    fn into_fields(self, sku: Option<String>) -> (ID, ProductFields) {
        let fields = ProductFields {
            name: self.name,
            description: self.description.unwrap_or_default(),
            price: self.price,
            unit: self.unit,
            min_quantity: self.min_quantity,
            quantity_step: self.quantity_step,
            stock: self.stock,
            materials: self.materials.unwrap_or_default(),
            colors: self.colors.unwrap_or_default(),
            sizes: self.sizes.unwrap_or_default(),
            status: self.status,
            sku,
        };
        (self.category_id, fields)
    }
}

/// `createProduct`'s input.
#[derive(InputObject)]
pub struct CreateProductInput {
    pub store_id: ID,
    #[graphql(flatten)]
    pub product: NewProductFields,
    pub sku: Option<String>,
}

/// One product of `upsertProducts`: `CreateProductInput` without `storeId`, `sku` required.
#[derive(InputObject)]
pub struct ProductUpsertInput {
    pub sku: String,
    #[graphql(flatten)]
    pub product: NewProductFields,
}

/// `updateProduct`'s input: every field optional; absent fields keep their value.
#[derive(InputObject, Default)]
pub struct UpdateProductInput {
    pub category_id: Option<ID>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<Decimal>,
    pub unit: Option<ProductUnit>,
    pub min_quantity: Option<Decimal>,
    pub quantity_step: Option<Decimal>,
    pub stock: Option<Decimal>,
    pub materials: Option<Vec<String>>,
    pub colors: Option<Vec<String>>,
    pub sizes: Option<Vec<String>>,
    pub status: Option<ProductStatus>,
    pub sku: Option<String>,
}

/// Result of the single-product mutations.
#[derive(SimpleObject, Default)]
pub struct ProductPayload {
    pub product: Option<Product>,
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
    pub user_errors: Vec<UserError>,
    /// Pass it as `consistencyToken` to a listing to be sure it includes this write.
    pub consistency_token: Option<String>,
}

/// The store, after checking that the caller runs it (or is an admin).
async fn writable_store(rc: &RequestContext, store: StoreId) -> ApiResult<Option<Store>> {
    let Some(store) = rc.loaders.stores.load_one(store).await? else {
        return Ok(None);
    };
    if rc.viewer.is_self_or_admin(store.owner_id) {
        Ok(Some(store))
    } else {
        Err(ApiError::Forbidden(crate::tr!("product-change-forbidden")))
    }
}

/// The product with this id, after checking that the caller may change it; `None` when
/// there is no such product.
async fn writable_product(rc: &RequestContext, id: &ID) -> ApiResult<Option<Product>> {
    let Ok(product_id) = ProductId::from_global(id) else {
        return Ok(None);
    };
    let Some(product) = rc.loaders.products.load_one(product_id).await? else {
        return Ok(None);
    };
    writable_store(rc, product.store_id).await?;
    Ok(Some(product))
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
    /// Adds a product to a store. Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
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
        let (category_id, fields) = input.product.into_fields(input.sku);
        let (draft, category) = match (
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
        match write::insert(&rc.db, store.id, &store.currency_code, category, &draft).await {
            Ok(product) => Ok(ProductPayload {
                product: Some(product),
                user_errors: Vec::new(),
                consistency_token: search::after_write(rc).await,
            }),
            Err(e) if write::is_duplicate_sku(&e) => {
                Ok(ProductPayload::errors(vec![sku_taken(&prefix)]))
            }
            Err(e) => Err(ApiError::from(e).into()),
        }
    }

    /// Changes a product. Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
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
        let current = current.into_row();
        let product_id = current.id;
        // A unit change without new quantities takes that unit's defaults.
        let unit_changed = input.unit.is_some_and(|u| u != current.unit);
        let fields = ProductFields {
            name: input.name.unwrap_or(current.name),
            description: input.description.unwrap_or(current.description),
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
            sku: input.sku.or(current.sku),
        };
        let category = match &input.category_id {
            Some(id) => category(rc, id, &prefix).await?,
            None => Ok(current.category_id),
        };
        let (draft, category) = match (validate(fields, &prefix), category) {
            (Ok(draft), Ok(category)) => (draft, category),
            (draft, category) => {
                let mut errors = draft.err().unwrap_or_default();
                errors.extend(category.err());
                return Ok(ProductPayload::errors(errors));
            }
        };
        match write::update(&rc.db, product_id, category, &draft).await {
            Ok(product) => Ok(ProductPayload {
                product,
                user_errors: Vec::new(),
                consistency_token: search::after_write(rc).await,
            }),
            Err(e) if write::is_duplicate_sku(&e) => {
                Ok(ProductPayload::errors(vec![sku_taken(&prefix)]))
            }
            Err(e) => Err(ApiError::from(e).into()),
        }
    }

    /// Takes a product off sale (it stays reachable by id). Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn archive_product(&self, ctx: &Context<'_>, id: ID) -> Result<ProductPayload> {
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
            consistency_token: search::after_write(rc).await,
        })
    }

    /// Creates or updates, by sku, up to 500 products of one store: all or nothing. Errors
    /// name the item's index (`["products", "316", "price"]`). Restricted: the store's seller
    /// and admins.
    #[graphql(guard = "SignedIn")]
    async fn upsert_products(
        &self,
        ctx: &Context<'_>,
        store_id: ID,
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
            let (_, fields) = input.product.into_fields(Some(sku));
            match (validate(fields, &prefix), category) {
                (Ok(draft), Some(category)) => items.push((category, draft)),
                (Err(mut e), _) => errors.append(&mut e),
                (Ok(_), None) => {}
            }
        }
        if !errors.is_empty() {
            errors.truncate(crate::user_errors::MAX_USER_ERRORS);
            return Ok(UpsertProductsPayload {
                products: Vec::new(),
                user_errors: errors,
                consistency_token: None,
            });
        }
        let written = write::upsert_many(&rc.db, store.id, &store.currency_code, &items).await?;
        // Return them in input order.
        let mut by_sku: std::collections::HashMap<String, Product> = written
            .into_iter()
            .filter_map(|p| p.sku.clone().map(|s| (s, p)))
            .collect();
        let ordered = items
            .iter()
            .filter_map(|(_, d)| d.sku.as_ref().and_then(|s| by_sku.remove(s)))
            .collect();
        Ok(UpsertProductsPayload {
            products: ordered,
            user_errors: Vec::new(),
            consistency_token: search::after_write(rc).await,
        })
    }
}
