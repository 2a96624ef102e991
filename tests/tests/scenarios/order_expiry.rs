//! Unpaid orders give their stock back: a PENDING order past its payment deadline is
//! cancelled by the marketplace (once, even with two processes sweeping at once), and a
//! buyer may hold only so many unpaid orders. Real server, real PostgreSQL; the sweeper's
//! drain step (`expire_orders`) stands in for its timer.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::join_all;
use serde_json::{Value, json};
use textisur_api::commerce::orders::expiry::OrdersConfig;
use textisur_tests::market::Market;
use textisur_tests::{Account, TestApp, TestOptions, uncached_http};

const CHECKOUT: &str = "mutation($k: String!) { checkout(idempotencyKey: $k) {
    orders { id number status paymentDueAt createdAt }
    userErrors { field code message } } }";
const ORDER: &str = "query($id: ID!) { order(id: $id) {
    status paymentDueAt nextStatuses history { status by { id } reason } } }";

fn market_options(orders: OrdersConfig) -> TestOptions {
    TestOptions {
        orders: Some(orders),
        ..TestOptions::default()
    }
}

/// Deadlines of a second, and no sweep on a timer during the test: the test sweeps.
fn one_second() -> OrdersConfig {
    OrdersConfig {
        payment_timeout: Duration::from_secs(1),
        sweep_every: Duration::from_secs(3600),
        ..OrdersConfig::default()
    }
}

async fn checkout(app: &TestApp, buyer: &Account, key: &str) -> Value {
    let (status, body) = app
        .graphql_as(&buyer.access_token, CHECKOUT, json!({ "k": key }))
        .await;
    assert_eq!(status, 200, "checkout: {body}");
    assert!(body.get("errors").is_none(), "checkout errors: {body}");
    body["data"]["checkout"].clone()
}

async fn order(app: &TestApp, viewer: &Account, id: &str) -> Value {
    let (_, body) = app
        .graphql_as(&viewer.access_token, ORDER, json!({ "id": id }))
        .await;
    assert!(body.get("errors").is_none(), "order: {body}");
    body["data"]["order"].clone()
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .unwrap_or_else(|| panic!("a time, not {value}"))
        .parse()
        .expect("RFC 3339")
}

/// Waits on the clock (not on a worker) until every deadline in `orders` has passed.
async fn until_due(orders: &[Value]) {
    let last = orders
        .iter()
        .map(|o| time(&o["paymentDueAt"]))
        .max()
        .expect("orders");
    let left = (last - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(left + Duration::from_millis(50)).await;
}

#[tokio::test]
async fn an_unpaid_order_is_cancelled_after_its_deadline_and_its_stock_returns() {
    let market = Market::open_with(market_options(one_second())).await;
    let app = &market.app;
    let linen = market
        .product("Lino natural", "METRE", "0.5", "10", "12.50")
        .await;
    let buyer = app.quick_account("Compradora", "BUYER").await;
    app.add_to_cart(&buyer, &linen, "3").await;
    let placed = checkout(app, &buyer, "vencimiento-1").await;
    assert_eq!(placed["userErrors"], json!([]), "{placed}");
    let placed = placed["orders"][0].clone();
    let id = placed["id"].as_str().expect("order id");
    assert_eq!(placed["status"], "PENDING");
    let deadline = time(&placed["paymentDueAt"]) - time(&placed["createdAt"]);
    assert_eq!(deadline.num_milliseconds(), 1000, "{placed}");
    assert_eq!(market.stock(&linen).await, "7.000");

    until_due(std::slice::from_ref(&placed)).await;
    assert_eq!(app.expire_orders().await, 1);
    assert_eq!(market.stock(&linen).await, "10.000");
    let expired = order(app, &buyer, id).await;
    assert_eq!(expired["status"], "CANCELLED", "{expired}");
    assert_eq!(expired["paymentDueAt"], Value::Null);
    assert_eq!(expired["nextStatuses"], json!([]));
    assert_eq!(
        expired["history"],
        json!([
            { "status": "PENDING", "by": { "id": buyer.id }, "reason": null },
            { "status": "CANCELLED", "by": null, "reason": "PAYMENT_EXPIRED" },
        ]),
        "the marketplace cancelled it, and says why"
    );
    // Once only: a second sweep finds nothing, and the stock is not given back twice.
    assert_eq!(app.expire_orders().await, 0);
    assert_eq!(market.stock(&linen).await, "10.000");

    // A paid order is left alone, whatever its deadline said.
    app.add_to_cart(&buyer, &linen, "2").await;
    let placed = checkout(app, &buyer, "vencimiento-2").await["orders"][0].clone();
    let admin = app.quick_account("Administración", "ADMIN").await;
    let (_, body) = app
        .graphql_as(
            &admin.access_token,
            "mutation($id: ID!) { updateOrderStatus(orderId: $id, status: PAID) {
                order { status paymentDueAt } userErrors { code } } }",
            json!({ "id": placed["id"] }),
        )
        .await;
    assert_eq!(
        body["data"]["updateOrderStatus"]["order"],
        json!({ "status": "PAID", "paymentDueAt": null }),
        "{body}"
    );
    until_due(std::slice::from_ref(&placed)).await;
    assert_eq!(app.expire_orders().await, 0);
    assert_eq!(market.stock(&linen).await, "8.000");
}

