//! Why a document is refused before it runs.

use crate::graphql::error::RequestError;

/// Why a document was refused before running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// A limit was exceeded: `QUERY_TOO_COMPLEX`, naming it.
    TooComplex {
        limit: &'static str,
        max: u64,
        actual: u64,
    },
    /// The document is invalid in a way the walk found first (a fragment cycle): the
    /// message, in the request's language.
    Invalid(String),
}

impl Rejection {
    /// The message of the error, in the request's language.
    pub fn message(&self) -> String {
        RequestError::from(self.clone()).message()
    }
}

impl From<Rejection> for RequestError {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::TooComplex { limit, max, actual } => Self::TooComplex { limit, max, actual },
            Rejection::Invalid(message) => Self::InvalidDocument(message),
        }
    }
}
