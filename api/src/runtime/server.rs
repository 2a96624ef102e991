//! Process wiring: run a command, start the HTTP server, stop it gracefully.

use std::net::SocketAddr;

use anyhow::Context;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use std::sync::Arc;

use textisur_persisted_queries::{PersistedQueryStore, StoreConfig, TrustedDocuments};

use crate::accounts::Auth;
use crate::accounts::limits::AuthLimitConfig;
use crate::accounts::tokens::TokenKeys;
use crate::graphql::schema;
use crate::runtime::config::Secret;
use crate::runtime::config::{
    Command, Environment, IndexCommand, PersistedQueriesCommand, PushArgs, ServeArgs,
};
use crate::runtime::db::{self, Db};
use crate::runtime::demo;
use crate::runtime::global_limits::GlobalLimits;
use crate::runtime::http::{self, HttpConfig};
use crate::runtime::indexing::{self, IndexRuntime, IndexSetup};

/// What the HTTP server needs besides the database.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub http: HttpConfig,
    /// JWT keys in the `--jwt-keys` format; `None` generates a development key.
    pub jwt_keys: Option<Secret>,
    pub auth_limits: AuthLimitConfig,
    pub persisted: StoreConfig,
    /// The search index listings read (PostgreSQL only until one is attached).
    pub search: crate::search::SearchState,
    /// The search index to open (and build or write, as its mode says); `None` runs without
    /// one and PostgreSQL answers every listing.
    pub index: Option<IndexSetup>,
    /// Where mail goes (queued only, without an SMTP server).
    pub mail: crate::runtime::mail::MailConfig,
    /// Whether rate limits are shared with every server on this Redis and database (see
    /// [`crate::runtime::global_limits`]); `false`: each process counts alone.
    pub global_limits: bool,
    /// Streaming standbys that queries may hydrate from (none by default).
    pub replicas: crate::runtime::db::ReplicaConfig,
    /// How orders wait for their payment: the deadline, the unpaid-order limit and the
    /// sweeper's pace.
    pub orders: crate::commerce::orders::expiry::OrdersConfig,
    /// The payment provider; `None`: an admin confirms payments by hand.
    pub payments: Option<crate::commerce::payments::PaymentsSetup>,
    /// Where product images are kept; `None`: uploads are off.
    pub media: Option<crate::catalogue::media::MediaConfig>,
}

/// Longest wait for one shared rate-limit step in Redis before this process's limits decide
/// alone.
const GLOBAL_LIMIT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(100);

/// Where a production server serves `/metrics` when `--metrics-listen` is not given.
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9464";

impl ServerConfig {
    /// Refuses what must never run, before anything starts: keys that do not parse, and in
    /// production no keys at all (each replica would sign with its own random key and reject
    /// the others' tokens).
    pub fn check(&self) -> anyhow::Result<()> {
        match &self.jwt_keys {
            Some(keys) => {
                TokenKeys::parse(&keys.0).context("TEXTISUR_JWT_KEYS")?;
            }
            None if self.http.production => anyhow::bail!(
                "TEXTISUR_JWT_KEYS is not set: production needs the JWT signing keys \
                 (TEXTISUR_JWT_KEYS or TEXTISUR_JWT_KEYS_FILE)"
            ),
            None => {}
        }
        Ok(())
    }

