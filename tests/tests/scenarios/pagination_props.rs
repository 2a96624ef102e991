//! Property: walking a listing page by page, with random page sizes, while other rows are
//! inserted concurrently, never returns a row twice and returns every row that existed
//! before the walk began. Checked for `products` and `Store.products`, every sort order.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use textisur_api::graphql::ids::ProductId;
use textisur_tests::TestApp;

const SORTS: [&str; 6] = [
    "RELEVANCE",
    "PRICE_ASC",
    "PRICE_DESC",
    "NEWEST",
    "POPULAR",
    "TOP_RATED",
];

#[derive(Clone, Debug)]
struct Walk {
    sort: &'static str,
    in_store: bool,
    text: Option<&'static str>,
    page_sizes: Vec<i32>,
}

fn walks() -> impl Strategy<Value = Walk> {
    (
        prop::sample::select(SORTS.to_vec()),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["algodón", "lana", "camisa"])),
        prop::collection::vec(1..=40_i32, 1..8),
    )
        .prop_map(|(sort, in_store, text, page_sizes)| Walk {
            sort,
            in_store,
            text,
            page_sizes,
        })
}

/// Ids (global) of the active products the walk must see, read straight from PostgreSQL.
async fn expected(app: &TestApp, store_id: i64, walk: &Walk) -> HashSet<String> {
    let rows: Vec<i64> = sqlx::query_scalar!(
        "SELECT id FROM products WHERE status = 'ACTIVE'
           AND ($1::bigint IS NULL OR store_id = $1)
           AND ($2::text IS NULL OR search_document @@ websearch_to_tsquery('spanish', $2))",
        walk.in_store.then_some(store_id),
        walk.text
    )
    .fetch_all(app.db.pool())
    .await
    .expect("snapshot");
    rows.into_iter()
        .map(|id| ProductId(id).to_global().to_string())
        .collect()
}

/// What a failed walk needs to be understood: the skipped rows' sort keys, and the rows the
/// walk returned on either side of each in (rating, id) order, with their page positions.
async fn describe_skip(app: &TestApp, missing: &[&String], seen: &[String]) -> String {
    let ids = |globals: &[&String]| -> Vec<i64> {
        globals
            .iter()
            .filter_map(|g| ProductId::from_global(&async_graphql::ID((*g).clone())).ok())
            .map(|p| p.0)
            .collect()
    };
    let missing_ids = ids(missing);
    let rows: Vec<(i64, String, i32, String, i64)> = sqlx::query!(
        r#"SELECT id, rating::text AS "rating!", sales_count, created_at::text AS "created_at!",
                  store_id FROM products
         WHERE id = ANY($1) ORDER BY id"#,
        &missing_ids
    )
    .fetch_all(app.db.pool())
    .await
    .map(|rows| {
        rows.into_iter()
            .map(|r| (r.id, r.rating, r.sales_count, r.created_at, r.store_id))
            .collect()
    })
    .unwrap_or_default();
    let seen_refs: Vec<&String> = seen.iter().collect();
    let seen_ids = ids(&seen_refs);
    format!(
        "skipped (id, rating, sales, created_at, store): {rows:?}; returned ids in order: {seen_ids:?}"
    )
}

/// Rows the concurrent writer adds during one walk, at most.
const INSERTS_PER_WALK: usize = 150;

