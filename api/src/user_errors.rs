//! `UserError`: what a mutation reports when the user can fix the input. A payload with
//! user errors has written nothing.

use async_graphql::{Enum, SimpleObject};

/// Stable codes of user errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum UserErrorCode {
    Invalid,
    Required,
    TooShort,
    TooLong,
    Taken,
    NotFound,
    InvalidCredentials,
    InvalidToken,
    Suspended,
    /// A number outside its allowed range.
    OutOfRange,
    /// A number with more decimals than allowed.
    Precision,
    /// A quantity that is not a multiple of the product's step.
    NotMultiple,
    /// A list with more values than allowed.
    TooMany,
    /// An allowance is used up (e.g. stores per seller).
    LimitReached,
    /// The caller does not qualify yet (e.g. reviewing a product never delivered to them).
    NotEligible,
    /// The product is not on sale (draft or archived).
    Unavailable,
    /// More than the stock.
    InsufficientStock,
    /// Checkout of an empty cart.
    CartEmpty,
    /// An idempotency key already used for a different request.
    IdempotencyKeyReused,
    /// An order status change the state machine does not allow from the current status.
    InvalidTransition,
    /// Buying from a store the buyer runs: a seller's own orders would make their reviews
    /// look verified.
    OwnStore,
}

/// Most user errors a payload reports (the query cost counts on it); `upsertProducts`, the
/// only mutation that could find more, reports the first ones.
pub const MAX_USER_ERRORS: usize = 50;

/// An error the user can fix, with the path of the input field it concerns.
#[derive(Clone, Debug, SimpleObject)]
pub struct UserError {
    pub field: Option<Vec<String>>,
    pub message: String,
    pub code: UserErrorCode,
}

impl UserError {
    /// An error about the input field at `path` (e.g. `["input", "email"]`).
    pub fn at(path: &[&str], code: UserErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: Some(path.iter().map(|p| (*p).to_owned()).collect()),
            message: message.into(),
            code,
        }
    }

    /// An error about the field at `prefix` followed by `path`.
    pub fn under(
        prefix: &[String],
        path: &[&str],
        code: UserErrorCode,
        message: impl Into<String>,
    ) -> Self {
        let field = prefix
            .iter()
            .cloned()
            .chain(path.iter().map(|p| (*p).to_owned()))
            .collect();
        Self {
            field: Some(field),
            message: message.into(),
            code,
        }
    }

    /// An error about the request as a whole.
    pub fn general(code: UserErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: None,
            message: message.into(),
            code,
        }
    }
}
