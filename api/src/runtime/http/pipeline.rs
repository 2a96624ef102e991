//! One pipeline for every GraphQL request, whatever carries it: POST, GET or WebSocket.
//!
//! | stage       | does                                                  | yields       |
//! |-------------|-------------------------------------------------------|--------------|
//! | [`admit`]   | the safelist; a hash or document id becomes its text  | `()`         |
//! | [`analyse`] | a prepared document, else the limits; operation type  | [`Analysed`] |
//! | [`charge`]  | the caller's cost bucket pays the requested cost      | [`Charged`]  |
//! | [`run`]     | the executor; what ran is remembered ([`remember`])   | [`Ran`]      |
//! | [`finish`]  | status, codes, nulls, actual cost and refund          | [`Finished`] |
//!
//! [`http`] strings the five together for POST and GET. The WebSocket's `subscribe` uses
//! `admit`, `analyse` and `charge`, then runs a stream instead of `run` and `finish`. A stage
//! that refuses returns [`Refused`], whose answer [`refusal`] writes; the code comes from
//! the typed [`RequestError`] (`graphql/error.rs`), the status from [`status_of`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::ErrorExtensions;
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::accounting::{Caller, cost_extension, record_operation};
use super::body::Body;
use super::error_shape::{only_unavailable, restore_null};
use super::negotiate::ResponseFormat;
use super::observe::GraphqlLog;
use super::params::GraphqlParams;
use super::persisted::{
    prepared, prepared_key_of, refuses_ad_hoc, register, registration, resolve_persisted,
};
use super::state::{AppState, PreparedDocument};
use crate::graphql::context::RequestContext;
use crate::graphql::error::{RequestError, code_untyped};
use crate::graphql::query_limits::{self, OperationCost};
use crate::graphql::schema::ApiSchema;
use crate::runtime::cost_limits::{BucketState, CallerKey};
use crate::runtime::observability;
use crate::runtime::row_cache::RowCache;

/// A request refused by a stage: why, and the caller's bucket when it was read.
pub(super) struct Refused {
    pub(super) error: RequestError,
    pub(super) bucket: Option<BucketState>,
}

impl From<RequestError> for Refused {
    fn from(error: RequestError) -> Self {
        Self {
            error,
            bucket: None,
        }
    }
}

/// What [`analyse`] learnt of a request's document.
pub(super) struct Analysed {
    /// The parsed document; `None` when it selects no operation (the executor says why).
    pub(super) document: Option<Arc<ExecutableDocument>>,
    /// The name of the operation the request runs, as sent.
    name: Option<String>,
    /// The type of the operation the request runs.
    pub(super) operation: Option<OperationType>,
    /// The most the operation may cost; `None` without an operation.
    pub(super) requested_cost: Option<u64>,
    /// A text seen for the first time, prepared once it ran without a request error.
    to_prepare: Option<(String, Arc<str>, OperationCost)>,
    /// A text sent with its hash, registered once it ran without a request error.
    registration: Option<(String, Arc<str>)>,
}

/// What [`charge`] took from the caller's bucket.
pub(super) struct Charged {
    pub(super) key: CallerKey,
    pub(super) bucket: BucketState,
}

/// What [`run`] got from the executor.
pub(super) struct Ran {
    response: async_graphql::Response,
    elapsed: Duration,
    /// Nothing executed: the document or its variables were refused (no `data`).
    request_error: bool,
}

/// A finished answer: its status, body and what the request log records.
pub(super) struct Finished {
    pub(super) status: StatusCode,
    pub(super) body: Body,
    pub(super) log: GraphqlLog,
}

/// POST's and GET's request, through all five stages.
pub(super) async fn http(
    state: &AppState,
    format: ResponseFormat,
    caller: &Caller,
    mut params: GraphqlParams,
) -> Finished {
    let operation = observability::operation_label(params.operation_name.as_deref());
    let charged = async {
        admit(state, caller, &mut params).await?;
        let analysed = analyse(state, &params)?;
        let charged = charge(state, caller, analysed.requested_cost.unwrap_or(1)).await?;
        Ok::<_, Refused>((analysed, charged))
    }
    .await;
    let (analysed, charged) = match charged {
        Ok(stages) => stages,
        Err(refused) => return refusal(format, caller, operation, refused),
    };
    let ran = run(state, caller, params, &analysed).await;
    remember(state, &analysed, &ran).await;
    finish(state, format, caller, operation, &analysed, charged, ran).await
}

/// Admit: with the safelist on, a caller who is not an admin runs only persisted
/// operations; then a hash or document id is replaced by its text.
pub(super) async fn admit(
    state: &AppState,
    caller: &Caller,
    params: &mut GraphqlParams,
) -> Result<(), RequestError> {
    if refuses_ad_hoc(state, caller.viewer.is_admin(), params) {
        return Err(RequestError::PersistedOnly);
    }
    resolve_persisted(state, params).await
}

