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

use super::ws::MaybeUpgrade;
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::ErrorExtensions;
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::{
    AGE, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, USER_AGENT, VARY,
    WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::body::{self, Body};
use super::error_shape::{add_missing_code, only_unavailable, restore_null};
use super::negotiate::{ResponseFormat, negotiate};
use super::observe::GraphqlLog;
use super::params::GraphqlParams;
use super::persisted::{
    prepared, prepared_key_of, refuses_ad_hoc, register, registration, resolve_persisted,
};
use super::refusals::{
    Caller, cost_extension, rate_limit_headers, record_operation, refuse_document, throttle,
};
use super::response_cache::CachedResponse;
use super::state::AppState;
use super::state::PreparedDocument;

use crate::accounts;
use crate::graphql::context::{ClientInfo, RequestContext};
use crate::graphql::error::{ErrorCode, UNAVAILABLE_RETRY_AFTER_MS};
use crate::graphql::query_limits;
use crate::graphql::query_limits::OperationCost;
use crate::runtime::cost_limits::CallerKey;
use crate::runtime::observability;
use crate::runtime::row_cache::RowCache;

/// `POST /graphql`: one request object, or a batch (an array) when batching is on.
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(format) = negotiate(&headers) else {
        return not_acceptable();
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let limit = state.config.max_body_bytes;
            let message = crate::tr!("http-body-too-large", limit = limit);
            return http_error(
                format,
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::QueryTooComplex,
                &message,
            );
        }
        Err(rejection) => {
            return http_error(
                format,
                rejection.status(),
                ErrorCode::BadUserInput,
                &rejection.body_text(),
            );
        }
    };
    if !is_json_content_type(&headers) {
        return http_error(
            format,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadUserInput,
            &crate::tr!("http-content-type"),
        );
    }
    let value: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => {
            let message = crate::tr!("http-json-malformed", error = e.to_string());
            return http_error(
                format,
                StatusCode::BAD_REQUEST,
                ErrorCode::BadUserInput,
                &message,
            );
        }
    };
    let caller = match Caller::identify(&state, peer, &headers).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal.with_format(format),
    };
    match value {
        Value::Array(items) => post_batch(&state, format, &caller, items).await,
        single => match GraphqlParams::from_json(single) {
            Ok(params) => {
                let (status, body, log) = execute(&state, format, &caller, params).await;
                with_log(
                    respond_bytes(format, status, body.into_bytes(), "no-store"),
                    log,
                )
            }
            Err(e) => http_error(
                format,
                StatusCode::BAD_REQUEST,
                ErrorCode::BadUserInput,
                &e.0,
            ),
        },
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
        return http_error(
            format,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            &crate::tr!("http-batching-disabled"),
        );
    }
    if items.is_empty() || items.len() > max {
        let message = crate::tr!("http-batch-size", max = max, count = items.len());
        return http_error(
            format,
            StatusCode::BAD_REQUEST,
            ErrorCode::QueryTooComplex,
            &message,
        );
    }
    let mut params = Vec::with_capacity(items.len());
    for item in items {
        match GraphqlParams::from_json(item) {
            Ok(p) => params.push(p),
            Err(e) => {
                return http_error(
                    format,
                    StatusCode::BAD_REQUEST,
                    ErrorCode::BadUserInput,
                    &e.0,
                );
            }
        }
    }
    let results = futures::future::join_all(
        params
            .into_iter()
            .map(|p| execute(state, format, caller, p)),
    )
    .await;
    let bodies: Vec<Body> = results.into_iter().map(|(_, body, _)| body).collect();
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
        return not_acceptable();
    };
    let params = match query
        .map_err(|e| e.body_text())
        .and_then(|Query(q)| GraphqlParams::from_url(q).map_err(|e| e.0))
    {
        Ok(params) => params,
        Err(message) => {
            return http_error(
                format,
                StatusCode::BAD_REQUEST,
                ErrorCode::BadUserInput,
                &message,
            );
        }
    };
    let mut params = params;
    // Resolve a hash first, so a mutation cannot hide behind it on GET. Text sent with a hash
    // is registered in `execute`, once the caller is known (production's safelist) and the
    // text passed every limit.
    if params.query.trim().is_empty()
        && let Err((status, body)) = resolve_persisted(&state, &mut params).await
    {
        return respond(format, status, &body, "no-store");
    }
    // Only queries are ever stored, so a hit needs no operation-type check.
    let anonymous = !headers.contains_key(AUTHORIZATION);
    let cache_key = state.responses.key(&params, format, anonymous);
    if let Some(hit) = cache_key
        .as_deref()
        .and_then(|key| state.responses.get(key))
    {
        let caller = match Caller::identify(&state, peer, &headers).await {
            Ok(caller) => caller,
            Err(refusal) => return refusal.with_format(format),
        };
        return serve_cached(&state, format, &caller, &params, &hit);
    }
    let prepared = prepared(&state, prepared_key_of(&params).as_deref());
    if let Some(kind) = non_query_operation(&params, prepared.as_ref().map(|p| &*p.document)) {
        let message = crate::tr!("http-get-not-query", kind = kind);
        let mut response = http_error(
            format,
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::BadUserInput,
            &message,
        );
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let caller = match Caller::identify(&state, peer, &headers).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal.with_format(format),
    };
    let (status, body, log) = execute(&state, format, &caller, params).await;
    let cacheable = status == StatusCode::OK && !body.has_errors() && anonymous;
    let cache = if cacheable {
        if let (Some(key), Some(head)) = (cache_key, body.shareable()) {
            let cost = body.extension("cost").unwrap_or(&Value::Null);
            let requested = cost["requestedQueryCost"].as_u64().unwrap_or(1);
            let actual = cost["actualQueryCost"].as_u64().unwrap_or(requested);
            state.responses.put(key, head, requested, actual);
        }
        public_cache_control(&state)
    } else {
        "no-store".to_owned()
    };
    with_log(
        respond_bytes(format, status, body.into_bytes(), &cache),
        log,
    )
}

