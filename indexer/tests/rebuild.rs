//! Full builds: a fresh generation beside the live one, caught up and promoted, and the
//! reasons that trigger one.

use textisur_indexer::{Indexer, IndexerConfig, LiveIndex, rebuild, rebuild_reason, verify};
use textisur_tests::catalogue_db::{TestDb, has_product};

#[tokio::test]
async fn rebuild_promotes_a_new_generation_that_the_writer_follows() {
    let db = TestDb::new().await;
    let before = db.product("Lino antiguo").await;
    let indexer = db.indexer().await;
    let first = indexer.live().generation().expect("generation");

    let after = db.product("Lino nuevo").await;
    let report = rebuild(&db.pool, &db.root(), &IndexerConfig::default())
        .await
        .expect("rebuild");
    assert_ne!(report.generation, first);
    assert_eq!(report.products, 2);
    assert_eq!(
        db.root().current_name().expect("CURRENT"),
        Some(report.generation.clone())
    );
    let consumers: Vec<String> =
        sqlx::query_scalar!("SELECT generation FROM search_index_consumers")
            .fetch_all(&db.pool)
            .await
            .expect("consumers");
    assert_eq!(
        consumers,
        vec![report.generation.clone()],
        "the old generation is forgotten"
    );

    // The running writer notices the promotion on its next drain and serves the new one.
    let changed = db.product("Lino posterior").await;
    indexer.drain_committed().await.expect("drain");
    assert_eq!(indexer.live().generation(), Some(report.generation.clone()));
    for id in [before, after, changed] {
        assert!(has_product(&indexer, id), "product {id}");
    }
    let index = indexer.live().current().expect("live");
    assert_eq!(verify(&db.pool, &index).await.expect("verify"), vec![]);
    assert_eq!(db.outbox_rows().await, 0);
}

#[tokio::test]
async fn an_index_of_another_database_is_rebuilt() {
    let first = TestDb::new().await;
    first.product("Lino primero").await;
    drop(first.indexer().await);
    assert_eq!(
        rebuild_reason(&first.pool, &first.root())
            .await
            .expect("reason"),
        None
    );

    let second = TestDb::new().await;
    assert_eq!(
        rebuild_reason(&second.pool, &first.root())
            .await
            .expect("reason"),
        Some("index was built from another database")
    );
    let indexer = Indexer::open(
        second.pool.clone(),
        first.root(),
        IndexerConfig {
            writer_memory_bytes: 15_000_000,
            ..IndexerConfig::default()
        },
        LiveIndex::new(),
    )
    .await
    .expect("open");
    let index = indexer.live().current().expect("live");
    assert_eq!(verify(&second.pool, &index).await.expect("verify"), vec![]);
    assert_eq!(index.document_counts().expect("counts"), (0, 1));
}
