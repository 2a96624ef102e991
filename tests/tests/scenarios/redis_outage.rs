//! Redis killed in the middle of a run: persisted hits keep being served from memory,
//! registrations stay local, nothing answers 500, the breaker opens (readiness says
//! `degraded`, metrics count the errors), and the server writes to Redis again within
//! seconds of its return.
//!
//! The test runs its own `redis-server` on a free port: the shared one on 6379 stays up.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use serde_json::{Value, json};
use textisur_persisted_queries::{redis_key, sha256_hex};
use textisur_tests::{TestApp, TestOptions};

/// A `redis-server` owned by this test, killed when dropped.
struct PrivateRedis {
    child: Child,
    port: u16,
}

impl PrivateRedis {
    /// Starts `redis-server` (or `$REDIS_SERVER`) on `port` without persistence and waits
    /// until it answers.
    async fn start(port: u16) -> Self {
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned());
        let child = Command::new(&binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {binary} (apt-get install redis-server): {e}"));
        let redis = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut conn) = redis.try_connect().await
                && redis::cmd("PING")
                    .query_async::<String>(&mut conn)
                    .await
                    .is_ok()
            {
                return redis;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on {port} never answered"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn try_connect(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        let client = redis::Client::open(self.url())?;
        tokio::time::timeout(
            Duration::from_secs(1),
            client.get_multiplexed_async_connection(),
        )
        .await
        .map_err(|_| redis::RedisError::from((redis::ErrorKind::Io, "connect timed out")))?
    }

    /// The query stored under `hash`, read with a client of our own.
    async fn stored(&self, hash: &str) -> Option<String> {
        let mut conn = self.try_connect().await.expect("connect to private redis");
        conn.get(redis_key(hash)).await.expect("GET")
    }

    /// SIGKILL: no shutdown, no goodbye to clients.
    fn kill(&mut self) {
        self.child.kill().expect("kill redis-server");
        self.child.wait().expect("reap redis-server");
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port()
}

fn unique_query(tag: &str) -> String {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("query Outage{tag} {{ categories {{ name }} }} # {nonce}")
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// POSTs a body; fails the test on a 5xx or anything but 200.
async fn post(app: &TestApp, body: Value) -> Value {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&body)
        .send()
        .await
        .expect("send");
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "{body}");
    body
}

/// Registers `query` by its hash (Apollo's second request after a miss).
async fn register(app: &TestApp, query: &str) {
    let body = post(
        app,
        json!({ "query": query, "extensions": persisted(&sha256_hex(query)) }),
    )
    .await;
    assert!(body["data"]["categories"].is_array(), "register: {body}");
}

/// A persisted hit over POST and over GET.
async fn hit(app: &TestApp, query: &str) {
    let hash = sha256_hex(query);
    let body = post(app, json!({ "extensions": persisted(&hash) })).await;
    assert!(
        body["data"]["categories"].is_array(),
        "hit over POST: {body}"
    );
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("extensions", persisted(&hash).to_string())])
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert!(
        body["data"]["categories"].is_array(),
        "hit over GET: {body}"
    );
}

/// `checks.redis` of `/health/ready`, which must stay 200 (Redis never makes us unready).
async fn redis_health(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("ready");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    body["checks"]["redis"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

const ERRORS: &str = "textisur_redis_errors_total";
const BREAKER_OPEN: &str = "textisur_redis_breaker_open";
const LOCAL_HITS: &str = "textisur_persisted_queries_total{result=\"hit_local\"}";
const REDIS_HITS: &str = "textisur_persisted_queries_total{result=\"hit_redis\"}";
/// Hits on a query already parsed and checked, which never reach the store at all.
const PREPARED_HITS: &str = "textisur_prepared_documents_total{result=\"hit\"}";

/// Persisted queries served from the process's memory, in either cache.
async fn memory_hits(app: &TestApp) -> f64 {
    app.metric(LOCAL_HITS).await + app.metric(PREPARED_HITS).await
}

#[tokio::test]
async fn a_redis_outage_degrades_to_memory_and_heals_by_itself() {
    let port = free_port();
    let mut redis = PrivateRedis::start(port).await;
    let retry_after = Duration::from_millis(300);
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(20),
        redis_url: Some(redis.url()),
        redis_retry_after: Some(retry_after),
        ..TestOptions::default()
    })
    .await;

    let before: Vec<String> = (0..5)
        .map(|i| unique_query(&format!("Before{i}")))
        .collect();
    for query in &before {
        register(&app, query).await;
        assert_eq!(redis.stored(&sha256_hex(query)).await.as_ref(), Some(query));
    }
    assert_eq!(redis_health(&app).await, "ok");
    let errors_before = app.metric(ERRORS).await;
    let local_hits_before = memory_hits(&app).await;

    redis.kill();

    // Keep the traffic going until the breaker is seen open: every answer is a 200, hits
    // come from memory, registrations and misses degrade instead of failing.
    let mut during = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        for query in &before {
            hit(&app, query).await;
        }
        let query = unique_query(&format!("During{}", during.len()));
        register(&app, &query).await;
        hit(&app, &query).await;
        during.push(query);
        let unknown = sha256_hex(&unique_query("Unknown"));
        let body = post(&app, json!({ "extensions": persisted(&unknown) })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
            "{body}"
        );
        if redis_health(&app).await == "degraded" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the breaker never opened with Redis down"
        );
    }
    assert_eq!(app.metric(BREAKER_OPEN).await, 1.0);
    assert!(app.metric(ERRORS).await > errors_before, "errors counted");
    assert!(
        memory_hits(&app).await >= local_hits_before + 2.0 * before.len() as f64,
        "hits served from memory"
    );
    // Past the retry period the breaker lets one trial through, which fails: still served.
    tokio::time::sleep(retry_after).await;
    for query in before.iter().chain(&during) {
        hit(&app, query).await;
    }
    register(&app, &unique_query("AfterTrial")).await;

    // Redis comes back on the same port, empty.
    let redis = PrivateRedis::start(port).await;
    let returned = Instant::now();
    let mut attempts = 0;
    let healed = loop {
        let query = unique_query(&format!("Back{attempts}"));
        register(&app, &query).await;
        if redis.stored(&sha256_hex(&query)).await.as_ref() == Some(&query) {
            break returned.elapsed();
        }
        attempts += 1;
        assert!(
            returned.elapsed() < Duration::from_secs(10),
            "the server never wrote to Redis again"
        );
        // Pacing only: the loop ends on what Redis holds, not on time.
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!("back to Redis {healed:?} after its return");
    assert!(
        healed < Duration::from_secs(3),
        "back to Redis {healed:?} after its return"
    );
    assert_eq!(redis_health(&app).await, "ok");
    assert_eq!(app.metric(BREAKER_OPEN).await, 0.0);

    // Reads go to Redis again too: a query only Redis knows is served.
    let elsewhere = unique_query("RegisteredElsewhere");
    let hash = sha256_hex(&elsewhere);
    let mut conn = redis.try_connect().await.expect("connect");
    let _: () = conn.set(redis_key(&hash), &elsewhere).await.expect("SET");
    let redis_hits = app.metric(REDIS_HITS).await;
    let body = post(&app, json!({ "extensions": persisted(&hash) })).await;
    assert!(body["data"]["categories"].is_array(), "{body}");
    assert_eq!(app.metric(REDIS_HITS).await, redis_hits + 1.0);
    // And what was registered during the outage is still served from memory.
    for query in &during {
        hit(&app, query).await;
    }
}
