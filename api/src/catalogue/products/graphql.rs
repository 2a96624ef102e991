//! GraphQL resolvers of products: `Query.product`, `Query.products` and the `Product` type.
//!
//! The listing filter's prices come from clients as decimals of any size: the lint below
//! keeps arithmetic here checked.
#![deny(clippy::arithmetic_side_effects)]

use crate::catalogue::media::graphql::Image;
use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

use futures::future::join_all;

use super::input::price_limit;
use super::{
    Money, Product, ProductCursor, ProductFilter, ProductListing, ProductSort, ProductStatus,
    ProductUnit, db, facet_keys,
};
use crate::catalogue::categories::Category;
use crate::catalogue::reviews::ReviewPageLoader;
use crate::catalogue::reviews::graphql::ReviewConnection;
use crate::catalogue::reviews::{ReviewCursor, ReviewPageKey};
use crate::catalogue::stores::Store;
use crate::catalogue::variants::graphql::{ProductVariant, ProductVariantFields};
use crate::commerce::markets::{ConvertedMoney, Market};
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids::{CategoryId, ProductId, StoreId};
use crate::graphql::pagination::{Known, Page, PageInfo, decode_cursor, encode_cursor, page_size};
use crate::search::facets::{Highlight, ProductFacets};
use crate::search::{self, IndexCursor, PageRequest};

/// Longest search text accepted.
const MAX_QUERY_CHARS: usize = 200;
/// Most values one filter list may hold.
const MAX_FILTER_VALUES: usize = 50;

/// The product with this id if the caller may see it (drafts and archived products only by
/// their seller and admins): `product(id:)` and `node` find products through it.
pub async fn visible_product(rc: &RequestContext, id: ProductId) -> ApiResult<Option<Product>> {
    let product = rc.loaders.by_id::<Product>().load_one(id).await?;
    Ok(product.filter(|p| p.visible_to(&rc.viewer)))
}

/// Product root fields.
#[derive(Default)]
pub struct ProductQueries;

