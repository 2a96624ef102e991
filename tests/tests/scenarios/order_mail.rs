//! Order mails: the buyer hears that an order was placed (with its payment link), paid,
//! shipped, cancelled and refunded; the seller hears of a new order and of its payment.
//! Every mail goes through the real outbox and the real SMTP client to a real SMTP server
//! the test starts (`tests/src/mail.rs`), and arrives as plain text and HTML. With that
//! server down, checkout goes on; the mail waits in the outbox and arrives once it is back,
//! even through another server process, and none arrives twice.

use std::collections::BTreeMap;

use futures::future::join_all;
use serde_json::{Value, json};
use textisur_tests::mail::{MailServer, Received};
use textisur_tests::market::Market;
use textisur_tests::mercadopago::{MercadoPagoSimulator, Signing};
use textisur_tests::{Account, TestApp, TestOptions, uncached_http};

const CHECKOUT: &str = "mutation($k: String!) { checkout(idempotencyKey: $k) {
    orders { id number } payment { url } userErrors { field code message } } }";
const MOVE: &str =
    "mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(orderId: $id, status: $s) {
    order { status } userErrors { code } } }";

async fn email(app: &TestApp, account: &Account) -> String {
    sqlx::query_scalar!("SELECT email FROM users WHERE id = $1", account.row_id())
        .fetch_one(app.db.pool())
        .await
        .expect("email")
}