    fn from_args(args: &ServeArgs) -> anyhow::Result<Self> {
        let production = args.environment == Environment::Production;
        let jwt_keys = match (&args.jwt_keys, &args.jwt_keys_file) {
            (Some(keys), _) => Some(Secret(keys.clone())),
            (None, Some(path)) => Some(Secret(
                std::fs::read_to_string(path)
                    .with_context(|| format!("read {}", path.display()))?,
            )),
            (None, None) => None,
        };
        Ok(Self {
            listen: args.listen,
            http: HttpConfig {
                max_body_bytes: args.max_body_bytes,
                max_batch: args.max_batch,
                cache_max_age: args.cache_max_age,
                response_cache_ttl: std::time::Duration::try_from_secs_f64(
                    args.response_cache_seconds,
                )
                .context("--response-cache-seconds must be a number of seconds, 0 or more")?,
                response_cache_bytes: args.response_cache_mib.saturating_mul(1 << 20),
                row_cache_bytes: args.row_cache_mib.saturating_mul(1 << 20),
                word_cache_bytes: args.word_cache_mib.saturating_mul(1 << 20),
                trusted_proxies: args.trusted_proxies.clone(),
                cors_origins: match (args.cors_origins.is_empty(), args.environment) {
                    (true, Environment::Development) => {
                        vec![
                            "http://localhost:5173".to_owned(),
                            "http://127.0.0.1:5173".to_owned(),
                        ]
                    }
                    _ => args.cors_origins.clone(),
                },
                hsts: args.hsts,
                query_limits: crate::graphql::query_limits::QueryLimits::default(),
                cost_bucket: args.cost_bucket,
                cost_restore_rate: args.cost_restore_rate,
                production,
                safelist: args.persisted_only.unwrap_or(production),
                metrics_listen: match args.metrics_listen {
                    Some(addr) => Some(addr),
                    None if production => Some(DEFAULT_METRICS_LISTEN.parse()?),
                    None => None,
                },
                ws: crate::runtime::http::state::WsConfig {
                    init_timeout: std::time::Duration::from_secs(args.ws_init_timeout_seconds),
                    max_subscriptions: args.ws_max_subscriptions,
                    max_connections_per_client: args.ws_max_connections_per_client,
                    idle_timeout: std::time::Duration::from_secs(args.ws_idle_timeout_seconds),
                    ..crate::runtime::http::state::WsConfig::default()
                },
            },
            persisted: StoreConfig {
                redis_url: args.redis_url.clone(),
                ttl: std::time::Duration::from_secs(args.apq_ttl_seconds),
                local_capacity_bytes: args.apq_local_cache_bytes,
                retry_after: std::time::Duration::from_millis(args.redis_retry_after_ms),
                ..StoreConfig::default()
            },
            jwt_keys,
            search: crate::search::SearchState::new(args.search_backend, None),
            index: Some(IndexSetup::from_args(&args.index, args.indexer)),
            auth_limits: AuthLimitConfig {
                login_per_account_and_ip_per_minute: args.login_per_account_and_ip_per_minute,
                login_per_account_and_ip_per_hour: args.login_per_account_and_ip_per_hour,
                login_per_account_per_hour: args.login_per_account_per_hour,
                login_per_ip_per_minute: args.login_per_ip_per_minute,
                register_per_ip_per_hour: args.register_per_ip_per_hour,
                account_mail_per_address_per_hour: args.account_mail_per_address_per_hour,
                account_mail_per_ip_per_hour: args.account_mail_per_ip_per_hour,
            },
            mail: crate::runtime::mail::MailConfig {
                smtp_url: args.smtp_url.clone().map(Secret),
                from: args.mail_from.clone(),
                public_url: args.public_url.clone(),
            },
            global_limits: args.global_limits,
            replicas: crate::runtime::db::ReplicaConfig {
                urls: args.database_replica_urls.clone(),
                max_lag: std::time::Duration::from_millis(args.database_replica_max_lag_ms),
                check_every: std::time::Duration::from_millis(
                    args.database_replica_check_ms.max(10),
                ),
                max_connections: args.db.db_max_connections,
            },
            orders: crate::commerce::orders::expiry::OrdersConfig {
                payment_timeout: std::time::Duration::try_from_secs_f64(
                    args.payment_timeout_minutes * 60.0,
                )
                .ok()
                .filter(|timeout| !timeout.is_zero())
                .context("--payment-timeout-minutes must be a number of minutes above 0")?,
                max_unpaid_orders: args.max_unpaid_orders,
                sweep_every: std::time::Duration::from_secs(args.order_sweep_seconds.max(1)),
                commission_percent: commission_percent(args)?,
            },
            payments: payments_setup(args)?,
            media: Some(crate::catalogue::media::MediaConfig {
                store: args.media_store.clone(),
                public_url: args.media_public_url.clone(),
                limits: crate::catalogue::media::MediaLimits {
                    max_bytes: args.media_max_bytes,
                    max_pixels: args.media_max_pixels,
                    max_files: args.media_max_files,
                },
                ..crate::catalogue::media::MediaConfig::default()
            }),
        })
    }
}