#[Object]
impl ProductQueries {
    /// A product by id or by slug (exactly one of them).
    async fn product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product's global id.")] id: Option<ID>,
        #[graphql(desc = "The product's slug.")] slug: Option<String>,
    ) -> Result<Option<Product>> {
        let rc = RequestContext::of(ctx);
        let product = match (id, slug) {
            (Some(id), None) => {
                let id = ProductId::from_global(&id)?;
                visible_product(rc, id).await?
            }
            (None, Some(slug)) => match rc.db.rows().by_slug::<Product>(&slug, |p| &p.slug) {
                Some(product) => Some(product),
                None => {
                    let ticket = rc.db.rows().ticket();
                    let product = db::by_slug(&rc.db, &slug).await?;
                    if let (Some(ticket), Some(product)) = (ticket, &product) {
                        rc.db
                            .rows()
                            .fill_by_slug(ticket, &product.slug, product.id, product);
                    }
                    product
                }
            },
            _ => return Err(ApiError::bad_input(crate::tr!("lookup-id-or-slug")).into()),
        };
        Ok(product.filter(|p| p.visible_to(&rc.viewer)))
    }

    /// Active products matching a text query and filters, in pages.
    #[allow(clippy::too_many_arguments)]
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Search text, at most 200 characters, matched against names, categories, attributes and descriptions (accents and case ignored, small typos tolerated); null or blank matches every product the filter lets through."
        )]
        query: Option<String>,
        #[graphql(desc = "Conditions every listed product meets; null when there are none.")]
        filter: Option<ProductFilter>,
        #[graphql(default, desc = "The order of the listing.")] sort: ProductSort,
        #[graphql(
            default = 20,
            desc = "How many products to return: default 20, at most 100."
        )]
        first: Option<i32>,
        #[graphql(
            desc = "The `endCursor` of the previous page of the same listing (same query, filter and sort); the page starts after it."
        )]
        after: Option<String>,
        #[graphql(
            desc = "A `consistencyToken` from a mutation: the answer includes that write (waits up to a second for the index, then asks PostgreSQL)."
        )]
        consistency_token: Option<String>,
        #[graphql(
            desc = "Only the products of this market's stores: prices, price bounds, price sorts and price ranges are then all in its currency. Null: every market, with price bounds in US dollars and price sorts and ranges by prices converted to US dollars at `exchangeRates` (approximate)."
        )]
        market: Option<Market>,
    ) -> Result<ProductSearchConnection> {
        let rc = RequestContext::of(ctx);
        let mut listing = listing_from_args(query, filter, sort, None)?;
        listing.market = market;
        if market.is_none() {
            listing.conversion = rc.search.rates.conversion();
        }
        let token = search::parse_token(consistency_token.as_deref())?;
        Ok(
            ProductSearchConnection::fetch(rc, listing, first, after, Wants::of(ctx), token)
                .await?,
        )
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
        return Err(ApiError::bad_input(crate::tr!(
            "search-query-too-long",
            max = MAX_QUERY_CHARS
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
        return Err(ApiError::bad_input(crate::tr!(
            "product-filter-too-many",
            max = MAX_FILTER_VALUES
        )));
    }
    // No price reaches the limit, so a bound past it can only be a mistake or a probe.
    for (name, bound) in [
        ("minPrice", filter.min_price),
        ("maxPrice", filter.max_price),
    ] {
        if bound.is_some_and(|b| b.abs() >= price_limit()) {
            return Err(ApiError::bad_input(crate::tr!(
                "product-price-bound-out-of-range",
                argument = name
            )));
        }
    }
    if let (Some(min), Some(max)) = (filter.min_price, filter.max_price)
        && min > max
    {
        return Err(ApiError::bad_input(crate::tr!(
            "product-price-bounds-crossed"
        )));
    }
    let min_rating = match filter.min_rating {
        None => None,
        Some(r) if (0.0..=5.0).contains(&r) => Decimal::try_from(r).ok(),
        Some(_) => {
            return Err(ApiError::bad_input(crate::tr!(
                "product-min-rating-out-of-range"
            )));
        }
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
        market: None,
        conversion: None,
        min_price: filter.min_price,
        max_price: filter.max_price,
        in_stock: filter.in_stock.unwrap_or(false),
        min_rating,
        sort,
    })
}

/// What the selection of a listing asks beyond the page (computed only when asked).
#[derive(Clone, Copy, Debug, Default)]
pub struct Wants {
    pub total: bool,
    pub facets: bool,
    pub highlights: bool,
    pub corrected_query: bool,
}

impl Wants {
    /// Reads the connection's selection.
    pub fn of(ctx: &Context<'_>) -> Self {
        let look = ctx.look_ahead();
        Self {
            total: look.field("totalCount").exists(),
            facets: look.field("facets").exists(),
            highlights: look.field("edges").field("highlights").exists(),
            corrected_query: look.field("correctedQuery").exists(),
        }
    }
}

/// One product of a page, with its cursor and highlights.
struct Listed {
    product: Product,
    cursor: String,
    highlights: Vec<Highlight>,
}

/// Where a page came from, and what it knows of the whole match set.
enum Source {
    /// The index counted, faceted and corrected in the same pass.
    Index {
        /// `None` when the selection did not ask for `totalCount`.
        total: Option<u64>,
        facets: Option<ProductFacets>,
        corrected_query: Option<String>,
    },
    /// PostgreSQL: counts and facets run as their own statements, when asked.
    Postgres,
}

/// A page of a product listing.
pub struct ProductSearchConnection {
    rows: Vec<Listed>,
    has_next_page: bool,
    has_previous_page: bool,
    listing: Arc<ProductListing>,
    source: Source,
}

/// The cursor of either source: index pages and PostgreSQL pages have their own.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum AnyCursor {
    Index(IndexCursor),
    Postgres(ProductCursor),
}

impl ProductSearchConnection {
    /// Runs a listing: from the index when it can answer, else from PostgreSQL.
    pub async fn fetch(
        rc: &RequestContext,
        listing: ProductListing,
        first: Option<i32>,
        after: Option<String>,
        wants: Wants,
        consistency_token: Option<crate::runtime::db::ConsistencyToken>,
    ) -> ApiResult<Self> {
        let first = page_size(first)?;
        let cursor: Option<AnyCursor> = after.as_deref().map(decode_cursor).transpose()?;
        let index = match &cursor {
            // A page of the other source cannot resume here.
            Some(AnyCursor::Postgres(_)) => None,
            _ => rc.index_for(consistency_token).await,
        };
        match (index, cursor) {
            (Some(index), cursor) => {
                let after = match cursor {
                    Some(AnyCursor::Index(c)) => Some(c.key_for(listing.sort)?),
                    _ => None,
                };
                Self::from_index(rc, index, listing, first, after, wants).await
            }
            (None, Some(AnyCursor::Index(_))) => {
                Err(ApiError::bad_input(crate::tr!("cursor-expired")))
            }
            (None, cursor) => {
                let cursor = match cursor {
                    Some(AnyCursor::Postgres(c)) => Some(c),
                    _ => None,
                };
                Self::from_postgres(rc, listing, first, cursor).await
            }
        }
    }

