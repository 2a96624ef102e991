//! Carts and checkout against the real server and PostgreSQL: quantities in the product's
//! unit, warnings, oversell under 50 concurrent buyers (pieces and metres), idempotent
//! retries under concurrency, and orders that copy prices.

use futures::future::join_all;
use serde_json::{Value, json};
use textisur_tests::market::Market;
use textisur_tests::{Account, TestApp};

const ADD: &str = "mutation($p: ID!, $q: Decimal!) { addToCart(productId: $p, quantity: $q) {
    cart { lines { product { id } quantity lineTotal { amount currencyCode } }
           subtotal { amount currencyCode } warnings { productId code } }
    userErrors { field code message } } }";
const CHECKOUT: &str = "mutation($k: String!) { checkout(idempotencyKey: $k) {
    orders { id number status total { amount currencyCode } }
    userErrors { field code message } } }";

async fn add(app: &TestApp, buyer: &Account, product: &str, quantity: &str) -> Value {
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            ADD,
            json!({ "p": product, "q": quantity }),
        )
        .await;
    body["data"]["addToCart"].clone()
}

async fn checkout(app: &TestApp, buyer: &Account, key: &str) -> Value {
    let (status, body) = app
        .graphql_as(&buyer.access_token, CHECKOUT, json!({ "k": key }))
        .await;
    assert_eq!(status, 200, "checkout: {body}");
    assert!(body.get("errors").is_none(), "checkout errors: {body}");
    body["data"]["checkout"].clone()
}

fn codes(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .expect("userErrors")
        .iter()
        .map(|e| e["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn cart_quantities_follow_the_products_unit_minimum_step_and_stock() {
    let market = Market::open().await;
    let app = &market.app;
    let linen = market
        .product("Lino natural", "METRE", "0.5", "10", "12.50")
        .await;
    let poncho = market
        .product("Poncho de alpaca", "PIECE", "1", "3", "80000")
        .await;
    let buyer = app.quick_account("Compradora", "BUYER").await;

    let payload = add(app, &buyer, &linen, "2.5").await;
    assert_eq!(codes(&payload), Vec::<String>::new(), "{payload}");
    assert_eq!(payload["cart"]["lines"][0]["quantity"], "2.5");
    // The store is Chilean: 2.5 m at 12.50 = 31.25 pesos, and CLP has no decimals.
    assert_eq!(payload["cart"]["lines"][0]["lineTotal"]["amount"], "31");
    for (product, quantity, code) in [
        (&linen, "2.3", "NOT_MULTIPLE"),
        (&linen, "0", "OUT_OF_RANGE"),
        (&linen, "-1", "OUT_OF_RANGE"),
        (&linen, "0.0001", "PRECISION"),
        (&linen, "8", "INSUFFICIENT_STOCK"), // 2.5 already in the cart + 8 > 10
        (&poncho, "1.5", "NOT_MULTIPLE"),
        (&poncho, "4", "INSUFFICIENT_STOCK"),
    ] {
        let payload = add(app, &buyer, product, quantity).await;
        assert_eq!(codes(&payload), vec![code], "{quantity}: {payload}");
        assert!(payload["cart"].is_null());
    }
    let payload = add(app, &buyer, &poncho, "3").await;
    assert_eq!(codes(&payload), Vec::<String>::new(), "{payload}");
    // Adding again adds up.
    let payload = add(app, &buyer, &linen, "1").await;
    assert_eq!(payload["cart"]["lines"][0]["quantity"], "3.5");
    // 43.75 -> 44, plus 3 ponchos.
    assert_eq!(payload["cart"]["subtotal"]["amount"], "240044");

    // Unknown and malformed product ids are user errors, not crashes.
    let payload = add(app, &buyer, "UHJvZHVjdDo5OTk5OTk", "1").await;
    assert_eq!(codes(&payload), vec!["NOT_FOUND"]);
    let payload = add(app, &buyer, "not-an-id", "1").await;
    assert_eq!(codes(&payload), vec!["NOT_FOUND"]);

    // The seller raises the price and sells most of the ponchos elsewhere.
    let (_, body) = app
        .graphql_as(
            &market.seller.access_token,
            "mutation($id: ID!) { updateProduct(id: $id, input: {price: \"90000\", stock: \"2\"}) {
                userErrors { code } } }",
            json!({ "id": poncho }),
        )
        .await;
    assert_eq!(body["data"]["updateProduct"]["userErrors"], json!([]));
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "{ me { cart { warnings { productId code } } } }",
            json!({}),
        )
        .await;
    let warnings = &body["data"]["me"]["cart"]["warnings"];
    assert_eq!(
        warnings,
        &json!([
            { "productId": poncho, "code": "PRICE_CHANGED" },
            { "productId": poncho, "code": "INSUFFICIENT_STOCK" },
        ]),
        "{body}"
    );
    // Checkout refuses the whole cart, naming the line, and takes nothing.
    let payload = checkout(app, &buyer, "intento-uno").await;
    assert_eq!(codes(&payload), vec!["INSUFFICIENT_STOCK"], "{payload}");
    assert_eq!(payload["userErrors"][0]["field"], json!(["cart", poncho]));
    assert_eq!(market.stock(&linen).await, "10.000");

    // Setting the line to what is left, then checking out.
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "mutation($p: ID!) { updateCartLine(productId: $p, quantity: \"2\") {
                cart { warnings { code } } userErrors { code } } }",
            json!({ "p": poncho }),
        )
        .await;
    assert_eq!(
        body["data"]["updateCartLine"]["cart"]["warnings"],
        json!([])
    );
    let payload = checkout(app, &buyer, "intento-dos").await;
    assert_eq!(codes(&payload), Vec::<String>::new(), "{payload}");
    let order = &payload["orders"][0];
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["total"]["amount"], "180044");
    assert_eq!(market.stock(&linen).await, "6.500");
    assert_eq!(market.stock(&poncho).await, "0.000");
    // The cart is empty now; the same key returns the same order, a new key finds nothing.
    let again = checkout(app, &buyer, "intento-dos").await;
    assert_eq!(again["orders"][0]["id"], order["id"]);
    let empty = checkout(app, &buyer, "intento-tres").await;
    assert_eq!(codes(&empty), vec!["CART_EMPTY"]);
    // Short keys are refused.
    let short = checkout(app, &buyer, "corta").await;
    assert_eq!(codes(&short), vec!["INVALID"]);
}