/// The payment provider the flags configure: all three of Mercado Pago's client id, client
/// secret and webhook secret, or none of them.
fn payments_setup(
    args: &ServeArgs,
) -> anyhow::Result<Option<crate::commerce::payments::PaymentsSetup>> {
    use crate::commerce::payments::{PaymentsSetup, mercadopago::MercadoPagoConfig};
    let (id, secret, webhook) = match (
        &args.mercadopago_client_id,
        &args.mercadopago_client_secret,
        &args.mercadopago_webhook_secret,
    ) {
        (None, None, None) => return Ok(None),
        (Some(id), Some(secret), Some(webhook)) => (id, secret, webhook),
        _ => anyhow::bail!(
            "online payments need TEXTISUR_MERCADOPAGO_CLIENT_ID, TEXTISUR_MERCADOPAGO_CLIENT_SECRET \
             and TEXTISUR_MERCADOPAGO_WEBHOOK_SECRET together"
        ),
    };
    Ok(Some(PaymentsSetup {
        mercadopago: MercadoPagoConfig {
            base_url: args.mercadopago_base_url.clone(),
            client_id: id.clone(),
            client_secret: Secret(secret.clone()),
            webhook_secret: Secret(webhook.clone()),
            notification_url: args
                .public_api_url
                .as_deref()
                .map(|url| format!("{}/webhooks/mercadopago", url.trim_end_matches('/')))
                .unwrap_or_default(),
            back_url: format!("{}/cuenta/pedidos", args.public_url.trim_end_matches('/')),
            signature_tolerance: std::time::Duration::from_secs(300),
            timeout: std::time::Duration::from_secs(10),
        },
    }))
}

/// The default commission, checked to be a percentage.
fn commission_percent(args: &ServeArgs) -> anyhow::Result<rust_decimal::Decimal> {
    let percent = args.marketplace_commission_percent;
    anyhow::ensure!(
        (rust_decimal::Decimal::ZERO..=rust_decimal::Decimal::ONE_HUNDRED).contains(&percent),
        "--marketplace-commission-percent must be between 0 and 100"
    );
    Ok(percent)
}

/// Runs one command of the binary to completion.
pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve(*args).await,
        Command::Migrate(args) => {
            let db = db::connect(&args.database_url, args.db_max_connections).await?;
            db::migrate(&db).await
        }
        Command::Seed(args) => {
            let db = db::connect(&args.db.database_url, args.db.db_max_connections).await?;
            db::migrate(&db).await?;
            demo::seed(
                &db,
                &demo::SeedPlan::for_products(args.products, args.seed),
                true,
            )
            .await
        }
        Command::Indexer(args) => indexing::run_indexer(args).await,
        Command::Reindex(args) => indexing::reindex(args).await,
        Command::Index(args) => match args.command {
            IndexCommand::Verify(args) => indexing::verify(args).await,
        },
        Command::PersistedQueries(args) => match args.command {
            PersistedQueriesCommand::Push(args) => {
                let pushed = push_persisted_queries(&args).await?;
                println!("pushed {pushed} persisted queries to Redis");
                Ok(())
            }
        },
        Command::ExportSchema(args) => {
            let sdl = schema::sdl();
            match args.output {
                Some(path) => {
                    std::fs::write(&path, sdl).with_context(|| format!("write {}", path.display()))
                }
                None => {
                    print!("{sdl}");
                    Ok(())
                }
            }
        }
    }
}

