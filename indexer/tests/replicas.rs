//! Several replicas on one database, each with its own index root: each keeps its own
//! outbox position, none forgets another's, and one silent past the expiry stops holding
//! the outbox back and rebuilds its index when it returns.

use std::time::Duration;

use textisur_indexer::{Indexer, IndexerConfig, LiveIndex, rebuild_reason, verify};
use textisur_search_index::IndexRoot;
use textisur_tests::catalogue_db::{TestDb, has_product};

/// Another replica's indexer: its own root in `dir`, the test's database.
async fn replica(db: &TestDb, dir: &tempfile::TempDir, config: IndexerConfig) -> Indexer {
    let config = IndexerConfig {
        writer_memory_bytes: 15_000_000,
        ..config
    };
    let root = IndexRoot::new(dir.path()).expect("index root");
    Indexer::open(db.pool.clone(), root, config, LiveIndex::new())
        .await
        .expect("open replica")
}

/// The acknowledgement rows, as (root, generation).
async fn consumers(db: &TestDb) -> Vec<(String, String)> {
    sqlx::query!("SELECT root_id, generation FROM search_index_consumers ORDER BY root_id")
        .fetch_all(&db.pool)
        .await
        .expect("consumers")
        .into_iter()
        .map(|row| (row.root_id, row.generation))
        .collect()
}

fn root_id(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("ROOT_ID")).expect("ROOT_ID")
}

#[tokio::test]
async fn each_replica_keeps_its_own_position_and_none_forgets_another() {
    let db = TestDb::new().await;
    db.product("Lino uno").await;
    let a = db.indexer().await;
    let b_dir = tempfile::tempdir().expect("temp dir");
    let b = replica(&db, &b_dir, IndexerConfig::default()).await;
    // A third replica starting cleans up its own root's leftovers, never the others' rows.
    let c_dir = tempfile::tempdir().expect("temp dir");
    let c = replica(&db, &c_dir, IndexerConfig::default()).await;
    let rows = consumers(&db).await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    let mut roots: Vec<String> = [db.dir.path(), b_dir.path(), c_dir.path()]
        .into_iter()
        .map(root_id)
        .collect();
    roots.sort();
    assert_eq!(
        rows.iter()
            .map(|(root, _)| root.clone())
            .collect::<Vec<_>>(),
        roots
    );

    // A applies a write; the outbox keeps it until B and C have applied it too.
    let id = db.product("Lino dos").await;
    a.drain_committed().await.expect("drain a");
    assert!(has_product(&a, id));
    assert!(
        db.outbox_rows().await > 0,
        "B and C have not applied it yet"
    );
    b.drain_committed().await.expect("drain b");
    assert!(has_product(&b, id));
    assert!(db.outbox_rows().await > 0, "C has not applied it yet");
    c.drain_committed().await.expect("drain c");
    assert!(has_product(&c, id));
    assert_eq!(db.outbox_rows().await, 0, "applied everywhere: trimmed");
    for replica in [&a, &b, &c] {
        let index = replica.live().current().expect("live");
        assert_eq!(verify(&db.pool, &index).await.expect("verify"), vec![]);
    }
}

#[tokio::test]
async fn a_replica_silent_past_the_expiry_stops_holding_the_outbox_and_rebuilds_when_back() {
    let db = TestDb::new().await;
    db.product("Lino antes").await;
    let config = IndexerConfig {
        consumer_expiry: Duration::from_secs(3_600),
        ..IndexerConfig::default()
    };
    let a = db.indexer_with(config.clone()).await;
    let b_dir = tempfile::tempdir().expect("temp dir");
    let b = replica(&db, &b_dir, config).await;
    let b_root = root_id(b_dir.path());

    // B is silent. Inside its window the outbox keeps what B has not applied.
    let during = db.product("Lino durante").await;
    a.drain_committed().await.expect("drain a");
    assert!(db.outbox_rows().await > 0, "kept for B inside its window");

    // As if B had been stopped for two hours: its row is older than the expiry.
    sqlx::query!(
        "UPDATE search_index_consumers SET updated_at = now() - interval '2 hours'
         WHERE root_id = $1",
        b_root
    )
    .execute(&db.pool)
    .await
    .expect("age b");
    let after = db.product("Lino posterior").await;
    a.drain_committed().await.expect("drain a");
    assert_eq!(
        db.outbox_rows().await,
        0,
        "the outbox no longer waits for B"
    );
    let rows = consumers(&db).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_ne!(rows[0].0, b_root);

    // B comes back: the rows it missed are gone, so it builds its index again instead of
    // serving one with a gap. A restart would do the same.
    let b_index_root = IndexRoot::new(b_dir.path()).expect("root");
    assert_eq!(
        rebuild_reason(&db.pool, &b_index_root)
            .await
            .expect("reason"),
        Some("this replica's outbox position expired")
    );
    let before = b.live().generation();
    b.drain_committed().await.expect("drain b rebuilds");
    assert_ne!(b.live().generation(), before, "a new generation");
    assert!(has_product(&b, during));
    assert!(has_product(&b, after));
    let index = b.live().current().expect("live");
    assert_eq!(verify(&db.pool, &index).await.expect("verify"), vec![]);
    assert_eq!(
        rebuild_reason(&db.pool, &b_index_root)
            .await
            .expect("reason"),
        None
    );
    assert_eq!(consumers(&db).await.len(), 2, "B is counted again");
}

#[tokio::test]
async fn an_idle_replica_checks_in_so_it_is_not_taken_for_a_gone_one() {
    let db = TestDb::new().await;
    // An expiry of 2 s: an idle writer checks in every 500 ms.
    let a = db
        .indexer_with(IndexerConfig {
            consumer_expiry: Duration::from_secs(2),
            ..IndexerConfig::default()
        })
        .await;
    let touched = || async {
        sqlx::query_scalar!("SELECT updated_at FROM search_index_consumers")
            .fetch_one(&db.pool)
            .await
            .expect("consumer row")
    };
    let opened = touched().await;
    // Real time has to pass for a time-based rule: the check-in period, not a worker.
    tokio::time::sleep(Duration::from_millis(600)).await;
    a.drain().await.expect("drain with nothing to apply");
    assert!(touched().await > opened, "the idle drain refreshed the row");
}
