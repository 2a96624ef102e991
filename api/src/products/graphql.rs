//! GraphQL resolvers of products: `Query.product`, `Query.products` and the `Product` type.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::{
    Money, Product, ProductCursor, ProductFilter, ProductHit, ProductListing, ProductSort,
    ProductStatus, ProductUnit, db, facet_keys,
};
use crate::categories::Category;
use crate::error::{ApiError, ApiResult};
use crate::ids::{CategoryId, ProductId, StoreId};
use crate::pagination::{Page, PageInfo, decode_cursor, encode_cursor, page_size};
use crate::reviews::graphql::ReviewConnection;
use crate::reviews::{ReviewCursor, ReviewPageKey};
use crate::schema::RequestContext;
use crate::stores::Store;
use crate::viewer::Viewer;

/// Longest search text accepted.
const MAX_QUERY_CHARS: usize = 200;
/// Most values one filter list may hold.
const MAX_FILTER_VALUES: usize = 50;

/// Product root fields.
#[derive(Default)]
pub struct ProductQueries;

#[Object]
impl ProductQueries {
    /// A product by id or by slug (exactly one of them).
    async fn product(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Option<Product>> {
        let rc = RequestContext::of(ctx);
        let product = match (id, slug) {
            (Some(id), None) => {
                let id = ProductId::from_global(&id)?;
                rc.loaders.products.load_one(id).await?
            }
            (None, Some(slug)) => db::by_slug(&rc.db, &slug).await?,
            _ => return Err(ApiError::bad_input("give exactly one of id and slug").into()),
        };
        Ok(product.filter(|p| p.visible_to(&rc.viewer)))
    }

    /// Active products matching a text query and filters, in pages.
    #[allow(clippy::too_many_arguments)]
    async fn products(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        filter: Option<ProductFilter>,
        #[graphql(default)] sort: ProductSort,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> Result<ProductSearchConnection> {
        let listing = listing_from_args(query, filter, sort, None)?;
        Ok(ProductSearchConnection::fetch(RequestContext::of(ctx), listing, first, after).await?)
    }
}

/// Validates the listing arguments shared by `Query.products` and `Store.products`.
pub fn listing_from_args(
    query: Option<String>,
    filter: Option<ProductFilter>,
    sort: ProductSort,
    only_store: Option<StoreId>,
) -> ApiResult<ProductListing> {
    let text = query.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    if text
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
    {
        return Err(ApiError::bad_input(format!(
            "query may not exceed {MAX_QUERY_CHARS} characters"
        )));
    }
    let filter = filter.unwrap_or_default();
    let too_many = [
        filter.category_ids.as_ref().map(Vec::len),
        filter.store_ids.as_ref().map(Vec::len),
        filter.materials.as_ref().map(Vec::len),
        filter.colors.as_ref().map(Vec::len),
        filter.sizes.as_ref().map(Vec::len),
    ]
    .into_iter()
    .flatten()
    .any(|n| n > MAX_FILTER_VALUES);
    if too_many {
        return Err(ApiError::bad_input(format!(
            "a filter list may hold at most {MAX_FILTER_VALUES} values"
        )));
    }
    if let (Some(min), Some(max)) = (filter.min_price, filter.max_price)
        && min > max
    {
        return Err(ApiError::bad_input("minPrice may not exceed maxPrice"));
    }
    let min_rating = match filter.min_rating {
        None => None,
        Some(r) if (0.0..=5.0).contains(&r) => Decimal::try_from(r).ok(),
        Some(_) => return Err(ApiError::bad_input("minRating must be between 0 and 5")),
    };
    let category_ids = filter
        .category_ids
        .unwrap_or_default()
        .iter()
        .map(CategoryId::from_global)
        .collect::<ApiResult<Vec<_>>>()?;
    let mut store_ids = filter
        .store_ids
        .unwrap_or_default()
        .iter()
        .map(StoreId::from_global)
        .collect::<ApiResult<Vec<_>>>()?;
    if let Some(store) = only_store {
        // Within a store, a store filter can only narrow: other stores match nothing.
        if store_ids.is_empty() || store_ids.contains(&store) {
            store_ids = vec![store];
        } else {
            store_ids = vec![StoreId(0)];
        }
    }
    Ok(ProductListing {
        text,
        category_ids,
        store_ids,
        material_keys: facet_keys(filter.materials),
        color_keys: facet_keys(filter.colors),
        size_keys: facet_keys(filter.sizes),
        min_price: filter.min_price,
        max_price: filter.max_price,
        in_stock: filter.in_stock.unwrap_or(false),
        min_rating,
        sort,
    })
}

/// A page of a product listing.
pub struct ProductSearchConnection {
    page: Page<ProductHit>,
    listing: Arc<ProductListing>,
}

impl ProductSearchConnection {
    /// Runs a listing and keeps what `totalCount` needs to count lazily.
    pub async fn fetch(
        rc: &RequestContext,
        listing: ProductListing,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Self> {
        let first = page_size(first)?;
        let cursor: Option<ProductCursor> = after.as_deref().map(decode_cursor).transpose()?;
        let rows = if first == 0 {
            Vec::new()
        } else {
            db::list(&rc.db, &listing, cursor.as_ref(), first + 1).await?
        };
        for hit in &rows {
            rc.loaders
                .products
                .feed_one(hit.product.id, hit.product.clone())
                .await;
        }
        Ok(Self {
            page: Page::from_overfetch(rows, first, cursor.is_some()),
            listing: Arc::new(listing),
        })
    }

    fn cursor(&self, hit: &ProductHit) -> String {
        encode_cursor(&hit.cursor(self.listing.sort))
    }
}

#[Object]
impl ProductSearchConnection {
    async fn edges(&self) -> Vec<ProductSearchEdge> {
        self.page
            .rows
            .iter()
            .map(|hit| ProductSearchEdge {
                cursor: self.cursor(hit),
                node: hit.product.clone(),
            })
            .collect()
    }

