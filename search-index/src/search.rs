//! Running product and store searches.

use crate::catalog::SearchIndex;
use crate::error::SearchResult;
use crate::query::{ProductPage, ProductQuery, StorePage, StoreQuery};
use crate::suggest::Suggestion;

impl SearchIndex {
    /// One page of products matching `q`, with counts, facets and highlights as asked.
    pub fn search_products(&self, q: &ProductQuery) -> SearchResult<ProductPage> {
        let _ = q;
        todo!("search_products")
    }

    /// One page of stores matching `q`.
    pub fn search_stores(&self, q: &StoreQuery) -> SearchResult<StorePage> {
        let _ = q;
        todo!("search_stores")
    }

    /// Autocomplete entries for what is being typed.
    pub fn suggest(&self, prefix: &str, limit: usize) -> SearchResult<Vec<Suggestion>> {
        let _ = (prefix, limit);
        todo!("suggest")
    }
}
