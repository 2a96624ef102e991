//! A fuzzer for the request pipeline, against the real server: random and mutated GraphQL
//! documents, variables of the wrong types, malformed JSON bodies, odd content types, GET
//! parameters and WebSocket frames, as anonymous callers and as a signed-in buyer (so
//! mutations really run). The property: no 5xx, a JSON body for every GraphQL answer, a
//! WebSocket that answers or closes with a protocol code, and a server that stays alive.
//!
//! Runs for `FUZZ_SECONDS` (default 20; the 10-minute run is
//! `FUZZ_SECONDS=600 cargo nextest run -p textisur-tests --test scenarios fuzz_pipeline`), seeded by
//! `FUZZ_SEED` (printed, so a finding can be replayed).

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};
use textisur_tests::{Account, TestApp};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Documents the mutations start from: the shapes clients send.
const CORPUS: &[&str] = &[
    "{ products(query: \"camisa\", first: 5) { totalCount edges { cursor node { id name price { amount } } highlights { field snippet } } facets { colors { value count } priceRanges { min max count } } correctedQuery } }",
    "query($q: String, $f: ProductFilter, $s: ProductSort, $n: Int, $a: String) { products(query: $q, filter: $f, sort: $s, first: $n, after: $a) { nodes { id slug } pageInfo { hasNextPage endCursor } } }",
    "{ stores(near: {lat: -34.6, lon: -58.4}, radiusKm: 50, first: 3) { nodes { name distanceKm products(first: 2) { nodes { name } } } } }",
    "{ suggest(prefix: \"alp\") { text kind product { id } store { id } category { id } } }",
    "{ categories { id name children { id name parent { id } } } }",
    "query($id: ID!) { node(id: $id) { id ... on Product { name reviews(first: 3) { nodes { rating body } } store { name } } } }",
    "{ me { id name email cart { lines { quantity lineTotal { amount } } subtotal { amount } warnings { code } } orders(first: 3) { nodes { status nextStatuses history { status } } } } }",
    "mutation($p: ID!, $q: Decimal!) { addToCart(productId: $p, quantity: $q) { cart { lines { quantity } } userErrors { field code message } } }",
    "mutation($p: ID!, $q: Decimal!) { updateCartLine(productId: $p, quantity: $q) { userErrors { code } } }",
    "mutation($k: String!) { checkout(idempotencyKey: $k) { orders { id number total { amount } } userErrors { code } } }",
    "mutation($o: ID!, $s: OrderStatus!) { updateOrderStatus(orderId: $o, status: $s) { order { status } userErrors { code } } }",
    "mutation($s: ID!, $b: String!) { startConversation(storeId: $s, body: $b) { conversation { id messages(last: 2) { nodes { body } } } userErrors { code } } }",
    "mutation($p: ID!, $r: Int!, $b: String) { addReview(productId: $p, rating: $r, body: $b) { review { id } userErrors { code } } }",
    "mutation($i: RegisterInput!) { register(input: $i) { user { id } userErrors { code } } }",
    "query A { categories { id } } query B { me { id } }",
    "fragment F on Product { id name } { products(first: 2) { nodes { ...F } } }",
    "{ __schema { types { name fields { name } } } }",
];

/// Values that break assumptions: wrong types, huge and tiny numbers, hostile text.
fn odd_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        Just(json!("1e400")),
        Just(json!("-0.000000001")),
        Just(json!("2.5")),
        Just(json!("NaN")),
        Just(json!("UHJvZHVjdDox")),
        Just(json!("T3JkZXI6MQ")),
        Just(json!("<script>alert(1)</script>")),
        Just(json!("'; DROP TABLE products; --")),
        ".{0,40}".prop_map(Value::from),
        "[a-zA-Z0-9:_+/=]{0,30}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::hash_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A corpus document with random edits: characters inserted, deleted or replaced, spans