    async fn nodes(&self) -> Vec<&Product> {
        self.page.rows.iter().map(|hit| &hit.product).collect()
    }

    async fn page_info(&self) -> PageInfo {
        self.page.page_info(|hit| self.cursor(hit))
    }

    /// Every product the listing matches (one count statement, run only when asked).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(db::count(&RequestContext::of(ctx).db, &self.listing).await?)
    }
}

/// One product of a listing page.
pub struct ProductSearchEdge {
    cursor: String,
    node: Product,
}

#[Object]
impl ProductSearchEdge {
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    async fn node(&self) -> &Product {
        &self.node
    }
}

impl Product {
    /// Drafts are only for their store's seller and admins; anything else is public.
    pub fn visible_to(&self, viewer: &Viewer) -> bool {
        self.status != ProductStatus::Draft || viewer.is_admin()
    }
}

/// A product image.
#[derive(async_graphql::SimpleObject)]
pub struct Image {
    pub url: String,
    pub alt_text: String,
}

#[Object]
impl Product {
    pub async fn id(&self) -> ID {
        self.id.to_global()
    }

    async fn slug(&self) -> &str {
        &self.slug
    }

    async fn sku(&self) -> Option<&str> {
        self.sku.as_deref()
    }

    async fn name(&self) -> &str {
        &self.name
    }

    /// Sanitised HTML with a small set of formatting tags.
    async fn description(&self) -> &str {
        &self.description
    }

    /// Price of one unit (one piece, one metre or one kilogram).
    async fn price(&self) -> Money {
        Money {
            amount: self.price,
            currency_code: self.currency_code.clone(),
        }
    }

    async fn unit(&self) -> ProductUnit {
        self.unit
    }

    /// Smallest quantity a cart line may hold.
    async fn min_quantity(&self) -> Decimal {
        self.min_quantity
    }

    /// Quantities are `minQuantity + k * quantityStep`.
    async fn quantity_step(&self) -> Decimal {
        self.quantity_step
    }

    async fn stock(&self) -> Decimal {
        self.stock
    }

    /// Whether at least `minQuantity` is in stock.
    async fn in_stock(&self) -> bool {
        self.stock >= self.min_quantity
    }

    async fn status(&self) -> ProductStatus {
        self.status
    }

    async fn category(&self, ctx: &Context<'_>) -> Result<Option<Category>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .categories
            .load_one(self.category_id)
            .await?)
    }

    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .stores
            .load_one(self.store_id)
            .await?)
    }

    async fn materials(&self) -> &[String] {
        &self.materials
    }

    async fn colors(&self) -> &[String] {
        &self.colors
    }

    async fn sizes(&self) -> &[String] {
        &self.sizes
    }

    async fn images(&self) -> Vec<Image> {
        self.images
            .iter()
            .map(|url| Image {
                url: url.clone(),
                alt_text: self.name.clone(),
            })
            .collect()
    }

    /// Average review rating, null while there is no review.
    async fn rating(&self) -> Option<f64> {
        (self.review_count > 0).then(|| self.rating.try_into().unwrap_or_default())
    }

    async fn review_count(&self) -> i32 {
        self.review_count
    }

    /// Units sold so far.
    async fn sales_count(&self) -> i32 {
        self.sales_count
    }

    /// Reviews, newest first.
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> Result<ReviewConnection> {
        let first = page_size(first)?;
        let after: Option<ReviewCursor> = after.as_deref().map(decode_cursor).transpose()?;
        let key = ReviewPageKey {
            product: self.id,
            first,
            after,
        };
        let rows = if first == 0 {
            Vec::new()
        } else {
            RequestContext::of(ctx)
                .loaders
                .review_pages
                .load_one(key)
                .await?
                .unwrap_or_default()
        };
        Ok(ReviewConnection::new(
            Page::from_overfetch(rows, first, after.is_some()),
            self.review_count,
        ))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

impl crate::loaders::LoadById for Product {
    const NAME: &'static str = "product";
    type Id = ProductId;

    fn id(&self) -> ProductId {
        self.id
    }

    async fn load(db: &crate::db::Db, ids: &[ProductId]) -> ApiResult<Vec<Self>> {
        db::by_ids(db, ids).await
    }
}
