//! `POST /graphql` with `multipart/form-data`: the GraphQL multipart request spec
//! (jaydenseric/graphql-multipart-request-spec), as Apollo Upload and urql send it.
//!
//! async-graphql's reader parses the parts (`operations`, `map`, then the files) with the
//! limits of [`crate::catalogue::media::MediaLimits`]: a file over `max_bytes` or more than
//! `max_files` files stop the read at once (413), so nothing is buffered beyond them. The
//! operation then takes the same road as a JSON POST: its `operations` object is read by
//! [`GraphqlParams::from_json`], so persisted hashes, the safelist, the cost limits and
//! the error shapes are the same.
//!
//! A browser may send `multipart/form-data` from any site without a CORS preflight, with
//! the victim's cookies. Like Apollo Server, an upload must carry a header no simple
//! cross-site form can: `Apollo-Require-Preflight` (what Apollo Client's upload link is
//! configured to send), `GraphQL-Preflight` or `X-Apollo-Operation-Name`.

use async_graphql::ParseRequestError;
use async_graphql::http::MultipartOptions;
use axum::body::Body;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use futures::TryStreamExt as _;
use serde_json::{Map, Value};

use super::params::{GraphqlParams, Uploads};
use super::state::AppState;
use crate::graphql::error::RequestError;

/// Headers that prove a CORS preflight happened (or that no browser form sent the request).
const PREFLIGHT_HEADERS: [&str; 3] = [
    "apollo-require-preflight",
    "graphql-preflight",
    "x-apollo-operation-name",
];

/// Whether the request's media type is `multipart/form-data`.
pub(super) fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// Reads a multipart request into the parameters of its one operation, files attached.
pub(super) async fn read(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<GraphqlParams, RequestError> {
    let Some(media) = &state.media else {
        return Err(RequestError::Malformed(crate::tr!("http-uploads-off")));
    };
    if !PREFLIGHT_HEADERS
        .iter()
        .any(|name| headers.contains_key(*name))
    {
        return Err(RequestError::Malformed(crate::tr!("http-upload-preflight")));
    }
    let limits = media.limits;
    let options = MultipartOptions::default()
        .max_file_size(limits.max_bytes)
        .max_num_files(limits.max_files);
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let reader = body
        .into_data_stream()
        .map_err(std::io::Error::other)
        .into_async_read();
    let batch = async_graphql::http::receive_batch_body(content_type, reader, options)
        .await
        .map_err(|error| match error {
            ParseRequestError::PayloadTooLarge => RequestError::UploadTooLarge {
                max_bytes: limits.max_bytes,
                max_files: limits.max_files,
            },
            other => RequestError::Malformed(crate::tr!(
                "http-multipart-malformed",
                error = other.to_string()
            )),
        })?;
    let async_graphql::BatchRequest::Single(request) = batch else {
        return Err(RequestError::Malformed(crate::tr!("http-multipart-batch")));
    };
    let mut object = Map::new();
    object.insert("query".to_owned(), Value::String(request.query));
    if let Some(name) = request.operation_name {
        object.insert("operationName".to_owned(), Value::String(name));
    }
    object.insert(
        "variables".to_owned(),
        request
            .variables
            .into_value()
            .into_json()
            .unwrap_or(Value::Null),
    );
    let extensions: Map<String, Value> = request
        .extensions
        .0
        .into_iter()
        .filter_map(|(name, value)| Some((name, value.into_json().ok()?)))
        .collect();
    object.insert("extensions".to_owned(), Value::Object(extensions));
    let mut params = GraphqlParams::from_json(Value::Object(object))
        .map_err(|e| RequestError::Malformed(e.0))?;
    params.uploads = Uploads(std::sync::Arc::new(std::sync::Mutex::new(request.uploads)));
    Ok(params)
}