/// duplicated (deep nesting, alias storms) or cut.
fn mutated_document() -> impl Strategy<Value = String> {
    let edit = prop_oneof![
        (any::<usize>(), any::<char>()).prop_map(|(i, c)| (0u8, i, 0usize, c)),
        (any::<usize>()).prop_map(|i| (1u8, i, 0, ' ')),
        (
            any::<usize>(),
            prop::sample::select(vec![
                '{', '}', '(', ')', '$', '!', '@', '.', ':', '"', '#', '\\', '\n'
            ])
        )
            .prop_map(|(i, c)| (2u8, i, 0, c)),
        (any::<usize>(), 1..60usize).prop_map(|(i, n)| (3u8, i, n, ' ')),
        (any::<usize>()).prop_map(|i| (4u8, i, 0, ' ')),
    ];
    (
        prop::sample::select(CORPUS),
        prop::collection::vec(edit, 0..6),
    )
        .prop_map(|(document, edits)| {
            let mut chars: Vec<char> = document.chars().collect();
            for (kind, at, len, c) in edits {
                let n = chars.len().max(1);
                let at = at % n;
                match kind {
                    0 | 2 => chars.insert(at.min(chars.len()), c),
                    1 if !chars.is_empty() => {
                        chars.remove(at.min(chars.len() - 1));
                    }
                    3 => {
                        let end = (at + len).min(chars.len());
                        let span: Vec<char> = chars[at.min(end)..end].to_vec();
                        for _ in 0..3 {
                            chars.splice(at.min(chars.len())..at.min(chars.len()), span.clone());
                        }
                    }
                    4 => chars.truncate(at),
                    _ => {}
                }
            }
            chars.into_iter().collect()
        })
}

/// One request to the pipeline.
#[derive(Clone, Debug)]
enum Probe {
    /// A JSON body with a document, variables and extensions of any shape.
    Post {
        document: String,
        variables: Value,
        extensions: Value,
        operation_name: Option<String>,
        signed_in: bool,
    },
    /// A raw body under a chosen content type.
    RawPost { body: Vec<u8>, content_type: String },
    /// A batch of documents.
    Batch { documents: Vec<String> },
    /// GET with URL parameters.
    Get { params: Vec<(String, String)> },
    /// WebSocket text frames after the handshake.
    Socket { frames: Vec<String> },
}

fn probe() -> impl Strategy<Value = Probe> {
    prop_oneof![
        4 => (
            mutated_document(),
            odd_value(),
            prop_oneof![Just(json!({})), odd_value(), Just(json!({"persistedQuery": {"version": 1, "sha256Hash": "00"}}))],
            prop::option::of("[A-Za-z]{0,6}"),
            any::<bool>(),
        )
            .prop_map(|(document, variables, extensions, operation_name, signed_in)| Probe::Post {
                document,
                variables: if variables.is_object() { variables } else { json!({ "p": variables, "q": "1", "k": "clave-123456" }) },
                extensions,
                operation_name,
                signed_in,
            }),
        1 => (
            prop::collection::vec(any::<u8>(), 0..300),
            prop::sample::select(vec![
                "application/json".to_owned(),
                "application/json; charset=latin1".to_owned(),
                "application/graphql".to_owned(),
                "text/plain".to_owned(),
                "multipart/form-data; boundary=x".to_owned(),
                String::new(),
            ]),
        )
            .prop_map(|(body, content_type)| Probe::RawPost { body, content_type }),
        1 => prop::collection::vec(mutated_document(), 0..14).prop_map(|documents| Probe::Batch { documents }),
        1 => prop::collection::vec(
            (
                prop::sample::select(vec!["query", "variables", "operationName", "extensions", "x"]),
                prop_oneof![mutated_document(), ".{0,30}".prop_map(String::from), odd_value().prop_map(|v| v.to_string())],
            )
                .prop_map(|(k, v)| (k.to_owned(), v)),
            0..4,
        )
        .prop_map(|params| Probe::Get { params }),
        1 => prop::collection::vec(
            prop_oneof![
                Just(json!({"type": "connection_init"}).to_string()),
                Just(json!({"type": "ping"}).to_string()),
                (mutated_document(), "[a-z0-9]{0,3}").prop_map(|(q, id)| json!({"id": id, "type": "subscribe", "payload": {"query": q}}).to_string()),
                ("[a-z0-9]{0,3}").prop_map(|id| json!({"id": id, "type": "complete"}).to_string()),
                odd_value().prop_map(|v| v.to_string()),
                ".{0,40}".prop_map(String::from),
            ],
            0..6,
        )
        .prop_map(|frames| Probe::Socket { frames }),
    ]
}

