//! End-to-end test harness: a fresh PostgreSQL database per test and the real HTTP server on
//! an ephemeral port of 127.0.0.1.
//!
//! Key rule: nothing here is mocked. A [`TestApp`] owns its database and drops it (with
//! `FORCE`) when the test ends, pass or fail.

pub mod catalogue_db;
pub mod database;
pub mod images;
pub mod mail;
pub mod market;
pub mod mercadopago;
pub mod scratch;
pub mod standby;
pub mod stats;

use anyhow::Context;
use reqwest::StatusCode;
use serde_json::{Value, json};
use textisur_api::accounts::limits::AuthLimitConfig;
use textisur_api::commerce::orders::expiry::OrdersConfig;
use textisur_api::runtime::config::IndexerMode;
use textisur_api::runtime::config::Secret;
use textisur_api::runtime::db::{self, Db};
use textisur_api::runtime::demo::{self, SeedPlan};
use textisur_api::runtime::http::HttpConfig;
use textisur_api::runtime::indexing::IndexSetup;
use textisur_api::runtime::server::{self, RunningServer, ServerConfig};
use textisur_api::search::{SearchBackend, SearchState};
use textisur_indexer::IndexerConfig;
use textisur_persisted_queries::StoreConfig;

/// The JWT key of every test server (`kid:base64`), so tests can forge tokens on purpose.
pub const TEST_JWT_KEYS: &str = "test:dGV4dGlzdXItdGVzdC1rZXktMzItYnl0ZXMtbG9uZyEhIQ==";
/// The secret behind [`TEST_JWT_KEYS`].
pub const TEST_JWT_SECRET: &[u8] = b"textisur-test-key-32-bytes-long!!!";
/// A password that passes the policy, for test accounts.
pub const TEST_PASSWORD: &str = "telas de lino azul";

pub use database::{FreshDatabase, admin_url};

/// How to start a [`TestApp`].
#[derive(Clone, Debug, Default)]
pub struct TestOptions {
    /// Seed this many demo products (none when `None`).
    pub seed_products: Option<u32>,
    /// HTTP limits; the defaults of `textisur serve` when `None`.
    pub http: Option<HttpConfig>,
    /// Login and registration limits; the defaults of `textisur serve` when `None`.
    pub auth_limits: Option<AuthLimitConfig>,
    /// Redis for persisted queries; `REDIS_URL` or the local default when `None`.
    pub redis_url: Option<String>,
    /// How long the Redis circuit breaker stays open before a trial call; the default of
    /// `textisur serve` when `None`.
    pub redis_retry_after: Option<std::time::Duration>,
    /// Bytes of persisted-query texts the server keeps in memory; the default of
    /// `textisur serve` when `None`.
    pub apq_local_cache_bytes: Option<u64>,
    /// No search index and no indexer (listings fall back to PostgreSQL), so nothing but
    /// requests uses the database pool.
    pub without_search_index: bool,
    /// The SMTP server mail goes to (a [`mail::MailServer`]); queued only when `None`.
    pub smtp_url: Option<String>,
    /// A streaming standby (a [`standby::Standby`]) the server may hydrate from.
    pub replica: Option<ReplicaOptions>,
    /// How orders wait for their payment; the defaults of `textisur serve` when `None`.
    pub orders: Option<OrdersConfig>,
    /// The payment provider (a [`mercadopago::MercadoPagoSimulator`]'s setup); none when
    /// `None`.
    pub payments: Option<textisur_api::commerce::payments::PaymentsSetup>,
    /// No background media worker: uploaded images wait for [`TestApp::process_images`].
    pub manual_media_worker: bool,
}

/// How a [`TestApp`] uses a standby.
#[derive(Clone, Debug)]
pub struct ReplicaOptions {
    /// The standby's port on 127.0.0.1; the app reads its own database there.
    pub port: u16,
    pub max_lag: std::time::Duration,
    pub check_every: std::time::Duration,
}

