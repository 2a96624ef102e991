//! OpenTelemetry export: `textisur serve --otlp-endpoint` sends its spans to a real OTLP/HTTP
//! receiver (this test's), flushes them on SIGTERM, and joins the caller's trace.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::StatusCode;
use textisur_tests::scratch::Scratch;

/// The trace id of the caller's `traceparent`.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

type Received = Arc<Mutex<Vec<Vec<u8>>>>;

/// An OTLP/HTTP receiver on 127.0.0.1: keeps every body POSTed to `/v1/traces`.
async fn receiver() -> (String, Received) {
    let received = Received::default();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post({
            let received = received.clone();
            move |body: Bytes| {
                if let Ok(mut bodies) = received.lock() {
                    bodies.push(body.to_vec());
                }
                async { StatusCode::OK }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind receiver");
    let address = listener.local_addr().expect("receiver address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), received)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn trace_id_bytes() -> Vec<u8> {
    (0..TRACE_ID.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&TRACE_ID[i..i + 2], 16).expect("hex"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_of_a_request_reach_the_otlp_receiver_by_shutdown() {
    let (endpoint, received) = receiver().await;
    let scratch = Scratch::new("otlp_export", env!("CARGO_BIN_EXE_textisur"));
    scratch.ok(&["seed", "--products", "20"]);
    let mut server = scratch
        .command(&[
            "serve",
            "--no-demo-data",
            "--listen",
            "127.0.0.1:0",
            "--otlp-endpoint",
            &endpoint,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start server");
    let stdout = server.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let base = lines
        .find_map(|line| {
            line.strip_prefix("TextiSur API listening on ")
                .map(|a| a.trim().to_owned())
        })
        .expect("server printed its address");
    std::thread::spawn(move || lines.for_each(drop));

    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
        .json(&serde_json::json!({
            "query": "query Nested { products(first: 5) { nodes { name store { name } } } }",
            "operationName": "Nested",
        }))
        .send()
        .await
        .expect("query");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert!(body.get("errors").is_none(), "{body}");

    // The batch exporter sends every few seconds; SIGTERM must flush what is left.
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || server.wait())
        .await
        .expect("join")
        .expect("wait for server");
    assert!(exit.success(), "server exit: {exit:?}");

    let bodies = received.lock().map(|b| b.clone()).unwrap_or_default();
    assert!(!bodies.is_empty(), "no OTLP export arrived");
    let all: Vec<u8> = bodies.concat();
    // Protobuf keeps strings as plain UTF-8 bytes, so the span names are findable as-is.
    for expected in [
        "textisur",
        "POST /graphql",
        "dataloader.batch",
        "db.statement",
        "api/src/catalogue/stores/db.rs",
        "Nested",
    ] {
        assert!(
            contains(&all, expected.as_bytes()),
            "{expected:?} missing from the exported spans"
        );
    }
    assert!(
        contains(&all, &trace_id_bytes()),
        "the request span did not join the caller's trace"
    );
}
