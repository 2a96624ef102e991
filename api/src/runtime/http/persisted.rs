//! Persisted queries on the HTTP side: turning a hash or a document id into its text
//! (trusted documents first, then automatic persisted queries), and the safelist.

use std::sync::Arc;

use serde_json::Value;
use textisur_persisted_queries::{is_sha256_hex, sha256_hex};

use super::params::GraphqlParams;
use super::state::{AppState, PreparedDocument};
use crate::graphql::error::RequestError;

/// The key of a persisted operation's prepared document: its hash and the operation run.
pub(super) fn prepared_key(hash: &str, operation_name: Option<&str>) -> String {
    format!("{hash}:{}", operation_name.unwrap_or(""))
}

/// The key a request's prepared document is kept under: a persisted document's hash, or, for
/// text sent on its own, `text:` and the text's SHA-256, as Apollo Server's document store
/// keeps parsed documents, so a client that posts the same text with new variables (a web
/// client sending a trusted document's text) is parsed and walked once. The two kinds of
/// key never meet: a hash alone must not find a text that was only ever sent ad hoc (an
/// admin's, say), or it would run past the safelist.
pub(super) fn prepared_key_of(params: &GraphqlParams) -> Option<String> {
    match &params.persisted_hash {
        Some(hash) => Some(prepared_key(hash, params.operation_name.as_deref())),
        None if params.query.trim().is_empty() => None,
        None => Some(prepared_key(
            &format!("text:{}", sha256_hex(&params.query)),
            params.operation_name.as_deref(),
        )),
    }
}

/// The prepared document kept under `key`.
pub(super) fn prepared(state: &AppState, key: Option<&str>) -> Option<Arc<PreparedDocument>> {
    state.prepared.get(key?)
}

/// Replaces a persisted document's id (`documentId`, Relay's `doc_id`) or an automatic
/// persisted query's hash (Apollo's APQ protocol) by its text, or checks the text sent with
/// its hash (registered by [`register`] only once every limit passed); why, when neither
/// works.
pub(super) async fn resolve_persisted(
    state: &AppState,
    params: &mut GraphqlParams,
) -> Result<(), RequestError> {
    if let Some(id) = params.document_id.take() {
        let hash = document_hash(&id)?.ok_or(RequestError::PersistedNotFound)?;
        params.query = text_of(state, &hash, params.operation_name.as_deref())
            .await
            .ok_or(RequestError::PersistedNotFound)?;
        params.persisted = true;
        params.persisted_hash = Some(hash);
        return Ok(());
    }
    let Some(persisted) = params.extensions.remove("persistedQuery") else {
        return Ok(());
    };
    let version = persisted.get("version").and_then(Value::as_u64);
    let hash = persisted
        .get("sha256Hash")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    let Some(hash) = hash.filter(|h| version == Some(1) && is_sha256_hex(h)) else {
        return Err(RequestError::PersistedInvalid(crate::tr!(
            "http-persisted-query-invalid"
        )));
    };
    if params.query.trim().is_empty() {
        params.query = text_of(state, &hash, params.operation_name.as_deref())
            .await
            .ok_or(RequestError::PersistedNotFound)?;
        params.persisted = true;
        params.persisted_hash = Some(hash);
        Ok(())
    } else if sha256_hex(&params.query) != hash {
        Err(RequestError::PersistedInvalid(crate::tr!(
            "http-persisted-hash-mismatch"
        )))
    } else {
        params.persisted_hash = Some(hash);
        Ok(())
    }
}

/// The hash and text an APQ registration would store: a text sent with its hash (not one
/// read from the store). Taken before the request runs; stored by [`register`] after.
pub(super) fn registration(params: &GraphqlParams) -> Option<(String, Arc<str>)> {
    let hash = params
        .persisted_hash
        .as_ref()
        .filter(|_| !params.persisted)?;
    Some((hash.clone(), Arc::from(params.query.as_str())))
}

/// Stores an APQ registration. Called only for a text that passed every limit and ran
/// without a request error, so a refused text is never known by its hash alone.
pub(super) async fn register(state: &AppState, (hash, text): (String, Arc<str>)) {
    state.persisted.put(&hash, &text).await;
}

/// The SHA-256 a document id names: `sha256:<hex>`, or the bare hex GraphQL Codegen's
/// manifests and Relay (persisting with SHA256) use as ids. `None` for an id of another
/// kind, which this server cannot know (a miss, not a malformed request).
fn document_hash(id: &str) -> Result<Option<String>, RequestError> {
    match id.strip_prefix("sha256:") {
        Some(hex) if is_sha256_hex(hex) => Ok(Some(hex.to_ascii_lowercase())),
        Some(_) => Err(RequestError::PersistedInvalid(crate::tr!(
            "http-document-id-invalid"
        ))),
        None if is_sha256_hex(id) => Ok(Some(id.to_ascii_lowercase())),
        None => Ok(None),
    }
}

/// The text of a hash: a prepared document's, else [`lookup`]'s.
async fn text_of(state: &AppState, hash: &str, operation_name: Option<&str>) -> Option<String> {
    match state.prepared.get(&prepared_key(hash, operation_name)) {
        Some(prepared) => Some(prepared.text.to_string()),
        None => lookup(state, hash).await,
    }
}

/// The text of a hash: a trusted document's, else a registered query's (memory or Redis).
async fn lookup(state: &AppState, hash: &str) -> Option<String> {
    match state.trusted.get(hash) {
        Some(trusted) => Some(trusted.body.clone()),
        None => state.persisted.get(hash).await.map(|q| q.to_string()),
    }
}

/// The safelist (`--persisted-only`, on in production): a caller who is not an admin runs
/// only persisted operations, that is a hash or document id the server knows, or the exact
/// text of a trusted document. Checked before an APQ registration, so ad-hoc text cannot
/// become a persisted query by the back door.
pub(super) fn refuses_ad_hoc(state: &AppState, is_admin: bool, params: &GraphqlParams) -> bool {
    state.config.safelist
        && !is_admin
        && !params.persisted
        && !params.query.trim().is_empty()
        && !state.trusted.contains_text(&params.query)
}