/// The tests' HTTP settings (cost limits lifted) with the row cache off, for tests that
/// count or time the statements every request runs.
pub fn uncached_http() -> HttpConfig {
    HttpConfig {
        row_cache_bytes: 0,
        cost_bucket: 1_000_000,
        cost_restore_rate: 1_000_000,
        ..HttpConfig::default()
    }
}

/// A running server on its own fresh database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The server's database handle (shares the statement counter).
    pub db: Db,
    /// An HTTP client for the test.
    pub client: reqwest::Client,
    database: FreshDatabase,
    server: Option<RunningServer>,
    orders: OrdersConfig,
    /// The server's search index directory, removed with the app.
    _index_dir: tempfile::TempDir,
    /// The server's media store (a local folder), removed with the app.
    media_dir: tempfile::TempDir,
}

impl TestApp {
    /// An empty, migrated database and a server on it.
    pub async fn spawn() -> Self {
        Self::spawn_with(TestOptions::default()).await
    }

    /// A server on a database seeded with `products` demo products.
    pub async fn seeded(products: u32) -> Self {
        Self::spawn_with(TestOptions {
            seed_products: Some(products),
            ..TestOptions::default()
        })
        .await
    }

    /// Starts a server as `options` say; panics with the cause when it cannot.
    pub async fn spawn_with(options: TestOptions) -> Self {
        Self::try_spawn(options).await.expect("start test app")
    }