/// Writes the operations of `args.manifests` (the embedded manifests when none is named)
/// to Redis; returns how many. Every manifest is read and checked before anything is written.
pub async fn push_persisted_queries(args: &PushArgs) -> anyhow::Result<usize> {
    let mut documents = TrustedDocuments::default();
    if args.manifests.is_empty() {
        documents = TrustedDocuments::embedded().context("embedded manifests")?;
    }
    for path in &args.manifests {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
        let manifest = TrustedDocuments::from_manifest(&text)
            .with_context(|| format!("manifest {}", path.display()))?;
        documents.merge(manifest);
    }
    let store = PersistedQueryStore::new(StoreConfig {
        redis_url: args.redis_url.clone(),
        ..StoreConfig::default()
    })
    .context("REDIS_URL")?;
    store.push(&documents).await.context("push to redis")
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // Refuse a bad configuration before touching the database.
    let config = ServerConfig::from_args(&args)?;
    config.check()?;
    let production = args.environment == Environment::Production;
    let acquire = std::time::Duration::from_millis(args.db.db_acquire_timeout_ms);
    let db = db::connect_with_timeout(&args.db.database_url, args.db.db_max_connections, acquire)
        .await?;
    db::migrate(&db).await?;
    let demo_data = !args.no_demo_data && args.demo_data.unwrap_or(!production);
    if demo_data {
        let mut plan = demo::SeedPlan::for_products(args.demo_products, 42);
        // The demo password is published: in production nobody may sign in with it.
        plan.published_password = !production;
        demo::seed_if_empty(&db, &plan).await?;
    }
    let server = start(db, config).await?;
    let base = format!("http://{}", server.addr);
    println!("TextiSur API listening on {base}");
    println!("  GraphQL     {base}/graphql");
    println!("  Playground  {base}/playground");
    match server.metrics_addr {
        Some(metrics) => println!("  Metrics     http://{metrics}/metrics"),
        None => println!("  Metrics     {base}/metrics"),
    }
    println!("  Health      {base}/health/live  {base}/health/ready");
    crate::runtime::shutdown::signal().await;
    let grace = std::time::Duration::from_secs(args.shutdown_grace_seconds);
    tracing::info!(
        grace_seconds = grace.as_secs(),
        "shutting down: finishing in-flight requests"
    );
    match tokio::time::timeout(grace, server.stop()).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!("grace period over: dropping the requests still running");
            Ok(())
        }
    }
}

/// A server started by [`start`].
pub struct RunningServer {
    /// The address it listens on (useful with port 0).
    pub addr: SocketAddr,
    /// Its database handle (tests read the statement count from it).
    pub db: Db,
    /// Where `/metrics` is served apart from the API, if anywhere.
    pub metrics_addr: Option<SocketAddr>,
    metrics: Option<JoinHandle<()>>,
    shutdown: oneshot::Sender<()>,
    /// Tells WebSocket connections to close (with 1001) when the server stops.
    closing: tokio::sync::watch::Sender<bool>,
    listener: JoinHandle<()>,
    /// Hears row changes for the row cache (`None` when the cache is off).
    row_listener: Option<JoinHandle<()>>,
    /// Checks the standbys' positions and lag (`None` without standbys).
    replica_checker: Option<JoinHandle<()>>,
    task: JoinHandle<std::io::Result<()>>,
    housekeeping: JoinHandle<()>,
    /// Cancels unpaid orders past their deadline, retries refunds.
    order_sweeper: JoinHandle<()>,
    commerce: crate::commerce::Commerce,
    index: Option<IndexRuntime>,
    mailer: Arc<crate::runtime::mail::Mailer>,
    /// Delivers the mail outbox (`None` without an SMTP server).
    mail_sender: Option<JoinHandle<()>>,
    /// Where product images are kept (`None`: uploads are off).
    media: Option<Arc<crate::catalogue::media::MediaStore>>,
    /// Makes uploaded images' sizes.
    media_worker: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// The in-process search indexer, if this server runs one (tests drain it).
    pub fn indexer(&self) -> Option<&textisur_indexer::Indexer> {
        self.index.as_ref().and_then(IndexRuntime::indexer)
    }

    /// The search index this server reads, if it has one.
    pub fn live_index(&self) -> Option<&textisur_indexer::LiveIndex> {
        self.index.as_ref().map(|index| &index.live)
    }

    /// The mail outbox (tests drain it instead of waiting).
    pub fn mailer(&self) -> &Arc<crate::runtime::mail::Mailer> {
        &self.mailer
    }

    /// Runs one sweep of unpaid orders past their deadline now, as the sweeper does on its
    /// tick (tests call it instead of waiting); returns how many it cancelled.
    pub async fn expire_orders(&self) -> crate::graphql::error::ApiResult<usize> {
        crate::commerce::orders::expiry::expire_due(&self.db).await
    }