async fn checkout(app: &TestApp, buyer: &Account, product: &str, key: &str) -> Value {
    app.add_to_cart(buyer, product, "1").await;
    let (status, body) = app
        .graphql_as(&buyer.access_token, CHECKOUT, json!({ "k": key }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["checkout"]["userErrors"], json!([]), "{body}");
    body["data"]["checkout"].clone()
}

async fn move_order(app: &TestApp, actor: &Account, order: &Value, status: &str) {
    let (_, body) = app
        .graphql_as(
            &actor.access_token,
            MOVE,
            json!({ "id": order["id"], "s": status }),
        )
        .await;
    assert_eq!(
        body["data"]["updateOrderStatus"]["order"]["status"], status,
        "{body}"
    );
}

/// The one mail that arrived for `to` since the last take, checked for both parts.
fn only_mail(server: &MailServer, to: &str) -> Received {
    let mut mails = server.take_for(to);
    assert_eq!(mails.len(), 1, "one mail for {to}: {mails:#?}");
    let mail = mails.remove(0);
    let html = mail.html.as_deref().unwrap_or_default();
    assert!(html.contains("<html"), "an HTML part: {mail:#?}");
    mail
}

fn assert_mail(mail: &Received, subject: &str, number: &str, says: &str) {
    assert_eq!(mail.subject, subject, "{mail:#?}");
    let html = mail.html.as_deref().unwrap_or_default();
    for part in [&mail.body, html] {
        assert!(part.contains(number), "names {number}: {part}");
        assert!(part.contains(says), "says {says:?}: {part}");
    }
}

#[tokio::test]
async fn each_order_notification_reaches_its_party_with_the_orders_number() {
    let smtp = MailServer::start();
    let simulator = MercadoPagoSimulator::start().await;
    let market = Market::open_with(TestOptions {
        smtp_url: Some(smtp.url()),
        payments: Some(simulator.setup()),
        ..TestOptions::default()
    })
    .await;
    let app = &market.app;
    let connected = market.connect_mercadopago(&simulator, "5001").await;
    assert_eq!(connected["connected"], true, "{connected}");
    let shirt = market
        .product("Camisa de lino", "PIECE", "1", "10", "24990")
        .await;
    let buyer = app.quick_account("Compradora", "BUYER").await;
    let (buyer_mail, seller_mail) = (email(app, &buyer).await, email(app, &market.seller).await);
    let webhooks = app.url("/webhooks/mercadopago");
    let pay = |number: String| {
        let simulator = &simulator;
        let webhooks = webhooks.clone();
        async move {
            let preference = simulator.preference_for(&number).expect("a preference");
            let paid = simulator.pay(&preference, "approved", None, None);
            let status = simulator
                .deliver(&simulator.webhook(&paid, &webhooks, Signing::Valid))
                .await;
            assert_eq!(status, 200);
        }
    };

    // Placed: the buyer gets the payment link, the seller the new order.
    let first = checkout(app, &buyer, &shirt, "mail-pedido-1").await;
    let order = first["orders"][0].clone();
    let number = order["number"].as_str().expect("number").to_owned();
    let link = first["payment"]["url"].as_str().expect("a payment link");
    app.drain_mail().await;
    let placed = only_mail(&smtp, &buyer_mail);
    assert_mail(
        &placed,
        &format!("Recibimos tu pedido {number} en Telas del Sur"),
        &number,
        "CLP 24.990",
    );
    assert!(placed.body.contains(link), "the payment link: {placed:#?}");
    assert!(
        placed
            .html
            .as_deref()
            .is_some_and(|h| h.contains("Pagar con Mercado Pago")),
        "{placed:#?}"
    );
    let new = only_mail(&smtp, &seller_mail);
    assert_mail(
        &new,
        &format!("Nuevo pedido {number} en Telas del Sur"),
        &number,
        "Camisa de lino",
    );
    assert!(
        new.body.contains("/tienda/pedidos/"),
        "the seller's order page: {new:#?}"
    );

    // Paid: both hear of it; the buyer's mail no longer offers to pay.
    pay(number.clone()).await;
    app.drain_mail().await;
    let paid = only_mail(&smtp, &buyer_mail);
    assert_mail(
        &paid,
        &format!("Pago aprobado: pedido {number}"),
        &number,
        "Recibimos el pago",
    );
    let ready = only_mail(&smtp, &seller_mail);
    assert_mail(
        &ready,
        &format!("El pedido {number} está pagado: ya puedes prepararlo"),
        &number,
        "Ya puedes prepararlo",
    );

    // Shipped: the buyer only.
    move_order(app, &market.seller, &order, "SHIPPED").await;
    app.drain_mail().await;
    let shipped = only_mail(&smtp, &buyer_mail);
    assert_mail(
        &shipped,
        &format!("Tu pedido {number} está en camino"),
        &number,
        "en camino",
    );
    assert!(smtp.take().is_empty(), "nothing for the seller");

    // Cancelled after payment: cancelled (a refund is coming), then refunded.
    let second = checkout(app, &buyer, &shirt, "mail-pedido-2").await;
    let order = second["orders"][0].clone();
    let number = order["number"].as_str().expect("number").to_owned();
    pay(number.clone()).await;
    app.drain_mail().await;
    assert_eq!(
        smtp.take().len(),
        4,
        "placed, new, paid and paid for the seller"
    );
    move_order(app, &market.seller, &order, "CANCELLED").await;
    app.drain_mail().await;
    let mut mails = smtp.take_for(&buyer_mail);
    assert_eq!(mails.len(), 2, "{mails:#?}");
    mails.sort_by_key(|m| m.subject.contains("devolvimos"));
    assert_mail(
        &mails[0],
        &format!("Tu pedido {number} fue cancelado"),
        &number,
        "Te devolvemos el pago",
    );
    assert_mail(
        &mails[1],
        &format!("Te devolvimos el pago del pedido {number}"),
        &number,
        "Te devolvimos el pago",
    );
    assert!(smtp.take().is_empty(), "nothing for the seller");

    // Not paid in time: cancelled by the marketplace, and the mail says why.
    let third = checkout(app, &buyer, &shirt, "mail-pedido-3").await;
    let number = third["orders"][0]["number"]
        .as_str()
        .expect("number")
        .to_owned();
    app.drain_mail().await;
    assert_eq!(smtp.take().len(), 2, "placed and new");
    sqlx::query!(
        "UPDATE orders SET payment_due_at = now() - interval '1 second' WHERE number = $1",
        number
    )
    .execute(app.db.pool())
    .await
    .expect("the deadline passes");
    assert_eq!(app.expire_orders().await, 1);
    app.drain_mail().await;
    let expired = only_mail(&smtp, &buyer_mail);
    assert_mail(
        &expired,
        &format!("Tu pedido {number} fue cancelado"),
        &number,
        "no recibimos el pago a tiempo",
    );
    assert!(
        !expired.body.contains("devolvemos"),
        "nothing was paid: {expired:#?}"
    );
    assert!(smtp.take().is_empty());

    // "Placed" fails while the mail server is down and backs off; the order is paid
    // meanwhile: "paid" waits for it, and the late "placed" asks for no payment.
    smtp.stop();
    let fourth = checkout(app, &buyer, &shirt, "mail-pedido-4").await;
    let number = fourth["orders"][0]["number"]
        .as_str()
        .expect("number")
        .to_owned();
    app.mailer().send_due().await.expect("a send attempt");
    // Back before the payment: "paid" could go at once, and must not while "placed" backs off.
    smtp.restart();
    pay(number.clone()).await;
    app.mailer().send_due().await.expect("a send attempt");
    assert!(
        smtp.take_for(&buyer_mail).is_empty(),
        "paid went before placed"
    );
    sqlx::query!("UPDATE mail_outbox SET next_attempt_at = now() WHERE sent_at IS NULL")
        .execute(app.db.pool())
        .await
        .expect("the backoff passes");
    app.drain_mail().await;
    let to_buyer = smtp.take_for(&buyer_mail);
    let subjects: Vec<&str> = to_buyer.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            format!("Recibimos tu pedido {number} en Telas del Sur"),
            format!("Pago aprobado: pedido {number}"),
        ],
        "in order"
    );
    assert!(!to_buyer[0].body.contains("Paga"), "{:#?}", to_buyer[0]);
    assert_eq!(smtp.take().len(), 2, "new order and paid, for the seller");
}