async fn run(app: &TestApp, buyer: &Account, probe: &Probe) -> Result<(), String> {
    let client = &app.client;
    let url = app.url("/graphql");
    let response = match probe {
        Probe::Post {
            document,
            variables,
            extensions,
            operation_name,
            signed_in,
        } => {
            let mut request = client.post(&url).json(&json!({
                "query": document, "variables": variables,
                "extensions": extensions, "operationName": operation_name,
            }));
            if *signed_in {
                request = request.bearer_auth(&buyer.access_token);
            }
            request.send().await
        }
        Probe::RawPost { body, content_type } => {
            client
                .post(&url)
                .header("content-type", content_type.as_str())
                .body(body.clone())
                .send()
                .await
        }
        Probe::Batch { documents } => {
            let batch: Vec<Value> = documents.iter().map(|d| json!({ "query": d })).collect();
            client.post(&url).json(&batch).send().await
        }
        Probe::Get { params } => client.get(&url).query(params).send().await,
        Probe::Socket { frames } => return socket(app, frames).await,
    };
    let response = response.map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| format!("body: {e}"))?;
    if status.is_server_error() {
        return Err(format!(
            "status {status}: {}",
            String::from_utf8_lossy(&bytes)
        ));
    }
    if status.is_success() && serde_json::from_slice::<Value>(&bytes).is_err() {
        return Err(format!(
            "200 without JSON: {}",
            String::from_utf8_lossy(&bytes)
        ));
    }
    Ok(())
}

async fn socket(app: &TestApp, frames: &[String]) -> Result<(), String> {
    let url = format!("{}/graphql", app.base.replace("http://", "ws://"));
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().map_err(|_| "header")?,
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    for frame in frames {
        if ws.send(Message::Text(frame.clone().into())).await.is_err() {
            break;
        }
    }
    // Drain what comes back for a moment: a close must carry a protocol code, never 1011.
    let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
    while let Ok(Some(message)) = tokio::time::timeout_at(deadline, ws.next()).await {
        match message {
            Ok(Message::Close(Some(frame))) => {
                let code = u16::from(frame.code);
                if !(4400..4500).contains(&code) && code != 1000 && code != 1001 {
                    return Err(format!("closed with {code}: {}", frame.reason));
                }
                break;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let _ = ws.close(None).await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pipeline_survives_random_and_mutated_input() {
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand_seed);
    println!("FUZZ_SEED={seed} FUZZ_SECONDS={seconds}");
    let app = TestApp::seeded(60).await;
    let buyer = app.quick_account("Fuzz", "BUYER").await;
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let strategy = probe();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut cases = 0u64;
    while Instant::now() < deadline {
        let probe = strategy
            .new_tree(&mut runner)
            .expect("generate a probe")
            .current();
        cases += 1;
        if let Err(finding) = run(&app, &buyer, &probe).await {
            panic!("finding after {cases} cases (FUZZ_SEED={seed}): {finding}\ninput: {probe:?}");
        }
    }
    let live = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .expect("alive");
    assert!(live.status().is_success());
    println!("FUZZ cases={cases} seconds={seconds} findings=0");
}

fn rand_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
}
