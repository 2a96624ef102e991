//! The PostgreSQL handle: pool creation, database bootstrap, migrations and statement
//! accounting.
//!
//! Every read goes through [`Db::executor`], which counts the statement. The count is what
//! the N+1 tests assert on, and it is cheap enough to keep in production. The executor also
//! gives each statement a span and a latency sample, and accounts for the wait for a pooled
//! connection (see [`executor`] for what each metric measures).

mod executor;

pub use executor::StatementExecutor;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

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
        StatementExecutor::new(&self.pool, std::panic::Location::caller())
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
    let mut options = PgConnectOptions::from_str(database_url).context("parse DATABASE_URL")?;
    // TLS to a server on the same machine only burns CPU (it cost a third of the API's CPU
    // under load); an explicit `sslmode` in the URL still wins.
    if !database_url.contains("sslmode=") && is_loopback(options.get_host()) {
        options = options.ssl_mode(PgSslMode::Disable);
    }
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

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.starts_with('/')
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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
