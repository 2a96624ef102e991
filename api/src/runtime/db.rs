//! The PostgreSQL handle: pool creation, database bootstrap, migrations and statement
//! accounting.
//!
//! Every read goes through [`Db::executor`], which counts the statement. The count is what
//! the N+1 tests assert on, and it is cheap enough to keep in production. The executor also
//! gives each statement a span and a latency sample, and accounts for the wait for a pooled
//! connection (see [`executor`] for what each metric measures).

mod executor;
mod options;
pub mod replicas;

pub use executor::StatementExecutor;
pub use replicas::{ConsistencyToken, ReplicaConfig, Replicas};

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

use crate::graphql::error::ApiResult;
use crate::runtime::row_cache::RowCache;

/// Migrations embedded in the binary (the `migrations/` folder at the repository root).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A pooled PostgreSQL handle that counts the statements it runs, with the hot rows kept
/// between requests beside it.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
    statements: Arc<AtomicU64>,
    rows: RowCache,
    replicas: Option<Arc<Replicas>>,
    route: Route,
}

/// Where this handle's statements go.
#[derive(Clone, Debug)]
enum Route {
    /// The primary, always.
    Primary,
    /// The primary; [`Db::read`] may send a batch to a standby that has replayed at least
    /// this request's bound (raised by the tokens the request carries).
    Hydration(Arc<AtomicU64>),
    /// One standby, picked by [`Db::read`] for one batch.
    Standby(Arc<replicas::Standby>),
}

/// Who answered a [`Db::read`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    Primary,
    Standby,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Wraps an existing pool.
    pub fn new(pool: PgPool) -> Self {
        executor::register_metrics();
        Self {
            pool,
            statements: Arc::new(AtomicU64::new(0)),
            rows: RowCache::off(),
            replicas: None,
            route: Route::Primary,
        }
    }

    /// This handle with standbys that [`Db::read`] may use.
    pub fn with_replicas(self, replicas: Arc<Replicas>) -> Self {
        Self {
            replicas: Some(replicas),
            ..self
        }
    }

    /// A handle for one query's hydration: [`Db::read`] may answer from a standby that has
    /// replayed `token`'s WAL position (any usable standby without a token). Every other
    /// statement still reads the primary.
    pub fn for_hydration(&self, token: Option<ConsistencyToken>) -> Self {
        if self.replicas.is_none() {
            return self.clone();
        }
        let bound = token.map_or(0, ConsistencyToken::read_bound);
        Self {
            route: Route::Hydration(Arc::new(AtomicU64::new(bound))),
            ..self.clone()
        }
    }

    /// Raises this request's hydration bound to `token` (a listing's `consistencyToken`).
    pub fn require(&self, token: ConsistencyToken) {
        if let Route::Hydration(bound) = &self.route {
            bound.fetch_max(token.read_bound(), Ordering::Relaxed);
        }
    }

    /// Runs a read-only batch `load` on a standby when this handle hydrates a query and a
    /// standby may answer it, on the primary otherwise. A standby that fails the batch (it
    /// went away) is marked down and the primary runs the batch again. Without standbys it
    /// is `load` on this handle, nothing more.
    pub async fn read<T, F, Fut>(&self, load: F) -> ApiResult<(T, Served)>
    where
        F: Fn(Db) -> Fut,
        Fut: Future<Output = ApiResult<T>>,
    {
        let (Route::Hydration(bound), Some(replicas)) = (&self.route, &self.replicas) else {
            return load(self.clone())
                .await
                .map(|value| (value, Served::Primary));
        };
        if let Some(standby) = replicas.pick(bound.load(Ordering::Relaxed)) {
            let on_standby = Self {
                route: Route::Standby(Arc::clone(&standby)),
                ..self.clone()
            };
            match load(on_standby).await {
                Err(error) if error.is_unavailable() => {
                    standby.failed();
                    metrics::counter!("textisur_db_standby_fallbacks_total", "reason" => "unavailable")
                        .increment(1);
                }
                result => {
                    metrics::counter!("textisur_db_reads_total", "target" => "standby")
                        .increment(1);
                    return result.map(|value| (value, Served::Standby));
                }
            }
        }
        metrics::counter!("textisur_db_reads_total", "target" => "primary").increment(1);
        load(self.primary())
            .await
            .map(|value| (value, Served::Primary))
    }

    /// How far behind the primary a standby [`Db::read`] uses may be (`None` without
    /// standbys): the window a row read there must have been left alone for to be kept.
    pub fn standby_window(&self) -> Option<std::time::Duration> {
        self.replicas.as_ref().map(|replicas| replicas.window())
    }

    /// The ticket to offer rows under that were read under `ticket` and answered by
    /// `served`: a standby's rows carry its window (see `runtime/row_cache.rs`, "Standby
    /// reads").
    pub fn keep_ticket(
        &self,
        ticket: Option<crate::runtime::row_cache::Ticket>,
        served: Served,
    ) -> Option<crate::runtime::row_cache::Ticket> {
        match (served, self.standby_window()) {
            (Served::Primary, _) => ticket,
            (Served::Standby, Some(window)) => ticket.map(|t| t.from_standby(window)),
            (Served::Standby, None) => None,
        }
    }

    /// The same handle, reading the primary only (what a standby did not find).
    pub fn primary(&self) -> Self {
        Self {
            route: Route::Primary,
            ..self.clone()
        }
    }

    /// This handle with `rows` as its row cache (off by default).
    pub fn with_row_cache(self, rows: RowCache) -> Self {
        Self { rows, ..self }
    }

    /// The hot rows kept between requests.
    pub fn rows(&self) -> &RowCache {
        &self.rows
    }

    /// The executor for one statement; call it once per statement so the count stays true.
    /// The statement's span names the caller's file and line.
    #[track_caller]
    pub fn executor(&self) -> StatementExecutor<'_> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        let pool = match &self.route {
            Route::Standby(standby) => &standby.pool,
            Route::Primary | Route::Hydration(_) => &self.pool,
        };
        StatementExecutor::new(pool, std::panic::Location::caller())
    }

    /// Starts a transaction; the wait for its connection is measured like a statement's.
    pub async fn begin(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        executor::begin(&self.pool).await
    }

    /// The pool itself, for bulk loads and the indexer (not counted).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Statements run through [`Db::executor`] since start.
    pub fn statements_run(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
}

