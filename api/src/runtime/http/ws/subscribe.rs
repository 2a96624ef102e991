//! Starting a subscription: the document named as HTTP names it, checked by the same
//! limits and safelist, run only if it is a subscription, paid for from the caller's cost
//! bucket when it starts and for every event it delivers.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::parser::types::OperationType;
use futures::StreamExt;
use serde_json::{Value, json};

use super::{Connection, FromTask};
use crate::graphql::context::RequestContext;
use crate::graphql::error::ErrorCode;
use crate::graphql::query_limits;
use crate::graphql::text_arguments;
use crate::graphql::viewer::Viewer;
use crate::runtime::cost_limits::CallerKey;
use crate::runtime::http::params::GraphqlParams;
use crate::runtime::http::persisted::{refuses_ad_hoc, resolve_persisted};
use crate::runtime::row_cache::RowCache;

impl Connection {
    /// Starts a subscription; returns an immediate `error` message when it cannot start.
    /// The payload names the document as HTTP requests do: its text, `documentId`/`doc_id`,
    /// or `extensions.persistedQuery`; with the safelist on, only admins may send text that
    /// is not a trusted document's.
    pub(super) async fn subscribe(
        &mut self,
        id: String,
        payload: Value,
        viewer: Viewer,
    ) -> Option<Value> {
        let error = |code: ErrorCode, message: String| {
            Some(json!({ "id": id, "type": "error",
                "payload": [{ "message": message, "extensions": { "code": code.as_str() } }] }))
        };
        if self.running.len() >= self.state.config.ws.max_subscriptions {
            return error(
                ErrorCode::BadUserInput,
                crate::tr!(
                    "ws-too-many-subscriptions",
                    max = self.state.config.ws.max_subscriptions
                ),
            );
        }
        let mut params = match GraphqlParams::from_json(payload) {
            Ok(params) => params,
            Err(e) => return error(ErrorCode::BadUserInput, e.0),
        };
        if refuses_ad_hoc(&self.state, viewer.is_admin(), &params) {
            return error(
                ErrorCode::PersistedQueryNotAllowed,
                crate::tr!("http-persisted-only"),
            );
        }
        if let Err((_, body)) = resolve_persisted(&self.state, &mut params).await {
            return Some(json!({ "id": id, "type": "error", "payload": body["errors"] }));
        }
        let analysis = match query_limits::check(
            &params.query,
            params.operation_name.as_deref(),
            &params.variables,
            &self.state.config.query_limits,
            &self.state.shape,
        ) {
            Ok(Some(analysis)) => analysis,
            Ok(None) => return error(ErrorCode::BadUserInput, no_operation(&params)),
            Err(rejection) => {
                let code = match rejection {
                    query_limits::Rejection::TooComplex { .. } => ErrorCode::QueryTooComplex,
                    query_limits::Rejection::Invalid(_) => ErrorCode::BadUserInput,
                };
                return error(code, rejection.message());
            }
        };
        let selected = crate::graphql::operation::selected_type(
            &analysis.document,
            params.operation_name.as_deref(),
        );
        if selected != Some(OperationType::Subscription) {
            return error(ErrorCode::BadUserInput, crate::tr!("ws-subscriptions-only"));
        }
        // The same bucket as the caller's HTTP requests: a socket is no way around it.
        let key = match viewer.user_id() {
            Some(user) => CallerKey::User(user.0),
            None => CallerKey::Ip(self.client.network()),
        };
        let bucket = self.state.cost_limiter.spend(&key, analysis.cost);
        if let Some(wait) = bucket.retry_after {
            return Some(throttled(&id, analysis.cost, wait));
        }
        let document = Arc::new(analysis.document.clone());
        // Events are heard on another listener than row changes: a subscription reads the
        // rows an event names from PostgreSQL, never from the row cache.
        let db = self.state.db.clone().with_row_cache(RowCache::off());
        let context = RequestContext::new(
            &db,
            self.state.auth.clone(),
            viewer,
            self.client.clone(),
            self.state.search.clone(),
            self.state.events.clone(),
        );
        let variables = async_graphql::Variables::from_json(Value::Object(params.variables));
        if let Err(refused) = text_arguments::check_document(&analysis.document, &variables) {
            return error(ErrorCode::BadUserInput, refused.message);
        }
        let mut request = async_graphql::Request::new(params.query)
            .variables(variables)
            .data(context);
        let operation_name = params.operation_name.clone();
        if let Some(name) = params.operation_name {
            request = request.operation_name(name);
        }
        request.set_parsed_query(analysis.document);
        let explorer = !self.state.config.production || viewer.is_admin();
        let schema = if explorer {
            self.state.schema.clone()
        } else {
            request = request.disable_introspection();
            self.state.public_schema.clone()
        };
        self.generation += 1;
        let generation = self.generation;
        let to_connection = self.to_connection.clone();
        let task_id = id.clone();
        let state = self.state.clone();
        // The connection's language, for the subscription's events and errors.
        let locale = crate::graphql::i18n::current();
        let task = tokio::spawn(crate::graphql::i18n::scope(locale, async move {
            let mut responses = schema.execute_stream(request);
            let mut first = true;
            while let Some(response) = responses.next().await {
                let refused = first
                    && response.data == async_graphql::Value::Null
                    && !response.errors.is_empty();
                first = false;
                // Each event spends what it delivers; past the bucket, the subscription ends.
                let event_cost = (!refused)
                    .then(|| {
                        let name = operation_name.as_deref();
                        query_limits::actual_cost(&document, name, &state.shape, &response.data)
                    })
                    .flatten();
                let wait =
                    event_cost.and_then(|cost| state.cost_limiter.spend(&key, cost).retry_after);
                let message = if let (Some(cost), Some(wait)) = (event_cost, wait) {
                    throttled(&task_id, cost, wait)
                } else if refused {
                    let errors = serde_json::to_value(&response.errors).unwrap_or_default();
                    json!({ "id": task_id, "type": "error", "payload": with_codes(errors) })
                } else {
                    let body = serde_json::to_value(&response).unwrap_or_default();
                    json!({ "id": task_id, "type": "next", "payload": body })
                };
                let ends = refused || wait.is_some();
                if to_connection.send(FromTask::Send(message)).await.is_err() || ends {
                    let _ = to_connection
                        .send(FromTask::Ended {
                            id: task_id.clone(),
                            generation,
                        })
                        .await;
                    return;
                }
            }
            let complete = json!({ "id": task_id, "type": "complete" });
            let _ = to_connection.send(FromTask::Send(complete)).await;
            let _ = to_connection
                .send(FromTask::Ended {
                    id: task_id,
                    generation,
                })
                .await;
        }));
        self.running.insert(id, (generation, task.abort_handle()));
        None
    }
}

