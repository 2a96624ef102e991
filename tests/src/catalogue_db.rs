//! For the indexer's tests: a fresh, migrated database with a tiny catalogue (one seller,
//! one store, two categories), products added by hand, and an index root in a temporary
//! directory. The indexer is driven by hand (`drain`), never waited for.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgConnection, PgPool};
use textisur_indexer::{Indexer, IndexerConfig, LiveIndex};
use textisur_search_index::IndexRoot;

use crate::database::FreshDatabase;

/// A test database with one seller, one store, a root category and a child category.
pub struct TestDb {
    pub pool: PgPool,
    pub store: i64,
    pub root_category: i64,
    pub child_category: i64,
    pub dir: tempfile::TempDir,
    /// Dropped last: the pool's connections go with the database.
    _database: FreshDatabase,
}

impl TestDb {
    pub async fn new() -> Self {
        let database = FreshDatabase::create("indexer")
            .await
            .expect("create database");
        let options: PgConnectOptions = database.url.parse().expect("database url");
        let pool = PgPoolOptions::new()
            .max_connections(6)
            .connect_with(options.disable_statement_logging())
            .await
            .expect("connect test database");
        textisur_api::runtime::db::MIGRATOR
            .run(&pool)
            .await
            .expect("migrate");
        let user = sqlx::query_scalar!(
            "INSERT INTO users (email, name, role) VALUES ('seller@example.es', 'Seller', 'SELLER')
             RETURNING id"
        )
        .fetch_one(&pool)
        .await
        .expect("user");
        let store = sqlx::query_scalar!(
            "INSERT INTO stores (owner_id, slug, name, description, city, region, country_code,
                                 currency_code, latitude, longitude)
             VALUES ($1, 'telas-sur', 'Telas del Sur', '<p>Tejidos &amp; más</p>', 'Sevilla',
                     'Andalucía', 'ES', 'EUR', 37.39, -5.99)
             RETURNING id",
            user
        )
        .fetch_one(&pool)
        .await
        .expect("store");
        let root_category = sqlx::query_scalar!(
            "INSERT INTO categories (slug, name) VALUES ('telas', 'Telas') RETURNING id"
        )
        .fetch_one(&pool)
        .await
        .expect("root category");
        let child_category = sqlx::query_scalar!(
            "INSERT INTO categories (parent_id, slug, name) VALUES ($1, 'lino', 'Lino')
             RETURNING id",
            root_category
        )
        .fetch_one(&pool)
        .await
        .expect("child category");
        Self {
            pool,
            store,
            root_category,
            child_category,
            dir: tempfile::tempdir().expect("temp dir"),
            _database: database,
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
        sqlx::query_scalar!(
            "INSERT INTO products (store_id, category_id, slug, name, description, price,
                                   currency_code, stock, materials, colors)
             VALUES ($1, $2, $3, $4, '<p>Tela <b>suave</b></p>', 12.50, 'EUR', 10,
                     '{Lino}', '{Azul}')
             RETURNING id",
            self.store,
            self.child_category,
            slug,
            name
        )
        .fetch_one(conn)
        .await
        .expect("insert product")
    }

    /// Inserts an active product in its own transaction.
    pub async fn product(&self, name: &str) -> i64 {
        let mut conn = self.pool.acquire().await.expect("connection");
        self.insert_product(&mut conn, name).await
    }

    pub async fn outbox_rows(&self) -> i64 {
        sqlx::query_scalar!(r#"SELECT count(*) AS "rows!" FROM search_outbox"#)
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
