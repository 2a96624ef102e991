//! Replicas started together on a new database seed the demo data once: the emptiness check
//! and the seed run under one PostgreSQL advisory lock, so the others find it full.

use textisur_api::runtime::db;
use textisur_api::runtime::demo::{self, SeedPlan};
use textisur_tests::FreshDatabase;

#[tokio::test]
async fn three_servers_starting_together_seed_an_empty_database_once() {
    let database = FreshDatabase::create("seedonce").await.expect("database");
    let mut pools = Vec::new();
    for _ in 0..3 {
        // One pool each, as three processes have.
        pools.push(db::connect(&database.url, 4).await.expect("connect"));
    }
    db::migrate(&pools[0]).await.expect("migrate");
    let plan = SeedPlan::for_products(60, 3);
    let (a, b, c) = tokio::join!(
        demo::seed_if_empty(&pools[0], &plan),
        demo::seed_if_empty(&pools[1], &plan),
        demo::seed_if_empty(&pools[2], &plan),
    );
    let seeded = [a, b, c].map(|r| r.expect("seed_if_empty"));
    assert_eq!(seeded.iter().filter(|s| **s).count(), 1, "{seeded:?}");
    let products = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM products"#)
        .fetch_one(pools[0].pool())
        .await
        .expect("count");
    assert_eq!(products, 60);
}