/// Analyse: the prepared document of a text or hash seen before (its cost walked again
/// only when it reads variables), else the text parsed and held to every limit.
pub(super) fn analyse(state: &AppState, params: &GraphqlParams) -> Result<Analysed, RequestError> {
    let limits = &state.config.query_limits;
    let name = params.operation_name.as_deref();
    let key = prepared_key_of(params);
    let mut to_prepare = None;
    let (requested_cost, document) = match prepared(state, key.as_deref()) {
        Some(prepared) if !prepared.cost.cost_reads_variables => {
            (Some(prepared.cost.cost), Some(prepared.document.clone()))
        }
        Some(prepared) => {
            let cost = query_limits::check_operation(
                &prepared.document,
                name,
                &params.variables,
                limits,
                &state.shape,
            )?;
            (cost.map(|c| c.cost), Some(prepared.document.clone()))
        }
        None => {
            match query_limits::check(&params.query, name, &params.variables, limits, &state.shape)?
            {
                Some(analysis) => {
                    if let Some(key) = key {
                        let cost = OperationCost {
                            cost: analysis.cost,
                            cost_reads_variables: analysis.cost_reads_variables,
                        };
                        to_prepare = Some((key, Arc::from(params.query.as_str()), cost));
                    }
                    (Some(analysis.cost), Some(Arc::new(analysis.document)))
                }
                None => (None, None),
            }
        }
    };
    let operation = document
        .as_deref()
        .and_then(|d| crate::graphql::operation::selected_type(d, name));
    Ok(Analysed {
        // Every limit passed: a text sent with its hash may be registered once it runs.
        registration: document.as_ref().and_then(|_| registration(params)),
        document,
        name: params.operation_name.clone(),
        operation,
        requested_cost,
        to_prepare,
    })
}

/// Charge: the caller's bucket (the user's, else the client network's) pays `cost` up
/// front; what the answer did not use is refunded in [`finish`].
pub(super) async fn charge(
    state: &AppState,
    caller: &Caller,
    cost: u64,
) -> Result<Charged, Refused> {
    let key = match caller.viewer.user_id() {
        Some(user) => CallerKey::User(user.0),
        None => CallerKey::Ip(caller.client.network()),
    };
    let bucket = state.cost_limiter.spend(&key, cost).await;
    match bucket.retry_after {
        Some(wait) => Err(Refused {
            error: throttled(cost, wait),
            bucket: Some(bucket),
        }),
        None => Ok(Charged { key, bucket }),
    }
}

/// The refusal of a caller whose bucket cannot pay `cost` for `wait` more.
pub(super) fn throttled(cost: u64, wait: Duration) -> RequestError {
    metrics::counter!("textisur_rate_limit_rejections_total", "limit" => "cost").increment(1);
    RequestError::Throttled {
        cost,
        retry_after_ms: wait.as_millis().max(1) as u64,
    }
}

/// The request context of a request by `caller`. A mutation or a subscription reads rows
/// from PostgreSQL, never from the row cache: what another process wrote a moment ago may
/// not have been heard here yet (and events are heard on another listener than rows).
///
/// A query may hydrate catalogue rows from a standby that has replayed the writes the
/// request must see: its `Consistency-Token` header and the viewer's own last write through
/// this process (see [`crate::runtime::db::replicas`]).
pub(super) fn context(state: &AppState, caller: &Caller, cached_rows: bool) -> RequestContext {
    let remembered = caller
        .viewer
        .user_id()
        .and_then(|user| state.search.remembered(user));
    let consistency = crate::runtime::db::ConsistencyToken::latest(caller.consistency, remembered);
    let db = if cached_rows {
        state.db.for_hydration(consistency)
    } else {
        state.db.clone().with_row_cache(RowCache::off())
    };
    RequestContext::new(
        &db,
        state.auth.clone(),
        caller.viewer,
        caller.client.clone(),
        state.search.clone(),
        state.events.clone(),
        consistency,
    )
    .with_commerce(state.commerce.clone())
    .with_media(state.media.clone())
}