/// The `error` refusing operation `id` for want of `cost` points in the caller's bucket, as
/// HTTP refuses a request (`THROTTLED`, `retryAfterMs`).
fn throttled(id: &str, cost: u64, wait: Duration) -> Value {
    metrics::counter!("textisur_rate_limit_rejections_total", "limit" => "cost").increment(1);
    let retry_after_ms = wait.as_millis().max(1) as u64;
    json!({ "id": id, "type": "error", "payload": [{
        "message": crate::tr!("throttled-cost", cost = cost, seconds = retry_after_ms.div_ceil(1000)),
        "extensions": { "code": ErrorCode::Throttled.as_str(), "retryAfterMs": retry_after_ms },
    }] })
}

/// Why a document selects no operation: its syntax error, or a missing or unknown name.
fn no_operation(params: &GraphqlParams) -> String {
    match async_graphql::parser::parse_query(&params.query) {
        Err(error) => error.to_string(),
        Ok(_) => match &params.operation_name {
            Some(name) => crate::tr!("ws-operation-unknown", name = name.as_str()),
            None => crate::tr!("ws-operation-name-required"),
        },
    }
}

/// Gives every error a code, as HTTP responses do (validation errors come without one).
fn with_codes(mut errors: Value) -> Value {
    if let Some(list) = errors.as_array_mut() {
        for error in list {
            let extensions = error
                .as_object_mut()
                .map(|e| e.entry("extensions").or_insert_with(|| json!({})));
            if let Some(Value::Object(extensions)) = extensions {
                extensions
                    .entry("code")
                    .or_insert_with(|| json!(ErrorCode::BadUserInput.as_str()));
            }
        }
    }
    errors
}
