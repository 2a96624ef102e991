//! Catalogue reads through the real server: ids, lookups, filters, geography, authorization.

use serde_json::{Value, json};
use textisur_tests::TestApp;

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test]
async fn node_resolves_every_kind_and_unknown_ids_are_null() {
    let app = TestApp::seeded(120).await;
    let data = app
        .data(
            "{ products(first: 1) { nodes { id slug store { id } category { id }
               reviews(first: 1) { nodes { id author { id } } } } } }",
            json!({}),
        )
        .await;
    let product = &data["products"]["nodes"][0];
    for (id, typename) in [
        (&product["id"], "Product"),
        (&product["store"]["id"], "Store"),
        (&product["category"]["id"], "Category"),
    ] {
        let data = app
            .data(
                "query($id: ID!) { node(id: $id) { __typename id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(data["node"]["__typename"], typename);
        assert_eq!(&data["node"]["id"], id);
    }
    let by_slug = app
        .data(
            "query($s: String) { product(slug: $s) { id } }",
            json!({ "s": product["slug"] }),
        )
        .await;
    assert_eq!(by_slug["product"]["id"], product["id"]);

    // A well-formed id of a row that does not exist is null, not an error.
    let missing = textisur_api::graphql::ids::ProductId(999_999_999).to_global();
    let data = app
        .data(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": missing.as_str() }),
        )
        .await;
    assert!(data["node"].is_null());

    // A malformed id, or an id of the wrong kind, is the client's mistake.
    let (_, body) = app
        .graphql("{ node(id: \"garbage\") { id } }", json!({}))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let (_, body) = app
        .graphql(
            "query($id: ID!) { product(id: $id) { id } }",
            json!({ "id": product["store"]["id"] }),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let (_, body) = app.graphql("{ product { id } }", json!({})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn page_size_is_bounded() {
    let app = TestApp::seeded(30).await;
    for first in [101, -1] {
        let (_, body) = app
            .graphql(
                "query($n: Int) { products(first: $n) { totalCount } }",
                json!({ "n": first }),
            )
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "first: {first}");
    }
    let data = app.data("{ products { nodes { id } } }", json!({})).await;
    assert_eq!(
        data["products"]["nodes"].as_array().map(Vec::len),
        Some(20),
        "first defaults to 20"
    );
    let (_, body) = app
        .graphql(
            "{ products(after: \"not-a-cursor\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn filters_narrow_and_totals_agree_with_postgres() {
    let app = TestApp::seeded(400).await;
    let query = "query($f: ProductFilter) { products(filter: $f, first: 100) {
        totalCount nodes { materials colors price { amount } inStock category { id } } } }";
    let data = app
        .data(
            query,
            json!({ "f": { "materials": ["ALGODÓN "], "inStock": true } }),
        )
        .await;
    let nodes = data["products"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!nodes.is_empty());
    for node in &nodes {
        assert!(
            node["materials"]
                .as_array()
                .is_some_and(|m| m.iter().any(|v| v == "Algodón")),
            "{node}"
        );
        assert_eq!(node["inStock"], true);
    }
    let expected: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM products
         WHERE status = 'ACTIVE' AND 'algodón' = ANY(material_keys)
         AND stock >= min_quantity"#,
    )
    .fetch_one(app.db.pool())
    .await
    .expect("count");
    assert_eq!(data["products"]["totalCount"], expected);

    let data = app
        .data(
            query,
            json!({ "f": { "minPrice": "1000", "maxPrice": "20000" } }),
        )
        .await;
    for node in data["products"]["nodes"].as_array().into_iter().flatten() {
        let price: f64 = node["price"]["amount"]
            .as_str()
            .and_then(|p| p.parse().ok())
            .unwrap_or(-1.0);
        assert!((1000.0..=20000.0).contains(&price), "{price}");
    }
    let (_, body) = app
        .graphql(query, json!({ "f": { "minPrice": "10", "maxPrice": "1" } }))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");

    // A parent category matches its children's products. (Each of the 200 categories the
    // tree may hold could have 200 children: the children of one are asked by its id.)
    let data = app.data("{ categories { id slug } }", json!({})).await;
    let telas = data["categories"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["slug"] == "telas")
        .cloned();
    let telas = telas.expect("the telas category");
    let data = app
        .data(
            "query($id: ID!) { node(id: $id) { id ... on Category { children { id } } } }",
            json!({ "id": telas["id"] }),
        )
        .await;
    let telas = data["node"].clone();
    assert!(telas["children"].as_array().is_some_and(|c| !c.is_empty()));
    let data = app
        .data(query, json!({ "f": { "categoryIds": [telas["id"]] } }))
        .await;
    let children: Vec<&Value> = telas["children"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| &c["id"])
        .collect();
    let nodes = data["products"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!nodes.is_empty());
    assert!(
        nodes
            .iter()
            .all(|n| children.contains(&&n["category"]["id"]))
    );
}