/// The executor's request for a document that passed the stages before. Text arguments
/// are checked here rather than by a schema extension: any extension puts every field of
/// every response through async-graphql's slower resolve path. Only explorers (admins, or
/// everyone outside production) may introspect the schema and get "did you mean" hints.
pub(super) fn prepare_request<'s>(
    state: &'s AppState,
    caller: &Caller,
    params: GraphqlParams,
    document: Option<&ExecutableDocument>,
    context: RequestContext,
) -> Result<(async_graphql::Request, &'s ApiSchema), async_graphql::ServerError> {
    let variables = async_graphql::Variables::from_json(Value::Object(params.variables));
    if let Some(document) = document {
        crate::graphql::text_arguments::check_document(document, &variables)?;
    }
    let uploads = params.uploads.take();
    let mut request = async_graphql::Request::new(params.query)
        .variables(variables)
        .data(context);
    // The variables name the files by index (`#__graphql_file__:0`, as async-graphql's
    // multipart reader wrote them).
    request.uploads = uploads;
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if let Some(document) = document {
        // Kept for the actual cost, which reads the document against the data returned.
        request.set_parsed_query(document.clone());
    }
    let explorer = !state.config.production || caller.viewer.is_admin();
    if explorer {
        Ok((request, &state.schema))
    } else {
        Ok((request.disable_introspection(), &state.public_schema))
    }
}

/// Run: the executor. After a mutation, the writer's next request must read what it wrote,
/// also from the row cache, so this waits until this process heard what it committed.
async fn run(state: &AppState, caller: &Caller, params: GraphqlParams, analysed: &Analysed) -> Ran {
    let mutation = analysed.operation == Some(OperationType::Mutation);
    let context = context(state, caller, !mutation);
    let written = context.written();
    let started = Instant::now();
    let mut response =
        match prepare_request(state, caller, params, analysed.document.as_deref(), context) {
            Ok((request, schema)) => schema.execute(request).await,
            Err(refused) => async_graphql::Response::from_errors(vec![refused]),
        };
    if mutation {
        state.db.rows().settle(state.db.pool()).await;
    }
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    // A read sent with this token sees the catalogue writes it covers, on any replica and
    // any standby; the writer's own next requests here wait for them anyway.
    let token = written.lock().ok().and_then(|token| *token);
    if let Some(token) = token {
        response.extensions.insert(
            "consistencyToken".to_owned(),
            async_graphql::Value::String(token.to_string()),
        );
    }
    Ran {
        response,
        elapsed: started.elapsed(),
        request_error,
    }
}

/// What ran without a request error is remembered: the document prepared for the next
/// request with the same text, the text registered under the hash it was sent with.
async fn remember(state: &AppState, analysed: &Analysed, ran: &Ran) {
    if ran.request_error {
        return;
    }
    if let Some(registration) = &analysed.registration {
        register(state, registration.clone()).await;
    }
    if let (Some((key, text, cost)), Some(document)) = (&analysed.to_prepare, &analysed.document) {
        let prepared = PreparedDocument {
            text: text.clone(),
            document: document.clone(),
            cost: *cost,
        };
        state.prepared.put(key.clone(), Arc::new(prepared));
    }
}

/// Finish: the actual cost and the refund of what was not used, the body (every error
/// coded, failed fields back as `null`, the cost extension) and its status.
async fn finish(
    state: &AppState,
    format: ResponseFormat,
    caller: &Caller,
    operation: String,
    analysed: &Analysed,
    charged: Charged,
    ran: Ran,
) -> Finished {
    let Ran {
        response,
        elapsed,
        request_error,
    } = ran;
    let (actual_cost, bucket) = settle(state, analysed, charged, &response).await;
    let cost = analysed
        .requested_cost
        .map(|cost| cost_extension(cost, actual_cost, &bucket));
    let (status, body, outcome) = if response.errors.is_empty() {
        record_operation(&operation, "ok", elapsed, &Value::Null);
        (StatusCode::OK, clean_body(response, cost), "ok")
    } else {
        let outcome = if request_error {
            "request_error"
        } else {
            "field_error"
        };
        let body = error_body(response, request_error, cost);
        record_operation(&operation, outcome, elapsed, &body);
        let status = match (request_error, format) {
            (true, ResponseFormat::GraphqlResponseJson) => StatusCode::BAD_REQUEST,
            _ if only_unavailable(&body) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::OK,
        };
        (status, Body::Json(body), outcome)
    };
    let log = GraphqlLog {
        operation,
        user_id: caller.viewer.user_id().map(|u| u.0),
        outcome,
        bucket: Some(bucket),
    };
    Finished { status, body, log }
}

/// The actual cost of an answer and the caller's bucket once what it did not use went back.
/// Only an answer without errors is refunded: an error on a non-null field nulls its
/// ancestors (`data` itself at the root) after its siblings have done their work, and
/// counting what is left would refund that work.
async fn settle(
    state: &AppState,
    analysed: &Analysed,
    charged: Charged,
    response: &async_graphql::Response,
) -> (Option<u64>, BucketState) {
    let actual_cost = match (&analysed.document, analysed.requested_cost) {
        (Some(_), Some(requested)) if !response.errors.is_empty() => Some(requested),
        (Some(document), Some(requested)) => {
            let name = analysed.name.as_deref();
            query_limits::actual_cost(document, name, &state.shape, &response.data)
                .map(|actual| actual.min(requested))
        }
        _ => None,
    };
    let bucket = match (analysed.requested_cost, actual_cost) {
        (Some(requested), Some(actual)) if actual < requested => {
            state
                .cost_limiter
                .refund(&charged.key, requested - actual)
                .await
        }
        _ => charged.bucket,
    };
    (actual_cost, bucket)
}

