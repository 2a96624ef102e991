//! Responses for requests refused before they run (limits, cost buckets), the cost report
//! of every response, and the operation metrics.

use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::negotiate::ResponseFormat;
use super::observe::GraphqlLog;
use crate::graphql::context::ClientInfo;
use crate::graphql::error::ErrorCode;
use crate::graphql::query_limits;
use crate::graphql::viewer::Viewer;
use crate::runtime::cost_limits::BucketState;

/// Who sends a request: the authenticated viewer and the client's address.
pub(super) struct Caller {
    pub(super) viewer: Viewer,
    pub(super) client: ClientInfo,
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

/// The response to a caller whose cost bucket cannot pay for the request: 429.
pub(super) fn throttle(
    caller: &Caller,
    operation: String,
    bucket: BucketState,
    wait: std::time::Duration,
    cost: u64,
) -> (StatusCode, Value, GraphqlLog) {
    metrics::counter!("textisur_rate_limit_rejections_total", "limit" => "cost").increment(1);
    let retry_after_ms = wait.as_millis().max(1) as u64;
    let body = json!({
        "errors": [{
            "message": crate::tr!("throttled-cost", cost = cost, seconds = retry_after_ms.div_ceil(1000)),
            "extensions": { "code": ErrorCode::Throttled.as_str(), "retryAfterMs": retry_after_ms },
        }],
        "extensions": { "cost": cost_extension(cost, None, &bucket) },
    });
    record_operation(&operation, "throttled", std::time::Duration::ZERO, &body);
    let log = GraphqlLog {
        operation,
        user_id: caller.viewer.user_id().map(|u| u.0),
        outcome: "throttled",
        bucket: Some(bucket),
    };
    (StatusCode::TOO_MANY_REQUESTS, body, log)
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

/// The response to a document refused by the pre-execution limits (a request error).
pub(super) fn refuse_document(
    format: ResponseFormat,
    caller: &Caller,
    operation: String,
    rejection: &query_limits::Rejection,
) -> (StatusCode, Value, GraphqlLog) {
    let error = match rejection {
        query_limits::Rejection::TooComplex { limit, max, actual } => json!({
            "message": rejection.message(),
            "extensions": { "code": ErrorCode::QueryTooComplex.as_str(), "limit": limit, "max": max, "actual": actual },
        }),
        query_limits::Rejection::Invalid(_) => json!({
            "message": rejection.message(),
            "extensions": { "code": ErrorCode::BadUserInput.as_str() },
        }),
    };
    let body = json!({ "errors": [error] });
    record_operation(
        &operation,
        "request_error",
        std::time::Duration::ZERO,
        &body,
    );
    let status = match format {
        ResponseFormat::GraphqlResponseJson => StatusCode::BAD_REQUEST,
        ResponseFormat::Json => StatusCode::OK,
    };
    let log = GraphqlLog {
        operation,
        user_id: caller.viewer.user_id().map(|u| u.0),
        outcome: "request_error",
        bucket: None,
    };
    (status, body, log)
}

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
