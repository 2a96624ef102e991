//! `GET /media/<sha256>-<size>.webp`: the derived sizes of uploaded images.
//!
//! A name is the hash of the upload plus the size, so what it names never changes: answers
//! are `public, max-age=31536000, immutable`, with the name as `ETag` (a revalidation is a
//! 304 without reading the store). In production a CDN sits in front
//! (`TEXTISUR_MEDIA_PUBLIC_URL`) and asks here once per file. A file not made yet is a 404
//! that nobody caches.

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use object_store::ObjectStoreExt as _;

use super::state::AppState;
use crate::catalogue::media::{derived_path, parse_file_name};

/// `Cache-Control` of a served file.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Serves one derived file.
pub(super) async fn file(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (Some(media), Some((hash, size))) = (&state.media, parse_file_name(&name)) else {
        return missing();
    };
    let etag = format!("\"{name}\"");
    let cached = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    let mut response = if cached {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match media.store().get(&derived_path(&hash, size)).await {
            Ok(found) => match found.bytes().await {
                Ok(bytes) => {
                    let mut response = bytes.into_response();
                    response
                        .headers_mut()
                        .insert(CONTENT_TYPE, HeaderValue::from_static("image/webp"));
                    response
                }
                Err(error) => return unavailable(&error),
            },
            Err(object_store::Error::NotFound { .. }) => return missing(),
            Err(error) => return unavailable(&error),
        }
    };
    let out = response.headers_mut();
    out.insert(CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        out.insert(ETAG, etag);
    }
    response
}

fn missing() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({ "error": "not found" })),
    )
        .into_response()
}

fn unavailable(error: &object_store::Error) -> Response {
    tracing::error!(%error, "could not read an image file");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({ "error": "unavailable" })),
    )
        .into_response()
}