    async fn from_index(
        rc: &RequestContext,
        index: textisur_search_index::SearchIndex,
        listing: ProductListing,
        first: usize,
        after: Option<textisur_search_index::SortKey>,
        wants: Wants,
    ) -> ApiResult<Self> {
        let query = search::product_query(
            &listing,
            after,
            PageRequest {
                limit: first,
                total: wants.total,
                facets: wants.facets,
                highlights: wants.highlights,
                correct_spelling: wants.corrected_query,
            },
        );
        let page = match search::quick(|| index.search_products_if_quick(&query).transpose())? {
            Some(page) => page,
            None => search::blocking(move || index.search_products(&query)).await?,
        };
        // Hydrate the page in one batch; PostgreSQL is the truth, so a hit whose product is
        // gone or no longer active since the last index commit is left out.
        let loaded = join_all(page.hits.iter().map(|hit| {
            rc.loaders
                .by_id::<Product>()
                .load_one(ProductId(i64::try_from(hit.id).unwrap_or_default()))
        }))
        .await;
        let mut rows = Vec::with_capacity(page.hits.len());
        for (hit, product) in page.hits.into_iter().zip(loaded) {
            let Some(product) = product? else { continue };
            if product.status != ProductStatus::Active {
                continue;
            }
            rows.push(Listed {
                product,
                cursor: encode_cursor(&IndexCursor {
                    sort: listing.sort,
                    value: hit.key.value,
                    id: hit.key.id,
                }),
                highlights: hit
                    .highlights
                    .into_iter()
                    .map(|(field, snippet)| Highlight { field, snippet })
                    .collect(),
            });
        }
        let facets = match page.facets {
            Some(counts) => Some(
                ProductFacets::from_counts(counts, listing.price_currency(), &rc.loaders).await?,
            ),
            None => None,
        };
        Ok(Self {
            rows,
            has_next_page: page.has_more,
            has_previous_page: after.is_some(),
            listing: Arc::new(listing),
            source: Source::Index {
                total: page.total,
                facets,
                corrected_query: page.corrected_query,
            },
        })
    }

    async fn from_postgres(
        rc: &RequestContext,
        listing: ProductListing,
        first: usize,
        cursor: Option<ProductCursor>,
    ) -> ApiResult<Self> {
        let rows = if first == 0 {
            Vec::new()
        } else {
            db::list(&rc.db, &listing, cursor.as_ref(), first.saturating_add(1)).await?
        };
        for hit in &rows {
            rc.loaders
                .by_id::<Product>()
                .feed_one(hit.product.id, hit.product.clone())
                .await;
        }
        let page = Page::from_overfetch(rows, first, cursor.is_some());
        Ok(Self {
            rows: page
                .rows
                .into_iter()
                .map(|hit| Listed {
                    cursor: encode_cursor(&hit.cursor(listing.sort)),
                    product: hit.product,
                    highlights: Vec::new(),
                })
                .collect(),
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            listing: Arc::new(listing),
            source: Source::Postgres,
        })
    }
}

/// A page of a product listing, with the count, facets and spelling suggestion of the
/// whole listing.
#[Object]
impl ProductSearchConnection {
    /// The products of this page with their cursors and highlights.
    async fn edges(&self) -> Vec<ProductSearchEdge<'_>> {
        self.rows
            .iter()
            .map(|row| ProductSearchEdge {
                row,
                text: self.listing.text.as_deref(),
            })
            .collect()
    }

    /// The products of this page, without cursors.
    async fn nodes(&self) -> Vec<&Product> {
        self.rows.iter().map(|row| &row.product).collect()
    }

    /// Whether more products follow, and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            start_cursor: self.rows.first().map(|r| r.cursor.clone()),
            end_cursor: self.rows.last().map(|r| r.cursor.clone()),
        }
    }

    /// Every product the listing matches.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        match &self.source {
            Source::Index {
                total: Some(total), ..
            } => Ok(*total as i64),
            // Not asked for when the page was searched (a selection look-ahead missed it):
            // PostgreSQL counts rather than the whole index walked again.
            Source::Index { total: None, .. } | Source::Postgres => {
                Ok(db::count(&RequestContext::of(ctx).db, &self.listing).await?)
            }
        }
    }

    /// Counts over the whole match set; each facet ignores its own filter (disjunctive).
    async fn facets(&self, ctx: &Context<'_>) -> Result<ProductFacets> {
        match &self.source {
            Source::Index { facets, .. } => Ok(facets.clone().unwrap_or_default()),
            Source::Postgres => {
                let rc = RequestContext::of(ctx);
                let counts = db::facet_counts::facets(&rc.db, &self.listing).await?;
                Ok(
                    ProductFacets::from_counts(counts, self.listing.price_currency(), &rc.loaders)
                        .await?,
                )
            }
        }
    }

    /// "Did you mean": set when a close spelling matches better than the query as typed.
    async fn corrected_query(&self) -> Option<&str> {
        match &self.source {
            Source::Index {
                corrected_query, ..
            } => corrected_query.as_deref(),
            Source::Postgres => None,
        }
    }
}