#[tokio::test]
async fn stores_near_are_ordered_by_distance_within_the_radius() {
    let app = TestApp::seeded(2000).await;
    let data = app
        .data(
            "{ stores(near: {lat: -34.6037, lon: -58.3816}, radiusKm: 1500, first: 50) {
                nodes { name city distanceKm location { lat lon } } } }",
            json!({}),
        )
        .await;
    let nodes = data["stores"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!nodes.is_empty());
    let distances: Vec<f64> = nodes
        .iter()
        .map(|n| n["distanceKm"].as_f64().unwrap_or(f64::MAX))
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    assert!(distances.iter().all(|d| *d <= 1500.0));
    // Montevideo is about 200 km from Buenos Aires; Lima is far outside the radius.
    assert!(nodes.iter().all(|n| n["city"] != "Lima"));

    let (_, body) = app
        .graphql("{ stores(radiusKm: 10) { nodes { name } } }", json!({}))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let (_, body) = app
        .graphql(
            "{ stores(near: {lat: 91, lon: 0}) { nodes { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn private_fields_are_null_with_forbidden_and_the_rest_still_comes_back() {
    let app = TestApp::seeded(40).await;
    let (status, body) = app
        .graphql(
            "{ stores(first: 2) { nodes { name owner { email } } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let nodes = body["data"]["stores"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(nodes.len(), 2);
    assert!(
        nodes
            .iter()
            .all(|n| n["name"].is_string() && n.get("owner") == Some(&Value::Null))
    );
    assert_eq!(code(&body), "FORBIDDEN");
    assert_eq!(
        body["errors"][0]["path"],
        json!(["stores", "nodes", 0, "owner"])
    );

    let (_, body) = app
        .graphql("{ products(first: 1) { nodes { reviews(first: 1) { nodes { author { name email } } } } } }", json!({}))
        .await;
    if let Some(errors) = body["errors"].as_array() {
        assert!(
            errors
                .iter()
                .all(|e| e["extensions"]["code"] == "FORBIDDEN")
        );
    }
}

#[tokio::test]
async fn drafts_are_hidden_from_the_public() {
    let app = TestApp::seeded(300).await;
    let draft: i64 = sqlx::query_scalar!("SELECT id FROM products WHERE status = 'DRAFT' LIMIT 1")
        .fetch_one(app.db.pool())
        .await
        .expect("the seed has drafts");
    let id = textisur_api::graphql::ids::ProductId(draft).to_global();
    let data = app
        .data(
            "query($id: ID!) { node(id: $id) { id } product(id: $id) { id } }",
            json!({ "id": id.as_str() }),
        )
        .await;
    assert!(data["node"].is_null() && data["product"].is_null());
    let listed: i64 =
        sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM products WHERE status = 'ACTIVE'"#)
            .fetch_one(app.db.pool())
            .await
            .expect("count");
    let data = app.data("{ products { totalCount } }", json!({})).await;
    assert_eq!(data["products"]["totalCount"], listed);
}

#[tokio::test]
async fn store_products_stay_in_their_store() {
    let app = TestApp::seeded(300).await;
    let data = app
        .data("{ stores(first: 2) { nodes { id productCount products(first: 100) { nodes { store { id } } } } } }", json!({}))
        .await;
    for store in data["stores"]["nodes"].as_array().into_iter().flatten() {
        let products = store["products"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(products.iter().all(|p| p["store"]["id"] == store["id"]));
        assert_eq!(store["productCount"].as_u64(), Some(products.len() as u64));
    }
}

/// A fingerprint of every product row that seeding writes.
async fn catalogue_digest(app: &TestApp) -> String {
    sqlx::query_scalar!(
        r#"SELECT md5(string_agg(id || name || price || stock || slug, ',' ORDER BY id)) AS "digest!"
           FROM products"#
    )
    .fetch_one(app.db.pool())
    .await
    .expect("digest")
}

#[tokio::test]
async fn seeding_is_deterministic() {
    let a = TestApp::seeded(200).await;
    let b = TestApp::seeded(200).await;
    assert_eq!(catalogue_digest(&a).await, catalogue_digest(&b).await);
}

/// `productCount` is counted in the search index, like the `products` listing beside it. The
/// seller who adds or archives a product sees the new count at once (their reads wait for
/// their own write, without a drain here), and the count agrees with PostgreSQL.
#[tokio::test]
async fn a_store_counts_its_active_products_and_its_seller_sees_a_change_at_once() {
    let market = textisur_tests::market::Market::open().await;
    let app = &market.app;
    let count = |token: Option<String>| {
        let store = market.store.clone();
        async move {
            let query = "query($id: ID!) { node(id: $id) { ... on Store { productCount products { totalCount } } } }";
            let vars = json!({ "id": store });
            let (_, body) = match &token {
                Some(token) => app.graphql_as(token, query, vars).await,
                None => app.graphql(query, vars).await,
            };
            let store = &body["data"]["node"];
            assert_eq!(
                store["productCount"], store["products"]["totalCount"],
                "{body}"
            );
            store["productCount"]
                .as_i64()
                .unwrap_or_else(|| panic!("{body}"))
        }
    };
    let seller = Some(market.seller.access_token.clone());
    let first = market
        .product("Lino lavado", "METRE", "0.5", "20", "9.90")
        .await;
    market
        .product("Gasa de seda", "METRE", "0.5", "20", "14.50")
        .await;
    assert_eq!(count(seller.clone()).await, 2);

    let (_, body) = app
        .graphql_as(
            &market.seller.access_token,
            "mutation($id: ID!) { archiveProduct(id: $id) { userErrors { code } } }",
            json!({ "id": first }),
        )
        .await;
    assert_eq!(
        body["data"]["archiveProduct"]["userErrors"],
        json!([]),
        "{body}"
    );
    assert_eq!(count(seller).await, 1);

    app.sync_search().await;
    let active: i64 =
        sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM products WHERE status = 'ACTIVE'"#)
            .fetch_one(app.db.pool())
            .await
            .expect("count");
    assert_eq!((count(None).await, active), (1, 1));
}
