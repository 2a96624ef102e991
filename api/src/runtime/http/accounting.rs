//! Who sends a request, what it cost them (the cost report and `RateLimit-*` headers), and
//! what the metrics record of each operation.

use axum::http::HeaderValue;
use axum::response::Response;
use serde_json::{Value, json};

use super::observe::GraphqlLog;
use crate::graphql::context::ClientInfo;
use crate::graphql::viewer::Viewer;
use crate::runtime::cost_limits::BucketState;

/// Who sends a request: the authenticated viewer and the client's address.
pub(super) struct Caller {
    pub(super) viewer: Viewer,
    pub(super) client: ClientInfo,
    /// The `Consistency-Token` header: writes this request must see.
    pub(super) consistency: Option<crate::runtime::db::ConsistencyToken>,
}

/// `extensions.cost`: the requested cost, the actual cost (`null` when the operation did not
/// run) and the caller's bucket after the unused part was refunded.
pub(super) fn cost_extension(requested: u64, actual: Option<u64>, bucket: &BucketState) -> Value {
    json!({
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": {
            "maximumAvailable": bucket.maximum,
            "currentlyAvailable": bucket.remaining,
            "restoreRate": bucket.restore_rate,
        },
    })
}

/// Adds the `RateLimit-*` headers (and `Retry-After` when throttled) of a single request.
pub(super) fn rate_limit_headers(response: &mut Response, log: &GraphqlLog) {
    let Some(bucket) = log.bucket else { return };
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: u64| {
        if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
            headers.insert(name, value);
        }
    };
    set("ratelimit-limit", u64::from(bucket.maximum));
    set("ratelimit-remaining", u64::from(bucket.remaining));
    set("ratelimit-reset", bucket.reset_seconds());
    if let Some(wait) = bucket.retry_after {
        set("retry-after", wait.as_secs_f64().ceil() as u64);
    }
}

/// Counts a GraphQL operation by outcome, times it, and counts its errors by code.
pub(super) fn record_operation(
    operation: &str,
    outcome: &'static str,
    elapsed: std::time::Duration,
    body: &Value,
) {
    metrics::counter!("textisur_graphql_operations_total", "operation" => operation.to_owned(), "outcome" => outcome).increment(1);
    metrics::histogram!("textisur_graphql_operation_duration_seconds", "operation" => operation.to_owned())
        .record(elapsed.as_secs_f64());
    for error in body
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let code = error["extensions"]["code"].as_str().unwrap_or("UNKNOWN");
        metrics::counter!("textisur_graphql_errors_total", "code" => code.to_owned()).increment(1);
    }
}
