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
}

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

    /// An error about the request as a whole.
    pub fn general(code: UserErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: None,
            message: message.into(),
            code,
        }
    }
}
