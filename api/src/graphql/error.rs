//! Errors and their codes: every `errors[].extensions.code` the API emits is decided here.
//!
//! # Policy
//!
//! 1. **Codes come from types, never from message text.** Two enums carry them, and both
//!    implement `ErrorExtensions`, which sets `code` and any extra member (`retryAfterMs`,
//!    `limit`/`max`/`actual`):
//!    - [`ApiError`]: what a resolver or the database layer fails with;
//!    - [`RequestError`]: a request refused before it runs, or instead of running (unreadable
//!      body, safelist, persisted lookup, limits, cost bucket, credentials).
//! 2. **The client can act on every message it reads.** Messages are lowercase, in the
//!    request's language ([`crate::graphql::i18n`]), and name what to change.
//! 3. **Nothing internal leaks.** A bug or a database failure is logged with its cause and
//!    reaches the client as `internal error` with `INTERNAL_SERVER_ERROR`; no SQL, no chain.
//! 4. **Out of reach is not a bug.** PostgreSQL down, restarting or with every pooled
//!    connection busy keeps `INTERNAL_SERVER_ERROR` but says `service unavailable` with
//!    `retryAfterMs`; the HTTP layer answers 503 with `Retry-After` when nothing else came
//!    back, so a load balancer or client can back off on the status alone.
//! 5. **async-graphql's own errors are the request's fault.** The executor raises errors
//!    without a code only for the document or its variables (syntax, validation, argument
//!    coercion, its depth backstop): [`code_untyped`] gives them `BAD_USER_INPUT`. Our
//!    resolvers cannot raise an uncoded error: [`ApiError`] has no `Display`, so `?` can only
//!    convert it through `ErrorExtensions`.
//! 6. **The status is the transport's business.** This module decides the code; HTTP
//!    (`runtime/http/pipeline.rs`) and the WebSocket decide how to carry it.
//! 7. **Expected failures of a mutation are data, not errors**: they are `userErrors` in the
//!    payload ([`crate::graphql::user_errors`]), with their own field-level codes.

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

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            Self::Database(source) => tracing::error!(error = %source, "database error"),
            Self::Internal(detail) => tracing::error!(error = %detail, "internal error"),
            _ => {}
        }
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code().as_str());
            if let Self::Throttled { retry_after_ms } = self {
                ext.set("retryAfterMs", *retry_after_ms);
            } else if self.is_unavailable() {
                ext.set("retryAfterMs", UNAVAILABLE_RETRY_AFTER_MS);
            }
        })
    }
}

/// What `?` uses in a resolver: the typed error with its code.
impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        error.extend()
    }
}

/// Result type of resolvers and the db layer.
pub type ApiResult<T> = Result<T, ApiError>;

