//! Limits shared by replicas: two servers on one database and one Redis give a caller one
//! cost budget and one set of login attempts, not one each. With Redis out of reach each
//! server counts alone, and nothing fails.

use serde_json::{Value, json};
use textisur_api::runtime::http::HttpConfig;
use textisur_tests::{TestApp, TestOptions};

const QUERY: &str = "{ products(first: 10) { nodes { name store { name } } } }"; // 22 points
const LOGIN: &str =
    "mutation($i: LoginInput!) { login(input: $i) { accessToken userErrors { code } } }";

/// 10 queries of 22 points, regaining one point a second: the test's few seconds restore
/// less than one more query.
fn ten_queries() -> HttpConfig {
    HttpConfig {
        cost_bucket: 220,
        cost_restore_rate: 1,
        ..HttpConfig::default()
    }
}

async fn post(client: &reqwest::Client, base: &str, body: Value) -> (u16, Value) {
    let response = client
        .post(format!("{base}/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&body)
        .send()
        .await
        .expect("send");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

/// Sends `rounds` times to each of `bases` in turn; how many were not throttled.
async fn round_robin(
    client: &reqwest::Client,
    bases: &[&str],
    rounds: usize,
    body: Value,
) -> usize {
    let mut allowed = 0;
    for _ in 0..rounds {
        for base in bases {
            let (status, answer) = post(client, base, body.clone()).await;
            let throttled = answer["errors"][0]["extensions"]["code"] == "THROTTLED";
            assert!(status == 200 || throttled, "{status}: {answer}");
            if !throttled {
                allowed += 1;
            }
        }
    }
    allowed
}

#[tokio::test]
async fn three_times_the_budget_over_two_replicas_gets_the_budget_once() {
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(30),
        http: Some(ten_queries()),
        ..TestOptions::default()
    })
    .await;
    let other = app.sibling(ten_queries()).await;
    let base = app.url("");
    let base = base.trim_end_matches('/');
    // 30 queries, alternating: each server alone would let 10 through, 20 in all.
    let allowed = round_robin(
        &app.client,
        &[base, &other.base],
        15,
        json!({ "query": QUERY }),
    )
    .await;
    assert!((10..=11).contains(&allowed), "{allowed} of 30 let through");
}

#[tokio::test]
async fn a_raised_limit_starts_from_a_full_bucket_not_from_the_old_debt() {
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(30),
        http: Some(ten_queries()),
        ..TestOptions::default()
    })
    .await;
    let base = app.url("");
    let base = base.trim_end_matches('/');
    let query = json!({ "query": QUERY });
    // The caller drains the shared bucket of 220 points, regaining 1 a second.
    assert_eq!(
        round_robin(&app.client, &[base], 12, query.clone()).await,
        10
    );
    // A replica with the limit raised (a rolling configuration change) lets them through:
    // the debt counted at 1 point a second is not carried into the new bucket.
    let raised = app
        .sibling(HttpConfig {
            cost_bucket: 1_000_000,
            cost_restore_rate: 1_000_000,
            ..HttpConfig::default()
        })
        .await;
    assert_eq!(round_robin(&app.client, &[&raised.base], 5, query).await, 5);
}

#[tokio::test]
async fn login_attempts_are_counted_once_across_replicas() {
    let app = TestApp::spawn().await;
    app.register("ana@correo.cl", "Ana").await;
    let other = app.sibling(HttpConfig::default()).await;
    let base = app.url("");
    let base = base.trim_end_matches('/');
    let guess = json!({
        "query": LOGIN,
        "variables": { "i": { "email": "ana@correo.cl", "password": "adivinanza-123" } }
    });
    // Ten attempts a minute per account and address (the default), thirty sent.
    let allowed = round_robin(&app.client, &[base, &other.base], 15, guess).await;
    assert_eq!(allowed, 10);
}

#[tokio::test]
async fn without_redis_each_replica_counts_alone_and_nothing_fails() {
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(30),
        http: Some(ten_queries()),
        // Nothing listens there.
        redis_url: Some("redis://127.0.0.1:1".to_owned()),
        ..TestOptions::default()
    })
    .await;
    let base = app.url("");
    let base = base.trim_end_matches('/');
    let allowed = round_robin(&app.client, &[base], 15, json!({ "query": QUERY })).await;
    assert!((10..=11).contains(&allowed), "{allowed} of 15 let through");
}
