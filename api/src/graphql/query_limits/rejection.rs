//! Why a document is refused before it runs.

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
        match self {
            // The counts as text: a saturated cost is past what a Fluent number (an `f64`)
            // writes exactly.
            Self::TooComplex { limit, max, actual } => crate::tr!(
                "limit-exceeded",
                limit = *limit,
                actual = actual.to_string(),
                max = max.to_string()
            ),
            Self::Invalid(message) => message.clone(),
        }
    }
}
