//! Starting a subscription: the document named as HTTP names it, checked by the same
//! limits and safelist, run only if it is a subscription, paid for from the caller's cost
//! bucket when it starts and for every event it delivers.

use async_graphql::ErrorExtensions;
use async_graphql::parser::types::OperationType;
use futures::StreamExt;
use serde_json::{Value, json};

use super::{Connection, FromTask};
use crate::graphql::error::{RequestError, code_untyped};
use crate::graphql::query_limits;
use crate::graphql::viewer::Viewer;
use crate::runtime::http::accounting::Caller;
use crate::runtime::http::params::GraphqlParams;
use crate::runtime::http::pipeline::{self, Refused};

impl Connection {
    /// Starts a subscription; returns an immediate `error` message when it cannot start.
    /// The payload names the document as HTTP requests do: its text, `documentId`/`doc_id`,
    /// or `extensions.persistedQuery`; it goes through the same pipeline stages (admit,
    /// analyse, charge) as an HTTP request, then runs as a stream.
    pub(super) async fn subscribe(
        &mut self,
        id: String,
        payload: Value,
        viewer: Viewer,
    ) -> Option<Value> {
        let caller = Caller {
            viewer,
            client: self.client.clone(),
            // Subscriptions read the primary.
            consistency: None,
        };
        let started = async {
            let max = self.state.config.ws.max_subscriptions;
            if self.running.len() >= max {
                return Err(RequestError::TooManySubscriptions { max }.into());
            }
            let mut params = GraphqlParams::from_json(payload)
                .map_err(|e| Refused::from(RequestError::Malformed(e.0)))?;
            pipeline::admit(&self.state, &caller, &mut params).await?;
            let analysed = pipeline::analyse(&self.state, &params)?;
            let Some(document) = analysed.document else {
                return Err(RequestError::NoOperation(no_operation(&params)).into());
            };
            if analysed.operation != Some(OperationType::Subscription) {
                return Err(RequestError::SubscriptionsOnly.into());
            }
            // The same bucket as the caller's HTTP requests: a socket is no way around it.
            let charged =
                pipeline::charge(&self.state, &caller, analysed.requested_cost.unwrap_or(1))
                    .await?;
            Ok::<_, Refused>((params, document, charged))
        }
        .await;
        let (params, document, charged) = match started {
            Ok(started) => started,
            Err(refused) => return Some(error(&id, &refused.error)),
        };
        let key = charged.key;
        let context = pipeline::context(&self.state, &caller, false);
        let operation_name = params.operation_name.clone();
        let (request, schema) =
            match pipeline::prepare_request(&self.state, &caller, params, Some(&document), context)
            {
                Ok((request, schema)) => (request, schema.clone()),
                Err(refused) => {
                    let mut errors = vec![refused];
                    code_untyped(&mut errors);
                    let payload = serde_json::to_value(&errors).unwrap_or_default();
                    return Some(json!({ "id": id, "type": "error", "payload": payload }));
                }
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
                let wait = match event_cost {
                    Some(cost) => state.cost_limiter.spend(&key, cost).await.retry_after,
                    None => None,
                };
                let message = if let (Some(cost), Some(wait)) = (event_cost, wait) {
                    error(&task_id, &pipeline::throttled(cost, wait))
                } else if refused {
                    let mut errors = response.errors;
                    code_untyped(&mut errors);
                    let errors = serde_json::to_value(&errors).unwrap_or_default();
                    json!({ "id": task_id, "type": "error", "payload": errors })
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

/// The `error` message refusing operation `id`, as HTTP refuses a request.
fn error(id: &str, error: &RequestError) -> Value {
    json!({ "id": id, "type": "error", "payload": [error.extend()] })
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