#[tokio::test]
async fn an_order_within_its_deadline_keeps_its_stock() {
    // The default deadline: 30 minutes.
    let market = Market::open_with(market_options(OrdersConfig::default())).await;
    let app = &market.app;
    let poncho = market
        .product("Poncho de alpaca", "PIECE", "1", "3", "80000")
        .await;
    let buyer = app.quick_account("Comprador", "BUYER").await;
    app.add_to_cart(&buyer, &poncho, "1").await;
    let placed = checkout(app, &buyer, "a-tiempo-1").await["orders"][0].clone();
    let deadline = time(&placed["paymentDueAt"]) - time(&placed["createdAt"]);
    assert_eq!(deadline.num_minutes(), 30, "{placed}");
    assert_eq!(app.expire_orders().await, 0);
    let kept = order(app, &buyer, placed["id"].as_str().expect("id")).await;
    assert_eq!(kept["status"], "PENDING");
    assert_eq!(market.stock(&poncho).await, "2.000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_sweeping_at_once_cancel_each_order_once() {
    let market = Market::open_with(market_options(one_second())).await;
    let app = &market.app;
    // Started before any order is due, so its first sweep (at start) finds none.
    let sibling = app.sibling(uncached_http()).await;
    let linen = market
        .product("Lino rústico", "METRE", "0.5", "100", "10")
        .await;
    let buyers = join_all(
        (0..12).map(|i| async move { app.quick_account(&format!("Compra {i}"), "BUYER").await }),
    )
    .await;
    let mut placed = Vec::new();
    for (i, buyer) in buyers.iter().enumerate() {
        app.add_to_cart(buyer, &linen, "1.5").await;
        let payload = checkout(app, buyer, &format!("carrera-{i}")).await;
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
        placed.push(payload["orders"][0].clone());
    }
    assert_eq!(market.stock(&linen).await, "82.000");
    until_due(&placed).await;

    let (here, there) = tokio::join!(app.expire_orders(), sibling.expire_orders());
    assert_eq!(
        here + there,
        12,
        "each order cancelled once ({here} + {there})"
    );
    assert_eq!(market.stock(&linen).await, "100.000");
    let cancellations = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM order_status_history
         WHERE status = 'CANCELLED' AND reason = 'PAYMENT_EXPIRED' AND changed_by IS NULL"#
    )
    .fetch_one(app.db.pool())
    .await
    .expect("history");
    assert_eq!(cancellations, 12);
    let (again_here, again_there) = tokio::join!(app.expire_orders(), sibling.expire_orders());
    assert_eq!((again_here, again_there), (0, 0));
    sibling.stop().await.expect("stop sibling");
}

#[tokio::test]
async fn a_buyer_holds_only_so_many_unpaid_orders() {
    let market = Market::open_with(market_options(OrdersConfig {
        max_unpaid_orders: 2,
        ..OrdersConfig::default()
    }))
    .await;
    let app = &market.app;
    let linen = market.product("Lino", "METRE", "0.5", "50", "10").await;
    let buyer = app.quick_account("Compradora", "BUYER").await;
    let mut placed = Vec::new();
    for key in ["limite-1", "limite-2"] {
        app.add_to_cart(&buyer, &linen, "1").await;
        let payload = checkout(app, &buyer, key).await;
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
        placed.push(payload["orders"][0]["id"].as_str().expect("id").to_owned());
    }
    app.add_to_cart(&buyer, &linen, "1").await;
    let refused = checkout(app, &buyer, "limite-3").await;
    assert_eq!(refused["orders"], json!([]));
    assert_eq!(
        refused["userErrors"][0]["code"], "LIMIT_REACHED",
        "{refused}"
    );
    let message = refused["userErrors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains('2'),
        "the message names the limit: {message}"
    );
    // Nothing written: the stock and the cart are as they were.
    assert_eq!(market.stock(&linen).await, "48.000");
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "{ me { cart { lines { quantity } } orders { totalCount } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["me"],
        json!({ "cart": { "lines": [{ "quantity": "1" }] }, "orders": { "totalCount": 2 } }),
        "{body}"
    );

    // Paying one makes room.
    let admin = app.quick_account("Administración", "ADMIN").await;
    let (_, body) = app
        .graphql_as(
            &admin.access_token,
            "mutation($id: ID!) { updateOrderStatus(orderId: $id, status: PAID) { userErrors { code } } }",
            json!({ "id": placed[0] }),
        )
        .await;
    assert_eq!(
        body["data"]["updateOrderStatus"]["userErrors"],
        json!([]),
        "{body}"
    );
    let payload = checkout(app, &buyer, "limite-3").await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(market.stock(&linen).await, "47.000");
}
