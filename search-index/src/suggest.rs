//! Autocomplete: completions of what is being typed, and products, stores and categories.

/// What a suggestion points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SuggestionKind {
    /// A query to run (the typed words with the last one completed).
    Query,
    Product,
    Store,
    Category,
}

/// One autocomplete entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    /// The completed query; empty for a product or a store, which the caller names.
    pub text: String,
    pub kind: SuggestionKind,
    /// The product, store or category id for those kinds.
    pub id: Option<u64>,
}

use std::collections::HashMap;

use crate::catalog::SearchIndex;
use crate::error::SearchResult;
use crate::matching::TextPlan;
use crate::query::{ProductQuery, SortOrder, StoreQuery};

/// Most word completions offered.
const MAX_COMPLETIONS: usize = 3;
/// Most stores offered.
const MAX_STORES: usize = 2;

impl SearchIndex {
    /// Autocomplete for `prefix`: completed queries, then stores, then products (categories
    /// are the caller's: it holds the category tree). With a `market`, only its stores and
    /// products.
    pub fn suggest(
        &self,
        prefix: &str,
        market: Option<u64>,
        limit: usize,
    ) -> SearchResult<Vec<Suggestion>> {
        let plan = TextPlan::new(prefix, &self.synonyms);
        let Some(last) = plan.words.last() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        if last.prefix {
            let head = &prefix[..last.from];
            for word in self.completions(&last.folded)? {
                out.push(Suggestion {
                    text: format!("{head}{word}"),
                    kind: SuggestionKind::Query,
                    id: None,
                });
                if out.len() >= MAX_COMPLETIONS.min(limit) {
                    break;
                }
            }
        }
        let stores = self.search_stores(&StoreQuery {
            text: Some(prefix.to_owned()),
            market,
            limit: MAX_STORES,
            ..StoreQuery::default()
        })?;
        let products = self.search_products(&ProductQuery {
            text: Some(prefix.to_owned()),
            sort: SortOrder::Relevance,
            market,
            limit,
            ..ProductQuery::default()
        })?;
        // Names come from the caller's rows (PostgreSQL is the truth); reading them here
        // cost a stored-document read per hit.
        let named = |kind, id| Suggestion {
            text: String::new(),
            kind,
            id: Some(id),
        };
        out.extend(
            stores
                .hits
                .iter()
                .map(|h| named(SuggestionKind::Store, h.id)),
        );
        out.extend(
            products
                .hits
                .iter()
                .map(|h| named(SuggestionKind::Product, h.id)),
        );
        out.truncate(limit);
        Ok(out)
    }

    /// Indexed words starting with `prefix` (folded), most frequent first.
    fn completions(&self, prefix: &str) -> SearchResult<Vec<String>> {
        let f = &self.inner.fields;
        let searcher = self.searcher();
        let mut freq: HashMap<String, u64> = HashMap::new();
        for segment in searcher.segment_readers() {
            for field in [f.name_fold, f.category_fold, f.attrs_fold] {
                let index = segment.inverted_index(field)?;
                let mut stream = index.terms().range().ge(prefix.as_bytes()).into_stream()?;
                let mut seen = 0;
                while stream.advance() && seen < 10_000 {
                    seen += 1;
                    let Ok(word) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    if !word.starts_with(prefix) {
                        break;
                    }
                    if word.chars().count() > 2 {
                        *freq.entry(word.to_owned()).or_default() +=
                            u64::from(stream.value().doc_freq);
                    }
                }
            }
        }
        let mut words: Vec<(String, u64)> = freq.into_iter().collect();
        words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(words
            .into_iter()
            .map(|(w, _)| w)
            .take(MAX_COMPLETIONS)
            .collect())
    }
}
