//! Cost-based rate limits: a caller's bucket empties at the cost of its queries, refills at
//! the configured rate, and another caller's bucket is untouched.

use std::time::Duration;

use serde_json::{Value, json};
use textisur_api::http::HttpConfig;
use textisur_tests::{TestApp, TestOptions};

const QUERY: &str = "{ products(first: 10) { nodes { name store { name } } } }"; // 2 + 10 × 2 = 22

async fn post(app: &TestApp, token: Option<&str>) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": QUERY }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.expect("json"))
}

fn header(headers: &reqwest::header::HeaderMap, name: &str) -> u64 {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX)
}

#[tokio::test]
async fn buckets_empty_at_the_query_cost_refill_and_stay_per_caller() {
    let http = HttpConfig {
        cost_bucket: 100,
        cost_restore_rate: 20,
        ..HttpConfig::default()
    };
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(30),
        http: Some(http),
        ..TestOptions::default()
    })
    .await;
    // Signed in first: registering spends from this address's bucket too.
    let ana = app.register("ana@correo.cl", "Ana").await;
    tokio::time::sleep(Duration::from_millis(800)).await; // let the address's bucket refill

    for expected_remaining in [78, 56, 34, 12] {
        let (status, headers, body) = post(&app, None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(header(&headers, "ratelimit-limit"), 100);
        // A little may have refilled between requests (20 points a second).
        let remaining = header(&headers, "ratelimit-remaining");
        assert!(
            (expected_remaining..expected_remaining + 5).contains(&remaining),
            "{remaining} vs {expected_remaining}"
        );
        assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 22);
        assert_eq!(
            body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"],
            100
        );
        assert_eq!(
            body["extensions"]["cost"]["throttleStatus"]["restoreRate"],
            20
        );
    }
    let (status, headers, body) = post(&app, None).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "THROTTLED");
    let retry_ms = body["errors"][0]["extensions"]["retryAfterMs"]
        .as_u64()
        .unwrap_or(0);
    assert!(
        (1..=1_000).contains(&retry_ms),
        "10 missing points at 20 a second: {retry_ms} ms"
    );
    assert!(header(&headers, "retry-after") >= 1);

    // Another caller (a signed-in user) has a full bucket of its own.
    let (status, headers, _) = post(&app, Some(&ana.access_token)).await;
    assert_eq!(status, 200);
    assert!(header(&headers, "ratelimit-remaining") >= 77);

    // After the announced wait, the first caller can pay again.
    tokio::time::sleep(Duration::from_millis(retry_ms + 50)).await;
    let (status, _, body) = post(&app, None).await;
    assert_eq!(status, 200, "refilled: {body}");
}

async fn post_as(app: &TestApp, token: &str, query: &str) -> (reqwest::header::HeaderMap, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("send");
    let headers = response.headers().clone();
    (headers, response.json().await.expect("json"))
}

#[tokio::test]
async fn the_unused_part_of_a_requested_cost_is_refunded_after_execution() {
    let http = HttpConfig {
        cost_bucket: 1_000,
        cost_restore_rate: 1,
        ..HttpConfig::default()
    };
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(6),
        http: Some(http),
        ..TestOptions::default()
    })
    .await;
    app.sync_search().await;
    let ana = app.register("ana@correo.cl", "Ana").await;
    let bea = app.register("bea@correo.cl", "Bea").await;

    let (_, body) = post_as(&app, &ana.access_token, "{ categories { name } }").await;
    let before = body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
        .as_u64()
        .expect("currentlyAvailable");
    assert_eq!(before, 999, "{body}");

    // Asks for 100 products with their stores (2 + 100 × 2 = 202), gets a handful.
    let query = "{ products(first: 100) { nodes { name store { name } } } }";
    let (headers, body) = post_as(&app, &ana.access_token, query).await;
    let returned = body["data"]["products"]["nodes"]
        .as_array()
        .map_or(0, Vec::len) as u64;
    assert!((1..=6).contains(&returned), "{body}");
    let cost = &body["extensions"]["cost"];
    assert_eq!(cost["requestedQueryCost"], 202);
    let actual = 2 + returned * 2;
    assert_eq!(cost["actualQueryCost"], actual, "{body}");
    let after = cost["throttleStatus"]["currentlyAvailable"]
        .as_u64()
        .expect("currentlyAvailable");
    // Only the actual cost was kept (a point may have refilled meanwhile).
    assert!(
        (before - actual..=before - actual + 1).contains(&after),
        "{before} - {actual} vs {after}"
    );
    assert_eq!(header(&headers, "ratelimit-remaining"), after);

    // Another user's bucket is untouched by Ana's spending and refund.
    let (_, body) = post_as(&app, &bea.access_token, "{ categories { name } }").await;
    assert_eq!(
        body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"], 999,
        "{body}"
    );
}
