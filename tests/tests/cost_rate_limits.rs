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
