//! Command-line and environment configuration of the `textisur` binary.
//!
//! Every flag is also an environment variable; the defaults run against a local PostgreSQL.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::runtime::telemetry::LogFormat;

/// TextiSur: the GraphQL API of a marketplace of textile stores.
#[derive(Debug, Parser)]
#[command(name = "textisur", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log format: `pretty` for people, `json` for log collectors.
    #[arg(
        long,
        env = "TEXTISUR_LOG_FORMAT",
        default_value = "pretty",
        global = true
    )]
    pub log_format: LogFormat,

    /// Base URL of an OTLP/HTTP receiver (a collector, Jaeger, Tempo) to export spans to, as
    /// `http://host:4318`; `/v1/traces` is appended. Unset: no export.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", global = true)]
    pub otlp_endpoint: Option<String>,

    /// `service.name` of exported spans; `textisur` for `serve`, `textisur-indexer` for
    /// `indexer`.
    #[arg(long, env = "OTEL_SERVICE_NAME", global = true)]
    pub otel_service_name: Option<String>,
}

impl Cli {
    /// Where this command's spans go.
    pub fn otlp(&self) -> crate::runtime::telemetry::OtlpConfig {
        let default_name = match self.command {
            Command::Indexer(_) => "textisur-indexer",
            _ => "textisur",
        };
        crate::runtime::telemetry::OtlpConfig {
            endpoint: self.otlp_endpoint.clone().filter(|e| !e.is_empty()),
            service_name: self
                .otel_service_name
                .clone()
                .unwrap_or_else(|| default_name.to_owned()),
        }
    }
}

/// Where the server runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (creates, migrates and seeds an empty database first).
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations.
    Migrate(DbArgs),
    /// Fill an empty database with a deterministic demo catalogue.
    Seed(SeedArgs),
    /// Print the GraphQL schema (SDL) or write it to a file.
    ExportSchema(ExportSchemaArgs),
    /// Run the search indexer alone (the deployment where servers run with `--indexer off`).
    Indexer(IndexerArgs),
    /// Build a fresh search index beside the live one, catch it up and swap it in (safe while
    /// servers run: they keep searching the old one until the swap).
    Reindex(IndexCommandArgs),
    /// Inspect the search index.
    Index(IndexArgs),
    /// Manage persisted queries in Redis.
    PersistedQueries(PersistedQueriesArgs),
}

/// `textisur persisted-queries ...`.
#[derive(Debug, Args)]
pub struct PersistedQueriesArgs {
    #[command(subcommand)]
    pub command: PersistedQueriesCommand,
}

/// What to do with persisted queries.
#[derive(Debug, Subcommand)]
pub enum PersistedQueriesCommand {
    /// Load trusted-document manifests into Redis (without expiry), so every server on it
    /// serves their hashes, also those of manifests not embedded in its binary.
    Push(PushArgs),
}

/// Options of `textisur persisted-queries push`.
#[derive(Clone, Debug, Args)]
pub struct PushArgs {
    /// Redis to write to.
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,

    /// A manifest to push, in Apollo's persisted-query manifest format or as the
    /// hash-to-document map GraphQL Codegen (`persisted-documents.json`) and Relay
    /// (`--persist-output`, SHA256) write; repeat for several. Default: the manifests
    /// embedded in the binary.
    #[arg(long = "manifest", value_name = "PATH")]
    pub manifests: Vec<PathBuf>,
}

/// Who writes the search index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IndexerMode {
    /// This server runs the indexer.
    InProcess,
    /// A separate `textisur indexer` process writes; this server only reads and reloads.
    Off,
}

/// Where the search index lives and how it is written.
#[derive(Clone, Debug, Args)]
pub struct IndexStorageArgs {
    /// Directory of the search index (its generations and `CURRENT`); one per database.
    #[arg(long, env = "TEXTISUR_INDEX_DIR", default_value = "data/search-index")]
    pub index_dir: PathBuf,