async fn walk_pages(app: &TestApp, store_slug: &str, walk: &Walk) -> Vec<String> {
    let selection = "(query: $q, sort: $sort, first: $n, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } }";
    let query = if walk.in_store {
        format!(
            "query($slug: String!, $q: String, $sort: ProductSort!, $n: Int, $after: String) {{ store(slug: $slug) {{ products{selection} }} }}"
        )
    } else {
        format!(
            "query($q: String, $sort: ProductSort!, $n: Int, $after: String) {{ products{selection} }}"
        )
    };
    let mut seen = Vec::new();
    let mut after = Value::Null;
    for page in 0..5_000 {
        let n = walk.page_sizes[page % walk.page_sizes.len()];
        let variables = json!({ "slug": store_slug, "q": walk.text, "sort": walk.sort, "n": n, "after": after });
        let data = app.data(&query, variables).await;
        let connection = if walk.in_store {
            &data["store"]["products"]
        } else {
            &data["products"]
        };
        let nodes = connection["nodes"].as_array().cloned().unwrap_or_default();
        assert!(nodes.len() <= n as usize);
        seen.extend(
            nodes
                .iter()
                .map(|node| node["id"].as_str().unwrap_or_default().to_owned()),
        );
        if !connection["pageInfo"]["hasNextPage"]
            .as_bool()
            .unwrap_or(false)
        {
            return seen;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    panic!("the walk did not end");
}

/// Inserts copies of existing products (new slug and sku, random price, sales and age) until
/// told to stop, at most [`INSERTS_PER_WALK`] of them: an unbounded writer could keep a walk
/// of one-row pages from ever reaching the end, whichever engine answers.
fn spawn_inserter(
    app: &TestApp,
    store_id: i64,
    stop: Arc<AtomicBool>,
    counter: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<()> {
    let pool = app.db.pool().clone();
    tokio::spawn(async move {
        for _ in 0..INSERTS_PER_WALK {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let result = sqlx::query!(
                "INSERT INTO products (store_id, category_id, slug, sku, name, description, price,
                     currency_code, unit, min_quantity, quantity_step, stock, status, materials,
                     material_keys, colors, color_keys, sizes, size_keys, images, sales_count, created_at)
                 SELECT CASE WHEN $1::bigint % 2 = 0 THEN $2 ELSE store_id END, category_id,
                     'nuevo-' || $1, 'NEW-' || $1, name, description, 1 + ($1 * 7919 % 100000) / 100.0,
                     currency_code, unit, min_quantity, quantity_step, stock, 'ACTIVE', materials,
                     material_keys, colors, color_keys, sizes, size_keys, images, ($1 * 104729) % 2000,
                     now() - make_interval(secs => ($1 * 15485863) % 63072000)
                 FROM products ORDER BY id LIMIT 1 OFFSET ($1 % 200)",
                n as i64,
                store_id
            )
            .execute(&pool)
            .await;
            if let Err(e) = result {
                panic!("insert during walk failed: {e}");
            }
            tokio::task::yield_now().await;
        }
    })
}

#[test]
fn paging_never_repeats_and_never_skips_while_rows_are_inserted() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app = runtime.block_on(TestApp::seeded(300));
    let (store_id, store_slug): (i64, String) = runtime
        .block_on(
            sqlx::query!("SELECT id, slug FROM stores ORDER BY id LIMIT 1")
                .fetch_one(app.db.pool()),
        )
        .map(|r| (r.id, r.slug))
        .expect("a store");
    let counter = Arc::new(AtomicU64::new(0));
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&walks(), |walk| {
        runtime.block_on(async {
            // Listings read the search index: every row that exists before the walk must be
            // in it, including those the previous case's inserter added.
            app.sync_search().await;
            let before = expected(&app, store_id, &walk).await;
            let stop = Arc::new(AtomicBool::new(false));
            let inserter = spawn_inserter(&app, store_id, stop.clone(), counter.clone());
            let seen = walk_pages(&app, &store_slug, &walk).await;
            stop.store(true, Ordering::Relaxed);
            inserter
                .await
                .map_err(|e| TestCaseError::fail(format!("inserter: {e}")))?;

            let unique: HashSet<&String> = seen.iter().collect();
            prop_assert_eq!(
                unique.len(),
                seen.len(),
                "a row came back twice in {:?}",
                walk
            );
            let missing: Vec<&String> = before.iter().filter(|id| !unique.contains(id)).collect();
            if !missing.is_empty() {
                let report = describe_skip(&app, &missing, &seen).await;
                prop_assert!(
                    false,
                    "{} rows skipped in {:?}: {}",
                    missing.len(),
                    walk,
                    report
                );
            }
            Ok(())
        })
    });
    let inserted = counter.load(Ordering::Relaxed);
    result.expect("paging property");
    assert!(inserted > 0, "rows were inserted during the walks");
}
