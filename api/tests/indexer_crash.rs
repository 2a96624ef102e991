//! Crash safety of the standalone indexer, through the real binary: abort right after an
//! index commit (before the acknowledgement) and in the middle of a batch (before the
//! commit), then run it normally; `textisur index verify` must find no difference.

use std::os::unix::process::ExitStatusExt;

use textisur_search_index::{Checkpoint, IndexRoot, Synonyms};
use textisur_tests::scratch::Scratch;

const SIGABRT: i32 = 6;

/// The checkpoint in the live generation's last commit.
fn index_checkpoint(scratch: &Scratch) -> Checkpoint {
    let root = IndexRoot::new(scratch.index_dir.path()).expect("root");
    let (_, index) = root
        .open_current(&Synonyms::default())
        .expect("open")
        .expect("an index is live");
    index.meta().expect("meta").expect("a commit").checkpoint
}

async fn acknowledged(pool: &sqlx::PgPool) -> Checkpoint {
    let (txid, seq): (String, i64) = sqlx::query!(
        r#"SELECT checkpoint_txid::text AS "txid!", checkpoint_seq FROM search_index_consumers"#
    )
    .fetch_one(pool)
    .await
    .map(|row| (row.txid, row.checkpoint_seq))
    .expect("one consumer");
    Checkpoint {
        txid: txid.parse().expect("txid"),
        seq,
    }
}

async fn change_the_catalogue(pool: &sqlx::PgPool) {
    macro_rules! run_each {
        ($($statement:literal),+ $(,)?) => {
            $(sqlx::query!($statement).execute(pool).await.expect($statement);)+
        };
    }
    run_each!(
        "UPDATE products SET name = name || ' editado' WHERE id % 7 = 0",
        "UPDATE products SET status = 'ARCHIVED' WHERE id % 11 = 0",
        "UPDATE products SET stock = 0 WHERE id % 13 = 0",
        "UPDATE stores SET city = 'Cádiz' WHERE id % 3 = 0",
        "UPDATE categories SET name = name || ' y más'
         WHERE id = (SELECT min(id) FROM categories WHERE parent_id IS NULL)",
    );
}

#[tokio::test]
async fn a_crash_after_commit_or_mid_batch_loses_nothing() {
    let scratch = Scratch::new("indexer_crash", env!("CARGO_BIN_EXE_textisur"));
    scratch.ok(&["seed", "--products", "2000"]);
    let built = scratch.ok(&["reindex"]);
    let pool = scratch.pool().await;
    let active = sqlx::query_scalar!(
        r#"SELECT count(*) AS "active!" FROM products WHERE status = 'ACTIVE'"#
    )
    .fetch_one(&pool)
    .await
    .expect("count");
    assert!(built.contains(&format!("({active} products")), "{built}");
    change_the_catalogue(&pool).await;

    let before = index_checkpoint(&scratch);
    let crashed = scratch
        .command(&["indexer", "--once", "--index-batch-size", "100"])
        .env("TEXTISUR_INDEXER_CRASH", "after_commit")
        .output()
        .expect("run indexer");
    assert_eq!(
        crashed.status.signal(),
        Some(SIGABRT),
        "{:?}",
        crashed.status
    );
    let committed = index_checkpoint(&scratch);
    assert!(committed > before, "the batch was committed to the index");
    assert!(
        acknowledged(&pool).await < committed,
        "but not acknowledged: the crash came in between"
    );

    let crashed = scratch
        .command(&["indexer", "--once", "--index-batch-size", "100"])
        .env("TEXTISUR_INDEXER_CRASH", "mid_batch")
        .output()
        .expect("run indexer");
    assert_eq!(
        crashed.status.signal(),
        Some(SIGABRT),
        "{:?}",
        crashed.status
    );
    assert_eq!(
        index_checkpoint(&scratch),
        committed,
        "half a batch is never committed"
    );

    scratch.ok(&["indexer", "--once", "--index-batch-size", "100"]);
    let verified = scratch.ok(&["index", "verify"]);
    assert!(verified.contains("index matches database ("), "{verified}");
    let left = sqlx::query_scalar!(r#"SELECT count(*) AS "left!" FROM search_outbox"#)
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(left, 0, "every applied row is acknowledged and trimmed");
    pool.close().await;
}

#[tokio::test]
async fn verify_reports_an_index_that_is_behind() {
    let scratch = Scratch::new("indexer_behind", env!("CARGO_BIN_EXE_textisur"));
    scratch.ok(&["seed", "--products", "200"]);
    scratch.ok(&["reindex"]);
    let clean = scratch.ok(&["index", "verify"]);
    assert!(clean.contains("index matches database ("), "{clean}");

    // No indexer runs: the index falls behind.
    let pool = scratch.pool().await;
    let (renamed, archived): (i64, i64) = sqlx::query!(
        r#"SELECT min(id) AS "min!", max(id) AS "max!" FROM products WHERE status = 'ACTIVE'"#
    )
    .fetch_one(&pool)
    .await
    .map(|row| (row.min, row.max))
    .expect("two active products");
    sqlx::query!(
        "UPDATE products SET name = 'Poncho renombrado' WHERE id = $1",
        renamed
    )
    .execute(&pool)
    .await
    .expect("rename");
    sqlx::query!(
        "UPDATE products SET status = 'ARCHIVED' WHERE id = $1",
        archived
    )
    .execute(&pool)
    .await
    .expect("archive");
    pool.close().await;

    let behind = scratch.run(&["index", "verify"]);
    assert_eq!(behind.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&behind.stdout);
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            format!("product {renamed}: stale: the index differs from the database"),
            format!("product {archived}: in the index but not in the database"),
        ],
    );
}
