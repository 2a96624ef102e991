//! N+1 guard: nested relations cost one statement per relation, whatever the page size.
//! The row cache is off here, so every row is read from PostgreSQL through the loaders
//! (`row_cache.rs` tests what the cache saves).

use serde_json::json;
use textisur_tests::{TestApp, TestOptions};

/// A server on `products` seeded products that keeps no rows between requests.
async fn uncached(products: u32) -> TestApp {
    TestApp::spawn_with(TestOptions {
        seed_products: Some(products),
        http: Some(textisur_tests::uncached_http()),
        ..TestOptions::default()
    })
    .await
}

const NESTED_PAGE: &str = "query($n: Int) { products(first: $n) { nodes {
    store { name } category { name }
    reviews(first: 3) { nodes { rating author { name } } } } } }";

#[tokio::test]
async fn nested_page_runs_at_most_six_statements_for_any_page_size() {
    let app = uncached(400).await;
    let mut counts = Vec::new();
    for n in [10, 100] {
        let before = app.db.statements_run();
        let data = app.data(NESTED_PAGE, json!({ "n": n })).await;
        let statements = app.db.statements_run() - before;
        let nodes = data["products"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(nodes.len(), n, "the page is full");
        let reviewed = nodes
            .iter()
            .filter(|p| {
                p["reviews"]["nodes"]
                    .as_array()
                    .is_some_and(|r| !r.is_empty())
            })
            .count();
        assert!(
            reviewed > 0,
            "the page exercises the review and author loaders"
        );
        assert!(
            nodes
                .iter()
                .all(|p| p["store"]["name"].is_string() && p["category"]["name"].is_string())
        );
        counts.push(statements);
    }
    assert!(
        counts.iter().all(|&c| c <= 6),
        "statements per page: {counts:?}"
    );
    assert_eq!(
        counts[0], counts[1],
        "statements must not grow with the page size: {counts:?}"
    );
}

#[tokio::test]
async fn nodes_batches_by_kind() {
    let app = uncached(60).await;
    let data = app
        .data(
            "{ products(first: 30) { nodes { id store { id } } } }",
            json!({}),
        )
        .await;
    let mut ids: Vec<String> = Vec::new();
    for p in data["products"]["nodes"].as_array().into_iter().flatten() {
        ids.push(p["id"].as_str().unwrap_or_default().to_owned());
        ids.push(p["store"]["id"].as_str().unwrap_or_default().to_owned());
    }
    let before = app.db.statements_run();
    let data = app
        .data(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }",
            json!({ "ids": ids }),
        )
        .await;
    let statements = app.db.statements_run() - before;
    let nodes = data["nodes"].as_array().cloned().unwrap_or_default();
    assert_eq!(nodes.len(), 60);
    assert!(nodes.iter().all(|n| !n.is_null()));
    assert_eq!(statements, 2, "one statement for products, one for stores");
}

#[tokio::test]
async fn a_breadcrumb_of_categories_is_one_statement() {
    let app = uncached(60).await;
    let slug: String = sqlx::query_scalar!(
        "SELECT p.slug FROM products p JOIN categories c ON c.id = p.category_id
         WHERE p.status = 'ACTIVE' AND c.parent_id IS NOT NULL ORDER BY p.id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("a product in a subcategory");
    let before = app.db.statements_run();
    let data = app
        .data(
            "query($slug: String!) { product(slug: $slug) {
                category { name parent { name parent { name } } } } }",
            json!({ "slug": slug }),
        )
        .await;
    let statements = app.db.statements_run() - before;
    let category = &data["product"]["category"];
    assert!(category["parent"]["name"].is_string(), "{data}");
    assert_eq!(
        statements, 2,
        "one statement for the product, one for its category and every ancestor"
    );
}