    /// Outbox rows the indexer applies per index commit.
    #[arg(long, env = "TEXTISUR_INDEX_BATCH_SIZE", default_value_t = 1_000)]
    pub index_batch_size: usize,

    /// Seconds between two outbox sweeps when no notification arrives (a backstop).
    #[arg(long, env = "TEXTISUR_INDEX_SWEEP_SECONDS", default_value_t = 5)]
    pub index_sweep_seconds: u64,

    /// Least milliseconds between two index commits of the indexer: writes arriving in
    /// between share one commit (searches see a write at most this much later).
    #[arg(long, env = "TEXTISUR_INDEX_COMMIT_INTERVAL_MS", default_value_t = 500)]
    pub index_commit_interval_ms: u64,

    /// Indexing buffer of the index writer, in megabytes (at least 15).
    #[arg(long, env = "TEXTISUR_INDEX_WRITER_MEMORY_MB", default_value_t = 64)]
    pub index_writer_memory_mb: usize,

    /// Seconds after which a replica's index writer that went silent (stopped, cut off) is
    /// expired: the search outbox stops keeping rows for it, and the replica rebuilds its
    /// index when it comes back. A live writer checks in every quarter of this, at most
    /// every minute.
    #[arg(
        long,
        env = "TEXTISUR_INDEX_CONSUMER_EXPIRY_SECONDS",
        default_value_t = 3_600
    )]
    pub index_consumer_expiry_seconds: u64,
}

/// Options of `textisur indexer`.
#[derive(Clone, Debug, Args)]
pub struct IndexerArgs {
    #[command(flatten)]
    pub db: DbArgs,

    #[command(flatten)]
    pub index: IndexStorageArgs,

    /// Apply what is pending, then exit (builds the index first when there is none).
    #[arg(long)]
    pub once: bool,

    /// Address to serve this process's Prometheus metrics on, at `/metrics` (index lag,
    /// documents, commit latency, pool, memory and CPU). Unset: not served.
    #[arg(long, env = "TEXTISUR_INDEXER_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

/// Options of the commands that work on the search index of one database.
#[derive(Clone, Debug, Args)]
pub struct IndexCommandArgs {
    #[command(flatten)]
    pub db: DbArgs,

    #[command(flatten)]
    pub index: IndexStorageArgs,
}

/// `textisur index ...`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    #[command(subcommand)]
    pub command: IndexCommand,
}

/// What to do with the search index.
#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Compare every document with PostgreSQL; print each difference and exit with status 1
    /// when there is any.
    Verify(IndexCommandArgs),
}

/// Where PostgreSQL is.
#[derive(Clone, Debug, Args)]
pub struct DbArgs {
    /// PostgreSQL connection URL; the database is created when missing.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/textisur"
    )]
    pub database_url: String,

    /// Most connections in the pool.
    #[arg(long, env = "TEXTISUR_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// Milliseconds a statement may wait for a connection before failing (also bounds how
    /// long a request hangs while PostgreSQL is down).
    #[arg(long, env = "TEXTISUR_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 2000)]
    pub db_acquire_timeout_ms: u64,
}