    async fn try_spawn(options: TestOptions) -> anyhow::Result<Self> {
        let database = FreshDatabase::named("test");
        let db = db::connect(&database.url, 8).await?;
        db::migrate(&db).await?;
        if let Some(products) = options.seed_products {
            // Products keep one variant each: tests buy seeded products by product id.
            let plan = SeedPlan {
                variants: false,
                ..SeedPlan::for_products(products, 7)
            };
            demo::seed(&db, &plan, false).await?;
        }
        let index_dir = tempfile::tempdir().context("create index directory")?;
        let media_dir = tempfile::tempdir().context("create media directory")?;
        let config = ServerConfig {
            listen: "127.0.0.1:0".parse()?,
            // Tests fire requests far faster than any client; the cost limit has its own test.
            http: options.http.unwrap_or(HttpConfig {
                cost_bucket: 1_000_000,
                cost_restore_rate: 1_000_000,
                ..HttpConfig::default()
            }),
            jwt_keys: Some(Secret(TEST_JWT_KEYS.to_owned())),
            auth_limits: options.auth_limits.unwrap_or_default(),
            search: if options.without_search_index {
                SearchState::new(SearchBackend::Postgres, None)
            } else {
                SearchState::new(SearchBackend::Index, None)
            },
            index: (!options.without_search_index).then(|| IndexSetup {
                dir: index_dir.path().to_owned(),
                mode: IndexerMode::InProcess,
                indexer: IndexerConfig {
                    writer_memory_bytes: 15_000_000,
                    ..IndexerConfig::default()
                },
            }),
            persisted: StoreConfig {
                redis_url: options.redis_url.unwrap_or_else(|| {
                    std::env::var("REDIS_URL")
                        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
                }),
                retry_after: options
                    .redis_retry_after
                    .unwrap_or(StoreConfig::default().retry_after),
                local_capacity_bytes: options
                    .apq_local_cache_bytes
                    .unwrap_or(StoreConfig::default().local_capacity_bytes),
                ..StoreConfig::default()
            },
            mail: textisur_api::runtime::mail::MailConfig {
                smtp_url: options.smtp_url.map(Secret),
                ..textisur_api::runtime::mail::MailConfig::default()
            },
            // Keyed by this test's database in Redis, so parallel tests never share a bucket.
            global_limits: true,
            replicas: match options.replica {
                Some(replica) => textisur_api::runtime::db::ReplicaConfig {
                    urls: vec![format!(
                        "postgres://postgres@127.0.0.1:{}/{}",
                        replica.port, database.name
                    )],
                    max_lag: replica.max_lag,
                    check_every: replica.check_every,
                    max_connections: 4,
                },
                None => textisur_api::runtime::db::ReplicaConfig::default(),
            },
            orders: options.orders.unwrap_or_default(),
            payments: options.payments,
            media: Some(textisur_api::catalogue::media::MediaConfig {
                store: media_dir.path().to_string_lossy().into_owned(),
                worker: !options.manual_media_worker,
                ..textisur_api::catalogue::media::MediaConfig::default()
            }),
        };
        let orders = config.orders;
        let server = server::start(db.clone(), config).await?;
        // The suites compare messages in English; tests/tests/scenarios/account_self_service.rs checks
        // the Spanish default and the switch.
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT_LANGUAGE,
            reqwest::header::HeaderValue::from_static("en"),
        );
        Ok(Self {
            base: format!("http://{}", server.addr),
            db,
            client: reqwest::Client::builder()
                .default_headers(headers)
                .build()
                .context("http client")?,
            database,
            server: Some(server),
            orders,
            _index_dir: index_dir,
            media_dir,
        })
    }

    /// A second server process's worth of state on this app's database: another HTTP server
    /// with its own pools, event listener and caches, without a search index (listings
    /// fall back to PostgreSQL). Dropping the returned handle does not drop the database.
    pub async fn sibling(&self, http: HttpConfig) -> Sibling {
        self.sibling_with_mail(http, None).await
    }

    /// [`TestApp::sibling`] sending mail to `smtp_url` (queued only when `None`).
    pub async fn sibling_with_mail(&self, http: HttpConfig, smtp_url: Option<String>) -> Sibling {
        let db = db::connect(&self.database.url, 8)
            .await
            .expect("connect sibling");
        let config = ServerConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            http,
            jwt_keys: Some(Secret(TEST_JWT_KEYS.to_owned())),
            auth_limits: AuthLimitConfig::default(),
            search: SearchState::new(SearchBackend::Postgres, None),
            index: None,
            persisted: StoreConfig::default(),
            mail: textisur_api::runtime::mail::MailConfig {
                smtp_url: smtp_url.map(Secret),
                ..textisur_api::runtime::mail::MailConfig::default()
            },
            // Siblings share the first server's database, so they share its limits too.
            global_limits: true,
            replicas: textisur_api::runtime::db::ReplicaConfig::default(),
            orders: self.orders,
            payments: None,
            media: None,
        };
        let server = server::start(db, config).await.expect("start sibling");
        Sibling {
            base: format!("http://{}", server.addr),
            server,
        }
    }

    /// The server's mail outbox.
    pub fn mailer(&self) -> &std::sync::Arc<textisur_api::runtime::mail::Mailer> {
        self.server.as_ref().expect("the server runs").mailer()
    }

    /// Delivers every mail the server queued (and waits for work requests handed to the
    /// background): the mail outbox's drain step.
    pub async fn drain_mail(&self) {
        let server = self.server.as_ref().expect("the server runs");
        server.mailer().drain().await.expect("deliver mail");
    }

    /// Cancels the unpaid orders past their deadline now (the order sweeper's drain step);
    /// returns how many this call cancelled.
    pub async fn expire_orders(&self) -> usize {
        let server = self.server.as_ref().expect("the server runs");
        server.expire_orders().await.expect("sweep unpaid orders")
    }

    /// Issues the refunds still owed now (the commerce worker's drain step); how many went
    /// through.
    pub async fn retry_refunds(&self) -> usize {
        let server = self.server.as_ref().expect("the server runs");
        server.retry_refunds().await.expect("retry refunds")
    }

    /// The folder the server keeps images in.
    pub fn media_dir(&self) -> &std::path::Path {
        self.media_dir.path()
    }

    /// Makes the sizes of every uploaded image now, and waits for those the background
    /// worker is making (the media worker's drain step).
    pub async fn process_images(&self) {
        let server = self.server.as_ref().expect("the server runs");
        server.process_images().await.expect("process images");
    }

    /// Collects orphaned image files (objects without a row older than `grace`).
    pub async fn collect_orphaned_images(&self, grace: std::time::Duration) -> usize {
        let server = self.server.as_ref().expect("the server runs");
        server
            .collect_orphaned_images(grace)
            .await
            .expect("collect orphaned images")
    }

    /// Waits until the server has heard every row change committed so far (the row cache's
    /// drain step).
    pub async fn settle_rows(&self) {
        let server = self.server.as_ref().expect("the server runs");
        server.db.rows().settle(server.db.pool()).await;
    }

    /// Applies every change committed so far to the search index (what a test calls after a
    /// write, instead of waiting).
    pub async fn sync_search(&self) {
        let indexer = self
            .server
            .as_ref()
            .and_then(RunningServer::indexer)
            .expect("the test server runs the indexer");
        indexer.drain_committed().await.expect("sync search index");
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The Prometheus text of `GET /metrics`.
    pub async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text")
    }

    /// The value of one series of `GET /metrics`, labels included
    /// (`name{label="value"}`); 0 when absent.
    pub async fn metric(&self, series: &str) -> f64 {
        self.metrics()
            .await
            .lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0.0)
    }

    /// POSTs a query with variables; returns the status and the JSON body.
    pub async fn graphql(&self, query: &str, variables: Value) -> (StatusCode, Value) {
        self.post_graphql(None, query, variables).await
    }

    async fn post_graphql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        self.post_json(token, json!({ "query": query, "variables": variables }))
            .await
    }

    /// POSTs `body` to `/graphql`, signed in with `token` if given.
    async fn post_json(&self, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("send graphql request");
        let status = response.status();
        (
            status,
            response.json().await.expect("graphql response is JSON"),
        )
    }

    /// POSTs a persisted document by id (`documentId: "sha256:<id>"`), never its text, as
    /// the apps do.
    pub async fn graphql_by_id(
        &self,
        token: Option<&str>,
        id: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        let body = json!({ "documentId": format!("sha256:{id}"), "variables": variables });
        self.post_json(token, body).await
    }

    /// The `field` (a string field of `Product`) of the first ten products of
    /// `products(query: text)`, in the listing's order.
    pub async fn search_field(&self, text: &str, field: &str) -> Vec<String> {
        let query = format!(
            "query($q: String!) {{ products(query: $q, first: 10) {{ nodes {{ {field} }} }} }}"
        );
        let data = self.data(&query, json!({ "q": text })).await;
        data["products"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n[field].as_str().expect("a string field").to_owned())
            .collect()
    }

    /// POSTs a query and returns `data`, failing the test on any error.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self.graphql(query, variables).await;
        assert_eq!(status, StatusCode::OK, "status of {query}: {body}");
        assert!(body.get("errors").is_none(), "errors from {query}: {body}");
        body["data"].clone()
    }

    /// Adds `quantity` of `product` to `buyer`'s cart through `addToCart`, failing the test
    /// on any user error.
    pub async fn add_to_cart(&self, buyer: &Account, product: &str, quantity: &str) {
        let (_, body) = self
            .graphql_as(
                &buyer.access_token,
                "mutation($p: ID!, $q: Decimal!) { addToCart(productId: $p, quantity: $q) {
                    userErrors { code message } } }",
                json!({ "p": product, "q": quantity }),
            )
            .await;
        assert_eq!(body["data"]["addToCart"]["userErrors"], json!([]), "{body}");
    }

    /// POSTs a query as the holder of `token`; returns the status and the JSON body.
    pub async fn graphql_as(
        &self,
        token: &str,
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        self.post_graphql(Some(token), query, variables).await
    }

    /// Registers an account with [`TEST_PASSWORD`] and returns its session.
    pub async fn register(&self, email: &str, name: &str) -> Account {
        let (_, body) = self
            .graphql(
                "mutation($i: RegisterInput!) { register(input: $i) {
                    accessToken refreshToken user { id } userErrors { code message } } }",
                json!({ "i": { "email": email, "password": TEST_PASSWORD, "name": name } }),
            )
            .await;
        let payload = &body["data"]["register"];
        assert_eq!(payload["userErrors"], json!([]), "register {email}: {body}");
        // Other tests' accounts count as verified (they open stores and write to sellers);
        // tests/tests/scenarios/account_self_service.rs follows the mailed link instead.
        sqlx::query!(
            "UPDATE users SET email_verified_at = now() WHERE email = lower($1)",
            email
        )
        .execute(self.db.pool())
        .await
        .expect("verify test account");
        Account::from_payload(payload)
    }

    /// An account made directly in the database with a real session and a signed access
    /// token, skipping argon2: for tests that need dozens of buyers. It cannot log in.
    pub async fn quick_account(&self, name: &str, role: &str) -> Account {
        let n = database::unique_number();
        let row = sqlx::query!(
            "INSERT INTO users (email, name, role, email_verified_at)
             VALUES ($1, $2, $3::text::user_role, now()) RETURNING id, public_id",
            format!("quick{n}-{}@example.com", std::process::id()),
            name,
            role
        )
        .fetch_one(self.db.pool())
        .await
        .expect("insert quick account");
        let (user, public) = (
            row.id,
            textisur_api::graphql::ids::UserPublicId(row.public_id),
        );
        let user = textisur_api::graphql::ids::UserId(user);
        let (session, refresh_token) =
            textisur_api::accounts::db::start_session(&self.db, user, Some("tests"))
                .await
                .expect("start session");
        let keys =
            textisur_api::accounts::tokens::TokenKeys::parse(TEST_JWT_KEYS).expect("test keys");
        Account {
            id: public.to_global().to_string(),
            access_token: keys.issue(user, session, chrono::Utc::now()),
            refresh_token,
        }
    }

    /// Sets an account's role directly in the database (there is no public way to become admin).
    pub async fn set_role(&self, account: &Account, role: &str) {
        sqlx::query!(
            "UPDATE users SET role = $2::text::user_role WHERE id = $1",
            account.row_id(),
            role
        )
        .execute(self.db.pool())
        .await
        .expect("set role");
    }

    /// Stops the server as a process that goes away would, keeping its database (for a
    /// [`Sibling`] to carry on); the helpers that need the server panic afterwards.
    pub async fn stop_server(&mut self) -> anyhow::Result<()> {
        match self.server.take() {
            Some(server) => server.stop().await,
            None => Ok(()),
        }
    }

    /// Stops the server, letting in-flight requests finish.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        match self.server.take() {
            Some(server) => server.stop().await,
            None => Ok(()),
        }
    }
}