/// A pooled connection idle this long is pinged before it is handed out.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

/// Opens a pool to `database_url`, creating the database first when it does not exist.
pub async fn connect(database_url: &str, max_connections: u32) -> anyhow::Result<Db> {
    connect_with_timeout(database_url, max_connections, Duration::from_secs(2)).await
}

/// [`connect`] with an explicit wait for a pooled connection.
pub async fn connect_with_timeout(
    database_url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
) -> anyhow::Result<Db> {
    let options = PgConnectOptions::from_str(database_url).context("parse DATABASE_URL")?;
    let options = options::local_options(database_url, options);
    create_database_if_missing(&options).await?;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        // sqlx pings a connection (one round trip) before handing it out, on top of the ping
        // it sends when the connection comes back, which drops connections a failure broke.
        // Before use, only a connection that sat idle long enough for the server to have
        // gone is pinged.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IDLE_AFTER {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options.log_statements(tracing::log::LevelFilter::Trace))
        .await
        .context("connect to PostgreSQL")?;
    Ok(Db::new(pool))
}

/// Applies pending migrations.
pub async fn migrate(db: &Db) -> anyhow::Result<()> {
    MIGRATOR.run(db.pool()).await.context("run migrations")?;
    Ok(())
}

async fn create_database_if_missing(options: &PgConnectOptions) -> anyhow::Result<()> {
    let name = options.get_database().unwrap_or("postgres").to_owned();
    if let Ok(conn) = PgConnection::connect_with(options).await {
        conn.close().await.ok();
        return Ok(());
    }
    let mut admin = PgConnection::connect_with(&options.clone().database("postgres"))
        .await
        .context("connect to the postgres maintenance database")?;
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS "exists!""#,
        &name
    )
    .fetch_one(&mut admin)
    .await?;
    if !exists {
        // A database's name is an identifier, which no statement can take as a parameter:
        // this one is written at run time, quoted (the one exception to checked SQL here).
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {quoted}")))
            .execute(&mut admin)
            .await
            .with_context(|| format!("create database {name}"))?;
        tracing::info!(database = %name, "created database");
    }
    admin.close().await.ok();
    Ok(())
}

/// Implements the shared-row wrapper `$outer(Arc<$row>)`: reads through `Deref`, a write
/// copies the row first (`DerefMut`), `into_row` takes it out, and sqlx decodes it as `$row`.
macro_rules! shared_row {
    ($outer:ident, $row:ident) => {
        impl std::ops::Deref for $outer {
            type Target = $row;

            fn deref(&self) -> &$row {
                &self.0
            }
        }

        impl std::ops::DerefMut for $outer {
            fn deref_mut(&mut self) -> &mut $row {
                std::sync::Arc::make_mut(&mut self.0)
            }
        }

        impl $outer {
            /// The row itself, copied only when another holder still shares it.
            pub fn into_row(self) -> $row {
                std::sync::Arc::unwrap_or_clone(self.0)
            }
        }

        impl From<$row> for $outer {
            fn from(row: $row) -> Self {
                Self(std::sync::Arc::new(row))
            }
        }

        impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for $outer {
            fn from_row(row: &'r sqlx::postgres::PgRow) -> sqlx::Result<Self> {
                <$row as sqlx::FromRow<'r, sqlx::postgres::PgRow>>::from_row(row).map(Self::from)
            }
        }
    };
}
pub(crate) use shared_row;
