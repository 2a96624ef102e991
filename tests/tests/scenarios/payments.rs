//! Payments through Mercado Pago, against the provider's simulator
//! (`tests/src/mercadopago.rs`): a seller connects their account, checkout makes the
//! payment link, and only a signed webhook whose payment the provider's API confirms, for
//! the order's exact amount and currency, makes the order PAID. Bad signatures, stale
//! timestamps, replays, wrong amounts and currencies, unknown orders and a provider that is
//! down change nothing.

use futures::future::join_all;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use textisur_tests::market::Market;
use textisur_tests::mercadopago::{MercadoPagoSimulator, Signing};
use textisur_tests::{Account, TestApp, TestOptions};

use crate::ws_client;

const CHECKOUT: &str = "mutation($k: String!) { checkout(idempotencyKey: $k) {
    orders { id number status total { amount currencyCode } payment { status url reference } }
    payment { status provider reference url amount { amount currencyCode } }
    userErrors { field code message } } }";
const ORDER: &str = "query($id: ID!) { order(id: $id) {
    status history { status by { id } } payment { status reference url } } }";

async fn paying_market(simulator: &MercadoPagoSimulator) -> Market {
    Market::open_with(TestOptions {
        payments: Some(simulator.setup()),
        ..TestOptions::default()
    })
    .await
}

async fn connect(market: &Market, simulator: &MercadoPagoSimulator, collector: &str) -> Value {
    market.connect_mercadopago(simulator, collector).await
}

