//! The tantivy side of TextiSur search: document schema, Spanish analysis, query building,
//! facets, highlights and suggestions.
//!
//! Key rule: this is the only crate that names tantivy, and it knows nothing of PostgreSQL,
//! HTTP or GraphQL. Callers hand it plain documents ([`ProductDoc`], [`StoreDoc`]) and plain
//! requests ([`ProductQuery`], [`StoreQuery`]); user text never reaches a query parser, so it
//! can neither fail nor inject syntax.

mod analysis;
mod browse;
mod catalog;
mod collect;
mod docs;
mod error;
mod facets;
mod fields;
mod highlight;
mod market;
mod matching;
mod measures;
mod query;
mod search;
mod suggest;
mod synonyms;
mod variants;
mod word_cache;

pub use analysis::fold;
pub use catalog::{Checkpoint, CommitMeta, Fingerprints, IndexRoot, IndexWriter, SearchIndex};
pub use docs::{ProductDoc, StoreDoc};
pub use error::{SearchError, SearchResult};
pub use facets::{PASS_BUDGET, ladder_bucket, price_ladder, summarize_price_buckets};
pub use market::{Conversion, MARKET_SLOTS, MARKETS, market_code};
pub use query::{
    FacetCount, PriceBucket, ProductFacets, ProductHit, ProductPage, ProductQuery, SortKey,
    SortOrder, StoreHit, StorePage, StoreQuery,
};
pub use suggest::{Suggestion, SuggestionKind};
pub use synonyms::{Entry as VocabularyEntry, Synonyms};
pub use variants::{stems as query_stems, value_key as variant_value_key};
pub use word_cache::{DEFAULT_WORD_CACHE_BYTES, set_word_cache_bytes};

/// Bumped whenever the document schema or analysis changes; an index built under another
/// version is rebuilt before it serves.
pub const SCHEMA_VERSION: u32 = 6;
