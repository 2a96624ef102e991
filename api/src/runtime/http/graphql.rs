//! `GET` and `POST /graphql`, to the GraphQL-over-HTTP spec.
//!
//! Status codes: a request that cannot be parsed (JSON, parameters, body size, media type)
//! is 4xx whatever the format. A GraphQL request error (syntax, validation, unknown
//! operation, bad variables) is 400 in `application/graphql-response+json` and 200 in
//! legacy `application/json`, and carries no `data`. Anything that executed is 200.
//! Mutations over GET are 405 with `Allow: POST`.
//!
//! With the safelist on (`--persisted-only`, production's default), a caller who is not an
//! admin runs only persisted operations (a known hash or document id, or the text of a
//! trusted document); other text is `PERSISTED_QUERY_NOT_ALLOWED`.

use std::collections::HashMap;
use std::net::SocketAddr;

use async_graphql::ErrorExtensions;
use async_graphql::parser::types::OperationType;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::{
    AGE, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, USER_AGENT, VARY,
    WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::accounting::{Caller, cost_extension, rate_limit_headers};
use super::body::{self, Body};
use super::negotiate::{ResponseFormat, negotiate};
use super::observe::GraphqlLog;
use super::params::GraphqlParams;
use super::persisted::{prepared, prepared_key_of, resolve_persisted};
use super::pipeline::{self, Finished};
use super::response_cache::CachedResponse;
use super::state::AppState;
use super::ws::MaybeUpgrade;

use crate::accounts;
use crate::graphql::context::ClientInfo;
use crate::graphql::error::{RequestError, UNAVAILABLE_RETRY_AFTER_MS};
use crate::runtime::cost_limits::CallerKey;
use crate::runtime::db::ConsistencyToken;

/// The request header that carries a [`ConsistencyToken`]: the answer includes the writes
/// it covers, whichever replica serves it (Cosmos DB's session token works the same way).
pub const CONSISTENCY_TOKEN: &str = "consistency-token";
use crate::runtime::observability;

/// `POST /graphql`: one request object, or a batch (an array) when batching is on.
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    let Some(format) = negotiate(&headers) else {
        return refuse(ResponseFormat::Json, RequestError::NotAcceptable);
    };
    if super::upload::is_multipart(&headers) {
        return post_multipart(&state, format, peer, &headers, request.into_body()).await;
    }
    // The body limit (`--max-body-bytes`) applies here, through the extractor.
    let body = <Bytes as axum::extract::FromRequest<AppState>>::from_request(request, &state).await;
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let limit = state.config.max_body_bytes;
            return refuse(format, RequestError::BodyTooLarge { limit });
        }
        Err(rejection) => return refuse(format, RequestError::Malformed(rejection.body_text())),
    };
    if !is_json_content_type(&headers) {
        return refuse(format, RequestError::UnsupportedMediaType);
    }
    let value: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => {
            let message = crate::tr!("http-json-malformed", error = e.to_string());
            return refuse(format, RequestError::Malformed(message));
        }
    };
    let caller = match Caller::identify(&state, peer, &headers).await {
        Ok(caller) => caller,
        Err(refusal) => return refuse(format, refusal),
    };
    match value {
        Value::Array(items) => post_batch(&state, format, &caller, items).await,
        single => match GraphqlParams::from_json(single) {
            Ok(params) => {
                let finished = pipeline::http(&state, format, &caller, params).await;
                answer(format, finished, "no-store")
            }
            Err(e) => refuse(format, RequestError::Malformed(e.0)),
        },
    }
}

/// A multipart upload ([`super::upload`]): one operation with its files.
async fn post_multipart(
    state: &AppState,
    format: ResponseFormat,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Response {
    let caller = match Caller::identify(state, peer, headers).await {
        Ok(caller) => caller,
        Err(refusal) => return refuse(format, refusal),
    };
    match super::upload::read(state, headers, body).await {
        Ok(params) => {
            let finished = pipeline::http(state, format, &caller, params).await;
            answer(format, finished, "no-store")
        }
        Err(error) => refuse(format, error),
    }
}

async fn post_batch(
    state: &AppState,
    format: ResponseFormat,
    caller: &Caller,
    items: Vec<Value>,
) -> Response {
    let max = state.config.max_batch;
    if max == 0 {
        return refuse(format, RequestError::BatchingDisabled);
    }
    if items.is_empty() || items.len() > max {
        let count = items.len();
        return refuse(format, RequestError::BatchSize { max, count });
    }
    let params = match items
        .into_iter()
        .map(GraphqlParams::from_json)
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(params) => params,
        Err(e) => return refuse(format, RequestError::Malformed(e.0)),
    };
    let results = futures::future::join_all(
        params
            .into_iter()
            .map(|p| pipeline::http(state, format, caller, p)),
    )
    .await;
    let bodies: Vec<Body> = results.into_iter().map(|f| f.body).collect();
    respond_bytes(format, StatusCode::OK, body::array(bodies), "no-store")
}

