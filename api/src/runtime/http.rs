//! The HTTP surface: routes, shared state, health endpoints.
//!
//! GraphQL requests are handled by [`graphql`], written to the GraphQL-over-HTTP spec in
//! front of `Schema::execute` rather than through the stock async-graphql-axum handler. It
//! reads the request and writes the response; every stage between (admit, analyse, charge,
//! run, finish) is [`pipeline`]'s, which the WebSocket shares.

mod accounting;
mod body;
mod error_shape;
pub mod graphql;
mod media;
pub mod negotiate;
pub mod observe;
pub mod params;
mod persisted;
mod pipeline;
pub mod playground;
pub mod response_cache;
pub mod state;
mod upload;
pub mod ws;

pub use state::{AppState, AppStateInner, HttpConfig, Realtime};

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::{
    ACCEPT, AUTHORIZATION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// All routes of the API.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.max_body_bytes;
    let mut router = Router::<AppState>::new();
    if state.config.metrics_on_api_port() {
        router = router.route("/metrics", get(metrics));
    }
    let mut router = router
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/media/{file}", get(media::file))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route(
            "/webhooks/mercadopago",
            axum::routing::post(mercadopago_webhook),
        )
        .merge(playground::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        // Messages in the language `Accept-Language` asks for (Spanish by default).
        .layer(middleware::from_fn(crate::graphql::i18n::layer))
        .layer(middleware::from_fn(observe::observe))
        .layer(SetSensitiveRequestHeadersLayer::new([
            AUTHORIZATION,
            COOKIE,
        ]));
    for (name, value) in [
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
        (REFERRER_POLICY, "no-referrer"),
    ] {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if state.config.hsts {
        let hsts = HeaderValue::from_static("max-age=31536000; includeSubDomains");
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            STRICT_TRANSPORT_SECURITY,
            hsts,
        ));
    }
    let origins: Vec<HeaderValue> = state
        .config
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if !origins.is_empty() {
        router = router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([
                    AUTHORIZATION,
                    CONTENT_TYPE,
                    ACCEPT,
                    HeaderName::from_static("x-request-id"),
                    HeaderName::from_static(graphql::CONSISTENCY_TOKEN),
                ])
                .expose_headers([HeaderName::from_static("x-request-id")])
                .max_age(Duration::from_secs(600)),
        );
    }
    router
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("handler panicked");
            internal_error_response()
        }))
        .with_state(state)
}

/// `POST /webhooks/mercadopago` (see [`crate::commerce::payments::webhook`]).
async fn mercadopago_webhook(
    State(state): State<AppState>,
    axum::extract::Query(params): axum::extract::Query<
        crate::commerce::payments::webhook::NotificationParams,
    >,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    crate::commerce::payments::webhook::receive(
        &state.db,
        state.commerce.payments.as_ref(),
        state.commerce.orders.commission_percent,
        params,
        &headers,
        &body,
    )
    .await
}

async fn metrics(State(state): State<AppState>) -> Response {
    let body = crate::runtime::observability::render(&state.db);
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
        .into_response()
}

fn internal_error_response() -> Response {
    let code = crate::graphql::error::ErrorCode::InternalServerError;
    let body = json!({ "errors": [{ "message": "internal error",
        "extensions": { "code": code.as_str() } }] });
    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({ "error": "not found" })),
    )
        .into_response()
}

async fn live() -> Response {
    axum::Json(json!({ "status": "ok" })).into_response()
}

async fn ready(State(state): State<AppState>) -> Response {
    let ping = sqlx::query_scalar!(r#"SELECT 1 AS "one!""#).fetch_one(state.db.pool());
    let postgres = matches!(
        tokio::time::timeout(Duration::from_secs(2), ping).await,
        Ok(Ok(1))
    );
    let (search, search_ready) = search_health(&state, postgres).await;
    let ready = postgres && search_ready;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    // Redis only backs persisted queries, which degrade to memory: it never makes us unready.
    let redis = if state.persisted.breaker().is_open() {
        "degraded"
    } else {
        "ok"
    };
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "checks": { "postgres": if postgres { "ok" } else { "unreachable" }, "redis": redis },
        "search": search,
    });
    (status, axum::Json(body)).into_response()
}

/// The search index's part of readiness: unready only while no index was ever built
/// (listings would all fall back to PostgreSQL). Lag is reported, never fatal.
async fn search_health(state: &AppState, postgres: bool) -> (serde_json::Value, bool) {
    let Some(live) = &state.search.live else {
        return (json!({ "status": "disabled" }), true);
    };
    if live.current().is_none() {
        return (json!({ "status": "building" }), false);
    }
    // Measured only when PostgreSQL answers: the probe must stay fast during an outage.
    let lag = match live.checkpoint().filter(|_| postgres) {
        Some(checkpoint) => tokio::time::timeout(
            Duration::from_secs(2),
            textisur_indexer::outbox_lag(state.db.pool(), checkpoint),
        )
        .await
        .ok()
        .and_then(Result::ok),
        None => None,
    };
    let body = json!({
        "status": "ok",
        "generation": live.generation(),
        "appliedBelow": live.applied_below(),
        "lagRows": lag.map(|l| l.rows),
        "lagSeconds": lag.map(|l| l.seconds),
    });
    (body, true)
}
