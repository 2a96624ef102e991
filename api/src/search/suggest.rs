//! `Query.suggest`: autocomplete from the index (completed queries, stores, products) and
//! from the category tree.

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use textisur_search_index as index;

use crate::catalogue::categories::{self, Category};
use crate::catalogue::products::Product;
use crate::catalogue::stores::Store;
use crate::commerce::markets::Market;
use crate::graphql::context::RequestContext;
use crate::graphql::error::ApiError;
use crate::graphql::ids::{ProductId, StoreId};

/// Longest prefix accepted.
const MAX_PREFIX_CHARS: usize = 100;
/// Most suggestions a call may ask for.
const MAX_SUGGESTIONS: i32 = 20;
/// Most categories offered.
const MAX_CATEGORIES: usize = 2;

/// What a suggestion points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum SuggestionKind {
    /// A query to run: the typed words with the last one completed.
    Query,
    /// A product: `product` is set, `text` is its name.
    Product,
    /// A store: `store` is set, `text` is its name.
    Store,
    /// A category: `category` is set, `text` is its name.
    Category,
}

/// One autocomplete entry.
#[derive(Clone, Debug, SimpleObject)]
pub struct Suggestion {
    /// What to show (and, for QUERY, what to search for).
    pub text: String,
    /// What the suggestion points at; it says which of the fields below is set.
    pub kind: SuggestionKind,
    /// The product, for PRODUCT suggestions; null otherwise.
    pub product: Option<Product>,
    /// The store, for STORE suggestions; null otherwise.
    pub store: Option<Store>,
    /// The category, for CATEGORY suggestions; null otherwise.
    pub category: Option<Category>,
}

/// The search root fields.
#[derive(Default)]
pub struct SearchQueries;

/// Categories whose name has a word starting with the prefix's last word.
fn matching_categories(all: Vec<Category>, prefix: &str) -> Vec<Category> {
    let folded = index::fold(prefix);
    let Some(last) = folded.split_whitespace().last() else {
        return Vec::new();
    };
    all.into_iter()
        .filter(|c| {
            index::fold(&c.name)
                .split(|ch: char| !ch.is_alphanumeric())
                .any(|w| w.starts_with(last))
        })
        .take(MAX_CATEGORIES)
        .collect()
}

#[Object]
impl SearchQueries {
    /// Autocomplete while typing: completed queries, categories, stores and products.
    async fn suggest(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "What the user has typed so far, at most 100 characters; the last word may be incomplete. Blank: no suggestions."
        )]
        prefix: String,
        #[graphql(
            default = 8,
            desc = "Most suggestions to return: default 8, at most 20. Completed queries come first, then at most 2 categories, then stores and products."
        )]
        first: i32,
        #[graphql(desc = "Only stores and products of this market (country). Null: every market.")]
        market: Option<Market>,
    ) -> Result<Vec<Suggestion>> {
        if !(0..=MAX_SUGGESTIONS).contains(&first) {
            return Err(ApiError::bad_input(crate::tr!(
                "suggest-first-out-of-range",
                max = MAX_SUGGESTIONS
            ))
            .into());
        }
        if prefix.chars().count() > MAX_PREFIX_CHARS {
            return Err(ApiError::bad_input(crate::tr!(
                "suggest-prefix-too-long",
                max = MAX_PREFIX_CHARS
            ))
            .into());
        }
        let first = first as usize;
        let rc = RequestContext::of(ctx);
        let prefix = prefix.trim_start().to_owned();
        if first == 0 || prefix.trim().is_empty() {
            return Ok(Vec::new());
        }
        let Some(index) = rc.search.index_for(None).await else {
            // Autocomplete is a convenience: without an index there is nothing to offer.
            return Ok(Vec::new());
        };
        let typed = prefix.clone();
        let found =
            super::blocking(move || index.suggest(&typed, market.map(Market::code), first)).await?;
        // Warm the loaders with every id at once: one statement per kind.
        let ids = |kind| {
            found
                .iter()
                .filter(move |s| s.kind == kind)
                .filter_map(|s| s.id.and_then(|id| i64::try_from(id).ok()))
        };
        futures::future::join_all(
            ids(index::SuggestionKind::Product)
                .map(|id| rc.loaders.by_id::<Product>().load_one(ProductId(id))),
        )
        .await;
        futures::future::join_all(
            ids(index::SuggestionKind::Store)
                .map(|id| rc.loaders.by_id::<Store>().load_one(StoreId(id))),
        )
        .await;
        let mut out = Vec::with_capacity(first);
        for s in found
            .iter()
            .filter(|s| s.kind == index::SuggestionKind::Query)
        {
            out.push(Suggestion {
                text: s.text.clone(),
                kind: SuggestionKind::Query,
                product: None,
                store: None,
                category: None,
            });
        }
        for category in matching_categories(categories::all(&rc.db).await?, &prefix) {
            out.push(Suggestion {
                text: category.name.clone(),
                kind: SuggestionKind::Category,
                product: None,
                store: None,
                category: Some(category),
            });
        }
        for s in &found {
            let Some(id) = s.id.and_then(|id| i64::try_from(id).ok()) else {
                continue;
            };
            match s.kind {
                index::SuggestionKind::Store => {
                    if let Some(store) = rc.loaders.by_id::<Store>().load_one(StoreId(id)).await? {
                        out.push(Suggestion {
                            text: store.name.clone(),
                            kind: SuggestionKind::Store,
                            product: None,
                            store: Some(store),
                            category: None,
                        });
                    }
                }
                index::SuggestionKind::Product => {
                    if let Some(product) = rc
                        .loaders
                        .by_id::<Product>()
                        .load_one(ProductId(id))
                        .await?
                        && product.visible_to(&rc.viewer)
                    {
                        out.push(Suggestion {
                            text: product.name.clone(),
                            kind: SuggestionKind::Product,
                            product: Some(product),
                            store: None,
                            category: None,
                        });
                    }
                }
                _ => {}
            }
        }
        out.truncate(first);
        Ok(out)
    }
}
