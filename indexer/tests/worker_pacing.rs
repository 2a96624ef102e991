//! The worker loop's pause between commits: writes arriving during it wait and share one
//! commit, and a reader waiting for its own write ends the pause at once.

use std::time::Duration;

use textisur_indexer::IndexerConfig;
use textisur_tests::catalogue_db::TestDb;

#[tokio::test]
async fn a_write_waits_for_the_pause_unless_a_reader_waits_for_it() {
    let db = TestDb::new().await;
    let indexer = db
        .indexer_with(IndexerConfig {
            commit_interval: Duration::from_secs(600),
            ..IndexerConfig::default()
        })
        .await;
    let worker = indexer.spawn();
    let live = indexer.live().clone();

    // The worker's first drain has no pause before it.
    db.product("Lino primero").await;
    let first = textisur_indexer::next_txid(&db.pool).await.expect("txid");
    assert!(live.wait_applied(first, Duration::from_secs(30)).await);

    // The next write arrives within the pause: nobody waits for it, so it is not applied.
    db.product("Lino segundo").await;
    let second = textisur_indexer::next_txid(&db.pool).await.expect("txid");
    let applied_unasked = tokio::time::timeout(Duration::from_millis(800), async {
        while live.applied_below() < second {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        applied_unasked.is_err(),
        "the write was applied during the pause"
    );

    // A reader waiting for it ends the pause (600 s) well within its own 30 s.
    assert!(live.wait_applied(second, Duration::from_secs(30)).await);
    worker.stop().await.expect("stop worker");
}