/// Why a request was refused before it ran, or instead of running. Each variant decides its
/// code here; the transport decides the status (`runtime/http/pipeline.rs`).
#[derive(Clone, Debug)]
pub enum RequestError {
    /// The request could not be read: its JSON, its URL parameters, its operation's
    /// parameters. The message says what is wrong.
    Malformed(String),
    /// The body is longer than `--max-body-bytes`.
    BodyTooLarge { limit: usize },
    /// A multipart upload's file is over `--media-max-bytes`, or it carries more than
    /// `--media-max-files` files.
    UploadTooLarge { max_bytes: usize, max_files: usize },
    /// `Content-Type` is not `application/json`.
    UnsupportedMediaType,
    /// `Accept` admits no format this server writes.
    NotAcceptable,
    /// A batch while batching is off (`--max-batch 0`).
    BatchingDisabled,
    /// A batch that is empty or longer than `--max-batch`.
    BatchSize { max: usize, count: usize },
    /// A mutation or subscription sent with GET (`kind` names it).
    NotAQuery { kind: &'static str },
    /// The credentials sent were refused; the message says why.
    Unauthenticated(String),
    /// The safelist: this caller runs only persisted operations.
    PersistedOnly,
    /// No document is known by the hash or id sent. Apollo clients look for this exact
    /// message, then resend with the text.
    PersistedNotFound,
    /// `persistedQuery` or `documentId` is malformed, or the hash does not match the text.
    PersistedInvalid(String),
    /// The document broke the pre-execution limit named `limit` (`query_limits`).
    TooComplex {
        limit: &'static str,
        max: u64,
        actual: u64,
    },
    /// The document is invalid in a way the limits' walk found first (a fragment cycle).
    InvalidDocument(String),
    /// The caller's cost bucket cannot pay `cost` now.
    Throttled { cost: u64, retry_after_ms: u64 },
    /// One client address holds `max` WebSocket connections already.
    TooManySockets { max: usize },
    /// One connection runs `max` subscriptions already.
    TooManySubscriptions { max: usize },
    /// A query or mutation sent over the WebSocket, which serves subscriptions only.
    SubscriptionsOnly,
    /// The document selects no operation: its syntax error, or a missing or unknown name.
    NoOperation(String),
    /// Checking the request failed on our side (the session store, say).
    Api(ApiError),
}

impl RequestError {
    /// The code this refusal carries on the wire.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Malformed(_)
            | Self::UnsupportedMediaType
            | Self::NotAcceptable
            | Self::BatchingDisabled
            | Self::NotAQuery { .. }
            | Self::PersistedInvalid(_)
            | Self::TooManySubscriptions { .. }
            | Self::SubscriptionsOnly
            | Self::NoOperation(_)
            | Self::InvalidDocument(_) => ErrorCode::BadUserInput,
            Self::BodyTooLarge { .. } | Self::BatchSize { .. } | Self::TooComplex { .. } => {
                ErrorCode::QueryTooComplex
            }
            Self::UploadTooLarge { .. } => ErrorCode::BadUserInput,
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::PersistedOnly => ErrorCode::PersistedQueryNotAllowed,
            Self::PersistedNotFound => ErrorCode::PersistedQueryNotFound,
            Self::Throttled { .. } | Self::TooManySockets { .. } => ErrorCode::Throttled,
            Self::Api(error) => error.code(),
        }
    }

    /// The message the client reads, in the request's language.
    pub fn message(&self) -> String {
        match self {
            Self::Malformed(message)
            | Self::PersistedInvalid(message)
            | Self::NoOperation(message)
            | Self::InvalidDocument(message)
            | Self::Unauthenticated(message) => message.clone(),
            Self::BodyTooLarge { limit } => crate::tr!("http-body-too-large", limit = *limit),
            Self::UploadTooLarge {
                max_bytes,
                max_files,
            } => crate::tr!(
                "http-upload-too-large",
                max_mib = *max_bytes >> 20,
                max_files = *max_files
            ),
            Self::UnsupportedMediaType => crate::tr!("http-content-type"),
            Self::NotAcceptable => crate::tr!("http-not-acceptable"),
            Self::BatchingDisabled => crate::tr!("http-batching-disabled"),
            Self::BatchSize { max, count } => {
                crate::tr!("http-batch-size", max = *max, count = *count)
            }
            Self::NotAQuery { kind } => crate::tr!("http-get-not-query", kind = *kind),
            Self::PersistedOnly => crate::tr!("http-persisted-only"),
            // The same in every language: clients match it.
            Self::PersistedNotFound => "PersistedQueryNotFound".to_owned(),
            // The counts as text: a saturated cost is past what a Fluent number (an `f64`)
            // writes exactly.
            Self::TooComplex { limit, max, actual } => crate::tr!(
                "limit-exceeded",
                limit = *limit,
                actual = actual.to_string(),
                max = max.to_string()
            ),
            Self::Throttled {
                cost,
                retry_after_ms,
            } => crate::tr!(
                "throttled-cost",
                cost = *cost,
                seconds = retry_after_ms.div_ceil(1000)
            ),
            Self::TooManySockets { max } => crate::tr!("ws-too-many-connections", max = *max),
            Self::TooManySubscriptions { max } => {
                crate::tr!("ws-too-many-subscriptions", max = *max)
            }
            Self::SubscriptionsOnly => crate::tr!("ws-subscriptions-only"),
            Self::Api(error) => error.message(),
        }
    }
}

impl ErrorExtensions for RequestError {
    fn extend(&self) -> async_graphql::Error {
        if let Self::Api(error) = self {
            return error.extend();
        }
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code().as_str());
            match self {
                Self::Throttled { retry_after_ms, .. } => ext.set("retryAfterMs", *retry_after_ms),
                Self::TooComplex { limit, max, actual } => {
                    ext.set("limit", *limit);
                    ext.set("max", *max);
                    ext.set("actual", *actual);
                }
                _ => {}
            }
        })
    }
}

impl From<ApiError> for RequestError {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

/// Gives a code to the errors async-graphql raised itself (policy 5): they come without one
/// and are the document's or the variables' fault.
pub fn code_untyped(errors: &mut [async_graphql::ServerError]) {
    for error in errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", ErrorCode::BadUserInput.as_str());
        }
    }
}
