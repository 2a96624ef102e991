//! `textisur persisted-queries push`: manifests into Redis, so that a server which never saw
//! them (not embedded in its binary, nothing in its memory) serves their hashes.

use clap::Parser;
use redis::AsyncCommands;
use serde_json::{Value, json};
use textisur_api::Cli;
use textisur_api::runtime::config::PushArgs;
use textisur_api::runtime::server;
use textisur_persisted_queries::{TrustedDocuments, redis_key, sha256_hex};
use textisur_tests::TestApp;

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

async fn redis() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url())
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("connect to redis")
}

fn nonce() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

async fn post(app: &TestApp, body: Value) -> Value {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

#[tokio::test]
async fn pushed_manifests_are_served_from_redis_by_servers_that_never_saw_them() {
    let n = nonce();
    // A mobile release's operation in the map GraphQL Codegen and Relay write, and a web
    // release's in Apollo's format: neither is embedded in the server.
    let mobile = format!("query MobileCategories {{ categories {{ id name }} }} # {n}");
    let web = format!("query WebCategories {{ categories {{ slug }} }} # {n}");
    let (mobile_hash, web_hash) = (sha256_hex(&mobile), sha256_hex(&web));
    let dir = tempfile::tempdir().expect("temp dir");
    let codegen = dir.path().join("persisted-documents.json");
    std::fs::write(&codegen, json!({ &mobile_hash: mobile }).to_string()).expect("write");
    let apollo = dir.path().join("persisted-query-manifest.json");
    let manifest = json!({ "format": "apollo-persisted-query-manifest", "version": 1,
        "operations": [{ "id": web_hash, "name": "WebCategories", "type": "query", "body": web }] });
    std::fs::write(&apollo, manifest.to_string()).expect("write");

    // A server already running misses them...
    let running = TestApp::seeded(20).await;
    let miss = json!({ "documentId": format!("sha256:{mobile_hash}") });
    let body = post(&running, miss.clone()).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "{body}"
    );

    // ...until the command pushes them.
    let url = redis_url();
    let args = [
        "textisur",
        "persisted-queries",
        "push",
        "--redis-url",
        url.as_str(),
        "--manifest",
        codegen.to_str().expect("path"),
        "--manifest",
        apollo.to_str().expect("path"),
    ];
    let cli = Cli::try_parse_from(args).expect("parse");
    server::run(cli.command).await.expect("push");

    let mut redis = redis().await;
    for (hash, text) in [(&mobile_hash, &mobile), (&web_hash, &web)] {
        let stored: Option<String> = redis.get(redis_key(hash)).await.expect("get");
        assert_eq!(stored.as_ref(), Some(text));
        let ttl: i64 = redis.ttl(redis_key(hash)).await.expect("ttl");
        assert_eq!(ttl, -1, "pushed documents do not expire");
    }

    // The running server now finds them in Redis, and so does a fresh one, whose memory
    // holds nothing: by documentId, by Relay's doc_id and by APQ hash.
    let fresh = TestApp::seeded(20).await;
    let from_redis = "textisur_persisted_queries_total{result=\"hit_redis\"}";
    let redis_hits = fresh.metric(from_redis).await;
    for app in [&running, &fresh] {
        let body = post(app, miss.clone()).await;
        assert!(body["data"]["categories"][0]["name"].is_string(), "{body}");
        let body = post(app, json!({ "doc_id": web_hash })).await;
        assert!(body["data"]["categories"][0]["slug"].is_string(), "{body}");
        let apq =
            json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": web_hash } } });
        let body = post(app, apq).await;
        assert!(body["data"]["categories"][0]["slug"].is_string(), "{body}");
    }
    assert!(
        fresh.metric(from_redis).await >= redis_hits + 2.0,
        "the fresh server fetched both from Redis"
    );

    let _: () = redis
        .del(&[redis_key(&mobile_hash), redis_key(&web_hash)])
        .await
        .expect("clean up");
}

#[tokio::test]
async fn without_manifests_the_push_writes_every_embedded_operation() {
    let args = PushArgs {
        redis_url: redis_url(),
        manifests: Vec::new(),
    };
    let pushed = server::push_persisted_queries(&args).await.expect("push");
    let embedded = TrustedDocuments::embedded().expect("embedded manifests");
    assert_eq!(pushed, embedded.operations().len());
    let mut redis = redis().await;
    for op in embedded.operations() {
        let stored: Option<String> = redis.get(redis_key(&op.id)).await.expect("get");
        assert_eq!(stored.as_deref(), Some(op.body.as_str()), "{}", op.name);
    }
}

#[tokio::test]
async fn a_push_fails_loudly_on_a_wrong_manifest_or_without_redis() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = format!("query Wrong {{ categories {{ id }} }} # {}", nonce());
    // An MD5 id (Relay's default) is not the SHA-256 of the text: nothing is written.
    let wrong = dir.path().join("relay-md5.json");
    std::fs::write(
        &wrong,
        json!({ "0123456789abcdef0123456789abcdef": text }).to_string(),
    )
    .expect("write");
    let args = PushArgs {
        redis_url: redis_url(),
        manifests: vec![wrong],
    };
    let error = server::push_persisted_queries(&args)
        .await
        .expect_err("refused");
    assert!(format!("{error:#}").contains("sha256"), "{error:#}");

    let args = PushArgs {
        redis_url: "redis://127.0.0.1:1".to_owned(),
        manifests: Vec::new(),
    };
    let error = server::push_persisted_queries(&args)
        .await
        .expect_err("no redis");
    assert!(format!("{error:#}").contains("push to redis"), "{error:#}");
}
