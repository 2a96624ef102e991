//! A fresh, migrated database per test with a tiny catalogue, and an index root in a
//! temporary directory.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use textisur_indexer::{Indexer, IndexerConfig, LiveIndex};
use textisur_search_index::IndexRoot;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");
static COUNTER: AtomicU32 = AtomicU32::new(0);

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A test database with one seller, one store, a root category and a child category.
pub struct TestDb {
    pub pool: PgPool,
    pub store: i64,
    pub root_category: i64,
    pub child_category: i64,
    pub dir: tempfile::TempDir,
    name: String,
}

impl TestDb {
    pub async fn new() -> Self {
        let name = format!(
            "textisur_indexer_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let admin: PgConnectOptions = admin_url().parse().expect("admin url");
        let mut conn = PgConnection::connect_with(&admin)
            .await
            .expect("connect admin");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .expect("create database");
        conn.close().await.ok();
        let pool = PgPoolOptions::new()
            .max_connections(6)
            .connect_with(admin.database(&name).disable_statement_logging())
            .await
            .expect("connect test database");
        MIGRATOR.run(&pool).await.expect("migrate");
        let user: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, name, role) VALUES ('seller@example.es', 'Seller', 'SELLER')
             RETURNING id",
        )
        .fetch_one(&pool)
        .await
        .expect("user");
        let store: i64 = sqlx::query_scalar(
            "INSERT INTO stores (owner_id, slug, name, description, city, region, country_code,
                                 currency_code, latitude, longitude)
             VALUES ($1, 'telas-sur', 'Telas del Sur', '<p>Tejidos &amp; más</p>', 'Sevilla',
                     'Andalucía', 'ES', 'EUR', 37.39, -5.99)
             RETURNING id",
        )
        .bind(user)
        .fetch_one(&pool)
        .await
        .expect("store");
        let root_category: i64 = sqlx::query_scalar(
            "INSERT INTO categories (slug, name) VALUES ('telas', 'Telas') RETURNING id",
        )
        .fetch_one(&pool)
        .await
        .expect("root category");
        let child_category: i64 = sqlx::query_scalar(
            "INSERT INTO categories (parent_id, slug, name) VALUES ($1, 'lino', 'Lino')
             RETURNING id",
        )
        .bind(root_category)
        .fetch_one(&pool)
        .await
        .expect("child category");
        Self {
            pool,
            store,
            root_category,
            child_category,
            dir: tempfile::tempdir().expect("temp dir"),
            name,
        }
    }

    /// The index root of this test.
    pub fn root(&self) -> IndexRoot {
        IndexRoot::new(self.dir.path()).expect("index root")
    }

    /// An indexer on this database (building the index), driven by hand through `drain`.
    pub async fn indexer(&self) -> Indexer {
        self.indexer_with(IndexerConfig::default()).await
    }

    pub async fn indexer_with(&self, config: IndexerConfig) -> Indexer {
        let config = IndexerConfig {
            writer_memory_bytes: 15_000_000,
            ..config
        };
        Indexer::open(self.pool.clone(), self.root(), config, LiveIndex::new())
            .await
            .expect("open indexer")
    }

    /// Inserts an active product in the child category through `conn`.
    pub async fn insert_product(&self, conn: &mut PgConnection, name: &str) -> i64 {
        let slug = name.to_lowercase().replace(' ', "-");
        sqlx::query_scalar(
            "INSERT INTO products (store_id, category_id, slug, name, description, price,
                                   currency_code, stock, materials, colors)
             VALUES ($1, $2, $3, $4, '<p>Tela <b>suave</b></p>', 12.50, 'EUR', 10,
                     '{Lino}', '{Azul}')
             RETURNING id",
        )
        .bind(self.store)
        .bind(self.child_category)
        .bind(slug)
        .bind(name)
        .fetch_one(conn)
        .await
        .expect("insert product")
    }

    /// Inserts an active product in its own transaction.
    pub async fn product(&self, name: &str) -> i64 {
        let mut conn = self.pool.acquire().await.expect("connection");
        self.insert_product(&mut conn, name).await
    }

    pub async fn execute(&self, sql: &'static str, id: i64) {
        sqlx::query(sql)
            .bind(id)
            .execute(&self.pool)
            .await
            .expect("statement");
    }

    pub async fn outbox_rows(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM search_outbox")
            .fetch_one(&self.pool)
            .await
            .expect("count outbox")
    }
}

/// Whether the live index holds a document for product `id`.
pub fn has_product(indexer: &Indexer, id: i64) -> bool {
    let index = indexer.live().current().expect("an index is live");
    index.reload().expect("reload");
    let fingerprints = index.fingerprints().expect("fingerprints");
    fingerprints.products.contains_key(&(id as u64))
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let options: PgConnectOptions = admin_url().parse()?;
                let mut conn = PgConnection::connect_with(&options).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await?;
                anyhow::Ok(())
            })
        })
        .join();
    }
}
