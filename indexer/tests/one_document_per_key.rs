//! Every product key is held by exactly one live document (none once inactive), whatever
//! path wrote it: the snapshot of a build, outbox batches that name an id several times or
//! split a transaction, category fan-out next to the products' own rows, late committers,
//! and a rebuild into a new generation while the live writer keeps applying.

use textisur_indexer::{Indexer, IndexerConfig, rebuild, verify};
use textisur_tests::catalogue_db::TestDb;

/// Inserts `count` active products in one statement; returns their ids.
async fn insert_products(db: &TestDb, prefix: &str, count: i64) -> Vec<i64> {
    sqlx::query_scalar!(
        "INSERT INTO products (store_id, category_id, slug, name, description, price,
                               currency_code, stock, materials, colors)
         SELECT $1, $2, $3 || '-' || g, 'Camisa ' || $3 || ' ' || g,
                '<p>Camisa de lino</p>', 10 + g, 'EUR', 10, '{Lino}', '{Azul}'
         FROM generate_series(1, $4::int8) g
         RETURNING id",
        db.store,
        db.child_category,
        prefix,
        count
    )
    .fetch_all(&db.pool)
    .await
    .expect("insert products")
}

async fn update_prices(db: &TestDb, ids: &[i64], by: f64) {
    sqlx::query!(
        "UPDATE products SET price = price + $2::float8::numeric WHERE id = ANY($1)",
        ids,
        by
    )
    .execute(&db.pool)
    .await
    .expect("update prices");
}

/// Checks every product of the database against the live index, key by key, and that the
/// `gone` (deleted) ones have no document left.
async fn assert_one_document_per_key(db: &TestDb, indexer: &Indexer, gone: &[i64]) {
    let index = indexer.live().current().expect("an index is live");
    index.reload().expect("reload");
    let products: Vec<(i64, bool)> =
        sqlx::query!(r#"SELECT id, status = 'ACTIVE' AS "active!" FROM products ORDER BY id"#)
            .fetch_all(&db.pool)
            .await
            .expect("products")
            .into_iter()
            .map(|row| (row.id, row.active))
            .collect();
    let mut wrong = Vec::new();
    for (id, active) in &products {
        let copies = index.product_copies(*id as u64).expect("count copies");
        if copies != u64::from(*active) {
            wrong.push((*id, *active, copies));
        }
    }
    for id in gone {
        let copies = index.product_copies(*id as u64).expect("count copies");
        if copies != 0 {
            wrong.push((*id, false, copies));
        }
    }
    assert!(
        wrong.is_empty(),
        "(id, active, live documents) off: {wrong:?}"
    );
    let fingerprints = index.fingerprints().expect("fingerprints");
    assert!(fingerprints.product_copies.is_empty());
    assert!(fingerprints.store_copies.is_empty());
    let active = products.iter().filter(|(_, a)| *a).count() as u64;
    assert_eq!(index.document_counts().expect("counts").0, active);
    assert_eq!(verify(&db.pool, &index).await.expect("verify"), vec![]);
}

#[tokio::test]
async fn each_product_has_one_live_document_after_a_busy_workload() {
    let db = TestDb::new().await;
    let seeded = insert_products(&db, "semilla", 300).await;
    let config = IndexerConfig {
        // Small batches: transactions split across commits, ids repeated within one.
        batch_size: 7,
        ..IndexerConfig::default()
    };
    let indexer = db.indexer_with(config.clone()).await;
    indexer.drain_committed().await.expect("drain");
    assert_one_document_per_key(&db, &indexer, &[]).await;

    // The same ids again and again, some in one transaction, some in many.
    for round in 0..5 {
        update_prices(&db, &seeded[..40], 1.0).await;
        update_prices(&db, &seeded[round * 10..round * 10 + 3], 0.5).await;
    }
    // A late committer: A takes its id first, B commits first, both touch products.
    let mut a = db.pool.begin().await.expect("begin a");
    sqlx::query!(
        "UPDATE products SET name = name || ' (A)' WHERE id = ANY($1)",
        &seeded[100..150]
    )
    .execute(&mut *a)
    .await
    .expect("update in a");
    let mut b = db.pool.begin().await.expect("begin b");
    sqlx::query!(
        "UPDATE products SET name = name || ' (B)' WHERE id = ANY($1)",
        &seeded[150..200]
    )
    .execute(&mut *b)
    .await
    .expect("update in b");
    b.commit().await.expect("commit b");
    indexer.drain().await.expect("drain while a is open");
    a.commit().await.expect("commit a");
    // Archive, delete and bring back; new products.
    sqlx::query!(
        "UPDATE products SET status = 'ARCHIVED' WHERE id = ANY($1)",
        &seeded[200..230]
    )
    .execute(&db.pool)
    .await
    .expect("archive");
    sqlx::query!("DELETE FROM products WHERE id = ANY($1)", &seeded[230..240])
        .execute(&db.pool)
        .await
        .expect("delete");
    sqlx::query!(
        "UPDATE products SET status = 'ACTIVE' WHERE id = ANY($1)",
        &seeded[200..215]
    )
    .execute(&db.pool)
    .await
    .expect("reactivate");
    insert_products(&db, "nueva", 25).await;
    // A category rename fans out to every product below it, next to their own rows.
    sqlx::query!(
        "UPDATE categories SET name = 'Tejidos' WHERE id = $1",
        db.root_category
    )
    .execute(&db.pool)
    .await
    .expect("statement");
    update_prices(&db, &seeded[240..260], 2.0).await;
    indexer.drain_committed().await.expect("drain");
    let deleted = &seeded[230..240];
    assert_one_document_per_key(&db, &indexer, deleted).await;

    // A rebuild into a new generation while writes go on; the live writer applies the same
    // rows to the old generation, then follows the new one.
    let writes = async {
        for round in 0..10 {
            update_prices(&db, &seeded[260..290], 1.0).await;
            insert_products(&db, &format!("durante-{round}"), 3).await;
            indexer.drain().await.expect("drain during rebuild");
        }
    };
    let root = db.root();
    let (report, ()) = tokio::join!(rebuild(&db.pool, &root, &config), writes);
    let report = report.expect("rebuild");
    update_prices(
        &db,
        &seeded[..300].iter().step_by(3).copied().collect::<Vec<_>>(),
        1.0,
    )
    .await;
    indexer
        .drain_committed()
        .await
        .expect("drain after rebuild");
    assert_eq!(indexer.live().generation(), Some(report.generation));
    assert_one_document_per_key(&db, &indexer, deleted).await;
}