    /// Issues the refunds still owed now, as the worker does on its tick; how many went
    /// through.
    pub async fn retry_refunds(&self) -> crate::graphql::error::ApiResult<usize> {
        match &self.commerce.payments {
            Some(payments) => payments.retry_refunds(&self.db).await,
            None => Ok(0),
        }
    }

    /// The media store, if uploads are on.
    pub fn media(&self) -> Option<&Arc<crate::catalogue::media::MediaStore>> {
        self.media.as_ref()
    }

    /// Makes the sizes of every uploaded image waiting for them now, and waits for those a
    /// worker is making (the media worker's drain step).
    pub async fn process_images(&self) -> anyhow::Result<()> {
        if let Some(media) = &self.media {
            crate::catalogue::media::worker::drain(&self.db, media).await?;
            // As after a mutation: the next request reads the files' new states, not the
            // image lists this process kept before it heard of them.
            self.db.rows().settle(self.db.pool()).await;
        }
        Ok(())
    }

    /// Collects image files nothing uses, and objects without a row older than `grace`, as
    /// the worker does every hour; how many files went.
    pub async fn collect_orphaned_images(
        &self,
        grace: std::time::Duration,
    ) -> anyhow::Result<usize> {
        match &self.media {
            Some(media) => {
                crate::catalogue::media::worker::collect_orphans(&self.db, media, grace).await
            }
            None => Ok(0),
        }
    }

    /// Stops accepting, lets in-flight requests finish, waits for the server to end, then
    /// stops the search indexer after a last commit.
    pub async fn stop(self) -> anyhow::Result<()> {
        // WebSockets first: graceful shutdown waits for every connection, these included.
        let _ = self.closing.send(true);
        let _ = self.shutdown.send(());
        self.housekeeping.abort();
        self.order_sweeper.abort();
        self.listener.abort();
        if let Some(sender) = &self.mail_sender {
            sender.abort();
        }
        if let Some(worker) = &self.media_worker {
            worker.abort();
        }
        if let Some(rows) = &self.row_listener {
            rows.abort();
        }
        if let Some(checker) = &self.replica_checker {
            checker.abort();
        }
        if let Some(metrics) = &self.metrics {
            metrics.abort();
        }
        let served = self.task.await.context("join server task");
        let indexed = match self.index {
            Some(index) => index.stop().await,
            None => Ok(()),
        };
        served?.context("serve")?;
        indexed
    }
}

