//! GraphQL shapes of facets and highlights, with labels looked up through the loaders.

use async_graphql::SimpleObject;
use futures::future::join_all;
use rust_decimal::Decimal;
use textisur_search_index as index;

use super::amount;
use crate::catalogue::categories::Category;
use crate::catalogue::stores::Store;
use crate::commerce::markets::CurrencyCode;
use crate::graphql::error::ApiResult;
use crate::graphql::ids::{CategoryId, NodeKind, StoreId, encode};
use crate::graphql::loaders::Loaders;

/// A matched stretch of a field: HTML-escaped text, matches wrapped in `<mark>`.
#[derive(Clone, Debug, SimpleObject)]
pub struct Highlight {
    /// The field that matched: `name` or `description`.
    pub field: String,
    /// The matched text (the whole name, or a stretch of the description) with every
    /// match wrapped in `<mark>`; the rest is HTML-escaped text without tags.
    pub snippet: String,
}

/// A facet value and how many matches have it.
#[derive(Clone, Debug, SimpleObject)]
pub struct FacetValue {
    /// What to pass back in the filter (an id, or the lower-cased value).
    pub value: String,
    /// What to show.
    pub label: String,
    /// How many products of the listing have this value (with the other facets' filters
    /// applied, but not this facet's own).
    pub count: i64,
}

/// A price range (`min` inclusive, `max` exclusive; open ends are null).
#[derive(Clone, Debug, SimpleObject)]
pub struct PriceRangeFacet {
    /// Lowest price in the range, inclusive, on a 1-2-5 ladder (10, 20, 50, 100...); null
    /// when the range has no lower bound (it starts below 10).
    pub min: Option<Decimal>,
    /// Price where the range ends, exclusive; null when the range has no upper bound.
    pub max: Option<Decimal>,
    /// How many products of the listing are priced in the range.
    pub count: i64,
    /// The currency of `min` and `max`: the market's, or US dollars in a listing without a
    /// market (prices converted at `exchangeRates`); null when no rate converts them.
    pub currency: Option<CurrencyCode>,
    /// Whether the bounds compare converted prices (a listing without a market), so a
    /// product near a bound may fall on either side of it as rates move.
    pub approximate: bool,
}

/// Counts over the whole match set; each facet ignores its own filter.
#[derive(Clone, Debug, Default, SimpleObject)]
pub struct ProductFacets {
    /// Categories (a product counts for its category and every ancestor), most products
    /// first, at most 30; `value` is the category's global id.
    pub categories: Vec<FacetValue>,
    /// Stores, most products first, at most 30; `value` is the store's global id.
    pub stores: Vec<FacetValue>,
    /// Materials, most products first, at most 30; `value` is the lower-cased material.
    pub materials: Vec<FacetValue>,
    /// Colours, most products first, at most 30; `value` is the lower-cased colour.
    pub colors: Vec<FacetValue>,
    /// Sizes, most products first, at most 30; `value` is the lower-cased size.
    pub sizes: Vec<FacetValue>,
    /// At most 6 price ranges, cheapest first; ranges without products are left out.
    pub price_ranges: Vec<PriceRangeFacet>,
    /// True when some counts were estimated: a facet with a filter of its own is counted
    /// over the matches without that filter, and over more than 20,000 of them the count
    /// is extrapolated from the first 20,000. Exact otherwise.
    pub approximate: bool,
}

/// "algodón" -> "Algodón": facet keys are lower-cased, labels start with a capital.
fn label(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn words(values: Vec<index::FacetCount>) -> Vec<FacetValue> {
    values
        .into_iter()
        .map(|v| FacetValue {
            label: label(&v.value),
            value: v.value,
            count: v.count as i64,
        })
        .collect()
}

impl ProductFacets {
    /// Turns raw counts into GraphQL facets: ids become global ids, and labels come from
    /// the category and store loaders (one batch each).
    /// `prices`: the currency of the price ranges, and whether they are converted.
    pub async fn from_counts(
        counts: index::ProductFacets,
        prices: (Option<CurrencyCode>, bool),
        loaders: &Loaders,
    ) -> ApiResult<Self> {
        let categories = join_all(counts.categories.iter().map(|c| async {
            let id = CategoryId(c.value.parse().unwrap_or_default());
            let category = loaders.by_id::<Category>().load_one(id).await?;
            ApiResult::Ok(category.map(|cat| FacetValue {
                value: encode(NodeKind::Category, id.0).0,
                label: cat.name,
                count: c.count as i64,
            }))
        }))
        .await;
        let stores = join_all(counts.stores.iter().map(|s| async {
            let id = StoreId(s.value.parse().unwrap_or_default());
            let store = loaders.by_id::<Store>().load_one(id).await?;
            ApiResult::Ok(store.map(|st| FacetValue {
                value: encode(NodeKind::Store, id.0).0,
                label: st.name.clone(),
                count: s.count as i64,
            }))
        }))
        .await;
        Ok(Self {
            categories: categories
                .into_iter()
                .filter_map(|r| r.transpose())
                .collect::<ApiResult<_>>()?,
            stores: stores
                .into_iter()
                .filter_map(|r| r.transpose())
                .collect::<ApiResult<_>>()?,
            materials: words(counts.materials),
            colors: words(counts.colors),
            sizes: words(counts.sizes),
            price_ranges: counts
                .price_ranges
                .into_iter()
                .map(|b| PriceRangeFacet {
                    min: b.min_cents.map(amount),
                    max: b.max_cents.map(amount),
                    count: b.count as i64,
                    currency: prices.0,
                    approximate: prices.1,
                })
                .collect(),
            approximate: counts.approximate,
        })
    }
}
