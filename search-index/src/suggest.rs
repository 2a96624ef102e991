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
    pub text: String,
    pub kind: SuggestionKind,
    /// The product, store or category id for those kinds.
    pub id: Option<u64>,
}
