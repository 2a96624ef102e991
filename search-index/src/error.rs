//! The one error type of the crate.

/// What can go wrong in the index (never the caller's text: that cannot fail).
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    OpenDirectory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index io: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index metadata: {0}")]
    Meta(#[from] serde_json::Error),
    #[error("cursor does not belong to this sort order")]
    CursorMismatch,
}

/// Result of the crate's operations.
pub type SearchResult<T> = Result<T, SearchError>;
