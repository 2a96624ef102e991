//! One log line and a few metrics per HTTP request, with a request id.
//!
//! The request id comes from `X-Request-Id` when the client sends a sane one, else it is
//! generated; either way it is returned. Nothing from bodies or headers other than the
//! request id reaches the log, so passwords and tokens cannot.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// What the GraphQL handler tells the request log about a request.
#[derive(Clone, Debug, Default)]
pub struct GraphqlLog {
    pub operation: String,
    pub user_id: Option<i64>,
    pub outcome: &'static str,
    /// The caller's cost bucket after the request (for the `RateLimit-*` headers).
    pub bucket: Option<crate::cost_limits::BucketState>,
}

const REQUEST_ID: &str = "x-request-id";

fn sane_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let ok = !text.is_empty() && text.len() <= 128 && text.chars().all(|c| c.is_ascii_graphic());
    ok.then(|| text.to_owned())
}

/// The middleware: times the request, logs it once and counts it.
pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(sane_request_id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let mut response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    metrics::counter!("textisur_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!("textisur_http_request_duration_seconds", "route" => route.clone())
        .record(elapsed.as_secs_f64());
    let graphql = response
        .extensions()
        .get::<GraphqlLog>()
        .cloned()
        .unwrap_or_default();
    tracing::info!(
        request_id,
        method,
        route,
        status,
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        operation = graphql.operation,
        user_id = graphql.user_id,
        outcome = graphql.outcome,
        "request"
    );
    response
}