/// Another server on a [`TestApp`]'s database (see [`TestApp::sibling`]).
pub struct Sibling {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    server: RunningServer,
}

impl Sibling {
    /// Waits until this process has heard every row change committed so far (what a test
    /// calls after a write through another process, instead of waiting).
    pub async fn settle_rows(&self) {
        let db = &self.server.db;
        db.rows().settle(db.pool()).await;
    }

    /// Cancels the unpaid orders past their deadline now, as this process's sweeper does;
    /// returns how many this call cancelled.
    pub async fn expire_orders(&self) -> usize {
        self.server
            .expire_orders()
            .await
            .expect("sweep unpaid orders")
    }

    /// Delivers every mail queued so far, as this process's sender does (the drain step).
    pub async fn drain_mail(&self) {
        self.server.mailer().drain().await.expect("deliver mail");
    }

    /// Stops the server.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.server.stop().await
    }
}

/// A signed-in test account.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl Account {
    /// Reads an `AuthPayload`.
    pub fn from_payload(payload: &Value) -> Self {
        Self {
            id: payload["user"]["id"].as_str().expect("user id").to_owned(),
            access_token: payload["accessToken"]
                .as_str()
                .expect("access token")
                .to_owned(),
            refresh_token: payload["refreshToken"]
                .as_str()
                .expect("refresh token")
                .to_owned(),
        }
    }

    /// The user's row id, read from the access token's `sub`: the global id is a random
    /// public id that says nothing of the row.
    pub fn row_id(&self) -> i64 {
        let keys =
            textisur_api::accounts::tokens::TokenKeys::parse(TEST_JWT_KEYS).expect("test keys");
        let claims = keys
            .verify(&self.access_token)
            .expect("a test server's token");
        claims.user_id().expect("numeric sub").0
    }
}