/// Opens (or builds) the search index, binds `config.listen` and serves the API on a
/// background task.
pub async fn start(db: Db, config: ServerConfig) -> anyhow::Result<RunningServer> {
    config.check()?;
    // Install the metrics recorder before anything records: earlier samples would be lost.
    crate::runtime::observability::metrics_handle();
    // Before the index opens: the word cache takes its bound when first used.
    textisur_search_index::set_word_cache_bytes(config.http.word_cache_bytes);
    let (metrics_addr, metrics) = match config.http.metrics_listen {
        Some(addr) => {
            let (bound, task) =
                crate::runtime::observability::serve_metrics(addr, db.clone()).await?;
            (Some(bound), Some(task))
        }
        None => (None, None),
    };
    let index = match &config.index {
        Some(setup) => Some(IndexRuntime::start(&db, setup).await?),
        None => None,
    };
    let search = match &index {
        Some(index) => {
            crate::search::SearchState::new(config.search.backend, Some(index.live.clone()))
        }
        None => config.search.clone(),
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let keys = config
        .jwt_keys
        .as_ref()
        .map(|k| TokenKeys::parse(&k.0))
        .transpose()
        .context("TEXTISUR_JWT_KEYS")?;
    let mailer = crate::runtime::mail::Mailer::new(
        db.clone(),
        config.mail.clone(),
        Some(crate::commerce::orders::mail::renderer(
            db.clone(),
            config.mail.public_url.clone(),
        )),
    )?;
    let global = Arc::new(if config.global_limits {
        // The database's name keys the buckets: replicas of one deployment share them.
        let options = db.pool().connect_options();
        let namespace = options.get_database().unwrap_or("postgres");
        GlobalLimits::new(&config.persisted.redis_url, namespace, GLOBAL_LIMIT_TIMEOUT)
            .context("REDIS_URL")?
    } else {
        GlobalLimits::off()
    });
    let auth = Arc::new(Auth::new(
        keys,
        &config.auth_limits,
        Arc::clone(&mailer),
        global,
    ));
    let persisted =
        Arc::new(PersistedQueryStore::new(config.persisted.clone()).context("REDIS_URL")?);
    let trusted = TrustedDocuments::embedded().context("trusted operations manifest")?;
    let db = db.with_row_cache(crate::runtime::row_cache::RowCache::new(
        config.http.row_cache_bytes,
    ));
    let (db, replica_checker) = if config.replicas.urls.is_empty() {
        (db, None)
    } else {
        let replicas = crate::runtime::db::Replicas::connect(&config.replicas)?;
        let checker = tokio::spawn(
            Arc::clone(&replicas).check_forever(db.pool().clone(), config.replicas.check_every),
        );
        (db.with_replicas(replicas), Some(checker))
    };
    let row_listener = db
        .rows()
        .listen(db.pool())
        .await
        .context("listen for row changes")?;
    let (events, event_listener) = crate::runtime::events::EventBus::start(db.pool())
        .await
        .context("listen for events")?;
    // The sender wakes for an order's news from any process, as subscriptions do.
    let mail_sender = if mailer.delivers() {
        Some(tokio::spawn(Arc::clone(&mailer).run(events.subscribe())))
    } else {
        tracing::warn!("no TEXTISUR_SMTP_URL given: mail stays queued in mail_outbox, unsent");
        None
    };
    // Loaded after the event listener is in place, so no change committed in between is
    // missed; a failure leaves the built-in files, and the next reload tries again.
    if let Err(error) = search.vocabulary.reload(db.pool()).await {
        tracing::warn!(%error, "could not load the search vocabulary");
    }
    if let Err(error) = search.rates.reload(db.pool()).await {
        tracing::warn!(%error, "could not load the exchange rates");
    }
    let media = match &config.media {
        Some(setup) => {
            let public_url = setup
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{addr}/media"));
            Some(Arc::new(
                crate::catalogue::media::MediaStore::open(&setup.store, &public_url, setup.limits)
                    .context("TEXTISUR_MEDIA_STORE")?,
            ))
        }
        None => None,
    };
    let media_worker = match (&media, &config.media) {
        (Some(media), Some(setup)) if setup.worker => Some(tokio::spawn(
            crate::catalogue::media::worker::run(db.clone(), Arc::clone(media), setup.tick),
        )),
        _ => None,
    };
    let (closing, closing_rx) = tokio::sync::watch::channel(false);
    let state = http::AppState::new(
        db.clone(),
        config.http,
        auth,
        persisted,
        trusted,
        search,
        http::Realtime {
            events,
            closing: closing_rx,
        },
        crate::commerce::Commerce {
            orders: config.orders,
            payments: config
                .payments
                .clone()
                .map(|mut setup| {
                    // Without a public address given, the provider is told this server's
                    // own (a local run, a test).
                    if setup.mercadopago.notification_url.is_empty() {
                        setup.mercadopago.notification_url =
                            format!("http://{addr}/webhooks/mercadopago");
                    }
                    setup.start()
                })
                .transpose()?,
        },
        media.clone(),
    );
    let state_commerce = state.commerce.clone();
    let order_sweeper = tokio::spawn(crate::commerce::worker::run(
        db.clone(),
        state_commerce.clone(),
    ));
    let housekeeping = tokio::spawn({
        let state = state.clone();
        let mailer = Arc::clone(&mailer);
        async move {
            // Keyed limiters forget callers whose buckets are full again: bounded memory.
            // The first minute's tick comes a minute after start, not at once: the vocabulary
            // and the rates were just loaded, and a reload then only held connections while
            // the server started.
            let minute = std::time::Duration::from_secs(60);
            let mut every_minute =
                tokio::time::interval_at(tokio::time::Instant::now() + minute, minute);
            // Old mail and spent account tokens go (every process sweeps; deleting twice is
            // harmless).
            let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
            // Sessions ended through any process stop passing here at once, not after the
            // cache of live sessions expires.
            let mut ended = state.events.subscribe_sessions();
            loop {
                tokio::select! {
                    _ = every_minute.tick() => {
                        state.auth.limits.forget_idle();
                        state.cost_limiter.forget_idle();
                        // In case a vocabulary notice was lost while the listener reconnected.
                        reload_vocabulary(&state).await;
                        reload_rates(&state).await;
                    }
                    () = state.events.vocabulary_changed() => reload_vocabulary(&state).await,
                    () = state.events.rates_changed() => reload_rates(&state).await,
                    _ = every_hour.tick() => match mailer.sweep().await {
                        Ok(0) => {}
                        Ok(rows) => tracing::info!(rows, "swept old mail and account tokens"),
                        Err(error) => tracing::warn!(error = %format!("{error:#}"), "sweep"),
                    },
                    event = ended.recv() => match event {
                        Ok(event) => state.auth.sessions.forget_ended(&event),
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            state.auth.sessions.forget_all();
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                            ended = state.events.subscribe_sessions();
                        }
                    },
                }
            }
        }
    });
    let app = http::router(state);
    let (shutdown, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            stopped.await.ok();
        })
        .await
    });
    Ok(RunningServer {
        addr,
        db,
        metrics_addr,
        metrics,
        shutdown,
        closing,
        listener: event_listener,
        row_listener,
        replica_checker,
        task,
        housekeeping,
        order_sweeper,
        commerce: state_commerce,
        index,
        mailer,
        mail_sender,
        media,
        media_worker,
    })
}

