//! Metrics move by exactly what a workload did, /metrics parses as Prometheus text, every
//! response carries a request id and the security headers, and logs hold no secrets.
//!
//! Each test runs in its own process (cargo-nextest), so the global metrics recorder and the
//! log capture see only this test's server.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use textisur_tests::{TEST_PASSWORD, TestApp, TestOptions};

/// Parses Prometheus text into `name{labels}` -> value, failing on any malformed line.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut samples = HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(comment) = line.strip_prefix('#') {
            let words: Vec<&str> = comment.split_whitespace().collect();
            assert!(
                matches!(words.first(), Some(&"HELP") | Some(&"TYPE")),
                "bad comment line: {line}"
            );
            if words[0] == "TYPE" {
                assert!(
                    matches!(
                        words.get(2),
                        Some(&"counter" | &"gauge" | &"histogram" | &"summary" | &"untyped")
                    ),
                    "{line}"
                );
            }
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad name: {line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "unclosed labels: {line}");
        }
        samples.insert(series.to_owned(), value);
    }
    samples
}

async fn scrape(app: &TestApp) -> HashMap<String, f64> {
    let response = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/plain")
    );
    parse(&response.text().await.expect("text"))
}

fn delta(before: &HashMap<String, f64>, after: &HashMap<String, f64>, series: &str) -> f64 {
    after.get(series).copied().unwrap_or(0.0) - before.get(series).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn counters_move_by_exactly_the_workload() {
    let app = TestApp::seeded(30).await;
    let before = scrape(&app).await;
    for _ in 0..2 {
        let body =
            json!({ "query": "query Cats { categories { name } }", "operationName": "Cats" });
        let status = app
            .client
            .post(app.url("/graphql"))
            .json(&body)
            .send()
            .await
            .expect("send")
            .status();
        assert_eq!(status, 200);
    }
    let (status, _) = app.graphql("{ nope }", json!({})).await;
    assert_eq!(status, 400);
    app.client
        .get(app.url("/health/live"))
        .send()
        .await
        .expect("live");
    let after = scrape(&app).await;

    for (series, expected) in [
        (
            r#"textisur_graphql_operations_total{operation="Cats",outcome="ok"}"#,
            2.0,
        ),
        (
            r#"textisur_graphql_operations_total{operation="anonymous",outcome="request_error"}"#,
            1.0,
        ),
        (
            r#"textisur_graphql_errors_total{code="BAD_USER_INPUT"}"#,
            1.0,
        ),
        (
            r#"textisur_http_requests_total{route="/graphql",method="POST",status="200"}"#,
            2.0,
        ),
        (
            r#"textisur_http_requests_total{route="/graphql",method="POST",status="400"}"#,
            1.0,
        ),
        (
            r#"textisur_http_requests_total{route="/health/live",method="GET",status="200"}"#,
            1.0,
        ),
        (
            r#"textisur_graphql_operation_duration_seconds_count{operation="Cats"}"#,
            2.0,
        ),
    ] {
        assert_eq!(delta(&before, &after, series), expected, "{series}");
    }
    assert!(
        after.keys().any(
            |k| k.starts_with("textisur_graphql_operation_duration_seconds_bucket{")
                && k.contains(r#"le="0.001""#)
        ),
        "millisecond buckets"
    );
    assert!(
        after
            .get("textisur_db_pool_connections{state=\"open\"}")
            .is_some_and(|v| *v >= 1.0)
    );
    assert!(
        after
            .get("process_resident_memory_bytes")
            .is_some_and(|v| *v > 0.0)
    );
}

#[tokio::test]
async fn responses_carry_a_request_id_and_security_headers() {
    let app = TestApp::spawn().await;
    let given = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "pedido-123")
        .send()
        .await
        .expect("send");
    assert_eq!(given.headers()["x-request-id"], "pedido-123");
    let generated = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .expect("send");
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap_or("")
        .to_owned();
    assert_eq!(id.len(), 36, "a generated UUID: {id}");
    // An id too long or not printable ASCII never reaches the logs: a new one replaces it.
    for insane in ["x".repeat(129), "pedido 123".to_owned()] {
        let replaced = app
            .client
            .get(app.url("/health/live"))
            .header("x-request-id", insane.as_str())
            .send()
            .await
            .expect("send");
        let id = replaced.headers()["x-request-id"].to_str().unwrap_or("");
        assert_eq!(id.len(), 36, "{insane:?} replaced by a UUID: {id}");
    }
    for (header, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("content-security-policy", "frame-ancestors 'none'"),
        ("referrer-policy", "no-referrer"),
    ] {
        assert_eq!(generated.headers()[header], value, "{header}");
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut bytes) = self.0.lock() {
            bytes.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_of_a_full_scenario_hold_no_password_or_token() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("one subscriber per test process");

    let app = TestApp::seeded(20).await;
    let ana = app.register("ana@correo.cl", "Ana").await;
    let (_, wrong) = app
        .graphql("mutation { login(input: {email: \"ana@correo.cl\", password: \"contraseña-equivocada\"}) { userErrors { code } } }", json!({}))
        .await;
    assert_eq!(
        wrong["data"]["login"]["userErrors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
    let login = app
        .data("mutation($p: String!) { login(input: {email: \"ana@correo.cl\", password: $p}) { accessToken refreshToken } }", json!({ "p": TEST_PASSWORD }))
        .await;
    let access = login["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let refresh = login["login"]["refreshToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let rotated = app
        .data(
            "mutation($t: String!) { refreshSession(refreshToken: $t) { refreshToken } }",
            json!({ "t": refresh }),
        )
        .await;
    let (status, _) = app
        .graphql_as(&access, "{ me { email sessions { id } } }", json!({}))
        .await;
    assert_eq!(status, 200);
    app.data(
        "mutation($t: String!) { refreshSession(refreshToken: $t) { refreshToken } }",
        json!({ "t": refresh }),
    )
    .await;
    let (status, _) = app
        .graphql_as("eyJhbGciOiJub25lIn0.e30.", "{ me { id } }", json!({}))
        .await;
    assert_eq!(status, 401);

    let logs = String::from_utf8(capture.0.lock().map(|b| b.clone()).unwrap_or_default())
        .unwrap_or_default();
    let requests = logs
        .lines()
        .filter(|l| l.contains("\"message\":\"request\""))
        .count();
    assert!(
        requests >= 7,
        "every request is logged once ({requests} lines)"
    );
    assert!(
        logs.contains("refresh_token_reuse"),
        "the security event is logged"
    );
    let secrets = [
        TEST_PASSWORD,
        "contraseña-equivocada",
        access.as_str(),
        access.split('.').nth(2).unwrap_or("x"),
        refresh.as_str(),
        rotated["refreshSession"]["refreshToken"]
            .as_str()
            .unwrap_or("x"),
        ana.access_token.as_str(),
        ana.refresh_token.as_str(),
        "eyJhbGciOiJub25lIn0",
    ];
    for secret in secrets {
        assert!(
            !logs.contains(secret),
            "a secret reached the logs: {secret}"
        );
    }
}

/// The nested page: one statement for the page, then one dataloader batch per relation.
const NESTED_PAGE: &str =
    "query Nested { products(first: 10) { nodes { name store { name } category { name } } } }";

#[tokio::test]
async fn query_latency_and_pool_metrics_follow_the_statements_run() {
    // Without the row cache, each page reads its rows again.
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(30),
        http: Some(textisur_tests::uncached_http()),
        ..TestOptions::default()
    })
    .await;
    let before = scrape(&app).await;
    let statements_before = app.db.statements_run();
    for _ in 0..3 {
        app.data(NESTED_PAGE, json!({})).await;
    }
    app.register("latencia@correo.cl", "Latencia").await;
    let statements = app.db.statements_run() - statements_before;
    let after = scrape(&app).await;

    // Every statement through `Db::executor` is timed once and waited for once.
    assert!(
        statements >= 6,
        "the workload ran statements ({statements})"
    );
    for series in [
        "textisur_db_query_duration_seconds_count",
        r#"textisur_db_pool_acquire_duration_seconds_count{kind="statement"}"#,
    ] {
        assert_eq!(
            delta(&before, &after, series),
            statements as f64,
            "{series}"
        );
    }
    assert!(delta(&before, &after, "textisur_db_query_duration_seconds_sum") > 0.0);
    assert!(
        delta(
            &before,
            &after,
            r#"textisur_db_pool_acquire_duration_seconds_count{kind="transaction"}"#
        ) >= 1.0,
        "registration opens a session in a transaction"
    );
    // One batch per relation per request, each timed.
    for loader in ["store", "category"] {
        let count =
            format!(r#"textisur_dataloader_batch_duration_seconds_count{{loader="{loader}"}}"#);
        assert_eq!(delta(&before, &after, &count), 3.0, "{count}");
        let sum = format!(r#"textisur_dataloader_batch_duration_seconds_sum{{loader="{loader}"}}"#);
        assert!(delta(&before, &after, &sum) > 0.0, "{sum}");
    }
    assert!(
        after.keys().any(
            |k| k.starts_with("textisur_db_query_duration_seconds_bucket{")
                && k.contains(r#"le="0.001""#)
        ),
        "millisecond buckets"
    );
    assert_eq!(after.get("textisur_db_pool_waiters"), Some(&0.0));
    assert_eq!(
        delta(&before, &after, "textisur_db_pool_acquire_timeouts_total"),
        0.0
    );
    let open = after["textisur_db_pool_connections{state=\"open\"}"];
    let idle = after["textisur_db_pool_connections{state=\"idle\"}"];
    assert!(open >= 1.0 && idle <= open, "open {open}, idle {idle}");
}

#[tokio::test]
async fn a_request_queued_for_a_connection_shows_as_a_waiter() {
    let app = TestApp::seeded(5).await;
    let before = scrape(&app).await;
    // Take every connection of the server's pool, so its next statement has to wait. The
    // LISTEN connections of the event bus and of the row cache keep one each for good.
    let max = app.db.pool().options().get_max_connections();
    let mut held = Vec::new();
    for _ in 0..max - 2 {
        held.push(app.db.pool().acquire().await.expect("hold a connection"));
    }
    let request = tokio::spawn({
        let client = app.client.clone();
        let url = app.url("/graphql");
        async move {
            client
                .post(url)
                .json(&json!({ "query": "{ categories { name } }" }))
                .send()
                .await
                .expect("send")
        }
    });
    // The server answers /metrics without PostgreSQL; poll it until the request queues.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = scrape(&app).await;
        if now.get("textisur_db_pool_waiters").copied().unwrap_or(0.0) >= 1.0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no waiter seen");
        tokio::task::yield_now().await;
    }
    let seen = std::time::Instant::now();
    let still = scrape(&app).await;
    assert_eq!(
        still.get("textisur_db_pool_waiters"),
        Some(&1.0),
        "still queued"
    );
    let held_after_seen = seen.elapsed();
    drop(held);
    let response = request.await.expect("request task");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert!(body.get("errors").is_none(), "{body}");

    let after = scrape(&app).await;
    assert_eq!(after.get("textisur_db_pool_waiters"), Some(&0.0));
    let waited = delta(
        &before,
        &after,
        r#"textisur_db_pool_acquire_duration_seconds_sum{kind="statement"}"#,
    );
    assert!(
        waited >= held_after_seen.as_secs_f64(),
        "the wait ({waited} s) covers the time the connections stayed taken"
    );
}
