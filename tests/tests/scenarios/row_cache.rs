//! The row cache (`api/src/runtime/row_cache.rs`): hot rows served without a statement, and no write
//! ever hidden by it, on the writing process or any other.

use serde_json::json;
use textisur_api::runtime::http::HttpConfig;
use textisur_tests::market::Market;
use textisur_tests::{TestApp, TestOptions};

const NESTED_PAGE: &str = "{ products(first: 20) { nodes { name price { amount }
    store { name city } category { name } images { url altText }
    reviews(first: 3) { nodes { rating author { name } } } } } }";

#[tokio::test]
async fn a_nested_page_read_again_runs_no_statement() {
    let app = TestApp::seeded(60).await;
    app.sync_search().await;
    let first = app.data(NESTED_PAGE, json!({})).await;
    let before = app.db.statements_run();
    let again = app.data(NESTED_PAGE, json!({})).await;
    assert_eq!(
        app.db.statements_run() - before,
        0,
        "every row came from the cache"
    );
    assert_eq!(first, again);
    let reviewed = again["products"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| {
            p["reviews"]["nodes"]
                .as_array()
                .is_some_and(|r| !r.is_empty())
        })
        .count();
    assert!(
        reviewed > 0,
        "the page exercises kept review pages: {again}"
    );
}

#[tokio::test]
async fn with_the_cache_off_every_page_reads_postgresql() {
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(60),
        http: Some(textisur_tests::uncached_http()),
        ..TestOptions::default()
    })
    .await;
    app.sync_search().await;
    app.data(NESTED_PAGE, json!({})).await;
    let before = app.db.statements_run();
    app.data(NESTED_PAGE, json!({})).await;
    assert!(app.db.statements_run() - before >= 4);
}

const PRODUCT: &str = "query($id: ID!) { product(id: $id) { name store { name } } }";

async fn name_on(base: &str, client: &reqwest::Client, product: &str) -> String {
    let body: serde_json::Value = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": PRODUCT, "variables": { "id": product } }))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    body["data"]["product"]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("product: {body}"))
        .to_owned()
}

/// Changes a product's name behind the cache's back: with the triggers off, no process hears.
async fn rename_unheard(app: &TestApp, product: &str, name: &str) {
    let id =
        textisur_api::graphql::ids::ProductId::from_global(&product.to_owned().into()).expect("id");
    let mut tx = app.db.pool().begin().await.expect("begin");
    sqlx::query!("ALTER TABLE products DISABLE TRIGGER products_row_cache_update")
        .execute(&mut *tx)
        .await
        .expect("disable");
    sqlx::query!("UPDATE products SET name = $2 WHERE id = $1", id.0, name)
        .execute(&mut *tx)
        .await
        .expect("rename");
    sqlx::query!("ALTER TABLE products ENABLE TRIGGER products_row_cache_update")
        .execute(&mut *tx)
        .await
        .expect("enable");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn a_write_is_read_next_by_the_writer_and_by_every_other_process() {
    let market = Market::open().await;
    let app = &market.app;
    let product = market
        .product("Lino natural", "METRE", "0.5", "40", "12000")
        .await;
    let other = app
        .sibling(HttpConfig {
            cost_bucket: 1_000_000,
            cost_restore_rate: 1_000_000,
            ..HttpConfig::default()
        })
        .await;
    assert_eq!(
        name_on(&app.base, &app.client, &product).await,
        "Lino natural"
    );
    assert_eq!(
        name_on(&other.base, &app.client, &product).await,
        "Lino natural"
    );

    // Both processes now serve the row from their caches: a change nobody hears stays unseen.
    rename_unheard(app, &product, "Lino secreto").await;
    assert_eq!(
        name_on(&app.base, &app.client, &product).await,
        "Lino natural"
    );
    assert_eq!(
        name_on(&other.base, &app.client, &product).await,
        "Lino natural"
    );

    // A write through the API is heard: the writer reads it next, with no wait of its own...
    let (_, body) = app
        .graphql_as(
            &market.seller.access_token,
            "mutation($id: ID!) { updateProduct(id: $id, input: {name: \"Lino lavado\"}) {
                product { name } userErrors { code } } }",
            json!({ "id": product }),
        )
        .await;
    assert_eq!(
        body["data"]["updateProduct"]["product"]["name"], "Lino lavado",
        "{body}"
    );
    assert_eq!(
        name_on(&app.base, &app.client, &product).await,
        "Lino lavado"
    );
    // ...and the other process once it has heard what was committed before.
    other.settle_rows().await;
    assert_eq!(
        name_on(&other.base, &app.client, &product).await,
        "Lino lavado"
    );
    other.stop().await.expect("stop sibling");
}

