//! `UserError`: what a mutation reports when the user can fix the input. A payload with
//! user errors has written nothing.
//!
//! Messages come from the catalogue ([`crate::graphql::i18n`]) in the request's language; every code
//! has a general message, `user-error-<code>`, for errors that need nothing more specific.

use async_graphql::resolver_utils::EnumType;
use async_graphql::{Enum, SimpleObject};

/// Stable codes of user errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum UserErrorCode {
    /// A value that is malformed or breaks a rule no more specific code names (an email
    /// address, a SKU, a country code, a category name's length); the message says which.
    Invalid,
    /// A value that must not be empty, after trimming (and, for messages, after markup is
    /// stripped).
    Required,
    /// Text shorter than its minimum length (e.g. a password under 10 characters).
    TooShort,
    /// Text longer than its maximum length (e.g. a password over 128 characters).
    TooLong,
    /// A value that must be unique is in use already (an email address, a SKU in its
    /// store), or something that may exist only once exists (the caller's review of a
    /// product).
    Taken,
    /// The id names nothing the caller can act on (or is not an id of the expected kind).
    NotFound,
    /// Wrong email address or password; the message does not say which.
    InvalidCredentials,
    /// A token (in a link or code) that is unknown, malformed or someone else's.
    InvalidToken,
    /// A token past its lifetime.
    TokenExpired,
    /// A single-use token used before.
    TokenUsed,
    /// The account is suspended by an administrator: it cannot sign in.
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
    /// The step needs a verified email address (opening a store, writing to a seller).
    EmailNotVerified,
    /// Orders still open (to buy or to sell) stand in the way, e.g. of deleting an account.
    OpenOrders,
    /// A product of another market than the cart's: a cart buys in one market (one
    /// currency) at a time.
    OtherMarket,
    /// A file of a kind not accepted (an image upload that is not JPEG, PNG or WebP, told by
    /// its content).
    UnsupportedFormat,
    /// A file over a size limit (bytes or pixels).
    TooLarge,
}

impl UserErrorCode {
    /// The id of this code's general message in the catalogue: `user-error-too-long`.
    pub fn message_id(self) -> String {
        let name = Self::items()
            .iter()
            .find(|item| item.value == self)
            .map_or("INVALID", |item| item.name);
        format!("user-error-{}", name.to_lowercase().replace('_', "-"))
    }

    /// This code's general message in the request's language.
    pub fn message(self) -> String {
        crate::graphql::i18n::text(&self.message_id(), &[])
    }
}

/// Most user errors a payload reports (the query cost counts on it); `upsertProducts`, the
/// only mutation that could find more, reports the first ones.
pub const MAX_USER_ERRORS: usize = 50;

/// An error the user can fix, with the path of the input field it concerns.
#[derive(Clone, Debug, SimpleObject)]
pub struct UserError {
    /// Path of the input the error concerns, from the argument down (`["input", "email"]`,
    /// `["products", "316", "price"]`; checkout's line errors use `["cart", <product id>]`);
    /// null when the error concerns the request as a whole.
    pub field: Option<Vec<String>>,
    /// What went wrong, for people, in the request's language (`Accept-Language`: Spanish
    /// by default, or English).
    pub message: String,
    /// Stable code to branch on; it does not change with the language.
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

    /// An error about the input field at `path` with the code's general message.
    pub fn code_at(path: &[&str], code: UserErrorCode) -> Self {
        Self::at(path, code, code.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphql::i18n::{Catalogue, Locale};

    /// Every code has a general message in every language, and the languages differ.
    #[test]
    fn every_code_has_a_message_in_every_language() {
        for item in UserErrorCode::items() {
            let id = item.value.message_id();
            for locale in Locale::ALL {
                assert!(
                    Catalogue::get().has(locale, &id),
                    "{} lacks {id}",
                    locale.tag()
                );
            }
            let es = crate::graphql::i18n::text_in(Locale::Es, &id, &[]);
            let en = crate::graphql::i18n::text_in(Locale::English, &id, &[]);
            assert_ne!(es, en, "{id} is not translated");
        }
    }
}