async fn buy(app: &TestApp, buyer: &Account, product: &str, quantity: &str, key: &str) -> Value {
    app.add_to_cart(buyer, product, quantity).await;
    let (status, body) = app
        .graphql_as(&buyer.access_token, CHECKOUT, json!({ "k": key }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["checkout"]["userErrors"], json!([]), "{body}");
    body["data"]["checkout"].clone()
}

async fn order(app: &TestApp, viewer: &Account, id: &Value) -> Value {
    let (_, body) = app
        .graphql_as(&viewer.access_token, ORDER, json!({ "id": id }))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["order"].clone()
}

#[tokio::test]
async fn a_signed_webhook_confirmed_by_the_providers_api_pays_the_order_and_nothing_else_does() {
    let simulator = MercadoPagoSimulator::start().await;
    let market = paying_market(&simulator).await;
    let app = &market.app;
    assert_eq!(
        connect(&market, &simulator, "5001").await,
        json!({ "connected": true, "userErrors": [] })
    );
    let linen = market
        .product("Lino natural", "METRE", "0.5", "10", "1234.50")
        .await;
    let buyer = app.quick_account("Compradora", "BUYER").await;
    let checkout = buy(app, &buyer, &linen, "2", "pago-lino-1").await;
    let placed = &checkout["orders"][0];
    let number = placed["number"].as_str().expect("number");
    assert_eq!(
        placed["total"],
        json!({ "amount": "2469", "currencyCode": "CLP" })
    );

    // The link, made as the seller (the collector), with the marketplace's 10 %.
    let payment = &checkout["payment"];
    assert_eq!(payment["status"], "PENDING", "{checkout}");
    assert_eq!(payment["provider"], "MERCADOPAGO");
    let preference_id = simulator.preference_for(number).expect("a preference");
    assert_eq!(payment["reference"], preference_id.as_str());
    assert!(
        payment["url"]
            .as_str()
            .is_some_and(|u| u.contains(&preference_id)),
        "{payment}"
    );
    let preference = simulator.preference(&preference_id);
    assert_eq!(preference["collector_id"], "5001");
    assert_eq!(
        preference["marketplace_fee"].as_f64(),
        Some(247.0),
        "10 %, and CLP has no decimals: {preference}"
    );
    assert_eq!(preference["items"][0]["unit_price"].as_f64(), Some(2469.0));
    assert_eq!(preference["items"][0]["currency_id"], "CLP");
    let webhooks = app.url("/webhooks/mercadopago");
    assert_eq!(preference["notification_url"], webhooks.as_str());
    assert!(
        preference["expiration_date_to"].is_string(),
        "the link ends with the order's deadline"
    );

    let pending = |body: &Value| {
        assert_eq!(body["status"], "PENDING", "{body}");
        assert_eq!(body["payment"]["status"], "PENDING", "{body}");
    };
    let paid = simulator.pay(&preference_id, "approved", None, None);
    // Signed with another secret, stale, or not at all: 401, and nothing changes.
    for signing in [Signing::WrongSecret, Signing::Stale, Signing::Missing] {
        let status = simulator
            .deliver(&simulator.webhook(&paid, &webhooks, signing))
            .await;
        assert_eq!(status, 401, "{signing:?}");
        pending(&order(app, &buyer, &placed["id"]).await);
    }
    // A payment for another amount, or in another currency: acknowledged, nothing moves.
    for (amount, currency) in [(Some("2468"), None), (None, Some("ARS"))] {
        let wrong = simulator.pay(&preference_id, "approved", amount, currency);
        let status = simulator
            .deliver(&simulator.webhook(&wrong, &webhooks, Signing::Valid))
            .await;
        assert_eq!(status, 200);
        pending(&order(app, &buyer, &placed["id"]).await);
    }
    // A payment for an order this server has not committed: 404, so the provider retries.
    let early = simulator.pay_reference("5001", "TS-999999", "2469", "CLP");
    let status = simulator
        .deliver(&simulator.webhook(&early, &webhooks, Signing::Valid))
        .await;
    assert_eq!(status, 404);
    // A rejected attempt leaves the order waiting, and the link usable.
    let rejected = simulator.pay(&preference_id, "rejected", None, None);
    let status = simulator
        .deliver(&simulator.webhook(&rejected, &webhooks, Signing::Valid))
        .await;
    assert_eq!(status, 200);
    let after_rejection = order(app, &buyer, &placed["id"]).await;
    assert_eq!(after_rejection["status"], "PENDING");
    assert_eq!(after_rejection["payment"]["status"], "REJECTED");
    assert!(after_rejection["payment"]["url"].is_string());

    // The real one.
    let delivery = simulator.webhook(&paid, &webhooks, Signing::Valid);
    assert_eq!(simulator.deliver(&delivery).await, 200);
    let done = order(app, &buyer, &placed["id"]).await;
    assert_eq!(done["status"], "PAID", "{done}");
    assert_eq!(
        done["payment"],
        json!({ "status": "APPROVED", "reference": paid, "url": null })
    );
    assert_eq!(
        done["history"],
        json!([
            { "status": "PENDING", "by": { "id": buyer.id } },
            { "status": "PAID", "by": null },
        ]),
        "the marketplace moved it"
    );
    // Replayed, and an older "pending" arriving late: nothing moves twice, nothing back.
    assert_eq!(simulator.deliver(&delivery).await, 200);
    simulator.set_status(&rejected, "pending");
    let late = simulator.webhook(&rejected, &webhooks, Signing::Valid);
    assert_eq!(simulator.deliver(&late).await, 200);
    let still = order(app, &buyer, &placed["id"]).await;
    assert_eq!(still["status"], "PAID");
    assert_eq!(
        still["history"].as_array().map(Vec::len),
        Some(2),
        "{still}"
    );

    // Every payment was read from the provider's API, not from the webhook's body.
    let reads = simulator
        .calls()
        .iter()
        .filter(|c| c.starts_with("GET /v1/payments/"))
        .count();
    assert!(reads >= 6, "{:?}", simulator.calls());
}

#[tokio::test]
async fn checkout_goes_on_while_the_provider_is_down_and_pay_order_makes_the_link_later() {
    let simulator = MercadoPagoSimulator::start().await;
    let market = paying_market(&simulator).await;
    let app = &market.app;
    connect(&market, &simulator, "5002").await;
    let wool = market
        .product("Lana merino", "KILOGRAM", "0.5", "20", "100")
        .await;
    let buyer = app.quick_account("Comprador", "BUYER").await;
    // Every attempt (three) of the preference fails.
    simulator.fail_next(3);
    let checkout = buy(app, &buyer, &wool, "1", "sin-proveedor-1").await;
    let placed = &checkout["orders"][0];
    assert_eq!(
        placed["status"], "PENDING",
        "the order is taken: {checkout}"
    );
    assert_eq!(checkout["payment"], Value::Null);
    assert_eq!(placed["payment"], Value::Null);

    let pay = "mutation($o: ID!) { payOrder(orderId: $o) { payment { status url } userErrors { code } } }";
    let (_, body) = app
        .graphql_as(&buyer.access_token, pay, json!({ "o": placed["id"] }))
        .await;
    let payment = &body["data"]["payOrder"];
    assert_eq!(payment["userErrors"], json!([]), "{body}");
    assert_eq!(payment["payment"]["status"], "PENDING");
    assert!(payment["payment"]["url"].is_string(), "{body}");
    // Asked again, the same link: no second preference.
    let (_, again) = app
        .graphql_as(&buyer.access_token, pay, json!({ "o": placed["id"] }))
        .await;
    assert_eq!(again["data"]["payOrder"], body["data"]["payOrder"]);
    let made = simulator
        .calls()
        .iter()
        .filter(|c| c.as_str() == "POST /checkout/preferences")
        .count();
    assert_eq!(
        made,
        4,
        "three failed attempts, then one: {:?}",
        simulator.calls()
    );

    // Someone else's order: FORBIDDEN; a bad OAuth code: a user error.
    let stranger = app.quick_account("Otra", "BUYER").await;
    let (_, body) = app
        .graphql_as(&stranger.access_token, pay, json!({ "o": placed["id"] }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    let (_, body) = app
        .graphql_as(
            &market.seller.access_token,
            "mutation($s: ID!) { connectMercadoPago(storeId: $s, code: \"TG-inventado\",
                redirectUri: \"https://textisur.localhost/vender\") { connected userErrors { field code } } }",
            json!({ "s": market.store }),
        )
        .await;
    assert_eq!(
        body["data"]["connectMercadoPago"],
        json!({ "connected": false, "userErrors": [{ "field": ["code"], "code": "INVALID_TOKEN" }] })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_checkouts_with_webhooks_twice_and_out_of_order_are_each_paid_once() {
    let simulator = MercadoPagoSimulator::start().await;
    let market = paying_market(&simulator).await;
    let app = &market.app;
    connect(&market, &simulator, "5003").await;
    let cloth = market
        .product("Tela de algodón", "METRE", "0.5", "1000", "1999.99")
        .await;
    let buyers = join_all(
        (0..200).map(|i| async move { app.quick_account(&format!("Compra {i}"), "BUYER").await }),
    )
    .await;
    // 200 checkouts at once, of 0.5 to 2.5 metres each.
    let checkouts = join_all(buyers.iter().enumerate().map(|(i, buyer)| {
        let cloth = cloth.clone();
        async move {
            let metres = format!("{}.5", i % 3);
            buy(app, buyer, &cloth, &metres, &format!("doscientos-{i:03}")).await
        }
    }))
    .await;
    let numbers: Vec<String> = checkouts
        .iter()
        .map(|c| {
            c["orders"][0]["number"]
                .as_str()
                .expect("number")
                .to_owned()
        })
        .collect();
    assert!(
        checkouts
            .iter()
            .all(|c| c["payment"]["status"] == "PENDING")
    );

    // Each paid, and each webhook delivered twice, in an order unlike the checkouts'.
    let webhooks = app.url("/webhooks/mercadopago");
    let mut deliveries = Vec::new();
    for number in &numbers {
        let preference = simulator.preference_for(number).expect("preference");
        let paid = simulator.pay(&preference, "approved", None, None);
        let delivery = simulator.webhook(&paid, &webhooks, Signing::Valid);
        deliveries.push(delivery.clone());
        deliveries.push(delivery);
    }
    // A fixed shuffle: odd positions from the end, then even ones from the start.
    let (odd, even): (Vec<_>, Vec<_>) = deliveries
        .into_iter()
        .enumerate()
        .partition(|(i, _)| i % 2 == 1);
    let shuffled: Vec<_> = odd.into_iter().rev().chain(even).map(|(_, d)| d).collect();
    for chunk in shuffled.chunks(25) {
        let statuses = join_all(chunk.iter().map(|d| simulator.deliver(d))).await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    }

    let db = app.db.pool();
    let paid_once = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM (
               SELECT o.id FROM orders o JOIN order_status_history h ON h.order_id = o.id
               WHERE o.status = 'PAID' AND h.status = 'PAID' AND h.changed_by IS NULL
               GROUP BY o.id HAVING count(*) = 1) once"#
    )
    .fetch_one(db)
    .await
    .expect("count");
    assert_eq!(paid_once, 200, "every order paid, each exactly once");
    let sums = sqlx::query!(
        r#"SELECT (SELECT sum(total) FROM orders WHERE status = 'PAID') AS "orders!",
                  sum(l.gross) AS "gross!", sum(l.commission) AS "commission!",
                  sum(l.net) AS "net!", count(*) AS "entries!",
                  (SELECT sum(marketplace_fee) FROM payments WHERE status = 'APPROVED') AS "fees!"
           FROM ledger_entries l"#
    )
    .fetch_one(db)
    .await
    .expect("sums");
    assert_eq!(sums.entries, 200);
    assert_eq!(
        sums.gross, sums.orders,
        "the ledger's gross is what the orders cost"
    );
    assert_eq!(
        sums.commission, sums.fees,
        "the commission is what the provider was told"
    );
    assert_eq!(sums.commission + sums.net, sums.gross);

    // The seller's view of the same.
    let (_, body) = app
        .graphql_as(
            &market.seller.access_token,
            "query($s: ID!) { node(id: $s) { ... on Store {
                earnings(from: \"2000-01-01T00:00:00Z\", to: \"2100-01-01T00:00:00Z\") {
                    gross commission net currencyCode orders } } } }",
            json!({ "s": market.store }),
        )
        .await;
    let earnings = &body["data"]["node"]["earnings"];
    let decimal = |v: &Value| {
        v.as_str()
            .expect("decimal")
            .parse::<Decimal>()
            .expect("decimal")
    };
    assert_eq!(decimal(&earnings["gross"]), sums.gross, "{body}");
    assert_eq!(decimal(&earnings["commission"]), sums.commission);
    assert_eq!(decimal(&earnings["net"]), sums.net);
    assert_eq!(earnings["orders"], 200);
    assert_eq!(earnings["currencyCode"], "CLP");
}

/// A paid order of one piece, through the provider; its id and its payment's.
async fn paid_order(
    market: &Market,
    simulator: &MercadoPagoSimulator,
    buyer: &Account,
    product: &str,
    key: &str,
) -> (Value, String) {
    let app = &market.app;
    let checkout = buy(app, buyer, product, "1", key).await;
    let number = checkout["orders"][0]["number"].as_str().expect("number");
    let preference = simulator.preference_for(number).expect("preference");
    let paid = simulator.pay(&preference, "approved", None, None);
    let webhooks = app.url("/webhooks/mercadopago");
    let delivery = simulator.webhook(&paid, &webhooks, Signing::Valid);
    assert_eq!(simulator.deliver(&delivery).await, 200);
    (checkout["orders"][0]["id"].clone(), paid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_paid_order_refunds_it_once_and_a_refused_refund_is_retried() {
    let simulator = MercadoPagoSimulator::start().await;
    let market = paying_market(&simulator).await;
    let app = &market.app;
    connect(&market, &simulator, "5004").await;
    let poncho = market.product("Poncho", "PIECE", "1", "10", "50000").await;
    let buyer = app.quick_account("Comprador", "BUYER").await;
    let (order_id, payment) = paid_order(&market, &simulator, &buyer, &poncho, "reembolso-1").await;
    assert_eq!(market.stock(&poncho).await, "9.000");

    // The seller cancels it twice at once: one cancel, one refund.
    let cancel =
        "mutation($o: ID!) { cancelOrder(orderId: $o) { order { status } userErrors { code } } }";
    let (first, second) = tokio::join!(
        app.graphql_as(
            &market.seller.access_token,
            cancel,
            json!({ "o": order_id })
        ),
        app.graphql_as(
            &market.seller.access_token,
            cancel,
            json!({ "o": order_id })
        ),
    );
    let mut outcomes = vec![
        first.1["data"]["cancelOrder"].to_string(),
        second.1["data"]["cancelOrder"].to_string(),
    ];
    outcomes.sort();
    assert_eq!(
        outcomes,
        vec![
            json!({ "order": null, "userErrors": [{ "code": "INVALID_TRANSITION" }] }).to_string(),
            json!({ "order": { "status": "CANCELLED" }, "userErrors": [] }).to_string(),
        ]
    );
    assert_eq!(simulator.refunds(&payment), 1);
    let done = order(app, &buyer, &order_id).await;
    assert_eq!(done["status"], "CANCELLED");
    assert_eq!(done["payment"]["status"], "REFUNDED", "{done}");
    assert_eq!(market.stock(&poncho).await, "10.000");
    assert_eq!(app.retry_refunds().await, 0, "nothing is owed");

    // A refund the provider refuses: visible as REFUND_PENDING, then retried to success,
    // which the buyer's app hears.
    let (order_id, payment) = paid_order(&market, &simulator, &buyer, &poncho, "reembolso-2").await;
    let mut ws = ws_client::connect(&app.base).await;
    ws_client::init(&mut ws, &buyer).await;
    ws_client::send(
        &mut ws,
        json!({ "id": "1", "type": "subscribe", "payload": {
            "query": "subscription($o: ID) { orderUpdated(orderId: $o) { status payment { status } } }",
            "variables": { "o": order_id } } }),
    )
    .await;
    simulator.refuse_refunds(1);
    let admin = app.quick_account("Administración", "ADMIN").await;
    let (_, body) = app
        .graphql_as(&admin.access_token, cancel, json!({ "o": order_id }))
        .await;
    assert_eq!(
        body["data"]["cancelOrder"]["order"]["status"], "CANCELLED",
        "{body}"
    );
    let owed = order(app, &buyer, &order_id).await;
    assert_eq!(owed["payment"]["status"], "REFUND_PENDING", "{owed}");
    assert_eq!(simulator.refunds(&payment), 0);
    assert_eq!(app.retry_refunds().await, 1);
    // Events show the order as it is when delivered: the last one shows the refund.
    let mut heard = Vec::new();
    while heard.last() != Some(&json!("REFUNDED")) {
        let event = ws_client::receive_within(&mut ws, std::time::Duration::from_secs(10)).await;
        heard.push(event["payload"]["data"]["orderUpdated"]["payment"]["status"].clone());
    }
    let refunded = order(app, &buyer, &order_id).await;
    assert_eq!(refunded["payment"]["status"], "REFUNDED", "{refunded}");
    assert_eq!(simulator.refunds(&payment), 1);
    assert_eq!(app.retry_refunds().await, 0);

    // The ledger: two sales, two refunds, nothing earned.
    let (_, body) = app
        .graphql_as(
            &market.seller.access_token,
            "query($s: ID!) { node(id: $s) { ... on Store {
                earnings(from: \"2000-01-01T00:00:00Z\", to: \"2100-01-01T00:00:00Z\") {
                    gross net orders } } } }",
            json!({ "s": market.store }),
        )
        .await;
    assert_eq!(
        body["data"]["node"]["earnings"],
        json!({ "gross": "0.00", "net": "0.00", "orders": 0 }),
        "{body}"
    );
}

