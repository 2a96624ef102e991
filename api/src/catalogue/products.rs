//! Products: the catalogue's domain types, their listing request and sort orders.

pub mod access;
pub mod db;
pub mod graphql;
pub mod input;
pub mod mutations;
pub mod write;

use async_graphql::{Enum, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::graphql::ids::{CategoryId, ProductId, StoreId};

/// How a product is sold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Enum, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "product_unit", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductUnit {
    /// By the piece (clothing, towels): whole quantities only.
    Piece,
    /// By the metre (fabric off the roll); quantities with up to 3 decimals.
    Metre,
    /// By the kilogram (yarn, fibre); quantities with up to 3 decimals.
    Kilogram,
}

/// Publication state of a product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Enum, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "product_status", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductStatus {
    /// Being prepared: not listed or searchable and not for sale; lookups such as `product`
    /// and `node` show it to admins only.
    Draft,
    /// On sale: listed, searchable and can be put in a cart.
    Active,
    /// Taken off sale: not listed and cannot be bought, but still reachable by id and slug
    /// (for past orders and links).
    Archived,
}

/// A product: one shared, immutable-once-read [`ProductRow`]. Cloning it is one reference
/// count, so the row cache, the loaders and the resolvers of a page of 48 products share
/// rows instead of copying their strings (a clone cost about 18 allocations). Writing a
/// field (tests, a mutation's own copy) copies the row first.
#[derive(Clone, Debug)]
pub struct Product(std::sync::Arc<ProductRow>);

crate::runtime::db::shared_row!(Product, ProductRow);

impl crate::runtime::row_cache::Cached for Product {
    const KIND: crate::runtime::row_cache::Kind = crate::runtime::row_cache::Kind::Product;
    type Id = ProductId;
    fn number(id: ProductId) -> i64 {
        id.0
    }
    fn heap_bytes(&self) -> usize {
        use crate::runtime::row_cache::heap_of;
        std::mem::size_of::<ProductRow>()
            + heap_of([
                &self.slug,
                &self.name,
                &self.description,
                &self.currency_code,
            ])
            + self.sku.as_ref().map_or(0, String::capacity)
            + heap_of(&self.materials)
            + heap_of(&self.colors)
            + heap_of(&self.sizes)
            + heap_of(&self.images)
    }
}

impl Product {
    /// Drafts are only for their store's seller and admins; anything else is public.
    pub fn visible_to(&self, viewer: &crate::graphql::viewer::Viewer) -> bool {
        self.status != ProductStatus::Draft || viewer.is_admin()
    }
}

/// The columns of a product.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ProductRow {
    pub id: ProductId,
    pub store_id: StoreId,
    pub category_id: CategoryId,
    pub slug: String,
    pub sku: Option<String>,
    pub name: String,
    pub description: String,
    pub price: Decimal,
    pub currency_code: String,
    pub unit: ProductUnit,
    pub min_quantity: Decimal,
    pub quantity_step: Decimal,
    pub stock: Decimal,
    pub status: ProductStatus,
    pub materials: Vec<String>,
    pub colors: Vec<String>,
    pub sizes: Vec<String>,
    pub images: Vec<String>,
    pub rating: Decimal,
    pub review_count: i32,
    pub sales_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Grams of one unit, for couriers that charge by weight; `None` when not given.
    pub weight_grams: Option<i32>,
    /// Whether an image was ever uploaded for it: without, `Product.images` looks nothing up.
    pub images_uploaded: bool,
}

/// An amount in a currency.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(complex)]
pub struct Money {
    /// The amount, with at most 2 decimals.
    pub amount: Decimal,
    /// ISO 4217 code of the currency: ARS, CLP, UYU, PYG or PEN (the store's country's).
    pub currency_code: String,
}

#[async_graphql::ComplexObject]
impl Money {
    /// The currency as an enum (the same as `currencyCode`).
    async fn currency(&self) -> Option<crate::commerce::markets::CurrencyCode> {
        crate::commerce::markets::CurrencyCode::parse(&self.currency_code)
    }
}

impl Money {
    /// `amount` in `currency`, rounded by its rules and written with its decimals: `14999`
    /// in CLP and PYG, `1234.50` in the others (order totals and shipping prices).
    pub fn in_currency(amount: Decimal, currency: &str) -> Self {
        let decimals = crate::commerce::money::currency_decimals(currency);
        let mut amount = crate::commerce::money::round_amount(amount, currency);
        amount.rescale(decimals);
        Self {
            amount,
            currency_code: currency.to_owned(),
        }
    }
}

/// Sort orders of product listings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Enum, Serialize, Deserialize)]
pub enum ProductSort {
    /// Best text match first; without a query, the most sold first.
    #[default]
    Relevance,
    /// Cheapest first (by amount, whatever the currency).
    PriceAsc,
    /// Most expensive first (by amount, whatever the currency).
    PriceDesc,
    /// Most recently created first.
    Newest,
    /// Most often ordered first (`salesCount`).
    Popular,
    /// Highest average rating first; products without reviews last.
    TopRated,
}