/// One product of a listing page.
pub struct ProductSearchEdge<'a> {
    row: &'a Listed,
    /// The listing's text, for the variant it names.
    text: Option<&'a str>,
}

/// One product of a listing page, with its cursor and where the query matched.
#[Object]
impl ProductSearchEdge<'_> {
    /// Opaque cursor of this product: pass it as `after`, with the same listing arguments,
    /// to continue after it.
    async fn cursor(&self) -> &str {
        &self.row.cursor
    }

    /// The product.
    async fn node(&self) -> &Product {
        &self.row.product
    }

    /// Where the query matched: HTML-escaped snippets with matches wrapped in `<mark>`.
    async fn highlights(&self) -> &[Highlight] {
        &self.row.highlights
    }

    /// The variant the query names, to preselect on the product's page: of the variants on
    /// sale with stock, the one with most of its option values among the query's words
    /// ("remera roja talle M": M / rojo). Null without text, or when the query names none.
    async fn matched_variant(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        let Some(text) = self.text else {
            return Ok(None);
        };
        Ok(crate::catalogue::variants::graphql::named_variant(
            RequestContext::of(ctx),
            &self.row.product,
            text,
        )
        .await?)
    }
}

/// Something a store sells: fabric by the metre, clothing and home textiles by the piece,
/// yarn by the kilogram. Prices are per unit in the store's currency; quantities are in the
/// product's unit.
#[Object]
impl Product {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        self.id.to_global()
    }

    /// URL-friendly unique name, made from the name when the product was created; it does
    /// not change when the product is renamed.
    async fn slug(&self) -> &str {
        &self.slug
    }

    /// The store's own stock-keeping code, unique within the store; null when it has none.
    async fn sku(&self) -> Option<&str> {
        self.sku.as_deref()
    }

    /// The product's name, 3 to 150 characters.
    async fn name(&self) -> &str {
        &self.name
    }

    /// Sanitised HTML with a small set of formatting tags.
    #[graphql(
        deprecation = "HTML in a String: use `descriptionHtml` to render it, or `descriptionText` for plain text. Removal not before 2027-06-06."
    )]
    async fn description(&self) -> &str {
        &self.description
    }

    /// The description as HTML to render: sanitised, formatting tags only; empty when
    /// there is none.
    async fn description_html(&self) -> crate::graphql::html::Html {
        crate::graphql::html::Html(self.description.clone())
    }

    /// The description as plain text: no tags, entities decoded, paragraphs and list items
    /// on lines of their own; empty when there is none.
    async fn description_text(&self) -> String {
        crate::graphql::plain_text::to_text(&self.description)
    }

    /// Price of one unit (one piece, one metre or one kilogram).
    async fn price(&self) -> Money {
        Money {
            amount: self.price,
            currency_code: self.currency_code.clone(),
        }
    }

    /// The price of one unit converted to US dollars at the current `exchangeRates`, as
    /// listings without a market compare it: approximate, for comparing across markets
    /// (buyers pay `price`). Null when the product's currency has no rate.
    async fn reference_price(&self, ctx: &Context<'_>) -> Option<ConvertedMoney> {
        let rates = &RequestContext::of(ctx).search.rates;
        let market = Market::of_currency(&self.currency_code)?;
        let cents = self
            .price
            .checked_mul(Decimal::ONE_HUNDRED)?
            .trunc()
            .to_i64()?;
        let converted = rates.conversion()?.convert(market.code(), cents)?;
        Some(ConvertedMoney {
            amount: Decimal::new(i64::from_f64(converted.round())?, 2),
            currency: crate::commerce::markets::REFERENCE_CURRENCY,
            approximate: true,
        })
    }

    /// Grams of one unit, for couriers that charge by weight; null when the seller gave none.
    async fn weight_grams(&self) -> Option<i32> {
        self.weight_grams
    }

    /// The unit the product is sold in: of `price`, `stock` and every quantity.
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

    /// The options buyers pick from (`Talle`, `Color`), in display order; empty when the
    /// product has none.
    async fn options(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::catalogue::variants::ProductOption>> {
        ProductVariantFields::options(ctx, self).await
    }

    /// Its variants: those on sale in display order, then those taken off sale
    /// (`isActive` false), at most 200; a product without options has exactly one.
    async fn variants(&self, ctx: &Context<'_>) -> Result<Vec<ProductVariant>> {
        ProductVariantFields::variants(ctx, self).await
    }

    /// The variant with these option values (names and values in any case), or null when
    /// the product has no such combination.
    async fn variant_by_selected_options(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One value of each of the product's options.")] selected_options: Vec<
            crate::catalogue::variants::SelectedOptionInput,
        >,
    ) -> Result<Option<ProductVariant>> {
        ProductVariantFields::by_selected_options(ctx, self, selected_options).await
    }

    /// How much is available, in the product's unit: with options, the sum of the variants
    /// on sale.
    async fn stock(&self) -> Decimal {
        self.stock
    }

    /// Whether at least `minQuantity` is in stock.
    async fn in_stock(&self) -> bool {
        self.stock >= self.min_quantity
    }

    /// Whether the product is on sale; listings show ACTIVE products only.
    async fn status(&self) -> ProductStatus {
        self.status
    }

    /// The category the product is filed under.
    async fn category(&self, ctx: &Context<'_>) -> Result<Option<Category>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .by_id::<Category>()
            .load_one(self.category_id)
            .await?)
    }

    /// The store that sells it.
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .by_id::<Store>()
            .load_one(self.store_id)
            .await?)
    }

    /// Materials as the seller spelled them (`Lino`, `Algodón`), at most 20; the
    /// `materials` filter matches them ignoring case.
    async fn materials(&self) -> &[String] {
        &self.materials
    }

    /// Colours as the seller spelled them, at most 20; the `colors` filter matches them
    /// ignoring case.
    async fn colors(&self) -> &[String] {
        &self.colors
    }

    /// Sizes as the seller spelled them (`M`, `2 plazas`), at most 20; the `sizes` filter
    /// matches them ignoring case.
    async fn sizes(&self) -> &[String] {
        &self.sizes
    }

    /// Pictures of the product, at most 8: those the seller uploaded, in the seller's order,
    /// then those hosted elsewhere. Uploads still processing show only to the store's seller
    /// and admins.
    async fn images(&self, ctx: &Context<'_>) -> Result<Vec<Image>> {
        Ok(crate::catalogue::media::graphql::product_images(RequestContext::of(ctx), self).await?)
    }

    /// Average review rating, null while there is no review.
    async fn rating(&self) -> Option<f64> {
        (self.review_count > 0).then(|| self.rating.try_into().unwrap_or_default())
    }

    /// How many reviews the product has.
    async fn review_count(&self) -> i32 {
        self.review_count
    }

    /// How many orders include the product, cancelled ones excepted (a count of orders,
    /// not of units or metres).
    async fn sales_count(&self) -> i32 {
        self.sales_count
    }

    /// Reviews, newest first.
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 20,
            desc = "How many reviews to return: default 20, at most 100."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; the page starts after it.")]
        after: Option<String>,
    ) -> Result<ReviewConnection> {
        let first = page_size(first)?;
        let after: Option<ReviewCursor> = after.as_deref().map(decode_cursor).transpose()?;
        let key = ReviewPageKey {
            product: self.id,
            first,
            after,
        };
        // `review_count` is written in the transaction that writes a review, so a product
        // without reviews needs no statement to say so.
        let rows = if first == 0 || (self.review_count == 0 && after.is_none()) {
            Vec::new()
        } else {
            RequestContext::of(ctx)
                .loaders
                .get::<ReviewPageLoader>()
                .load_one(key)
                .await?
                .unwrap_or_default()
        };
        Ok(ReviewConnection::new(
            Page::from_overfetch(rows, first, after.is_some()),
            Known(self.review_count.into()),
        ))
    }

    /// When the product was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// When the product last changed: edited, archived, or its stock taken by a checkout or
    /// put back by a cancellation.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

impl crate::graphql::loaders::LoadById for Product {
    const FROM_STANDBY: bool = true;
    const NAME: &'static str = "product";
    const CHANGING: bool = true;
    type Id = ProductId;

    fn id(&self) -> ProductId {
        self.id
    }

    crate::graphql::loaders::kept_between_requests!();

    async fn load(db: &crate::runtime::db::Db, ids: &[ProductId]) -> ApiResult<Vec<Self>> {
        db::by_ids(db, ids).await
    }
}
