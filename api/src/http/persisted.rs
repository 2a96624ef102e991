//! Persisted queries on the HTTP side: turning a hash into its text (trusted documents
//! first, then automatic persisted queries), and production's safelist.

use axum::http::StatusCode;
use serde_json::{Value, json};
use textisur_persisted_queries::{is_sha256_hex, sha256_hex};

use super::AppState;
use super::params::GraphqlParams;
use crate::error::ErrorCode;

/// Replaces an automatic persisted query's hash by its text (Apollo's APQ protocol), or
/// registers the text sent with its hash; the error response when neither works.
pub(super) async fn resolve_persisted(
    state: &AppState,
    params: &mut GraphqlParams,
) -> Result<(), (StatusCode, Value)> {
    let Some(persisted) = params.extensions.remove("persistedQuery") else {
        return Ok(());
    };
    let version = persisted.get("version").and_then(Value::as_u64);
    let hash = persisted
        .get("sha256Hash")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    let refuse = |message: &str| {
        let body = json!({ "errors": [{ "message": message, "extensions": { "code": ErrorCode::BadUserInput.as_str() } }] });
        Err((StatusCode::BAD_REQUEST, body))
    };
    let Some(hash) = hash.filter(|h| version == Some(1) && is_sha256_hex(h)) else {
        return refuse("persistedQuery needs version 1 and a sha256Hash of 64 hex digits");
    };
    if params.query.trim().is_empty() {
        if let Some(trusted) = state.trusted.get(&hash) {
            params.query.clone_from(&trusted.body);
            return Ok(());
        }
        match state.persisted.get(&hash).await {
            Some(query) => {
                params.query = query.to_string();
                Ok(())
            }
            // Apollo clients look for exactly this message, then resend with the text.
            None => Err((
                StatusCode::OK,
                json!({ "errors": [{ "message": "PersistedQueryNotFound",
                    "extensions": { "code": ErrorCode::PersistedQueryNotFound.as_str() } }] }),
            )),
        }
    } else if sha256_hex(&params.query) != hash {
        refuse("provided sha256Hash does not match the query")
    } else {
        state.persisted.put(&hash, &params.query).await;
        Ok(())
    }
}

/// The safelist (on in production): a caller who is not an admin runs only persisted
/// operations, that is a hash the server knows or the exact text of a trusted document.
/// Checked before an APQ registration, so ad-hoc text cannot become a persisted query by the
/// back door.
pub(super) fn refuses_ad_hoc(state: &AppState, is_admin: bool, params: &GraphqlParams) -> bool {
    state.config.safelist
        && !is_admin
        && !params.query.trim().is_empty()
        && !state.trusted.contains_text(&params.query)
}
