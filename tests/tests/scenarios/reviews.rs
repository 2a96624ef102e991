//! Reviews: only what was delivered may be reviewed, once; ratings follow in the same
//! transaction, also under concurrent reviews, and reach the search index.

use serde_json::{Value, json};
use textisur_api::accounts::limits::AuthLimitConfig;
use textisur_api::graphql::ids::ProductId;
use textisur_tests::{Account, TestApp, TestOptions};

const ADD: &str = "mutation($p: ID!, $r: Int!, $b: String) {
    addReview(productId: $p, rating: $r, body: $b) {
        review { id rating body author { id } product { id rating reviewCount } }
        consistencyToken userErrors { field code message } } }";

struct Shop {
    app: TestApp,
    store: i64,
    product: i64,
    product_id: String,
}

async fn shop() -> Shop {
    let app = TestApp::spawn_with(TestOptions {
        auth_limits: Some(AuthLimitConfig {
            register_per_ip_per_hour: 1000,
            ..AuthLimitConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    let seller = app.register("vendedora@correo.cl", "Vendedora").await;
    app.set_role(&seller, "SELLER").await;
    let store: i64 = sqlx::query_scalar!(
        "INSERT INTO stores (owner_id, slug, name, city, country_code, currency_code)
         VALUES ($1, 'telas-nandu', 'Telas Ñandú', 'Rosario', 'AR', 'ARS') RETURNING id",
        seller.row_id()
    )
    .fetch_one(app.db.pool())
    .await
    .expect("store");
    let product: i64 = sqlx::query_scalar!(
        "WITH c AS (INSERT INTO categories (slug, name) VALUES ('telas', 'Telas') RETURNING id)
         INSERT INTO products (store_id, category_id, slug, name, price, currency_code, stock)
         SELECT $1, c.id, 'lino-crudo', 'Lino crudo', 10, 'ARS', 50 FROM c RETURNING id",
        store
    )
    .fetch_one(app.db.pool())
    .await
    .expect("product");
    Shop {
        app,
        store,
        product,
        product_id: ProductId(product).to_global().to_string(),
    }
}

impl Shop {
    /// Records an order of the product by `buyer` in `status`, as checkout and fulfilment
    /// would have left it.
    async fn order(&self, buyer: &Account, status: &str) {
        let order: i64 = sqlx::query_scalar!(
            "INSERT INTO orders (buyer_id, store_id, status, total, currency_code)
             VALUES ($1, $2, $3::text::order_status, 10, 'ARS') RETURNING id",
            buyer.row_id(),
            self.store,
            status
        )
        .fetch_one(self.app.db.pool())
        .await
        .expect("order");
        sqlx::query!(
            "INSERT INTO order_lines (order_id, product_id, product_name, unit, quantity,
                 unit_price, line_total)
             VALUES ($1, $2, 'Lino crudo', 'PIECE', 1, 10, 10)",
            order,
            self.product
        )
        .execute(self.app.db.pool())
        .await
        .expect("order line");
    }

    async fn review(&self, who: &Account, rating: i64, body: Option<&str>) -> Value {
        let (_, body) = self
            .app
            .graphql_as(
                &who.access_token,
                ADD,
                json!({ "p": self.product_id, "r": rating, "b": body }),
            )
            .await;
        body
    }

    async fn ratings(&self) -> (String, i32, Option<String>) {
        sqlx::query!(
            r#"SELECT p.rating::text AS "product_rating!", p.review_count,
                      s.rating::text AS "store_rating?" FROM products p
             JOIN stores s ON s.id = p.store_id WHERE p.id = $1"#,
            self.product
        )
        .fetch_one(self.app.db.pool())
        .await
        .map(|r| (r.product_rating, r.review_count, r.store_rating))
        .expect("ratings")
    }

    async fn review_rows(&self) -> i64 {
        sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM reviews"#)
            .fetch_one(self.app.db.pool())
            .await
            .expect("count")
    }
}

fn user_errors(body: &Value) -> Vec<(Value, String)> {
    body["data"]["addReview"]["userErrors"]
        .as_array()
        .unwrap_or_else(|| panic!("payload: {body}"))
        .iter()
        .map(|e| {
            (
                e["field"].clone(),
                e["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn only_a_buyer_who_received_the_product_reviews_it_once() {
    let s = shop().await;
    let buyer = s.app.register("comprador@correo.cl", "Comprador").await;

    // Nothing bought, or bought but not delivered yet: not eligible.
    let body = s.review(&buyer, 5, None).await;
    assert_eq!(
        user_errors(&body),
        [(json!(["productId"]), "NOT_ELIGIBLE".to_owned())],
        "{body}"
    );
    for status in ["PENDING", "PAID", "SHIPPED", "CANCELLED"] {
        s.order(&buyer, status).await;
        let body = s.review(&buyer, 5, None).await;
        assert_eq!(
            user_errors(&body),
            [(json!(["productId"]), "NOT_ELIGIBLE".to_owned())],
            "{status}: {body}"
        );
    }
    assert_eq!(s.review_rows().await, 0);

    // Input errors come first and together.
    s.order(&buyer, "DELIVERED").await;
    for rating in [0, 6, -1, 70000] {
        let body = s.review(&buyer, rating, None).await;
        assert_eq!(
            user_errors(&body),
            [(json!(["rating"]), "OUT_OF_RANGE".to_owned())],
            "{rating}: {body}"
        );
    }
    let body = s.review(&buyer, 9, Some(&"ñ".repeat(2001))).await;
    assert_eq!(
        user_errors(&body),
        [
            (json!(["rating"]), "OUT_OF_RANGE".to_owned()),
            (json!(["body"]), "TOO_LONG".to_owned())
        ],
        "{body}"
    );
    let (_, body) = s
        .app
        .graphql_as(
            &buyer.access_token,
            ADD,
            json!({ "p": ProductId(999_999).to_global().to_string(), "r": 4 }),
        )
        .await;
    assert_eq!(
        user_errors(&body),
        [(json!(["productId"]), "NOT_FOUND".to_owned())],
        "{body}"
    );
    assert_eq!(s.review_rows().await, 0);

    // Delivered: the review is written and the ratings follow.
    let body = s
        .review(
            &buyer,
            4,
            Some("  Muy buen lino<script>alert(1)</script><img src=x onerror=alert(2)>, llegó rápido  "),
        )
        .await;
    assert_eq!(user_errors(&body), [], "{body}");
    let review = &body["data"]["addReview"]["review"];
    assert_eq!(review["rating"], 4);
    assert_eq!(review["body"], "Muy buen lino, llegó rápido");
    assert_eq!(review["author"]["id"], json!(buyer.id));
    assert_eq!(review["product"]["rating"], json!(4.0), "{body}");
    assert_eq!(review["product"]["reviewCount"], 1, "{body}");
    assert!(body["data"]["addReview"]["consistencyToken"].is_string());
    assert_eq!(s.ratings().await, ("4.00".into(), 1, Some("4.00".into())));

    // A second review of the same product by the same buyer is taken.
    let body = s.review(&buyer, 1, Some("cambié de opinión")).await;
    assert_eq!(
        user_errors(&body),
        [(json!(["productId"]), "TAKEN".to_owned())],
        "{body}"
    );
    assert_eq!(s.review_rows().await, 1);

    // Another delivered buyer, no body: the average moves, to two decimals.
    let other = s.app.register("otra@correo.cl", "Otra").await;
    s.order(&other, "DELIVERED").await;
    let body = s.review(&other, 5, None).await;
    assert_eq!(user_errors(&body), [], "{body}");
    assert_eq!(body["data"]["addReview"]["review"]["body"], "");
    let third = s.app.register("tercera@correo.cl", "Tercera").await;
    s.order(&third, "DELIVERED").await;
    assert_eq!(user_errors(&s.review(&third, 5, Some("<b></b>")).await), []);
    assert_eq!(s.ratings().await, ("4.67".into(), 3, Some("4.67".into())));
    let data = s
        .app
        .data(
            "query($p: ID!) { product(id: $p) { rating reviewCount
                reviews(first: 10) { totalCount nodes { rating author { id } } } } }",
            json!({ "p": s.product_id }),
        )
        .await;
    assert_eq!(data["product"]["rating"], json!(4.67));
    assert_eq!(data["product"]["reviews"]["totalCount"], 3);
    assert_eq!(
        data["product"]["reviews"]["nodes"][0]["author"]["id"],
        json!(third.id)
    );

    // Anonymous callers are not even asked.
    let (_, body) = s
        .app
        .graphql(ADD, json!({ "p": s.product_id, "r": 5 }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{body}"
    );
}

#[tokio::test]
async fn concurrent_reviews_all_count_in_the_average() {
    let s = shop().await;
    let mut buyers = Vec::new();
    for i in 0..8 {
        let buyer = s
            .app
            .register(&format!("comprador{i}@correo.cl"), "Comprador")
            .await;
        s.order(&buyer, "DELIVERED").await;
        buyers.push(buyer);
    }
    let ratings = [5, 4, 3, 5, 1, 2, 5, 4];
    let results = futures::future::join_all(
        buyers
            .iter()
            .zip(ratings)
            .map(|(buyer, rating)| s.review(buyer, rating, Some("bien"))),
    )
    .await;
    for body in &results {
        assert_eq!(user_errors(body), [], "{body}");
    }
    // 29 / 8 = 3.625, rounded half away from zero.
    assert_eq!(s.ratings().await, ("3.63".into(), 8, Some("3.63".into())));
}

#[tokio::test]
async fn a_new_rating_reaches_the_search_index() {
    let s = shop().await;
    s.app.sync_search().await;
    let top_rated = "query($t: String) { products(filter: {minRating: 4.5}, sort: TOP_RATED,
        consistencyToken: $t) { nodes { id rating } } }";
    let data = s.app.data(top_rated, json!({})).await;
    assert_eq!(data["products"]["nodes"], json!([]));

    let buyer = s.app.register("comprador@correo.cl", "Comprador").await;
    s.order(&buyer, "DELIVERED").await;
    let body = s.review(&buyer, 5, Some("excelente")).await;
    assert_eq!(user_errors(&body), [], "{body}");
    let token = body["data"]["addReview"]["consistencyToken"].clone();
    let data = s.app.data(top_rated, json!({ "t": token })).await;
    assert_eq!(
        data["products"]["nodes"],
        json!([{ "id": s.product_id, "rating": 5.0 }])
    );
    s.app.sync_search().await;
    let data = s.app.data(top_rated, json!({})).await;
    assert_eq!(
        data["products"]["nodes"],
        json!([{ "id": s.product_id, "rating": 5.0 }])
    );
}
