//! A seller cannot fake a "verified" review of their own product: checkout refuses lines
//! from the buyer's own store, only the payment flow or an admin marks an order PAID (and the
//! history records which admin), and the store's own accounts may not review its products.

use serde_json::{Value, json};
use textisur_tests::market::Market;
use textisur_tests::{Account, TestApp};

const ADD_TO_CART: &str = "mutation($p: ID!) { addToCart(productId: $p, quantity: \"1\") {
    userErrors { code } } }";
const CHECKOUT: &str = "mutation($k: String!) { checkout(idempotencyKey: $k) {
    orders { id } userErrors { field code message } } }";
const MOVE: &str =
    "mutation($o: ID!, $s: OrderStatus!) { updateOrderStatus(orderId: $o, status: $s) {
    order { status } userErrors { code } } }";
const REVIEW: &str =
    "mutation($p: ID!) { addReview(productId: $p, rating: 5, body: \"excelente\") {
    review { id } userErrors { field code } } }";

async fn call(app: &TestApp, who: &Account, query: &str, variables: Value) -> Value {
    app.graphql_as(&who.access_token, query, variables).await.1
}

async fn buy(app: &TestApp, who: &Account, product: &str, key: &str) -> Value {
    let body = call(app, who, ADD_TO_CART, json!({ "p": product })).await;
    assert_eq!(body["data"]["addToCart"]["userErrors"], json!([]), "{body}");
    call(app, who, CHECKOUT, json!({ "k": key })).await
}

#[tokio::test]
async fn a_seller_cannot_buy_mark_paid_and_review_their_own_product() {
    let market = Market::open().await;
    let app = &market.app;
    let seller = &market.seller;
    let poncho = market
        .product("Poncho de alpaca", "PIECE", "1", "5", "80000")
        .await;

    // The seller's own product: checkout refuses the line and writes nothing.
    let body = buy(app, seller, &poncho, "propia-0001").await;
    let payload = &body["data"]["checkout"];
    assert_eq!(payload["orders"], json!([]), "{body}");
    assert_eq!(payload["userErrors"][0]["code"], "OWN_STORE", "{body}");
    assert_eq!(payload["userErrors"][0]["field"], json!(["cart", poncho]));
    assert_eq!(
        sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM orders"#)
            .fetch_one(app.db.pool())
            .await
            .expect("count"),
        0
    );
    assert_eq!(market.stock(&poncho).await, "5.000");

    // A real buyer's order: the seller may not mark it paid.
    let buyer = app.quick_account("Compradora", "BUYER").await;
    let body = buy(app, &buyer, &poncho, "ajena-00001").await;
    let order = body["data"]["checkout"]["orders"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("checkout: {body}"))
        .to_owned();
    let body = call(app, seller, MOVE, json!({ "o": order, "s": "PAID" })).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    let body = call(
        app,
        seller,
        "query($o: ID!) { order(id: $o) { status nextStatuses } }",
        json!({ "o": order }),
    )
    .await;
    assert_eq!(
        body["data"]["order"],
        json!({ "status": "PENDING", "nextStatuses": ["CANCELLED"] }),
        "{body}"
    );

    // An admin confirms the payment by hand, and the history says which admin.
    let admin = app.quick_account("Administradora", "ADMIN").await;
    let body = call(app, &admin, MOVE, json!({ "o": order, "s": "PAID" })).await;
    assert_eq!(
        body["data"]["updateOrderStatus"]["order"]["status"], "PAID",
        "{body}"
    );
    let paid_by: Option<i64> =
        sqlx::query_scalar!("SELECT changed_by FROM order_status_history WHERE status = 'PAID'")
            .fetch_one(app.db.pool())
            .await
            .expect("history");
    assert_eq!(paid_by, Some(admin.row_id()));

    // The seller ships and delivers; the buyer's review is verified and welcome.
    for status in ["SHIPPED", "DELIVERED"] {
        let body = call(app, seller, MOVE, json!({ "o": order, "s": status })).await;
        assert_eq!(
            body["data"]["updateOrderStatus"]["order"]["status"], status,
            "{body}"
        );
    }
    let body = call(
        app,
        &buyer,
        "query($o: ID!) { order(id: $o) { history { status by { name } } } }",
        json!({ "o": order }),
    )
    .await;
    assert_eq!(
        body["data"]["order"]["history"],
        json!([
            { "status": "PENDING", "by": { "name": "Compradora" } },
            { "status": "PAID", "by": null },
            { "status": "SHIPPED", "by": { "name": "Vendedora" } },
            { "status": "DELIVERED", "by": { "name": "Vendedora" } },
        ]),
        "the buyer is not handed an administrator to aim at: {body}"
    );
    let body = call(
        app,
        &admin,
        "query($o: ID!) { order(id: $o) { history { status by { name } } } }",
        json!({ "o": order }),
    )
    .await;
    assert_eq!(
        body["data"]["order"]["history"][1],
        json!({ "status": "PAID", "by": { "name": "Administradora" } }),
        "admins see which admin: {body}"
    );
    let body = call(app, &buyer, REVIEW, json!({ "p": poncho })).await;
    assert_eq!(body["data"]["addReview"]["userErrors"], json!([]), "{body}");

    // Even a delivered order of their own (one from before these rules, say) does not let
    // the store's owner review its products.
    let seller_row = seller.row_id();
    let product_row = textisur_api::graphql::ids::ProductId::from_global(&poncho.clone().into())
        .expect("product id")
        .0;
    sqlx::query!(
        "WITH o AS (
             INSERT INTO orders (buyer_id, store_id, status, total, currency_code)
             SELECT $1, store_id, 'DELIVERED', 80000, currency_code FROM products WHERE id = $2
             RETURNING id)
         INSERT INTO order_lines (order_id, product_id, product_name, unit, quantity,
                                  unit_price, line_total)
         SELECT o.id, $2, 'Poncho de alpaca', 'PIECE', 1, 80000, 80000 FROM o",
        seller_row,
        product_row
    )
    .execute(app.db.pool())
    .await
    .expect("delivered order of the seller");
    let body = call(app, seller, REVIEW, json!({ "p": poncho })).await;
    assert_eq!(
        body["data"]["addReview"]["userErrors"],
        json!([{ "field": ["productId"], "code": "NOT_ELIGIBLE" }]),
        "{body}"
    );
    assert_eq!(
        sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM reviews"#)
            .fetch_one(app.db.pool())
            .await
            .expect("count"),
        1
    );
}