#[tokio::test]
async fn mail_queued_while_the_smtp_server_is_down_arrives_once_it_is_back_and_never_twice() {
    let smtp = MailServer::start();
    let mut market = Market::open_with(TestOptions {
        smtp_url: Some(smtp.url()),
        ..TestOptions::default()
    })
    .await;
    let linen = market
        .product("Lino natural", "METRE", "0.5", "100", "12500")
        .await;
    let app = &market.app;
    let mut buyers = Vec::new();
    for i in 0..12 {
        buyers.push(app.quick_account(&format!("Comprador {i}"), "BUYER").await);
    }
    smtp.stop();

    // Checkout goes on while no mail can leave.
    let keys: Vec<String> = (0..buyers.len())
        .map(|i| format!("caida-smtp-{i:02}"))
        .collect();
    let checkouts = join_all(
        buyers
            .iter()
            .zip(&keys)
            .map(|(buyer, key)| checkout(app, buyer, &linen, key)),
    )
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
    // Whatever the background sender tried failed, and this attempt fails too: every mail
    // is still queued, and each failed one waits its backoff.
    app.mailer().send_due().await.expect("a send attempt");
    let queued = sqlx::query!(
        r#"SELECT count(*) AS "all!",
                  count(*) FILTER (WHERE attempts > 0 AND next_attempt_at > now()
                                   AND last_error IS NOT NULL) AS "backing_off!"
           FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL"#
    )
    .fetch_one(app.db.pool())
    .await
    .expect("outbox");
    assert_eq!(
        queued.all, 24,
        "a mail to each buyer and one to the seller per order"
    );
    assert!(queued.backing_off > 0, "failed attempts back off");

    // This process goes away; another one, on the same outbox, delivers once the mail
    // server is back and the backoff has passed.
    let seller_mail = email(&market.app, &market.seller).await;
    let mut buyer_mails = Vec::new();
    for buyer in &buyers {
        buyer_mails.push(email(&market.app, buyer).await);
    }
    market
        .app
        .stop_server()
        .await
        .expect("stop the first server");
    smtp.restart();
    let other = market
        .app
        .sibling_with_mail(uncached_http(), Some(smtp.url()))
        .await;
    sqlx::query!("UPDATE mail_outbox SET next_attempt_at = now() WHERE sent_at IS NULL")
        .execute(market.app.db.pool())
        .await
        .expect("the backoff passes");
    other.drain_mail().await;

    let arrived = smtp.take();
    assert_eq!(arrived.len(), 24, "every mail, none twice: {arrived:#?}");
    let mut subjects: BTreeMap<String, usize> = BTreeMap::new();
    for mail in &arrived {
        *subjects
            .entry(format!("{:?} {}", mail.to, mail.subject))
            .or_default() += 1;
    }
    assert!(subjects.values().all(|n| *n == 1), "{subjects:#?}");
    for (number, buyer_mail) in numbers.iter().zip(&buyer_mails) {
        let to_buyer: Vec<_> = arrived
            .iter()
            .filter(|m| m.to.iter().any(|t| t.contains(buyer_mail.as_str())))
            .collect();
        assert_eq!(to_buyer.len(), 1, "{buyer_mail}");
        assert_eq!(
            to_buyer[0].subject,
            format!("Recibimos tu pedido {number} en Telas del Sur")
        );
        // No provider here: the mail sends the buyer to the order's page to pay.
        assert!(
            to_buyer[0]
                .body
                .contains(&format!("/cuenta/pedidos/{number}")),
            "{:#?}",
            to_buyer[0]
        );
        assert_eq!(
            arrived
                .iter()
                .filter(|m| m.to.iter().any(|t| t.contains(seller_mail.as_str()))
                    && m.subject == format!("Nuevo pedido {number} en Telas del Sur"))
                .count(),
            1
        );
    }
    // Drained again, nothing goes twice.
    other.drain_mail().await;
    assert!(smtp.take().is_empty(), "nothing arrives twice");
    other.stop().await.expect("stop");
}