/// The body of an answer without errors, serialised once, with its extensions.
fn clean_body(response: async_graphql::Response, cost: Option<Value>) -> Body {
    let mut extensions = serde_json::Map::new();
    for (name, value) in response.extensions {
        extensions.insert(name, value.into_json().unwrap_or(Value::Null));
    }
    if let Some(cost) = cost {
        extensions.insert("cost".to_owned(), cost);
    }
    Body::clean(&response.data, extensions)
}

/// The body of an answer with errors: every error coded, every failed field back as
/// `null`, no `data` after a request error (nothing executed: the spec forbids it).
fn error_body(
    mut response: async_graphql::Response,
    request_error: bool,
    cost: Option<Value>,
) -> Value {
    code_untyped(&mut response.errors);
    let mut body = serde_json::to_value(&response).unwrap_or_else(|_| json!({}));
    let paths: Vec<Vec<Value>> = body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("path").and_then(Value::as_array).cloned())
        .collect();
    if let Some(data) = body.get_mut("data") {
        for path in paths {
            restore_null(data, &path);
        }
    }
    if let Some(map) = body.as_object_mut() {
        if request_error {
            map.remove("data");
        }
        if let Some(cost) = cost {
            let extensions = map.entry("extensions").or_insert_with(|| json!({}));
            if let Some(extensions) = extensions.as_object_mut() {
                extensions.insert("cost".to_owned(), cost);
            }
        }
    }
    body
}

/// The answer to a refused request: no `data`, one error; a throttled caller also gets the
/// cost report of its bucket.
pub(super) fn refusal(
    format: ResponseFormat,
    caller: &Caller,
    operation: String,
    refused: Refused,
) -> Finished {
    let Refused { error, bucket } = refused;
    let mut body = json!({ "errors": [error.extend()] });
    if let (RequestError::Throttled { cost, .. }, Some(bucket)) = (&error, &bucket) {
        body["extensions"] = json!({ "cost": cost_extension(*cost, None, bucket) });
    }
    let outcome = match &error {
        RequestError::PersistedOnly
        | RequestError::PersistedNotFound
        | RequestError::PersistedInvalid(_) => "persisted_query",
        RequestError::Throttled { .. } => "throttled",
        _ => "request_error",
    };
    record_operation(&operation, outcome, Duration::ZERO, &body);
    Finished {
        status: status_of(&error, format),
        body: Body::Json(body),
        log: GraphqlLog {
            operation,
            user_id: caller.viewer.user_id().map(|u| u.0),
            outcome,
            bucket,
        },
    }
}

/// The HTTP status of a refusal. A GraphQL request error (safelist, limits) is 400 in
/// `application/graphql-response+json` and 200 in legacy `application/json`, as the
/// GraphQL-over-HTTP spec says; a request that could not be read is 4xx in both.
pub(super) fn status_of(error: &RequestError, format: ResponseFormat) -> StatusCode {
    let request_error = match format {
        ResponseFormat::GraphqlResponseJson => StatusCode::BAD_REQUEST,
        ResponseFormat::Json => StatusCode::OK,
    };
    match error {
        RequestError::Malformed(_)
        | RequestError::PersistedInvalid(_)
        | RequestError::BatchingDisabled
        | RequestError::BatchSize { .. }
        | RequestError::TooManySubscriptions { .. }
        | RequestError::SubscriptionsOnly
        | RequestError::NoOperation(_) => StatusCode::BAD_REQUEST,
        RequestError::BodyTooLarge { .. } | RequestError::UploadTooLarge { .. } => {
            StatusCode::PAYLOAD_TOO_LARGE
        }
        RequestError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        RequestError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
        RequestError::NotAQuery { .. } => StatusCode::METHOD_NOT_ALLOWED,
        RequestError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        RequestError::PersistedNotFound => StatusCode::OK,
        RequestError::PersistedOnly
        | RequestError::TooComplex { .. }
        | RequestError::InvalidDocument(_) => request_error,
        RequestError::Throttled { .. } | RequestError::TooManySockets { .. } => {
            StatusCode::TOO_MANY_REQUESTS
        }
        RequestError::Api(error) if error.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
        RequestError::Api(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