#[tokio::test]
async fn a_new_review_shows_in_the_kept_page_of_its_product() {
    let app = TestApp::seeded(40).await;
    let (product, reviews): (i64, i64) = sqlx::query!(
        r#"SELECT p.id, count(r.id) AS "reviews!" FROM products p
         JOIN reviews r ON r.product_id = p.id
         WHERE p.status = 'ACTIVE' GROUP BY p.id ORDER BY p.id LIMIT 1"#,
    )
    .fetch_one(app.db.pool())
    .await
    .map(|r| (r.id, r.reviews))
    .expect("a reviewed product");
    let id = textisur_api::graphql::ids::ProductId(product)
        .to_global()
        .to_string();
    let query = "query($id: ID!) { product(id: $id) { reviews(first: 10) { nodes { body } } } }";
    let bodies = |data: serde_json::Value| -> Vec<String> {
        data["product"]["reviews"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["body"].as_str().map(str::to_owned))
            .collect()
    };
    let before = bodies(app.data(query, json!({ "id": id })).await);
    assert_eq!(before.len() as i64, reviews.min(10));
    let author: i64 = sqlx::query_scalar!(
        "INSERT INTO users (email, name) VALUES ('nueva@example.com', 'Nueva') RETURNING id",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("author");
    sqlx::query!(
        "INSERT INTO reviews (product_id, author_id, rating, body, created_at)
         VALUES ($1, $2, 5, 'Hermosa tela', now() + interval '1 minute')",
        product,
        author
    )
    .execute(app.db.pool())
    .await
    .expect("review");
    app.settle_rows().await;
    let after = bodies(app.data(query, json!({ "id": id })).await);
    assert_eq!(
        after.first().map(String::as_str),
        Some("Hermosa tela"),
        "{after:?}"
    );
}

#[tokio::test]
async fn every_change_to_a_products_images_shows_in_its_kept_list() {
    let app = TestApp::seeded(20).await;
    let (product, variant): (i64, i64) = sqlx::query_as(
        "SELECT p.id, v.id FROM products p JOIN product_variants v ON v.product_id = p.id
         WHERE p.status = 'ACTIVE' ORDER BY p.id, v.id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("a product with a variant");
    let ids = json!({
        "id": textisur_api::graphql::ids::ProductId(product).to_global().to_string(),
        "variant": textisur_api::graphql::ids::VariantId(variant).to_global().to_string(),
    });
    let hash = "ab".repeat(32);
    let query = "query($id: ID!, $variant: ID!) { product(id: $id) { images { url altText } }
        node(id: $variant) { ... on ProductVariant { images { url } } } }";
    // What an anonymous shopper sees: the uploaded image's alt text, and how many images the
    // variant shows.
    let shown = || async {
        let data = app.data(query, ids.clone()).await;
        let uploaded = data["product"]["images"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| i["url"].as_str().is_some_and(|u| u.contains(&hash)))
            .map(|i| i["altText"].as_str().unwrap_or_default().to_owned());
        let linked = data["node"]["images"].as_array().map_or(0, Vec::len);
        (uploaded, linked)
    };
    // Each change committed as a writer elsewhere would, then heard by this process.
    type Change = sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments>;
    let sql = |change: Change| {
        let app = &app;
        async move {
            change.execute(app.db.pool()).await.expect("change");
            app.settle_rows().await;
        }
    };
    // Kept with no uploaded image.
    assert_eq!(shown().await, (None, 0));
    assert_eq!(shown().await, (None, 0));

    sql(sqlx::query(
        "INSERT INTO media_files (hash, format, width, height, bytes, state)
         VALUES ($1, 'jpeg', 800, 600, 1000, 'READY')",
    )
    .bind(hash.clone()))
    .await;
    sql(sqlx::query(
        "INSERT INTO product_images (product_id, file_hash, position, alt_text)
         VALUES ($1, $2, 0, 'Frente')",
    )
    .bind(product)
    .bind(hash.clone()))
    .await;
    assert_eq!(
        shown().await,
        (Some("Frente".to_owned()), 0),
        "an image added"
    );

    sql(
        sqlx::query("UPDATE product_images SET alt_text = 'Dorso' WHERE file_hash = $1")
            .bind(hash.clone()),
    )
    .await;
    assert_eq!(
        shown().await,
        (Some("Dorso".to_owned()), 0),
        "its alt text edited"
    );

    sql(sqlx::query(
        "INSERT INTO variant_images (variant_id, image_id)
         SELECT $1, id FROM product_images WHERE file_hash = $2",
    )
    .bind(variant)
    .bind(hash.clone()))
    .await;
    assert_eq!(
        shown().await,
        (Some("Dorso".to_owned()), 1),
        "a variant linked"
    );

    sql(sqlx::query("UPDATE media_files SET state = 'FAILED' WHERE hash = $1").bind(hash.clone()))
        .await;
    assert_eq!(
        shown().await,
        (None, 0),
        "its file failed: shoppers see none"
    );

    sql(sqlx::query("UPDATE media_files SET state = 'READY' WHERE hash = $1").bind(hash.clone()))
        .await;
    assert_eq!(
        shown().await,
        (Some("Dorso".to_owned()), 1),
        "made ready again"
    );

    sql(sqlx::query("DELETE FROM variant_images WHERE variant_id = $1").bind(variant)).await;
    assert_eq!(
        shown().await,
        (Some("Dorso".to_owned()), 0),
        "the variant unlinked"
    );

    sql(sqlx::query("DELETE FROM product_images WHERE file_hash = $1").bind(hash.clone())).await;
    assert_eq!(shown().await, (None, 0), "the image deleted");
}

#[tokio::test]
async fn a_lost_listener_drops_what_it_may_have_missed() {
    let market = Market::open().await;
    let app = &market.app;
    let product = market
        .product("Lana merino", "METRE", "0.5", "40", "9000")
        .await;
    assert_eq!(
        name_on(&app.base, &app.client, &product).await,
        "Lana merino"
    );
    // The listening connection dies; a change made meanwhile is never heard.
    let ended: Vec<bool> = sqlx::query_scalar!(
        r#"SELECT pg_terminate_backend(pid) AS "ended!" FROM pg_stat_activity
         WHERE datname = current_database() AND query = 'LISTEN "textisur_rows"'"#,
    )
    .fetch_all(app.db.pool())
    .await
    .expect("terminate the listener");
    assert_eq!(ended, vec![true], "one row listener");
    rename_unheard(app, &product, "Lana cruda").await;
    app.settle_rows().await;
    assert_eq!(
        name_on(&app.base, &app.client, &product).await,
        "Lana cruda"
    );
}