/// Reloads the search vocabulary; on failure the last one stays in use.
async fn reload_vocabulary(state: &http::AppState) {
    if let Err(error) = state.search.vocabulary.reload(state.db.pool()).await {
        tracing::warn!(%error, "could not reload the search vocabulary");
    }
}

/// Reloads the exchange rates; on failure the last ones stay in use.
async fn reload_rates(state: &http::AppState) {
    if let Err(error) = state.search.rates.reload(state.db.pool()).await {
        tracing::warn!(%error, "could not reload the exchange rates");
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::Cli;

    /// `(production, safelist)` of `textisur serve ARGS`.
    fn modes(args: &[&str]) -> (bool, bool) {
        let cli = Cli::try_parse_from([&["textisur", "serve"], args].concat()).expect("parse");
        let Command::Serve(serve) = cli.command else {
            panic!("not serve");
        };
        let http = ServerConfig::from_args(&serve).expect("config").http;
        (http.production, http.safelist)
    }

    #[test]
    fn persisted_only_sets_the_safelist_and_production_sets_its_default() {
        assert_eq!(modes(&[]), (false, false));
        assert_eq!(modes(&["--environment", "production"]), (true, true));
        assert_eq!(modes(&["--persisted-only"]), (false, true));
        assert_eq!(modes(&["--persisted-only=yes"]), (false, true));
        assert_eq!(
            modes(&["--environment", "production", "--persisted-only=false"]),
            (true, false)
        );
    }

    /// `--metrics-listen` of `textisur serve ARGS`, resolved.
    fn metrics_listen(args: &[&str]) -> Option<String> {
        let cli = Cli::try_parse_from([&["textisur", "serve"], args].concat()).expect("parse");
        let Command::Serve(serve) = cli.command else {
            panic!("not serve");
        };
        let http = ServerConfig::from_args(&serve).expect("config").http;
        http.metrics_listen.map(|addr| addr.to_string())
    }

    #[test]
    fn production_serves_metrics_apart_by_default() {
        assert_eq!(metrics_listen(&[]), None);
        assert_eq!(
            metrics_listen(&["--environment", "production"]).as_deref(),
            Some(DEFAULT_METRICS_LISTEN)
        );
        let apart = ["--metrics-listen", "0.0.0.0:9100"];
        assert_eq!(metrics_listen(&apart).as_deref(), Some("0.0.0.0:9100"));
    }

    #[test]
    fn persisted_queries_push_takes_manifests() {
        let cli = Cli::try_parse_from([
            "textisur",
            "persisted-queries",
            "push",
            "--manifest",
            "a.json",
            "--manifest",
            "b.json",
        ])
        .expect("parse");
        let Command::PersistedQueries(args) = cli.command else {
            panic!("not persisted-queries");
        };
        let PersistedQueriesCommand::Push(push) = args.command;
        assert_eq!(push.manifests.len(), 2);
    }
}