/// Filters of a product listing (API.md's `ProductFilter`).
#[derive(Clone, Debug, Default, InputObject)]
pub struct ProductFilter {
    /// Products in any of these categories or their subcategories (at most 50 ids).
    pub category_ids: Option<Vec<async_graphql::ID>>,
    /// Products of any of these stores (at most 50 ids).
    pub store_ids: Option<Vec<async_graphql::ID>>,
    /// Products with any of these materials, ignoring case (at most 50 values; a facet's
    /// `value` fits).
    pub materials: Option<Vec<String>>,
    /// Products with any of these colours, ignoring case (at most 50 values).
    pub colors: Option<Vec<String>>,
    /// Products with any of these sizes, ignoring case (at most 50 values).
    pub sizes: Option<Vec<String>>,
    /// Lowest unit price, inclusive, in the store's currency (compared by amount only).
    pub min_price: Option<Decimal>,
    /// Highest unit price, inclusive, in the store's currency (compared by amount only); not
    /// below `minPrice`.
    pub max_price: Option<Decimal>,
    /// When true, only products with at least `minQuantity` in stock; false or null: any.
    pub in_stock: Option<bool>,
    /// Lowest average rating, 0 to 5; products without reviews count as 0.
    pub min_rating: Option<f64>,
}

/// A validated product listing request: what to match, how to order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProductListing {
    pub text: Option<String>,
    pub category_ids: Vec<CategoryId>,
    pub store_ids: Vec<StoreId>,
    pub material_keys: Vec<String>,
    pub color_keys: Vec<String>,
    pub size_keys: Vec<String>,
    /// Only this market's products; their prices are all in its currency.
    pub market: Option<crate::commerce::markets::Market>,
    /// Without a market: price bounds, price sorts and price buckets compare prices
    /// converted to the reference currency with these factors (the rates when the listing
    /// was asked for).
    pub conversion: Option<textisur_search_index::Conversion>,
    pub min_price: Option<Decimal>,
    pub max_price: Option<Decimal>,
    pub in_stock: bool,
    pub min_rating: Option<Decimal>,
    pub sort: ProductSort,
}

impl ProductListing {
    /// The currency the listing's prices are compared in, and whether they are converted:
    /// its market's; US dollars without one, when rates convert them; none otherwise.
    pub fn price_currency(&self) -> (Option<crate::commerce::markets::CurrencyCode>, bool) {
        match (self.market, self.conversion) {
            (Some(market), _) => (Some(market.currency()), false),
            (None, Some(_)) => (Some(crate::commerce::markets::REFERENCE_CURRENCY), true),
            (None, None) => (None, false),
        }
    }
}

/// The keyset position after which a page starts; its variant must match the sort.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ProductCursor {
    Newest(DateTime<Utc>, ProductId),
    PriceAsc(Decimal, ProductId),
    PriceDesc(Decimal, ProductId),
    Popular(i32, ProductId),
    TopRated(Decimal, ProductId),
    Rank(f32, ProductId),
}

/// A product as a listing returns it, with its text-match rank when a query was given.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ProductHit {
    #[sqlx(flatten)]
    pub product: Product,
    pub rank: Option<f32>,
    /// The price the listing sorts by: the product's, or its conversion to US dollars.
    #[sqlx(default)]
    pub sort_price: Option<Decimal>,
}

impl ProductHit {
    /// The cursor that resumes a listing sorted by `sort` right after this hit.
    pub fn cursor(&self, sort: ProductSort) -> ProductCursor {
        let p = &self.product;
        match (sort, self.rank) {
            (ProductSort::Relevance, Some(rank)) => ProductCursor::Rank(rank, p.id),
            (ProductSort::Relevance | ProductSort::Popular, _) => {
                ProductCursor::Popular(p.sales_count, p.id)
            }
            (ProductSort::PriceAsc, _) => {
                ProductCursor::PriceAsc(self.sort_price.unwrap_or(p.price), p.id)
            }
            (ProductSort::PriceDesc, _) => {
                ProductCursor::PriceDesc(self.sort_price.unwrap_or(p.price), p.id)
            }
            (ProductSort::Newest, _) => ProductCursor::Newest(p.created_at, p.id),
            (ProductSort::TopRated, _) => ProductCursor::TopRated(p.rating, p.id),
        }
    }
}

/// Lower-cases and trims facet values so filters match however the client spells them.
pub fn facet_keys(values: Option<Vec<String>>) -> Vec<String> {
    let mut keys: Vec<String> = values
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.trim().to_lowercase())
        .filter(|v| !v.is_empty())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
impl Product {
    /// An active product sold by the metre, for unit tests: id 1 unless changed, price 12.50
    /// ARS, minimum 1, step 0.5.
    pub(crate) fn sample(slug: &str, stock: Decimal) -> Self {
        Self::from(ProductRow {
            id: ProductId(1),
            store_id: StoreId(1),
            category_id: CategoryId(1),
            slug: slug.into(),
            sku: None,
            name: "Lino".into(),
            description: String::new(),
            price: Decimal::new(1250, 2),
            currency_code: "ARS".into(),
            unit: ProductUnit::Metre,
            min_quantity: Decimal::ONE,
            quantity_step: Decimal::new(5, 1),
            stock,
            status: ProductStatus::Active,
            materials: vec![],
            colors: vec![],
            sizes: vec![],
            images: vec![],
            rating: Decimal::ZERO,
            review_count: 0,
            sales_count: 0,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            weight_grams: None,
            images_uploaded: false,
        })
    }
}