#[tokio::test]
async fn a_payment_arriving_after_the_order_expired_is_given_back_once() {
    let simulator = MercadoPagoSimulator::start().await;
    let market = paying_market(&simulator).await;
    let app = &market.app;
    connect(&market, &simulator, "5005").await;
    let scarf = market.product("Bufanda", "PIECE", "1", "5", "8000").await;
    let buyer = app.quick_account("Compradora tardía", "BUYER").await;
    let checkout = buy(app, &buyer, &scarf, "1", "pago-tarde-1").await;
    let placed = &checkout["orders"][0];
    let number = placed["number"].as_str().expect("number");
    sqlx::query!(
        "UPDATE orders SET payment_due_at = now() - interval '1 second' WHERE number = $1",
        number
    )
    .execute(app.db.pool())
    .await
    .expect("the deadline passes");
    assert_eq!(app.expire_orders().await, 1);
    assert_eq!(market.stock(&scarf).await, "5.000");

    // The buyer pays anyway, through the link still open in their browser; the provider
    // refuses the first refund.
    simulator.refuse_refunds(1);
    let preference = simulator.preference_for(number).expect("a preference");
    let paid = simulator.pay(&preference, "approved", None, None);
    let webhooks = app.url("/webhooks/mercadopago");
    let delivery = simulator.webhook(&paid, &webhooks, Signing::Valid);
    assert_eq!(simulator.deliver(&delivery).await, 200);
    let owed = order(app, &buyer, &placed["id"]).await;
    assert_eq!(owed["status"], "CANCELLED", "{owed}");
    assert_eq!(owed["payment"]["status"], "REFUND_PENDING", "{owed}");
    // Replayed while the refund is owed: the payment does not turn back into a sale.
    assert_eq!(simulator.deliver(&delivery).await, 200);
    let still = order(app, &buyer, &placed["id"]).await;
    assert_eq!(still["payment"]["status"], "REFUND_PENDING", "{still}");
    assert_eq!(simulator.refunds(&paid), 0);

    assert_eq!(app.retry_refunds().await, 1);
    assert_eq!(simulator.refunds(&paid), 1);
    let refunded = order(app, &buyer, &placed["id"]).await;
    assert_eq!(refunded["status"], "CANCELLED", "{refunded}");
    assert_eq!(refunded["payment"]["status"], "REFUNDED", "{refunded}");
    assert_eq!(simulator.deliver(&delivery).await, 200);
    assert_eq!(app.retry_refunds().await, 0, "nothing more is owed");
    assert_eq!(simulator.refunds(&paid), 1);
    // Never a sale: the store's ledger has nothing for it, and its stock stayed back.
    let entries = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM ledger_entries l JOIN orders o ON o.id = l.order_id
           WHERE o.number = $1"#,
        number
    )
    .fetch_one(app.db.pool())
    .await
    .expect("ledger");
    assert_eq!(entries, 0);
    assert_eq!(market.stock(&scarf).await, "5.000");
}
