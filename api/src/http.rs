//! The HTTP surface: routes, shared state, health endpoints.
//!
//! GraphQL requests are handled by [`graphql`], written to the GraphQL-over-HTTP spec in
//! front of `Schema::execute` rather than through the stock async-graphql-axum handler.

mod body;
mod error_shape;
pub mod graphql;
pub mod negotiate;
pub mod observe;
pub mod params;
mod persisted;
pub mod playground;
mod refusals;
pub mod response_cache;
pub mod ws;

use std::sync::Arc;
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

use textisur_persisted_queries::{PersistedQueryStore, PreparedCache, TrustedDocuments};

use crate::accounts::Auth;
use crate::cost_limits::CostLimiter;
use crate::db::Db;
use crate::schema::{self, ApiSchema};

/// Limits and caching of the HTTP layer.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Most operations in one batched POST; 0 disables batching.
    pub max_batch: usize,
    /// `max-age` of cacheable GET responses, in seconds.
    pub cache_max_age: u32,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Origins browsers may call the API from (CORS); none means same-origin only.
    pub cors_origins: Vec<String>,
    /// Send `Strict-Transport-Security` (only behind TLS).
    pub hsts: bool,
    /// Limits every document must pass before it runs.
    pub query_limits: crate::query_limits::QueryLimits,
    /// Points in a caller's cost bucket when full.
    pub cost_bucket: u32,
    /// Points a bucket regains per second.
    pub cost_restore_rate: u32,
    /// Production mode: introspection and field suggestions for admins only.
    pub production: bool,
    /// Safelist: only admins may send operations that are not persisted (a trusted document's
    /// text, or a hash or document id the server knows); `--persisted-only`, on by default in
    /// production.
    pub safelist: bool,
    /// WebSocket (subscription) limits.
    pub ws: ws::WsConfig,
    /// How long anonymous persisted GET responses are reused in the process (never more
    /// than `cache_max_age`); zero turns the response cache off.
    pub response_cache_ttl: std::time::Duration,
    /// Most bytes of responses the response cache holds.
    pub response_cache_bytes: u64,
    /// Most bytes of hot rows kept between requests ([`crate::row_cache`]); zero turns the
    /// row cache off.
    pub row_cache_bytes: u64,
    /// Most bytes of the search index's per-word match lists
    /// ([`textisur_search_index::set_word_cache_bytes`]); zero turns them off.
    pub word_cache_bytes: u64,
    /// Where `/metrics` is served apart from the API. `None`: on the API port in
    /// development, nowhere in production (the metrics reveal traffic and operation names).
    pub metrics_listen: Option<std::net::SocketAddr>,
}

impl HttpConfig {
    /// Whether `/metrics` is a route of the API itself: only in development and when no
    /// separate metrics address is set.
    pub fn metrics_on_api_port(&self) -> bool {
        !self.production && self.metrics_listen.is_none()
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1_048_576,
            max_batch: 10,
            cache_max_age: 30,
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            hsts: false,
            query_limits: crate::query_limits::QueryLimits::default(),
            cost_bucket: 4_000,
            cost_restore_rate: 100,
            production: false,
            safelist: false,
            ws: ws::WsConfig::default(),
            response_cache_ttl: std::time::Duration::from_secs(30),
            response_cache_bytes: 64 << 20,
            row_cache_bytes: 128 << 20,
            word_cache_bytes: textisur_search_index::DEFAULT_WORD_CACHE_BYTES,
            metrics_listen: None,
        }
    }
}

/// What WebSocket subscriptions need from the server: its events and its shutdown signal.
pub struct Realtime {
    pub events: crate::events::EventBus,
    /// Turns true when the server starts shutting down.
    pub closing: tokio::sync::watch::Receiver<bool>,
}

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

/// What [`AppState`] holds.
pub struct AppStateInner {
    pub db: Db,
    pub schema: ApiSchema,
    pub config: HttpConfig,
    pub auth: Arc<Auth>,
    pub cost_limiter: Arc<CostLimiter>,
    /// The schema's types and fields, as the cost rules need them.
    pub shape: crate::query_limits::SchemaShape,
    /// The schema for callers who may not explore it (see [`HttpConfig::production`]).
    pub public_schema: ApiSchema,
    /// Automatic persisted queries (Redis with an in-process cache).
    pub persisted: Arc<PersistedQueryStore>,
    /// The operations of our own clients (the embedded manifest): persisted for everyone.
    pub trusted: TrustedDocuments,
    /// Persisted operations already parsed and checked, by hash and operation name.
    pub(crate) prepared: PreparedCache<persisted::PreparedDocument>,
    /// The search index listings read.
    pub search: crate::search::SearchState,
    /// Anonymous persisted GET responses, reused for a moment.
    pub responses: response_cache::ResponseCache,
    /// Events from every server process, for subscriptions.
    pub events: crate::events::EventBus,
    /// Turns true when the server starts shutting down (WebSockets close with 1001).
    pub closing: tokio::sync::watch::Receiver<bool>,
    /// Open WebSockets per client address.
    pub ws_slots: Arc<ws::ClientSlots>,
}

impl AppState {
    /// Builds the state from a database handle, the HTTP configuration, the auth keys, the
    /// persisted and trusted operations, the search index, the event bus and the shutdown
    /// signal.
    pub fn new(
        db: Db,
        config: HttpConfig,
        auth: Arc<Auth>,
        persisted: Arc<PersistedQueryStore>,
        trusted: TrustedDocuments,
        search: crate::search::SearchState,
        realtime: Realtime,
    ) -> Self {
        let Realtime { events, closing } = realtime;
        let cost_limiter = Arc::new(CostLimiter::new(
            config.cost_bucket,
            config.cost_restore_rate,
        ));
        let schema = schema::build();
        let responses = response_cache::ResponseCache::new(
            config
                .response_cache_ttl
                .min(std::time::Duration::from_secs(config.cache_max_age.into())),
            config.response_cache_bytes,
        );
        let prepared =
            PreparedCache::new(persisted.local_capacity_bytes(), persisted::prepared_weight);
        Self(Arc::new(AppStateInner {
            db,
            shape: crate::query_limits::SchemaShape::from_sdl(&schema.sdl()),
            schema,
            config,
            auth,
            cost_limiter,
            public_schema: schema::build_public(),
            persisted,
            trusted,
            prepared,
            responses,
            search,
            events,
            closing,
            ws_slots: Arc::default(),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// All routes of the API.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.max_body_bytes;
    let mut router = Router::<AppState>::new();
    if state.config.metrics_on_api_port() {
        router = router.route("/metrics", get(metrics));
    }
    let mut router = router
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .merge(playground::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        // Messages in the language `Accept-Language` asks for (Spanish by default).
        .layer(middleware::from_fn(crate::i18n::layer))
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

async fn metrics(State(state): State<AppState>) -> Response {
    let body = crate::observability::render(&state.db);
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
        .into_response()
}

fn internal_error_response() -> Response {
    let body = json!({ "errors": [{ "message": "internal error",
        "extensions": { "code": "INTERNAL_SERVER_ERROR" } }] });
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
    let ping = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(state.db.pool());
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