/// Options of `textisur serve`.
#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,

    /// Address to listen on.
    #[arg(long, env = "TEXTISUR_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// A streaming standby of the database (PostgreSQL replication) that queries may
    /// hydrate catalogue rows from, with read-your-writes through consistency tokens. Give
    /// the flag once per standby, or a comma-separated list in the variable.
    #[arg(
        long = "database-replica-url",
        env = "TEXTISUR_DATABASE_REPLICA_URLS",
        value_delimiter = ','
    )]
    pub database_replica_urls: Vec<String>,

    /// Milliseconds of replay lag past which a standby is skipped (the primary answers).
    #[arg(
        long,
        env = "TEXTISUR_DATABASE_REPLICA_MAX_LAG_MS",
        default_value_t = 1000
    )]
    pub database_replica_max_lag_ms: u64,

    /// Milliseconds between checks of each standby's replayed position, lag and health.
    #[arg(
        long,
        env = "TEXTISUR_DATABASE_REPLICA_CHECK_MS",
        default_value_t = 100
    )]
    pub database_replica_check_ms: u64,

    /// Seed demo data into an empty database. Unset: in development only. In production
    /// `--demo-data` seeds the catalogue, but every demo account gets a random password that
    /// is never shown (the published demo password signs nobody in).
    #[arg(
        long,
        env = "TEXTISUR_DEMO_DATA",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub demo_data: Option<bool>,

    /// Do not seed demo data into an empty database (wins over `--demo-data`).
    #[arg(long, env = "TEXTISUR_NO_DEMO_DATA")]
    pub no_demo_data: bool,

    /// Products to seed when the database is empty.
    #[arg(long, env = "TEXTISUR_DEMO_PRODUCTS", default_value_t = 10_000)]
    pub demo_products: u32,

    /// Largest request body accepted, in bytes (larger bodies get 413).
    #[arg(long, env = "TEXTISUR_MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,

    /// Most operations in one batched POST; 0 turns batching off.
    #[arg(long, env = "TEXTISUR_MAX_BATCH", default_value_t = 10)]
    pub max_batch: usize,

    /// JWT signing keys as `kid:base64secret` pairs, comma separated; the first signs, all
    /// verify (rotation). When neither this nor `--jwt-keys-file` is given, development
    /// generates a random key and production refuses to start.
    #[arg(long, env = "TEXTISUR_JWT_KEYS", hide_env_values = true)]
    pub jwt_keys: Option<String>,

    /// File holding the JWT keys in the `--jwt-keys` format.
    #[arg(long, env = "TEXTISUR_JWT_KEYS_FILE")]
    pub jwt_keys_file: Option<PathBuf>,

    /// Proxies (IP addresses, comma separated) whose `X-Forwarded-For` is believed.
    #[arg(long, env = "TEXTISUR_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// `development` or `production`: production sends no CORS headers unless origins are
    /// given, and keeps introspection, suggestions and operations that are not persisted
    /// (trusted or registered) for admins; development allows the local front-end dev
    /// servers.
    #[arg(long, env = "TEXTISUR_ENV", default_value = "development")]
    pub environment: Environment,

    /// Safelist: callers who are not admins run only persisted operations (a trusted
    /// document, or a hash or document id the server knows); other text is
    /// `PERSISTED_QUERY_NOT_ALLOWED`. Unset: on in production only; `--persisted-only` turns
    /// it on anywhere, `--persisted-only=false` off even in production.
    #[arg(
        long,
        env = "TEXTISUR_PERSISTED_ONLY",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub persisted_only: Option<bool>,

    /// Origins (comma separated) browsers may call the API from.
    #[arg(long, env = "TEXTISUR_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Send `Strict-Transport-Security` (enable only when served over HTTPS).
    #[arg(long, env = "TEXTISUR_HSTS")]
    pub hsts: bool,

    /// Address to serve Prometheus metrics on, at `/metrics`, apart from the API. Unset:
    /// `127.0.0.1:9464` in production; in development `/metrics` stays on the API port.
    #[arg(long, env = "TEXTISUR_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "TEXTISUR_SHUTDOWN_GRACE_SECONDS", default_value_t = 20)]
    pub shutdown_grace_seconds: u64,

    /// Seconds a WebSocket client has to send `connection_init` before it is closed (4408).
    #[arg(long, env = "TEXTISUR_WS_INIT_TIMEOUT_SECONDS", default_value_t = 5)]
    pub ws_init_timeout_seconds: u64,

    /// Most subscriptions one WebSocket connection may run at once.
    #[arg(long, env = "TEXTISUR_WS_MAX_SUBSCRIPTIONS", default_value_t = 50)]
    pub ws_max_subscriptions: usize,

    /// Most WebSocket connections one client address may hold open; more are refused (429).
    #[arg(
        long,
        env = "TEXTISUR_WS_MAX_CONNECTIONS_PER_CLIENT",
        default_value_t = 100
    )]
    pub ws_max_connections_per_client: usize,

    /// Seconds a WebSocket client may send nothing before it is closed (4408); the server
    /// sends a `ping` halfway, and a `pong` (or any message) keeps the connection.
    #[arg(long, env = "TEXTISUR_WS_IDLE_TIMEOUT_SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub ws_idle_timeout_seconds: u64,

    /// Redis, for automatic persisted queries (the server runs without it, from memory).
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,

    /// Milliseconds the Redis circuit breaker stays open (calls skipped) before one trial
    /// call; how soon registrations reach Redis again after it returns.
    #[arg(long, env = "TEXTISUR_REDIS_RETRY_AFTER_MS", default_value_t = 5_000)]
    pub redis_retry_after_ms: u64,

    /// Seconds Redis keeps a persisted query.
    #[arg(long, env = "TEXTISUR_APQ_TTL_SECONDS", default_value_t = 604_800)]
    pub apq_ttl_seconds: u64,

    /// Bytes of persisted-query texts kept in this process, in front of Redis.
    #[arg(long, env = "TEXTISUR_APQ_LOCAL_CACHE_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub apq_local_cache_bytes: u64,

    /// Points in each caller's cost bucket: twice the largest query (2,000), so an app can
    /// run a cart (about 1,770 points up front, which lists cost by their caps) beside another
    /// request; the restore rate, not this, bounds what a caller spends over time.
    #[arg(long, env = "TEXTISUR_COST_BUCKET", default_value_t = 4_000)]
    pub cost_bucket: u32,

    /// Points a cost bucket regains per second.
    #[arg(long, env = "TEXTISUR_COST_RESTORE_RATE", default_value_t = 100)]
    pub cost_restore_rate: u32,

    /// Share the cost buckets and the sign-in, registration and account-mail limits with
    /// every server on this Redis and database (one GCRA step in Redis per check, behind
    /// this process's own limits), so replicas give a caller one budget. Redis down: each
    /// process counts alone until it answers. `false`: always alone.
    #[arg(
        long,
        env = "TEXTISUR_GLOBAL_LIMITS",
        default_value_t = true,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub global_limits: bool,

    /// Login attempts per account from one client address per minute before `THROTTLED`
    /// (the strict tier: a stranger's guesses never throttle the owner's own address).
    #[arg(
        long,
        env = "TEXTISUR_LOGIN_PER_ACCOUNT_AND_IP_PER_MINUTE",
        default_value_t = 10
    )]
    pub login_per_account_and_ip_per_minute: u32,

    /// Login attempts per account from one client address per hour (the strict tier's
    /// slower second step of back-off).
    #[arg(
        long,
        env = "TEXTISUR_LOGIN_PER_ACCOUNT_AND_IP_PER_HOUR",
        default_value_t = 30
    )]
    pub login_per_account_and_ip_per_hour: u32,

    /// Login attempts per account per hour from all addresses together (the looser tier a
    /// guesser spread over many addresses reaches).
    #[arg(
        long,
        env = "TEXTISUR_LOGIN_PER_ACCOUNT_PER_HOUR",
        default_value_t = 200
    )]
    pub login_per_account_per_hour: u32,

    /// Login attempts per client IP per minute.
    #[arg(long, env = "TEXTISUR_LOGIN_PER_IP_PER_MINUTE", default_value_t = 60)]
    pub login_per_ip_per_minute: u32,

    /// Registrations per client IP per hour.
    #[arg(long, env = "TEXTISUR_REGISTER_PER_IP_PER_HOUR", default_value_t = 20)]
    pub register_per_ip_per_hour: u32,

    /// Account mails (verification, password reset, email change) one email address may be
    /// sent per hour, whether or not an account has it.
    #[arg(
        long,
        env = "TEXTISUR_ACCOUNT_MAIL_PER_ADDRESS_PER_HOUR",
        default_value_t = 5
    )]
    pub account_mail_per_address_per_hour: u32,

    /// Account mails one client IP may ask for per hour.
    #[arg(
        long,
        env = "TEXTISUR_ACCOUNT_MAIL_PER_IP_PER_HOUR",
        default_value_t = 30
    )]
    pub account_mail_per_ip_per_hour: u32,

    /// Minutes a PENDING order holds its stock waiting for its payment; past them the
    /// order is cancelled by the marketplace and its stock put back. Fractions are allowed
    /// (`0.5` is thirty seconds).
    #[arg(long, env = "TEXTISUR_PAYMENT_TIMEOUT_MINUTES", default_value_t = 30.0)]
    pub payment_timeout_minutes: f64,

    /// Most unpaid orders (PENDING, within their deadline) one buyer may hold at once; a
    /// checkout that would make more is a `LIMIT_REACHED` user error.
    #[arg(long, env = "TEXTISUR_MAX_UNPAID_ORDERS", default_value_t = 5)]
    pub max_unpaid_orders: u32,

    /// Seconds between two sweeps of unpaid orders past their deadline (every process
    /// sweeps; they share the work).
    #[arg(long, env = "TEXTISUR_ORDER_SWEEP_SECONDS", default_value_t = 15)]
    pub order_sweep_seconds: u64,

    /// Mercado Pago's API (the marketplace's payment provider).
    #[arg(
        long,
        env = "TEXTISUR_MERCADOPAGO_BASE_URL",
        default_value = "https://api.mercadopago.com"
    )]
    pub mercadopago_base_url: String,

    /// The marketplace application's id at Mercado Pago. With the secret and the webhook
    /// secret it turns online payments on; without them an admin confirms payments by hand.
    #[arg(long, env = "TEXTISUR_MERCADOPAGO_CLIENT_ID")]
    pub mercadopago_client_id: Option<String>,

    /// The marketplace application's secret at Mercado Pago (OAuth with sellers).
    #[arg(
        long,
        env = "TEXTISUR_MERCADOPAGO_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub mercadopago_client_secret: Option<String>,

    /// The secret Mercado Pago signs webhooks with (`x-signature`).
    #[arg(
        long,
        env = "TEXTISUR_MERCADOPAGO_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    pub mercadopago_webhook_secret: Option<String>,

    /// This API's public address, which the payment provider sends webhooks to
    /// (`<url>/webhooks/mercadopago`); unset, the address the server listens on.
    #[arg(long, env = "TEXTISUR_PUBLIC_API_URL")]
    pub public_api_url: Option<String>,

    /// The marketplace's commission on each payment, in percent of the order's total.
    #[arg(
        long,
        env = "TEXTISUR_MARKETPLACE_COMMISSION_PERCENT",
        default_value = "10"
    )]
    pub marketplace_commission_percent: rust_decimal::Decimal,

    /// SMTP server for mail: `smtp://host:port` (a relay on the local network, no TLS),
    /// `smtp://user:password@host:587?tls=required` (STARTTLS) or `smtps://user:password@host:465`.
    /// Unset, mail stays queued in PostgreSQL (`mail_outbox`) until a server is configured.
    #[arg(long, env = "TEXTISUR_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Sender of mail.
    #[arg(
        long,
        env = "TEXTISUR_MAIL_FROM",
        default_value = "TextiSur <no-responder@textisur.localhost>"
    )]
    pub mail_from: String,

    /// The web front end that opens the links of account mails (`/cuenta/verificar`,
    /// `/cuenta/restablecer`, `/cuenta/confirmar-correo`, each with `?token=`).
    #[arg(
        long,
        env = "TEXTISUR_PUBLIC_URL",
        default_value = "http://localhost:5173"
    )]
    pub public_url: String,

    /// Where product images are kept: a folder (`data/media`, `file:///srv/media`) or an
    /// S3-compatible bucket (`s3://textisur-media`, with `AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` and, for plain-HTTP MinIO, `AWS_ALLOW_HTTP=true`).
    #[arg(long, env = "TEXTISUR_MEDIA_STORE", default_value = "data/media")]
    pub media_store: String,

    /// Public address images are served from (`<url>/<hash>-<size>.webp`): a CDN in front of
    /// this server's `/media`; unset, `http://<listen address>/media`.
    #[arg(long, env = "TEXTISUR_MEDIA_PUBLIC_URL")]
    pub media_public_url: Option<String>,

    /// Largest image upload, in bytes.
    #[arg(long, env = "TEXTISUR_MEDIA_MAX_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub media_max_bytes: usize,

    /// Most pixels (width × height) an uploaded image may have.
    #[arg(long, env = "TEXTISUR_MEDIA_MAX_PIXELS", default_value_t = 40_000_000)]
    pub media_max_pixels: u64,

    /// Most files one multipart request may carry.
    #[arg(long, env = "TEXTISUR_MEDIA_MAX_FILES", default_value_t = 4)]
    pub media_max_files: usize,

    /// Seconds a GET query response may be cached by browsers and CDNs.
    #[arg(long, env = "TEXTISUR_CACHE_MAX_AGE", default_value_t = 30)]
    pub cache_max_age: u32,

    /// Seconds an anonymous persisted GET response is reused by the server itself, as a CDN
    /// honouring the max-age above would (never more than it); 0 turns the cache off.
    #[arg(long, env = "TEXTISUR_RESPONSE_CACHE_SECONDS", default_value_t = 30.0)]
    pub response_cache_seconds: f64,

    /// Most MiB of responses the response cache holds.
    #[arg(long, env = "TEXTISUR_RESPONSE_CACHE_MIB", default_value_t = 64)]
    pub response_cache_mib: u64,

    /// Most MiB of hot rows (products, stores, categories, users) kept between requests and
    /// dropped by PostgreSQL notifications when they change; 0 turns the row cache off.
    #[arg(long, env = "TEXTISUR_ROW_CACHE_MIB", default_value_t = 128)]
    pub row_cache_mib: u64,

    /// Most MiB of per-word match lists the search index keeps (each segment's documents
    /// matching a typed word, with their scores), so a query intersects lists instead of
    /// walking every form of every word again; 0 turns it off.
    #[arg(long, env = "TEXTISUR_WORD_CACHE_MIB", default_value_t = 128)]
    pub word_cache_mib: u64,

    #[command(flatten)]
    pub index: IndexStorageArgs,

    /// `in-process` runs the search indexer in this server; `off` leaves writing to a separate
    /// `textisur indexer` process and only reads the index it writes.
    #[arg(long, env = "TEXTISUR_INDEXER", default_value = "in-process")]
    pub indexer: IndexerMode,

    /// `index` answers listings from the search index (PostgreSQL while it is being built);
    /// `postgres` answers them from PostgreSQL full-text search.
    #[arg(long, env = "TEXTISUR_SEARCH_BACKEND", default_value = "index")]
    pub search_backend: crate::search::SearchBackend,
}

/// Options of `textisur seed`.
#[derive(Clone, Debug, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    pub db: DbArgs,

    /// Number of products to create.
    #[arg(long, env = "TEXTISUR_SEED_PRODUCTS", default_value_t = 10_000)]
    pub products: u32,

    /// Random seed: the same seed gives the same catalogue.
    #[arg(long, env = "TEXTISUR_SEED", default_value_t = 42)]
    pub seed: u64,
}

/// Options of `textisur export-schema`.
#[derive(Clone, Debug, Args)]
pub struct ExportSchemaArgs {
    /// File to write; standard output when absent.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

/// A configuration value that must never reach a log line.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}
