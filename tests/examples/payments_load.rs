//! Checkout to PAID under load, through the Mercado Pago simulator: `--buyers` (50) buyers
//! loop for `--seconds` (20), each adding a product to the cart, checking out (the server
//! makes the order's preference at the simulator), paying at the simulator and having the
//! simulator deliver its signed webhook (the server reads the payment back from the
//! simulator's API and moves the order to PAID). One sample is the time from sending
//! `checkout` to the webhook's 200.
//!
//! ```sh
//! cargo run --release -p textisur-tests --example payments_load -- --buyers 50 --seconds 20
//! ```
//!
//! The server, the simulator and this driver run in one process on a fresh database (the
//! test support's `TestApp`, release build), sharing the machine's cores with PostgreSQL.
//! Prints `PAYMENTS buyers paid per_s p50_ms p95_ms p99_ms errors`.

use std::time::{Duration, Instant};

use serde_json::json;
use textisur_api::commerce::orders::expiry::OrdersConfig;
use textisur_tests::TestOptions;
use textisur_tests::market::Market;
use textisur_tests::mercadopago::{MercadoPagoSimulator, Signing};
use textisur_tests::stats::percentile;

fn option(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let buyers = option("--buyers", 50) as usize;
    let seconds = option("--seconds", 20);
    let simulator = MercadoPagoSimulator::start().await;
    let market = Market::open_with(TestOptions {
        payments: Some(simulator.setup()),
        // Every order is paid at once; the cap on unpaid orders is not what is measured.
        orders: Some(OrdersConfig {
            max_unpaid_orders: u32::MAX,
            ..OrdersConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    let app = &market.app;
    let connected = market.connect_mercadopago(&simulator, "8001").await;
    assert_eq!(connected["connected"], true, "{connected}");
    let product = market
        .product("Tela de carga", "METRE", "0.5", "100000000", "1500")
        .await;
    let accounts = futures::future::join_all(
        (0..buyers).map(|i| async move { app.quick_account(&format!("Carga {i}"), "BUYER").await }),
    )
    .await;
    let webhooks = app.url("/webhooks/mercadopago");
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let runs = futures::future::join_all(accounts.iter().enumerate().map(|(b, buyer)| {
        let (product, webhooks, simulator) = (&product, &webhooks, &simulator);
        async move {
            let mut samples = Vec::new();
            let mut errors = 0_u64;
            let mut n = 0_u64;
            while Instant::now() < until {
                n += 1;
                let (_, body) = app
                    .graphql_as(
                        &buyer.access_token,
                        "mutation($p: ID!) { addToCart(productId: $p, quantity: \"1\") { userErrors { code } } }",
                        json!({ "p": product }),
                    )
                    .await;
                if body["data"]["addToCart"]["userErrors"] != json!([]) {
                    errors += 1;
                    continue;
                }
                let sent = Instant::now();
                let (_, body) = app
                    .graphql_as(
                        &buyer.access_token,
                        "mutation($k: String!) { checkout(idempotencyKey: $k) { orders { number } payment { status } } }",
                        json!({ "k": format!("carga-{b}-{n}") }),
                    )
                    .await;
                let Some(number) = body["data"]["checkout"]["orders"][0]["number"].as_str() else {
                    errors += 1;
                    continue;
                };
                let Some(preference) = simulator.preference_for(number) else {
                    errors += 1;
                    continue;
                };
                let paid = simulator.pay(&preference, "approved", None, None);
                let status = simulator
                    .deliver(&simulator.webhook(&paid, webhooks, Signing::Valid))
                    .await;
                if status == 200 {
                    samples.push(sent.elapsed().as_secs_f64() * 1000.0);
                } else {
                    errors += 1;
                }
            }
            (samples, errors)
        }
    }))
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    let mut samples: Vec<f64> = runs.iter().flat_map(|(s, _)| s.iter().copied()).collect();
    let errors: u64 = runs.iter().map(|(_, e)| e).sum();
    samples.sort_by(f64::total_cmp);
    let paid = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM orders WHERE status = 'PAID'"#)
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(
        paid as usize,
        samples.len(),
        "every sample is one PAID order"
    );
    println!(
        "PAYMENTS {buyers} {} {:.1} {:.1} {:.1} {:.1} {errors}",
        samples.len(),
        samples.len() as f64 / elapsed,
        percentile(&samples, 50.0),
        percentile(&samples, 95.0),
        percentile(&samples, 99.0),
    );
}