/// 50 buyers each hold `quantity` of a product with stock for 10 of them, then all check
/// out at once: exactly 10 orders, the stock ends at zero, and the losers get user errors.
async fn fifty_buyers_race_for_ten(unit: &str, step: &str, stock: &str, quantity: &str) {
    let market = Market::open().await;
    let app = &market.app;
    let product = market
        .product("Tela escasa", unit, step, stock, "1000")
        .await;
    let mut buyers = Vec::new();
    for i in 0..50 {
        let buyer = app.quick_account(&format!("Comprador {i}"), "BUYER").await;
        let payload = add(app, &buyer, &product, quantity).await;
        assert_eq!(codes(&payload), Vec::<String>::new(), "{payload}");
        buyers.push(buyer);
    }
    let results = join_all(
        buyers
            .iter()
            .enumerate()
            .map(|(i, b)| async move { checkout(app, b, &format!("carrera-{i:04}")).await }),
    )
    .await;
    let won = results.iter().filter(|r| codes(r).is_empty()).count();
    let lost = results
        .iter()
        .filter(|r| codes(r) == vec!["INSUFFICIENT_STOCK"])
        .count();
    assert_eq!((won, lost), (10, 40), "{results:?}");
    assert_eq!(market.stock(&product).await, "0.000");
    let (orders, sold): (i64, String) = sqlx::query!(
        r#"SELECT count(DISTINCT o.id) AS "orders!", sum(l.quantity)::text AS "sold!" FROM orders o
         JOIN order_lines l ON l.order_id = o.id"#,
    )
    .fetch_one(app.db.pool())
    .await
    .map(|r| (r.orders, r.sold))
    .expect("orders");
    assert_eq!(orders, 10);
    assert_eq!(sold.parse::<f64>().ok(), stock.parse::<f64>().ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_buyers_never_oversell_ten_pieces() {
    fifty_buyers_race_for_ten("PIECE", "1", "10", "1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_buyers_never_oversell_twenty_five_metres() {
    fifty_buyers_race_for_ten("METRE", "0.5", "25", "2.5").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_key_sent_five_times_at_once_makes_one_set_of_orders() {
    let market = Market::open().await;
    let app = &market.app;
    let linen = market.product("Lino", "METRE", "0.5", "100", "10").await;
    let buyer = app.quick_account("Compradora", "BUYER").await;
    add(app, &buyer, &linen, "3").await;
    let results = join_all((0..5).map(|_| checkout(app, &buyer, "una-sola-clave"))).await;
    let ids: Vec<&Value> = results.iter().map(|r| &r["orders"][0]["id"]).collect();
    assert!(ids[0].is_string(), "{results:?}");
    assert!(ids.iter().all(|id| *id == ids[0]), "{results:?}");
    let orders: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM orders"#)
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(orders, 1);
    assert_eq!(market.stock(&linen).await, "97.000");

    // The key is spent: a different cart under it is refused and writes nothing.
    add(app, &buyer, &linen, "1").await;
    let reused = checkout(app, &buyer, "una-sola-clave").await;
    assert_eq!(codes(&reused), vec!["IDEMPOTENCY_KEY_REUSED"], "{reused}");
    assert_eq!(market.stock(&linen).await, "97.000");
}

#[tokio::test]
async fn a_cart_of_two_stores_becomes_one_order_per_store() {
    let market = Market::open().await;
    let app = &market.app;
    let linen = market.product("Lino", "METRE", "0.5", "100", "10").await;
    let other_seller = app.quick_account("Otra", "SELLER").await;
    let (_, body) = app
        .graphql_as(
            &other_seller.access_token,
            "mutation { createStore(input: {name: \"Lanas del Norte\", city: \"Antofagasta\", region: \"Antofagasta\", countryCode: \"CL\"}) {
                store { id } } }",
            json!({}),
        )
        .await;
    let other_store = body["data"]["createStore"]["store"]["id"]
        .as_str()
        .expect("store")
        .to_owned();
    let (_, body) = app
        .graphql_as(
            &other_seller.access_token,
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } } }",
            json!({ "i": { "storeId": other_store, "categoryId": market.category, "name": "Lana merino",
                "price": "25", "unit": "KILOGRAM", "minQuantity": "0.5", "quantityStep": "0.25",
                "stock": "5" } }),
        )
        .await;
    let wool = body["data"]["createProduct"]["product"]["id"]
        .as_str()
        .expect("wool")
        .to_owned();
    let buyer = app.quick_account("Compradora", "BUYER").await;
    add(app, &buyer, &linen, "1.5").await;
    add(app, &buyer, &wool, "0.75").await;
    let payload = checkout(app, &buyer, "dos-tiendas-1").await;
    assert_eq!(codes(&payload), Vec::<String>::new(), "{payload}");
    let mut totals: Vec<&str> = payload["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["total"]["amount"].as_str().unwrap_or_default())
        .collect();
    totals.sort_unstable();
    // Pesos chilenos have no decimals: 0.75 kg at 25 = 18.75 -> 19.
    assert_eq!(totals, vec!["15", "19"]);
    // Prices were copied: a later price change leaves the order alone.
    let (_, body) = app
        .graphql_as(
            &market.seller.access_token,
            "mutation($id: ID!) { updateProduct(id: $id, input: {price: \"99\"}) { userErrors { code } } }",
            json!({ "id": linen }),
        )
        .await;
    assert_eq!(body["data"]["updateProduct"]["userErrors"], json!([]));
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "{ me { orders(first: 5) { totalCount nodes { total { amount } lines { unitPrice { amount } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["me"]["orders"]["totalCount"], 2, "{body}");
    let prices: Vec<&Value> = body["data"]["me"]["orders"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|o| &o["lines"][0]["unitPrice"]["amount"])
        .collect();
    assert!(prices.contains(&&json!("10.00")), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_cut_off_at_any_moment_and_retried_makes_one_order() {
    let market = Market::open().await;
    let app = &market.app;
    let linen = market.product("Lino", "METRE", "0.5", "100", "10").await;
    let buyer = app.quick_account("Compradora", "BUYER").await;
    add(app, &buyer, &linen, "2").await;
    // The client gives up after 0, 1, 2 ... ms: the server sees the connection drop before,
    // during or after the transaction, and each retry carries the same key.
    for cut_after_ms in 0..25u64 {
        let impatient = reqwest::Client::builder()
            .timeout(std::time::Duration::from_millis(cut_after_ms))
            .build()
            .expect("client");
        let _ = impatient
            .post(app.url("/graphql"))
            .bearer_auth(&buyer.access_token)
            .json(&json!({ "query": CHECKOUT, "variables": { "k": "corte-de-red" } }))
            .send()
            .await;
    }
    let settled = checkout(app, &buyer, "corte-de-red").await;
    assert_eq!(codes(&settled), Vec::<String>::new(), "{settled}");
    let orders: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM orders"#)
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(orders, 1);
    assert_eq!(market.stock(&linen).await, "98.000");
}
