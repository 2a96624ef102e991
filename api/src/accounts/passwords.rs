//! Password hashing with argon2id at OWASP's recommended cost, off the async runtime.

use std::sync::{Arc, LazyLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Iterations.
pub const ITERATIONS: u32 = 2;
/// Lanes.
pub const PARALLELISM: u32 = 1;

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 10;
/// Longest password accepted (argon2 has no limit; this bounds the work per request).
pub const MAX_LENGTH: usize = 128;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Verified against when the email is unknown, so that case costs the same as a wrong password.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    argon2()
        .hash_password(b"no such user, same cost")
        .ok()
        .map(|h| h.to_string())
});

/// Why a password is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    Common,
    ContainsEmail,
    ContainsName,
    OneCharacter,
}

impl PasswordProblem {
    /// The user error for the password field at `path`, in the request's language.
    pub fn user_error(self, path: &[&str]) -> UserError {
        let (code, message) = match self {
            Self::TooShort => (
                UserErrorCode::TooShort,
                crate::tr!("password-too-short", min = MIN_LENGTH),
            ),
            Self::TooLong => (
                UserErrorCode::TooLong,
                crate::tr!("password-too-long", max = MAX_LENGTH),
            ),
            Self::Common => (UserErrorCode::Invalid, crate::tr!("password-too-common")),
            Self::ContainsEmail => (UserErrorCode::Invalid, crate::tr!("password-has-email")),
            Self::ContainsName => (UserErrorCode::Invalid, crate::tr!("password-has-name")),
            Self::OneCharacter => (UserErrorCode::Invalid, crate::tr!("password-one-character")),
        };
        UserError::at(path, code, message)
    }
}

/// Why a password is refused for an account with this email and name (`None` when it is
/// acceptable): the one policy of registration, reset and change.
pub fn policy_violation(password: &str, email: &str, name: &str) -> Option<PasswordProblem> {
    let chars = password.chars().count();
    let lower = password.to_lowercase();
    if chars < MIN_LENGTH {
        Some(PasswordProblem::TooShort)
    } else if chars > MAX_LENGTH {
        Some(PasswordProblem::TooLong)
    } else if COMMON.iter().any(|c| lower == *c) {
        Some(PasswordProblem::Common)
    } else if lower.contains(&email.to_lowercase())
        || email
            .split('@')
            .next()
            .is_some_and(|local| local.len() >= 4 && lower.contains(local))
    {
        Some(PasswordProblem::ContainsEmail)
    } else if name.chars().count() >= 4 && lower.contains(&name.to_lowercase()) {
        Some(PasswordProblem::ContainsName)
    } else if password.chars().all(|c| password.starts_with(c)) {
        Some(PasswordProblem::OneCharacter)
    } else {
        None
    }
}

/// A few of the most breached passwords of 10+ characters (and their Spanish favourites).
const COMMON: &[&str] = &[
    "1234567890",
    "0123456789",
    "qwertyuiop",
    "password123",
    "contraseña",
    "contrasena1",
    "1q2w3e4r5t",
    "iloveyou12",
    "password12",
    "passw0rd12",
    "abcdefghij",
    "asdfghjkl1",
    "textisur123",
    "qwerty1234",
    "1234567891",
    "0987654321",
];

/// Hashes a password (argon2id, random salt) on the blocking pool.
pub async fn hash(password: &str) -> ApiResult<String> {
    let password = Arc::<str>::from(password);
    tokio::task::spawn_blocking(move || {
        argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| ApiError::Internal(format!("password hashing task: {e}")))?
    .map_err(|e| ApiError::Internal(format!("password hashing: {e}")))
}

/// Checks a password against a stored hash; `None` (unknown user) costs the same and fails.
pub async fn verify(password: &str, stored: Option<String>) -> bool {
    let password = Arc::<str>::from(password);
    let known = stored.is_some();
    let stored = stored.or_else(|| DUMMY_HASH.clone());
    let checked = tokio::task::spawn_blocking(move || {
        let Some(stored) = stored else { return false };
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .unwrap_or(false);
    checked && known
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(policy_violation("corto", "a@b.cl", "Ana").is_some());
        assert!(policy_violation("1234567890", "a@b.cl", "Ana").is_some());
        assert!(policy_violation("aaaaaaaaaaaa", "a@b.cl", "Ana").is_some());
        assert!(policy_violation("maria.lopez-2024", "maria.lopez@b.cl", "María").is_some());
        assert!(policy_violation("telas de lino azul", "a@b.cl", "Ana").is_none());
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_fail() {
        let hash = super::hash("telas de lino azul").await.expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("telas de lino azul", Some(hash.clone())).await);
        assert!(!verify("telas de lino roja", Some(hash)).await);
        assert!(!verify("no such user, same cost", None).await);
    }
}
