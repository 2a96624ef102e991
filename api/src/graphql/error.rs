//! The one place where failures become GraphQL errors.
//!
//! Policy: errors the client can act on carry a code from the closed set of API.md and a
//! lowercase message; everything else is logged with its chain and reaches the client as
//! `internal error` with code `INTERNAL_SERVER_ERROR`, so no SQL or stack detail leaks.
//! PostgreSQL out of reach (down, restarting, every pooled connection busy past the acquire
//! timeout) keeps that code but says `service unavailable` with `retryAfterMs`, and the HTTP
//! handler answers 503 with `Retry-After` when nothing else came back: the same request is
//! worth retrying shortly, and a load balancer or client can back off on the status alone.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

/// The closed set of `errors[].extensions.code` values the API emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Throttled,
    QueryTooComplex,
    PersistedQueryNotFound,
    PersistedQueryNotAllowed,
    InternalServerError,
}

impl ErrorCode {
    /// The wire spelling of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Throttled => "THROTTLED",
            Self::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::PersistedQueryNotAllowed => "PERSISTED_QUERY_NOT_ALLOWED",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }
}

/// An error raised while resolving a request.
///
/// It deliberately does not implement `Display`: async-graphql converts any `Display` type
/// into an error without a code, and `?` would pick that conversion silently. Without it,
/// `?` can only go through the `From` impl below, which sets the code.
#[derive(Clone, Debug)]
pub enum ApiError {
    BadUserInput(String),
    NotFound(String),
    Forbidden(String),
    Unauthenticated,
    Throttled {
        retry_after_ms: u64,
    },
    Database(Arc<sqlx::Error>),
    /// A bug or broken invariant; the text goes to the log, never to the client.
    Internal(String),
}

/// How long a client should wait before retrying while PostgreSQL is out of reach: about
/// the pool's acquire timeout, so a retry does not queue behind the requests that failed.
pub const UNAVAILABLE_RETRY_AFTER_MS: u64 = 2_000;

impl ApiError {
    /// Shorthand for a [`ApiError::BadUserInput`].
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadUserInput(message.into())
    }

    /// The message the client sees, in the request's language ([`crate::graphql::i18n`]).
    pub fn message(&self) -> String {
        match self {
            Self::BadUserInput(m) | Self::NotFound(m) | Self::Forbidden(m) => m.clone(),
            Self::Unauthenticated => crate::tr!("unauthenticated"),
            Self::Throttled { retry_after_ms } => {
                crate::tr!("throttled", seconds = retry_after_ms.div_ceil(1000))
            }
            Self::Database(_) if self.is_unavailable() => crate::tr!("service-unavailable"),
            Self::Database(_) | Self::Internal(_) => crate::tr!("internal-error"),
        }
    }

    /// Whether PostgreSQL was out of reach rather than the request or the code at fault:
    /// the same request may well succeed once it is back or the pool has a free connection.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Database(error) if database_unavailable(error))
    }

    /// The code this error carries on the wire.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadUserInput(_) => ErrorCode::BadUserInput,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::Unauthenticated => ErrorCode::Unauthenticated,
            Self::Throttled { .. } => ErrorCode::Throttled,
            Self::Database(_) | Self::Internal(_) => ErrorCode::InternalServerError,
        }
    }
}

/// Connection-level failures: no connection could be had, the connection broke, or the
/// server refuses work while it shuts down or starts (SQLSTATE class 08, 57P01 to 57P03,
/// 53300 too many connections).
fn database_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(error) => error.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(Arc::new(error))
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let code = error.code();
        match &error {
            ApiError::Database(source) => tracing::error!(error = %source, "database error"),
            ApiError::Internal(detail) => tracing::error!(error = %detail, "internal error"),
            _ => {}
        }
        let message = error.message();
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            if let ApiError::Throttled { retry_after_ms } = error {
                ext.set("retryAfterMs", retry_after_ms);
            } else if error.is_unavailable() {
                ext.set("retryAfterMs", UNAVAILABLE_RETRY_AFTER_MS);
            }
        })
    }
}

/// Result type of resolvers and the db layer.
pub type ApiResult<T> = Result<T, ApiError>;