/// `GET /graphql`: queries only, parameters in the URL; responses may be cached. With
/// `Upgrade: websocket`, subscriptions (see [`super::ws`]).
pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    MaybeUpgrade(upgrade): MaybeUpgrade,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    if let Some(upgrade) = upgrade {
        return super::ws::upgrade(state, upgrade, peer, headers);
    }
    let Some(format) = negotiate(&headers) else {
        return refuse(ResponseFormat::Json, RequestError::NotAcceptable);
    };
    let params = query
        .map_err(|e| e.body_text())
        .and_then(|Query(q)| GraphqlParams::from_url(q).map_err(|e| e.0));
    let mut params = match params {
        Ok(params) => params,
        Err(message) => return refuse(format, RequestError::Malformed(message)),
    };
    // Resolve a hash first, so a mutation cannot hide behind it on GET. Text sent with a hash
    // is registered by the pipeline, once the caller is known (production's safelist) and
    // the text passed every limit.
    if params.query.trim().is_empty()
        && let Err(error) = resolve_persisted(&state, &mut params).await
    {
        return refuse(format, error);
    }
    // Only queries are ever stored, so a hit needs no operation-type check.
    let anonymous = !headers.contains_key(AUTHORIZATION);
    // A request that must see a write is never answered from, nor stored in, the cache.
    let shared = anonymous && !headers.contains_key(CONSISTENCY_TOKEN);
    let cache_key = state.responses.key(&params, format, shared);
    if let Some(hit) = cache_key
        .as_deref()
        .and_then(|key| state.responses.get(key))
    {
        let caller = match Caller::identify(&state, peer, &headers).await {
            Ok(caller) => caller,
            Err(refusal) => return refuse(format, refusal),
        };
        return serve_cached(&state, format, &caller, &params, &hit).await;
    }
    if let Some(kind) = not_a_query(&state, &params) {
        return refuse(format, RequestError::NotAQuery { kind });
    }
    let caller = match Caller::identify(&state, peer, &headers).await {
        Ok(caller) => caller,
        Err(refusal) => return refuse(format, refusal),
    };
    let finished = pipeline::http(&state, format, &caller, params).await;
    let cacheable = finished.status == StatusCode::OK && !finished.body.has_errors() && shared;
    let cache = if cacheable {
        if let (Some(key), Some(head)) = (cache_key, finished.body.shareable()) {
            let cost = finished.body.extension("cost").unwrap_or(&Value::Null);
            let requested = cost["requestedQueryCost"].as_u64().unwrap_or(1);
            let actual = cost["actualQueryCost"].as_u64().unwrap_or(requested);
            state.responses.put(key, head, requested, actual);
        }
        public_cache_control(&state)
    } else {
        "no-store".to_owned()
    };
    answer(format, finished, &cache)
}

fn public_cache_control(state: &AppState) -> String {
    format!("public, max-age={}", state.config.cache_max_age)
}

/// Answers from the response cache: the stored body with this caller's own cost report,
/// after charging the bucket what running the request cost.
async fn serve_cached(
    state: &AppState,
    format: ResponseFormat,
    caller: &Caller,
    params: &GraphqlParams,
    hit: &CachedResponse,
) -> Response {
    let operation = observability::operation_label(params.operation_name.as_deref());
    let key = CallerKey::Ip(caller.client.network());
    let bucket = state.cost_limiter.spend(&key, hit.actual_cost).await;
    if let Some(wait) = bucket.retry_after {
        let refused = pipeline::Refused {
            error: pipeline::throttled(hit.actual_cost, wait),
            bucket: Some(bucket),
        };
        let finished = pipeline::refusal(format, caller, operation, refused);
        return answer(format, finished, "no-store");
    }
    let mut extensions = serde_json::Map::new();
    extensions.insert(
        "cost".to_owned(),
        cost_extension(hit.requested_cost, Some(hit.actual_cost), &bucket),
    );
    let mut response = respond_bytes(
        format,
        StatusCode::OK,
        hit.body_with(&extensions),
        &public_cache_control(state),
    );
    if let Ok(age) = HeaderValue::from_str(&hit.age_seconds().to_string()) {
        response.headers_mut().insert(AGE, age);
    }
    let log = GraphqlLog {
        operation,
        user_id: None,
        outcome: "cached",
        bucket: Some(bucket),
    };
    with_log(response, log)
}