fn public_cache_control(state: &AppState) -> String {
    format!("public, max-age={}", state.config.cache_max_age)
}

/// Answers from the response cache: the stored body with this caller's own cost report,
/// after charging the bucket what running the request cost.
fn serve_cached(
    state: &AppState,
    format: ResponseFormat,
    caller: &Caller,
    params: &GraphqlParams,
    hit: &CachedResponse,
) -> Response {
    let operation = observability::operation_label(params.operation_name.as_deref());
    let key = CallerKey::Ip(caller.client.network());
    let bucket = state.cost_limiter.spend(&key, hit.actual_cost);
    if let Some(wait) = bucket.retry_after {
        let (status, body, log) = throttle(caller, operation, bucket, wait, hit.actual_cost);
        return with_log(respond(format, status, &body, "no-store"), log);
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

/// Adds the `RateLimit-*` headers of the caller's bucket and hands `log` to the request log.
fn with_log(mut response: Response, log: GraphqlLog) -> Response {
    rate_limit_headers(&mut response, &log);
    response.extensions_mut().insert(log);
    response
}

/// The kind of the selected operation when it is not a query (mutation or subscription);
/// `parsed` spares parsing the text again.
fn non_query_operation(
    params: &GraphqlParams,
    parsed: Option<&ExecutableDocument>,
) -> Option<&'static str> {
    // A document that does not parse is left to `execute`, which reports the syntax error.
    let parsed_here;
    let document = match parsed {
        Some(document) => document,
        None => {
            parsed_here = async_graphql::parser::parse_query(&params.query).ok()?;
            &parsed_here
        }
    };
    let ty = crate::graphql::operation::selected_type(document, params.operation_name.as_deref())?;
    match ty {
        OperationType::Query => None,
        OperationType::Mutation => Some("mutation"),
        OperationType::Subscription => Some("subscription"),
    }
}

/// Runs one GraphQL request; returns the status it deserves and the response body.
async fn execute(
    state: &AppState,
    format: ResponseFormat,
    caller: &Caller,
    mut params: GraphqlParams,
) -> (StatusCode, Body, GraphqlLog) {
    let operation = observability::operation_label(params.operation_name.as_deref());
    if refuses_ad_hoc(state, caller.viewer.is_admin(), &params) {
        let message = crate::tr!("http-persisted-only");
        let body = json!({ "errors": [{ "message": message,
            "extensions": { "code": ErrorCode::PersistedQueryNotAllowed.as_str() } }] });
        let status = match format {
            ResponseFormat::GraphqlResponseJson => StatusCode::BAD_REQUEST,
            ResponseFormat::Json => StatusCode::OK,
        };
        let log = GraphqlLog {
            operation,
            user_id: caller.viewer.user_id().map(|u| u.0),
            outcome: "persisted_query",
            bucket: None,
        };
        return (status, Body::Json(body), log);
    }
    if let Err((status, body)) = resolve_persisted(state, &mut params).await {
        let user_id = caller.viewer.user_id().map(|u| u.0);
        return (
            status,
            Body::Json(body),
            GraphqlLog {
                operation,
                user_id,
                outcome: "persisted_query",
                bucket: None,
            },
        );
    }
    let limits = &state.config.query_limits;
    let prepared_key = prepared_key_of(&params);
    let prepared = prepared(state, prepared_key.as_deref());
    // A text seen for the first time is prepared below, once it ran.
    let mut to_prepare: Option<(String, Arc<str>, OperationCost)> = None;
    let (requested_cost, document) = match &prepared {
        Some(prepared) if !prepared.cost.cost_reads_variables => {
            (Some(prepared.cost.cost), Some(prepared.document.clone()))
        }
        Some(prepared) => match query_limits::check_operation(
            &prepared.document,
            params.operation_name.as_deref(),
            &params.variables,
            limits,
            &state.shape,
        ) {
            Ok(cost) => (cost.map(|c| c.cost), Some(prepared.document.clone())),
            Err(rejection) => return json(refuse_document(format, caller, operation, &rejection)),
        },
        None => match query_limits::check(
            &params.query,
            params.operation_name.as_deref(),
            &params.variables,
            limits,
            &state.shape,
        ) {
            Ok(Some(analysis)) => {
                if let Some(key) = prepared_key {
                    let cost = OperationCost {
                        cost: analysis.cost,
                        cost_reads_variables: analysis.cost_reads_variables,
                    };
                    to_prepare = Some((key, Arc::from(params.query.as_str()), cost));
                }
                (Some(analysis.cost), Some(Arc::new(analysis.document)))
            }
            Ok(None) => (None, None),
            Err(rejection) => return json(refuse_document(format, caller, operation, &rejection)),
        },
    };
    // Every limit passed: a text sent with its hash may be registered once it runs.
    let registration = document.as_ref().and_then(|_| registration(&params));
    let key = match caller.viewer.user_id() {
        Some(user) => CallerKey::User(user.0),
        None => CallerKey::Ip(caller.client.network()),
    };
    let bucket = state.cost_limiter.spend(&key, requested_cost.unwrap_or(1));
    if let Some(wait) = bucket.retry_after {
        return json(throttle(
            caller,
            operation,
            bucket,
            wait,
            requested_cost.unwrap_or(1),
        ));
    }
    let selected = document.as_deref().and_then(|d| {
        crate::graphql::operation::selected_type(d, params.operation_name.as_deref())
    });
    // A mutation reads the rows it changes from PostgreSQL, never from the row cache: what
    // another process wrote a moment ago may not have been heard here yet.
    let mutation = selected == Some(OperationType::Mutation);
    let db = if mutation {
        state.db.clone().with_row_cache(RowCache::off())
    } else {
        state.db.clone()
    };
    let context = RequestContext::new(
        &db,
        state.auth.clone(),
        caller.viewer,
        caller.client.clone(),
        state.search.clone(),
        state.events.clone(),
    );
    let variables = async_graphql::Variables::from_json(Value::Object(params.variables));
    // Checked here rather than by a schema extension: any extension puts every field of
    // every response through async-graphql's slower resolve path.
    let refused = document
        .as_deref()
        .and_then(|d| crate::graphql::text_arguments::check_document(d, &variables).err());
    let mut request = async_graphql::Request::new(params.query)
        .variables(variables)
        .data(context);
    if let Some(name) = params.operation_name.clone() {
        request = request.operation_name(name);
    }
    if let Some(document) = &document {
        // Kept for the actual cost, which reads the document against the data returned.
        request.set_parsed_query(ExecutableDocument::clone(document));
    }
    // In production only admins may explore the schema (introspection, suggestions).
    let explorer = !state.config.production || caller.viewer.is_admin();
    let schema = if explorer {
        &state.schema
    } else {
        &state.public_schema
    };
    if !explorer {
        request = request.disable_introspection();
    }
    let started = std::time::Instant::now();
    let response = match refused {
        Some(error) => async_graphql::Response::from_errors(vec![error]),
        None => schema.execute(request).await,
    };
    // The writer's next request must read what it wrote, also from the row cache: wait
    // until this process has heard the changes the mutation committed.
    if mutation {
        state.db.rows().settle(state.db.pool()).await;
    }
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    if let (false, Some(registration)) = (request_error, registration) {
        register(state, registration).await;
    }
    if let (false, Some((key, text, cost)), Some(document)) = (request_error, to_prepare, &document)
    {
        let document = document.clone();
        let prepared = PreparedDocument {
            text,
            document,
            cost,
        };
        state.prepared.put(key, Arc::new(prepared));
    }
    // The unused part of the requested cost goes back to the caller's bucket, but only for
    // an answer without errors: an error on a non-null field nulls its ancestors (`data`
    // itself at the root) after its siblings have done their work, and counting what is
    // left would refund that work.
    let actual_cost = match (&document, requested_cost) {
        (Some(_), Some(requested)) if !response.errors.is_empty() => Some(requested),
        (Some(document), Some(requested)) => query_limits::actual_cost(
            document,
            params.operation_name.as_deref(),
            &state.shape,
            &response.data,
        )
        .map(|actual| actual.min(requested)),
        _ => None,
    };
    let bucket = match (requested_cost, actual_cost) {
        (Some(requested), Some(actual)) if actual < requested => {
            state.cost_limiter.refund(&key, requested - actual)
        }
        _ => bucket,
    };
    let log = |outcome, bucket| GraphqlLog {
        operation: operation.clone(),
        user_id: caller.viewer.user_id().map(|u| u.0),
        outcome,
        bucket: Some(bucket),
    };
    if !request_error && response.errors.is_empty() {
        record_operation(&operation, "ok", started.elapsed(), &Value::Null);
        let mut extensions = serde_json::Map::new();
        for (name, value) in response.extensions {
            extensions.insert(name, value.into_json().unwrap_or(Value::Null));
        }
        if let Some(cost) = requested_cost {
            extensions.insert(
                "cost".to_owned(),
                cost_extension(cost, actual_cost, &bucket),
            );
        }
        let body = Body::clean(&response.data, extensions);
        return (StatusCode::OK, body, log("ok", bucket));
    }
    let mut body = serde_json::to_value(&response).unwrap_or_else(|_| json!({}));
    if let Some(errors) = body.get_mut("errors").and_then(Value::as_array_mut) {
        for error in errors.iter_mut() {
            add_missing_code(error, request_error);
        }
        let paths: Vec<Vec<Value>> = errors
            .iter()
            .filter_map(|e| e.get("path").and_then(Value::as_array).cloned())
            .collect();
        if let Some(data) = body.get_mut("data") {
            for path in paths {
                restore_null(data, &path);
            }
        }
    }
    let outcome = match (request_error, body.get("errors").is_some()) {
        (true, _) => "request_error",
        (false, true) => "field_error",
        (false, false) => "ok",
    };
    record_operation(&operation, outcome, started.elapsed(), &body);
    if request_error {
        // A request error never started execution: the spec forbids a `data` entry.
        if let Some(map) = body.as_object_mut() {
            map.remove("data");
        }
    }
    if let (Some(cost), Some(map)) = (requested_cost, body.as_object_mut()) {
        let extensions = map.entry("extensions").or_insert_with(|| json!({}));
        if let Some(extensions) = extensions.as_object_mut() {
            extensions.insert(
                "cost".to_owned(),
                cost_extension(cost, actual_cost, &bucket),
            );
        }
    }
    let status = match (request_error, format) {
        (true, ResponseFormat::GraphqlResponseJson) => StatusCode::BAD_REQUEST,
        _ if only_unavailable(&body) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    let log = log(outcome, bucket);
    (status, Body::Json(body), log)
}

/// A refusal's answer as a [`Body`].
fn json((status, body, log): (StatusCode, Value, GraphqlLog)) -> (StatusCode, Body, GraphqlLog) {
    (status, Body::Json(body), log)
}

/// A refusal decided before the request runs: no `data`, one error.
struct EarlyRefusal {
    status: StatusCode,
    error: async_graphql::Error,
}

impl EarlyRefusal {
    fn with_format(self, format: ResponseFormat) -> Response {
        let body = json!({ "errors": [self.error] });
        let mut response = respond(format, self.status, &body, "no-store");
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = HeaderValue::from_static("Bearer error=\"invalid_token\"");
            response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

impl Caller {
    async fn identify(
        state: &AppState,
        peer: SocketAddr,
        headers: &HeaderMap,
    ) -> Result<Self, EarlyRefusal> {
        let client = ClientInfo {
            ip: accounts::client_ip(peer.ip(), headers, &state.config.trusted_proxies),
            user_agent: headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        };
        match accounts::authenticate(&state.auth, &state.db, headers).await {
            Ok(Ok(viewer)) => Ok(Self { viewer, client }),
            Ok(Err(failure)) => Err(EarlyRefusal {
                status: StatusCode::UNAUTHORIZED,
                error: async_graphql::Error::new(failure.message()).extend_with(|_, ext| {
                    ext.set("code", ErrorCode::Unauthenticated.as_str());
                }),
            }),
            Err(error) => Err(EarlyRefusal {
                status: if error.is_unavailable() {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                },
                // The conversion resolvers use: it logs the cause and gives the client the
                // code, the message and, when PostgreSQL is out of reach, `retryAfterMs`.
                error: error.into(),
            }),
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

fn respond(format: ResponseFormat, status: StatusCode, body: &Value, cache: &str) -> Response {
    respond_bytes(
        format,
        status,
        serde_json::to_vec(body).unwrap_or_default(),
        cache,
    )
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
    headers.insert(VARY, HeaderValue::from_static("Accept, Authorization"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        let seconds = UNAVAILABLE_RETRY_AFTER_MS.div_ceil(1000);
        headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// A response for a request refused before GraphQL ran: no `data`, one error.
fn http_error(
    format: ResponseFormat,
    status: StatusCode,
    code: ErrorCode,
    message: &str,
) -> Response {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] });
    respond(format, status, &body, "no-store")
}

fn not_acceptable() -> Response {
    http_error(
        ResponseFormat::Json,
        StatusCode::NOT_ACCEPTABLE,
        ErrorCode::BadUserInput,
        &crate::tr!("http-not-acceptable"),
    )
}
