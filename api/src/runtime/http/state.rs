//! The state every HTTP handler shares, and the HTTP layer's configuration.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::parser::types::ExecutableDocument;

use crate::graphql::query_limits::OperationCost;

use textisur_persisted_queries::{PersistedQueryStore, PreparedCache, TrustedDocuments};

use crate::accounts::Auth;
use crate::graphql::schema::{self, ApiSchema};
use crate::runtime::cost_limits::CostBuckets;
use crate::runtime::db::Db;

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
    pub query_limits: crate::graphql::query_limits::QueryLimits,
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
    pub ws: WsConfig,
    /// How long anonymous persisted GET responses are reused in the process (never more
    /// than `cache_max_age`); zero turns the response cache off.
    pub response_cache_ttl: std::time::Duration,
    /// Most bytes of responses the response cache holds.
    pub response_cache_bytes: u64,
    /// Most bytes of hot rows kept between requests ([`crate::runtime::row_cache`]); zero turns the
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
            query_limits: crate::graphql::query_limits::QueryLimits::default(),
            cost_bucket: 4_000,
            cost_restore_rate: 100,
            production: false,
            safelist: false,
            ws: WsConfig::default(),
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
    pub events: crate::runtime::events::EventBus,
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
    /// Each caller's cost bucket, here and shared with every replica in Redis.
    pub cost_limiter: Arc<CostBuckets>,
    /// The schema's types and fields, as the cost rules need them.
    pub shape: crate::graphql::query_limits::SchemaShape,
    /// The schema for callers who may not explore it (see [`HttpConfig::production`]).
    pub public_schema: ApiSchema,
    /// Automatic persisted queries (Redis with an in-process cache).
    pub persisted: Arc<PersistedQueryStore>,
    /// The operations of our own clients (the embedded manifest): persisted for everyone.
    pub trusted: TrustedDocuments,
    /// Persisted operations already parsed and checked, by hash and operation name.
    pub(crate) prepared: PreparedCache<PreparedDocument>,
    /// The search index listings read.
    pub search: crate::search::SearchState,
    /// Anonymous persisted GET responses, reused for a moment.
    pub responses: super::response_cache::ResponseCache,
    /// Events from every server process, for subscriptions.
    pub events: crate::runtime::events::EventBus,
    /// Turns true when the server starts shutting down (WebSockets close with 1001).
    pub closing: tokio::sync::watch::Receiver<bool>,
    /// Open WebSockets per client address.
    pub ws_slots: Arc<super::ws::client_slots::ClientSlots>,
    /// How orders wait for their payment, and the payment provider.
    pub commerce: crate::commerce::Commerce,
    /// Where product images are kept and served from (`None`: uploads are off).
    pub media: Option<Arc<crate::catalogue::media::MediaStore>>,
}

impl AppState {
    /// Builds the state from a database handle, the HTTP configuration, the auth keys, the
    /// persisted and trusted operations, the search index, the event bus and the shutdown
    /// signal, and the buying side's settings.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: Db,
        config: HttpConfig,
        auth: Arc<Auth>,
        persisted: Arc<PersistedQueryStore>,
        trusted: TrustedDocuments,
        search: crate::search::SearchState,
        realtime: Realtime,
        commerce: crate::commerce::Commerce,
        media: Option<Arc<crate::catalogue::media::MediaStore>>,
    ) -> Self {
        let Realtime { events, closing } = realtime;
        // The cost buckets share the sign-in limits' Redis stage.
        let cost_limiter = Arc::new(CostBuckets::new(
            config.cost_bucket,
            config.cost_restore_rate,
            Arc::clone(auth.limits.global()),
        ));
        let max_depth = config.query_limits.max_depth;
        let schema = schema::build_with_depth(max_depth);
        let responses = super::response_cache::ResponseCache::new(
            config
                .response_cache_ttl
                .min(std::time::Duration::from_secs(config.cache_max_age.into())),
            config.response_cache_bytes,
        );
        let prepared = PreparedCache::new(persisted.local_capacity_bytes(), prepared_weight);
        Self(Arc::new(AppStateInner {
            db,
            shape: crate::graphql::query_limits::SchemaShape::from_sdl(&schema.sdl()),
            schema,
            config,
            auth,
            cost_limiter,
            public_schema: schema::build_public(max_depth),
            persisted,
            trusted,
            prepared,
            responses,
            search,
            events,
            closing,
            ws_slots: Arc::default(),
            commerce,
            media,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// Limits of WebSocket connections.
#[derive(Clone, Debug)]
pub struct WsConfig {
    /// How long a client has to send `connection_init`.
    pub init_timeout: Duration,
    /// Most subscriptions running at once on one connection.
    pub max_subscriptions: usize,
    /// Most connections one client address may hold open; more are refused with 429.
    pub max_connections_per_client: usize,
    /// How long a connection may stay silent before it is closed (4408). The server sends a
    /// `ping` halfway through, so a client that answers `pong` stays connected.
    pub idle_timeout: Duration,
    /// How often a signed-in connection re-reads its session, should a notice of its end
    /// have been lost (the listener reconnecting, say).
    pub session_recheck: Duration,
    /// How long one frame may wait for a client that stopped reading before the connection
    /// is dropped; without it a full TCP window parked the loop, and with it the idle,
    /// revocation and shutdown closes.
    pub send_timeout: Duration,
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            init_timeout: Duration::from_secs(5),
            max_subscriptions: 50,
            max_connections_per_client: 100,
            idle_timeout: Duration::from_secs(60),
            session_recheck: Duration::from_secs(30),
            send_timeout: Duration::from_secs(10),
        }
    }
}

/// An operation as the server prepared it (a persisted one, or a text sent on its own): its
/// text, parsed, past the text limits and run once without a request error; a hit skips
/// fetching, parsing and the limits walk
/// (async-graphql still validates each run: its executor offers no way to skip that).
pub(crate) struct PreparedDocument {
    /// The text, for the executor and the request log.
    pub(crate) text: Arc<str>,
    /// The parsed document.
    pub(crate) document: Arc<ExecutableDocument>,
    /// The operation's requested cost; walked again per request when it reads variables.
    pub(crate) cost: OperationCost,
}

/// Bytes a prepared document is reckoned to hold per byte of its text: the text itself and
/// its parsed document, whose nodes (names, positions, vectors) take several times the text.
const PREPARED_BYTES_PER_TEXT_BYTE: u64 = 8;

/// What a prepared document weighs in the prepared cache's byte budget.
pub(crate) fn prepared_weight(prepared: &PreparedDocument) -> u64 {
    (prepared.text.len() as u64).saturating_mul(PREPARED_BYTES_PER_TEXT_BYTE)
}