/// The kind of the operation a GET request selects when it is not a query (mutation or
/// subscription), decided by [`crate::graphql::operation`] as everywhere else. A document
/// that does not parse is left to the pipeline, which reports the syntax error.
fn not_a_query(state: &AppState, params: &GraphqlParams) -> Option<&'static str> {
    let name = params.operation_name.as_deref();
    let ty = match prepared(state, prepared_key_of(params).as_deref()) {
        Some(prepared) => crate::graphql::operation::selected_type(&prepared.document, name),
        None => {
            let document = async_graphql::parser::parse_query(&params.query).ok()?;
            crate::graphql::operation::selected_type(&document, name)
        }
    };
    match ty? {
        OperationType::Query => None,
        OperationType::Mutation => Some("mutation"),
        OperationType::Subscription => Some("subscription"),
    }
}

/// The HTTP response of a finished request.
fn answer(format: ResponseFormat, finished: Finished, cache: &str) -> Response {
    let Finished { status, body, log } = finished;
    with_log(respond_bytes(format, status, body.into_bytes(), cache), log)
}

/// The response to a request refused before the pipeline knew its caller or operation: no
/// `data`, one error.
fn refuse(format: ResponseFormat, error: RequestError) -> Response {
    let status = pipeline::status_of(&error, format);
    let body = json!({ "errors": [error.extend()] });
    let body = serde_json::to_vec(&body).unwrap_or_default();
    respond_bytes(format, status, body, "no-store")
}

/// Adds the `RateLimit-*` headers of the caller's bucket and hands `log` to the request log.
fn with_log(mut response: Response, log: GraphqlLog) -> Response {
    rate_limit_headers(&mut response, &log);
    response.extensions_mut().insert(log);
    response
}

impl Caller {
    async fn identify(
        state: &AppState,
        peer: SocketAddr,
        headers: &HeaderMap,
    ) -> Result<Self, RequestError> {
        let client = ClientInfo {
            ip: accounts::client_ip(peer.ip(), headers, &state.config.trusted_proxies),
            user_agent: headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        };
        let consistency = match headers.get(CONSISTENCY_TOKEN) {
            Some(value) => Some(
                value
                    .to_str()
                    .ok()
                    .and_then(|v| v.trim().parse::<ConsistencyToken>().ok())
                    .ok_or_else(|| {
                        RequestError::Malformed(crate::tr!("search-consistency-token-invalid"))
                    })?,
            ),
            None => None,
        };
        match accounts::authenticate(&state.auth, &state.db, headers).await {
            Ok(Ok(viewer)) => Ok(Self {
                viewer,
                client,
                consistency,
            }),
            Ok(Err(failure)) => Err(RequestError::Unauthenticated(failure.message())),
            // Logged with its cause; the client gets the code, the message and, when
            // PostgreSQL is out of reach, `retryAfterMs` and a 503.
            Err(error) => Err(RequestError::Api(error)),
        }
    }
}

fn is_json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

fn respond_bytes(
    format: ResponseFormat,
    status: StatusCode,
    body: Vec<u8>,
    cache: &str,
) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(cache) = HeaderValue::from_str(cache) {
        headers.insert(CACHE_CONTROL, cache);
    }
    headers.insert(
        VARY,
        HeaderValue::from_static("Accept, Authorization, Consistency-Token"),
    );
    match status {
        StatusCode::SERVICE_UNAVAILABLE => {
            let seconds = UNAVAILABLE_RETRY_AFTER_MS.div_ceil(1000);
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        StatusCode::METHOD_NOT_ALLOWED => {
            headers.insert(ALLOW, HeaderValue::from_static("POST"));
        }
        StatusCode::UNAUTHORIZED => {
            let challenge = HeaderValue::from_static("Bearer error=\"invalid_token\"");
            headers.insert(WWW_AUTHENTICATE, challenge);
        }
        _ => {}
    }
    response
}
