//! GraphQL shapes of facets and highlights, with labels looked up through the loaders.

use async_graphql::SimpleObject;
use futures::future::join_all;
use rust_decimal::Decimal;
use textisur_search_index as index;

use super::amount;
use crate::error::ApiResult;
use crate::ids::{CategoryId, NodeKind, StoreId, encode};
use crate::loaders::Loaders;

/// A matched stretch of a field: HTML-escaped text, matches wrapped in `<mark>`.
#[derive(Clone, Debug, SimpleObject)]
pub struct Highlight {
    pub field: String,
    pub snippet: String,
}

/// A facet value and how many matches have it.
#[derive(Clone, Debug, SimpleObject)]
pub struct FacetValue {
    /// What to pass back in the filter (an id, or the lower-cased value).
    pub value: String,
    /// What to show.
    pub label: String,
    pub count: i64,
}

/// A price range (`min` inclusive, `max` exclusive; open ends are null).
#[derive(Clone, Debug, SimpleObject)]
pub struct PriceRangeFacet {
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
    pub count: i64,
}

/// Counts over the whole match set; each facet ignores its own filter.
#[derive(Clone, Debug, Default, SimpleObject)]
pub struct ProductFacets {
    pub categories: Vec<FacetValue>,
    pub stores: Vec<FacetValue>,
    pub materials: Vec<FacetValue>,
    pub colors: Vec<FacetValue>,
    pub sizes: Vec<FacetValue>,
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
    pub async fn from_counts(counts: index::ProductFacets, loaders: &Loaders) -> ApiResult<Self> {
        let categories = join_all(counts.categories.iter().map(|c| async {
            let id = CategoryId(c.value.parse().unwrap_or_default());
            let category = loaders.categories.load_one(id).await?;
            ApiResult::Ok(category.map(|cat| FacetValue {
                value: encode(NodeKind::Category, id.0).0,
                label: cat.name,
                count: c.count as i64,
            }))
        }))
        .await;
        let stores = join_all(counts.stores.iter().map(|s| async {
            let id = StoreId(s.value.parse().unwrap_or_default());
            let store = loaders.stores.load_one(id).await?;
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
                })
                .collect(),
            approximate: counts.approximate,
        })
    }
}
