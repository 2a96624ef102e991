//! Plain requests and results of the search API, free of tantivy types.

use serde::{Deserialize, Serialize};

use crate::market::Conversion;

/// Orders of a product listing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SortOrder {
    /// Best match first (with a small popularity and rating tweak); without text, the most
    /// sold first.
    #[default]
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
    Popular,
    TopRated,
}

impl SortOrder {
    /// Whether larger keys come first.
    pub fn descending(self) -> bool {
        !matches!(self, SortOrder::PriceAsc)
    }
}

/// Where a hit sits in its order: the sort value, ties broken by id. A page resumes after
/// the key of the previous page's last hit, so the key must come back from a cursor bit for
/// bit: serde_json parses it exactly because this crate turns on `float_roundtrip`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SortKey {
    pub value: f64,
    pub id: u64,
}

/// A product search: text, filters, order and page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProductQuery {
    /// What the shopper typed; never parsed as query syntax.
    pub text: Option<String>,
    /// Matches a category or any of its descendants.
    pub category_ids: Vec<u64>,
    pub store_ids: Vec<u64>,
    /// Lower-cased values; a product matches when it has any of them.
    pub materials: Vec<String>,
    pub colors: Vec<String>,
    pub sizes: Vec<String>,
    /// Only the products of this market ([`crate::market_code`]).
    pub market: Option<u64>,
    /// Compare prices across markets through these factors: the price bounds are then in
    /// hundredths of the reference currency, and price sorts and buckets use converted
    /// prices ([`crate::Conversion`]). `None`: raw amounts (right within one market).
    pub conversion: Option<Conversion>,
    pub min_price_cents: Option<i64>,
    pub max_price_cents: Option<i64>,
    pub in_stock: bool,
    pub min_rating: Option<f64>,
    pub sort: SortOrder,
    pub after: Option<SortKey>,
    /// Hits wanted (the page size).
    pub limit: usize,
    /// Compute facet counts (disjunctive: each facet ignores its own filter).
    pub facets: bool,
    /// Count every match ([`ProductPage::total`]); without it, a page without text walks
    /// only as far as the page needs.
    pub count_total: bool,
    /// Compute highlights for the page's hits.
    pub highlights: bool,
    /// Look for a better spelling of the text ([`ProductPage::corrected_query`]): a walk of
    /// the term dictionaries for every word the index does not know.
    pub correct_spelling: bool,
    /// Only these product ids (read-your-writes checks, tests); empty means all.
    pub only_ids: Vec<u64>,
}

/// One product of a page.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductHit {
    pub id: u64,
    pub key: SortKey,
    /// `(field, snippet)`: HTML-escaped text with matches wrapped in `<mark>`.
    pub highlights: Vec<(String, String)>,
}

/// A page of products and what the whole match set looks like.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProductPage {
    pub hits: Vec<ProductHit>,
    /// Every match, not just this page; `None` unless [`ProductQuery::count_total`] asked
    /// for it or the page was collected over every match anyway.
    pub total: Option<u64>,
    /// Whether another page follows.
    pub has_more: bool,
    pub facets: Option<ProductFacets>,
    /// A spelling that matches better than what was typed, when there is one and
    /// [`ProductQuery::correct_spelling`] asked for it.
    pub corrected_query: Option<String>,
}

/// A facet value and how many matches have it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacetCount {
    /// The filter value (an id, or a lower-cased label).
    pub value: String,
    pub count: u64,
}

/// A price range and how many matches fall in it (`min` inclusive, `max` exclusive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceBucket {
    pub min_cents: Option<i64>,
    pub max_cents: Option<i64>,
    pub count: u64,
}

/// Facet counts over a whole match set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProductFacets {
    pub categories: Vec<FacetCount>,
    pub stores: Vec<FacetCount>,
    pub materials: Vec<FacetCount>,
    pub colors: Vec<FacetCount>,
    pub sizes: Vec<FacetCount>,
    pub price_ranges: Vec<PriceBucket>,
    /// Some counts were extrapolated from part of a large match set (see `facets.rs`).
    pub approximate: bool,
}

/// A store search: by text, by distance from a point, or both.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoreQuery {
    pub text: Option<String>,
    /// Only the stores of this market ([`crate::market_code`]).
    pub market: Option<u64>,
    /// `(lat, lon)`: sorts by distance (nearest first) and reports it.
    pub near: Option<(f64, f64)>,
    pub radius_km: Option<f64>,
    pub after: Option<SortKey>,
    pub limit: usize,
}

/// One store of a page.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreHit {
    pub id: u64,
    pub key: SortKey,
    pub distance_km: Option<f64>,
}

/// A page of stores.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StorePage {
    pub hits: Vec<StoreHit>,
    pub total: u64,
    pub has_more: bool,
}
