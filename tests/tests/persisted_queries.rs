//! Automatic persisted queries as Apollo clients speak them, against the real Redis.

use serde_json::{Value, json};
use textisur_persisted_queries::sha256_hex;
use textisur_tests::{TestApp, TestOptions};

/// A query unique to this test run, so tests sharing one Redis never see each other's hashes.
fn unique_query(tag: &str) -> String {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("query Cats{tag} {{ categories {{ name }} }} # {nonce}")
}

fn extensions(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn post(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&body)
        .send()
        .await
        .expect("send");
    (
        response.status().as_u16(),
        response.json().await.expect("json"),
    )
}

#[tokio::test]
async fn miss_register_hit_over_post_and_get() {
    let app = TestApp::seeded(20).await;
    let query = unique_query("A");
    let hash = sha256_hex(&query);

    let (status, body) = post(&app, json!({ "extensions": extensions(&hash) })).await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );

    let (status, body) = post(
        &app,
        json!({ "query": query, "extensions": extensions(&hash) }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"]["categories"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );

    let (status, body) = post(&app, json!({ "extensions": extensions(&hash) })).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"]["categories"].is_array(),
        "hit over POST: {body}"
    );

    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            ("extensions", extensions(&hash).to_string()),
            ("operationName", "CatsA".to_owned()),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap_or("")
            .starts_with("public")
    );
    let body: Value = response.json().await.expect("json");
    assert!(
        body["data"]["categories"].is_array(),
        "hit over GET: {body}"
    );

    // Another server process on the same Redis knows the hash too.
    let other = TestApp::seeded(20).await;
    let (_, body) = post(&other, json!({ "extensions": extensions(&hash) })).await;
    assert!(
        body["data"]["categories"].is_array(),
        "registered in Redis, not only in memory: {body}"
    );
}

#[tokio::test]
async fn a_hash_that_does_not_match_the_text_is_400() {
    let app = TestApp::spawn().await;
    let (status, body) = post(
        &app,
        json!({ "query": unique_query("B"), "extensions": extensions(&sha256_hex("other")) }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = post(
        &app,
        json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": "x" } } }),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_persisted_mutation_is_refused_over_get() {
    let app = TestApp::spawn().await;
    let mutation = format!(
        "mutation {{ logout(refreshToken: \"x\") {{ ok }} }} # {}",
        unique_query("C")
    );
    let hash = sha256_hex(&mutation);
    post(
        &app,
        json!({ "query": mutation, "extensions": extensions(&hash) }),
    )
    .await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("extensions", extensions(&hash).to_string())])
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn without_redis_queries_are_served_from_memory_and_nothing_fails() {
    // Nothing listens on port 1: every Redis call fails fast and the breaker opens.
    let app = TestApp::spawn_with(TestOptions {
        redis_url: Some("redis://127.0.0.1:1".into()),
        seed_products: Some(20),
        ..TestOptions::default()
    })
    .await;
    let query = unique_query("D");
    let hash = sha256_hex(&query);
    let (status, body) = post(&app, json!({ "extensions": extensions(&hash) })).await;
    assert_eq!(
        (status, body["errors"][0]["extensions"]["code"].as_str()),
        (200, Some("PERSISTED_QUERY_NOT_FOUND"))
    );
    let (status, body) = post(
        &app,
        json!({ "query": query, "extensions": extensions(&hash) }),
    )
    .await;
    assert_eq!(status, 200, "registration degrades to memory: {body}");
    for _ in 0..5 {
        let (status, body) = post(&app, json!({ "extensions": extensions(&hash) })).await;
        assert_eq!(status, 200);
        assert!(
            body["data"]["categories"].is_array(),
            "hit from memory: {body}"
        );
    }
    // Misses go to Redis each time (until the breaker opens): three failures open it.
    for n in 0..3 {
        let (status, _) = post(
            &app,
            json!({ "extensions": extensions(&sha256_hex(&format!("unknown {n}"))) }),
        )
        .await;
        assert_eq!(status, 200);
    }
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("textisur_redis_breaker_open 1"),
        "the breaker opened"
    );
}
