//! A fresh PostgreSQL database per test, dropped (with `FORCE`) when its handle is, pass or
//! fail. The one place tests name, create and drop databases.

use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

/// PostgreSQL server the tests create their databases on (`TEST_DATABASE_URL`).
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A number no other call in this process returns (names of databases, test accounts).
pub fn unique_number() -> u32 {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// A database name no other test of any process uses, and its URL. The database itself
/// is created by [`FreshDatabase::create`], or by the server (`textisur` creates the
/// database it is pointed at when it is missing).
pub struct FreshDatabase {
    pub name: String,
    pub url: String,
}

impl FreshDatabase {
    /// A new name starting with `textisur_<prefix>_`; nothing is created yet.
    pub fn named(prefix: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "textisur_{prefix}_{}_{}_{nanos}",
            std::process::id(),
            unique_number(),
        );
        let url = url_of(&name).expect("TEST_DATABASE_URL is a URL");
        Self { name, url }
    }

    /// A new, empty database.
    pub async fn create(prefix: &str) -> anyhow::Result<Self> {
        let database = Self::named(prefix);
        let mut conn = admin_connection().await?;
        let statement = format!("CREATE DATABASE \"{}\"", database.name);
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut conn)
            .await
            .context("create test database")?;
        conn.close().await.ok();
        Ok(database)
    }
}

/// The URL of database `name` on the tests' server.
pub fn url_of(name: &str) -> anyhow::Result<String> {
    let mut url = reqwest::Url::parse(&admin_url()).context("parse TEST_DATABASE_URL")?;
    url.set_path(name);
    Ok(url.to_string())
}

async fn admin_connection() -> anyhow::Result<PgConnection> {
    let options: PgConnectOptions = admin_url().parse()?;
    Ok(PgConnection::connect_with(&options.disable_statement_logging()).await?)
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop may run inside a test's runtime, which cannot block on a future: use a thread
        // with its own small runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut conn = admin_connection().await?;
                let statement = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                sqlx::query(sqlx::AssertSqlSafe(statement))
                    .execute(&mut conn)
                    .await?;
                conn.close().await?;
                anyhow::Ok(())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop test database: {e:#}");
        }
    }
}
