//! The outbox path against a real PostgreSQL and a real index: commit order, deletes,
//! category fan-out, small batches, trimming and read-your-writes.

use std::time::Duration;

use textisur_indexer::{IndexerConfig, verify};
use textisur_tests::catalogue_db::{TestDb, has_product};

#[tokio::test]
async fn a_late_committing_transaction_is_not_skipped() {
    let db = TestDb::new().await;
    let indexer = db.indexer().await;

    // A takes its transaction id first but commits last.
    let mut a = db.pool.begin().await.expect("begin a");
    let early = db.insert_product(&mut a, "Lino temprano").await;
    let mut b = db.pool.begin().await.expect("begin b");
    let late = db.insert_product(&mut b, "Lino tardio").await;
    b.commit().await.expect("commit b");

    indexer.drain().await.expect("drain while a is open");
    assert!(!has_product(&indexer, early), "a is not committed yet");
    assert!(
        !has_product(&indexer, late),
        "b waits behind a: applying it would move the checkpoint past a"
    );

    a.commit().await.expect("commit a");
    indexer.drain_committed().await.expect("drain after a");
    assert!(has_product(&indexer, early));
    assert!(has_product(&indexer, late));
    let index = indexer.live().current().expect("live index");
    assert_eq!(verify(&db.pool, &index).await.expect("verify"), vec![]);
}

#[tokio::test]
async fn deleting_or_archiving_a_product_removes_its_document() {
    let db = TestDb::new().await;
    let archived = db.product("Lino archivado").await;
    let deleted = db.product("Lino borrado").await;
    let kept = db.product("Lino vigente").await;
    let indexer = db.indexer().await;
    assert!(has_product(&indexer, archived) && has_product(&indexer, deleted));

    sqlx::query!(
        "UPDATE products SET status = 'ARCHIVED' WHERE id = $1",
        archived
    )
    .execute(&db.pool)
    .await
    .expect("statement");
    sqlx::query!("DELETE FROM products WHERE id = $1", deleted)
        .execute(&db.pool)
        .await
        .expect("statement");
    indexer.drain_committed().await.expect("drain");

    assert!(!has_product(&indexer, archived));
    assert!(!has_product(&indexer, deleted));
    assert!(has_product(&indexer, kept));

    sqlx::query!(
        "UPDATE products SET status = 'ACTIVE' WHERE id = $1",
        archived
    )
    .execute(&db.pool)
    .await
    .expect("statement");
    indexer.drain_committed().await.expect("drain");
    assert!(
        has_product(&indexer, archived),
        "reactivated products come back"
    );
}

#[tokio::test]
async fn renaming_a_category_reindexes_the_products_below_it() {
    let db = TestDb::new().await;
    let products = [
        db.product("Lino uno").await,
        db.product("Lino dos").await,
        db.product("Lino tres").await,
    ];
    let indexer = db.indexer().await;
    let index = indexer.live().current().expect("live index");
    assert_eq!(verify(&db.pool, &index).await.expect("verify"), vec![]);

    // The root's name is in every descendant's category path.
    sqlx::query!(
        "UPDATE categories SET name = 'Tejidos' WHERE id = $1",
        db.root_category
    )
    .execute(&db.pool)
    .await
    .expect("statement");
    let stale = verify(&db.pool, &index).await.expect("verify");
    assert_eq!(stale.len(), products.len(), "{stale:?}");
    // Keep only the category's own row, so the fan-out alone has to find the products
    // (a trigger may also queue the products it touched).
    sqlx::query!("DELETE FROM search_outbox WHERE entity <> 'category'")
        .execute(&db.pool)
        .await
        .expect("keep the category row");

    indexer.drain_committed().await.expect("drain");
    assert_eq!(verify(&db.pool, &index).await.expect("verify"), vec![]);
}

#[tokio::test]
async fn stores_are_upserted_and_deleted() {
    let db = TestDb::new().await;
    let indexer = db.indexer().await;
    let index = indexer.live().current().expect("live index");
    let stores = index.fingerprints().expect("fingerprints").stores;
    assert!(stores.contains_key(&(db.store as u64)));

    sqlx::query!("UPDATE stores SET city = 'Cádiz' WHERE id = $1", db.store)
        .execute(&db.pool)
        .await
        .expect("statement");
    assert_eq!(verify(&db.pool, &index).await.expect("verify").len(), 1);
    indexer.drain_committed().await.expect("drain");
    assert_eq!(verify(&db.pool, &index).await.expect("verify"), vec![]);

    sqlx::query!("DELETE FROM stores WHERE id = $1", db.store)
        .execute(&db.pool)
        .await
        .expect("statement");
    indexer.drain_committed().await.expect("drain");
    index.reload().expect("reload");
    assert!(
        index
            .fingerprints()
            .expect("fingerprints")
            .stores
            .is_empty()
    );
}

#[tokio::test]
async fn small_batches_commit_in_order_and_trim_the_outbox() {
    let db = TestDb::new().await;
    let indexer = db
        .indexer_with(IndexerConfig {
            batch_size: 2,
            ..IndexerConfig::default()
        })
        .await;
    // The build covers what its snapshot saw; a transaction open elsewhere in the cluster
    // can leave some of the fixture's rows to the outbox.
    indexer.drain_committed().await.expect("drain");
    assert_eq!(db.outbox_rows().await, 0, "applied rows are trimmed");
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(db.product(&format!("Lino lote {i}")).await);
    }
    assert_eq!(db.outbox_rows().await, 7);
    let applied = indexer.drain_committed().await.expect("drain");
    assert!(ids.iter().all(|id| has_product(&indexer, *id)));
    assert_eq!(db.outbox_rows().await, 0, "every applied row is deleted");
    assert!(indexer.live().applied_below() >= applied);
    let checkpoint = indexer.live().checkpoint().expect("checkpoint");
    let acknowledged: (String, i64) = sqlx::query!(
        r#"SELECT checkpoint_txid::text AS "txid!", checkpoint_seq FROM search_index_consumers"#
    )
    .fetch_one(&db.pool)
    .await
    .map(|row| (row.txid, row.checkpoint_seq))
    .expect("one consumer row");
    assert_eq!(acknowledged, (checkpoint.txid.to_string(), checkpoint.seq));
}

#[tokio::test]
async fn wait_applied_returns_once_the_write_is_searchable() {
    let db = TestDb::new().await;
    let indexer = db.indexer().await;
    db.product("Lino esperado").await;
    let bound = textisur_indexer::next_txid(&db.pool).await.expect("txid");
    let live = indexer.live().clone();
    assert!(!live.wait_applied(bound, Duration::from_millis(1)).await);
    let waiting =
        tokio::spawn(async move { live.wait_applied(bound, Duration::from_secs(30)).await });
    indexer.drain_committed().await.expect("drain");
    assert!(waiting.await.expect("join"));
}
