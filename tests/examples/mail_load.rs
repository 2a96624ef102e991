//! Order mail under load: how fast the outbox's sender delivers, through the real SMTP
//! client (lettre) to the tests' real SMTP server on 127.0.0.1 (`tests/src/mail.rs`).
//!
//! Two phases on one fresh database, `--buyers` (50) buyers checking out one product each
//! time (each checkout queues two mails: the buyer's "order placed" and the seller's "new
//! order"):
//! - **backlog**: the SMTP server is down while the buyers make `--orders` (1000) orders;
//!   then it comes back, and one drain delivers the whole backlog. Prints
//!   `MAIL backlog mails seconds mails_per_s`.
//! - **live**: the SMTP server is up and the buyers loop for `--seconds` (10); the server's
//!   own sender delivers as orders commit. Prints `MAIL live orders_per_s mails mails_per_s
//!   p50_ms p95_ms p99_ms`, where a sample is one mail's time from its queueing (the
//!   checkout's commit) to its delivery, as the outbox records both (`created_at`,
//!   `sent_at`). The buyer's mail waits for checkout's payment link first.
//!
//! ```sh
//! cargo run --release -p textisur-tests --example mail_load -- --buyers 50 --orders 1000 --seconds 10
//! ```

use std::time::{Duration, Instant};

use serde_json::json;
use textisur_api::commerce::orders::expiry::OrdersConfig;
use textisur_tests::mail::MailServer;
use textisur_tests::market::Market;
use textisur_tests::{Account, TestApp, TestOptions};

fn option(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One buyer's checkout of one unit of `product`; whether it made an order.
async fn buy(app: &TestApp, buyer: &Account, product: &str, key: String) -> bool {
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "mutation($p: ID!) { addToCart(productId: $p, quantity: \"1\") { userErrors { code } } }",
            json!({ "p": product }),
        )
        .await;
    if body["data"]["addToCart"]["userErrors"] != json!([]) {
        return false;
    }
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "mutation($k: String!) { checkout(idempotencyKey: $k) { orders { number } } }",
            json!({ "k": key }),
        )
        .await;
    body["data"]["checkout"]["orders"][0]["number"].is_string()
}

#[tokio::main]
async fn main() {
    let buyers = option("--buyers", 50) as usize;
    let orders = option("--orders", 1000) as usize;
    let seconds = option("--seconds", 10);
    let smtp = MailServer::start();
    let market = Market::open_with(TestOptions {
        smtp_url: Some(smtp.url()),
        // Nobody pays here; the cap on unpaid orders is not what is measured.
        orders: Some(OrdersConfig {
            max_unpaid_orders: u32::MAX,
            ..OrdersConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    let app = &market.app;
    let product = market
        .product("Tela de carga", "METRE", "0.5", "100000000", "1500")
        .await;
    let accounts = futures::future::join_all(
        (0..buyers).map(|i| async move { app.quick_account(&format!("Carga {i}"), "BUYER").await }),
    )
    .await;

    // Backlog: the mail server is down while the orders are made.
    smtp.stop();
    let per_buyer = orders.div_ceil(buyers);
    let made = futures::future::join_all(accounts.iter().enumerate().map(|(b, buyer)| {
        let product = &product;
        async move {
            let mut made = 0;
            for n in 0..per_buyer {
                made += usize::from(buy(app, buyer, product, format!("cola-{b}-{n}")).await);
            }
            made
        }
    }))
    .await
    .into_iter()
    .sum::<usize>();
    smtp.restart();
    // The failed attempts' backoff has passed.
    sqlx::query!("UPDATE mail_outbox SET next_attempt_at = now() WHERE sent_at IS NULL")
        .execute(app.db.pool())
        .await
        .expect("due now");
    let started = Instant::now();
    app.mailer().drain().await.expect("deliver the backlog");
    let elapsed = started.elapsed().as_secs_f64();
    let delivered = smtp.take().len();
    assert_eq!(delivered, made * 2, "two mails per order, each once");
    println!(
        "MAIL backlog {delivered} {elapsed:.2} {:.0}",
        delivered as f64 / elapsed
    );

    // Live: the server's sender delivers as orders commit.
    let since = sqlx::query_scalar!(r#"SELECT max(id) AS "id!" FROM mail_outbox"#)
        .fetch_one(app.db.pool())
        .await
        .expect("last mail");
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let made = futures::future::join_all(accounts.iter().enumerate().map(|(b, buyer)| {
        let product = &product;
        async move {
            let mut made = 0;
            let mut n = 0;
            while Instant::now() < until {
                n += 1;
                made += usize::from(buy(app, buyer, product, format!("vivo-{b}-{n}")).await);
            }
            made
        }
    }))
    .await
    .into_iter()
    .sum::<usize>();
    let elapsed = started.elapsed().as_secs_f64();
    app.mailer().drain().await.expect("deliver the rest");
    let delivered = smtp.take().len();
    assert_eq!(delivered, made * 2, "two mails per order, each once");
    let latency = sqlx::query!(
        r#"SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP
                      (ORDER BY extract(epoch FROM sent_at - created_at) * 1000) AS "ms!"
           FROM mail_outbox WHERE id > $1"#,
        since
    )
    .fetch_one(app.db.pool())
    .await
    .expect("latency");
    println!(
        "MAIL live {:.1} {delivered} {:.0} {:.1} {:.1} {:.1}",
        made as f64 / elapsed,
        delivered as f64 / elapsed,
        latency.ms[0],
        latency.ms[1],
        latency.ms[2]
    );
}
