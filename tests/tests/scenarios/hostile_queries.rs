//! Hostile documents are refused before they run, each by the limit it breaks.
//! The time of each refusal is printed (`--nocapture`), not asserted: speed claims belong to
//! benchmarks, not to tests.

use std::time::Instant;

use reqwest::StatusCode;
use serde_json::{Value, json};
use textisur_tests::TestApp;

async fn post(app: &TestApp, body: String) -> (StatusCode, Value, f64) {
    let started = Instant::now();
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("send");
    let status = response.status();
    let body = response.json().await.expect("json");
    (status, body, started.elapsed().as_secs_f64() * 1000.0)
}

fn query(text: &str) -> String {
    json!({ "query": text }).to_string()
}

#[tokio::test]
async fn each_hostile_input_is_refused_with_the_right_code() {
    let app = TestApp::seeded(50).await;
    let aliases: String = (0..10_000).map(|i| format!("a{i}: __typename ")).collect();
    let nested = format!(
        "{}{}",
        "{ products { nodes { store ".repeat(2_500),
        "}".repeat(10_000)
    );
    let tokens = format!("{{ {} }}", "a ".repeat(1_000_000));
    let batch = Value::Array(vec![json!({ "query": "{ __typename }" }); 1_000]).to_string();
    let variables = json!({ "query": "query($x: String) { __typename }", "variables": { "x": "v".repeat(5 * 1024 * 1024) } }).to_string();
    let four_deep =
        "{ products(first: 100) { nodes { reviews(first: 100) { nodes { product { store {
        products(first: 100) { nodes { reviews(first: 100) { nodes { rating } } } } } } } } } } }";
    let cases: Vec<(&str, String, StatusCode, &str, Option<&str>)> = vec![
        (
            "10,000 aliases",
            query(&format!("{{ {aliases} }}")),
            StatusCode::BAD_REQUEST,
            "QUERY_TOO_COMPLEX",
            Some("characters"),
        ),
        (
            "40 aliases",
            query(&format!(
                "{{ {} }}",
                (0..40)
                    .map(|i| format!("a{i}: __typename "))
                    .collect::<String>()
            )),
            StatusCode::BAD_REQUEST,
            "QUERY_TOO_COMPLEX",
            Some("aliases"),
        ),
        (
            "10,000 nested selections",
            query(&nested),
            StatusCode::BAD_REQUEST,
            "QUERY_TOO_COMPLEX",
            Some("characters"),
        ),
        (
            "20 nested selections",
            query(&format!("{}{}", "{ a ".repeat(20), "}".repeat(20))),
            StatusCode::BAD_REQUEST,
            "QUERY_TOO_COMPLEX",
            Some("depth"),
        ),
        (
            "fragment cycle",
            query("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            None,
        ),
        (
            "1,000,000 tokens",
            query(&tokens),
            StatusCode::PAYLOAD_TOO_LARGE,
            "QUERY_TOO_COMPLEX",
            None,
        ),
        (
            "6,000 tokens",
            query(&format!("{{ {} }}", "a ".repeat(6_000))),
            StatusCode::BAD_REQUEST,
            "QUERY_TOO_COMPLEX",
            Some("tokens"),
        ),
        (
            "batch of 1,000",
            batch,
            StatusCode::BAD_REQUEST,
            "QUERY_TOO_COMPLEX",
            None,
        ),
        (
            "5 MB of variables",
            variables,
            StatusCode::PAYLOAD_TOO_LARGE,
            "QUERY_TOO_COMPLEX",
            None,
        ),
        (
            "first: 100 four deep",
            query(four_deep),
            StatusCode::BAD_REQUEST,
            "QUERY_TOO_COMPLEX",
            Some("cost"),
        ),
        (
            "40 directives",
            query(&format!(
                "{{ __typename {} }}",
                "@include(if: true) ".repeat(40)
            )),
            StatusCode::BAD_REQUEST,
            "QUERY_TOO_COMPLEX",
            Some("directives"),
        ),
    ];
    for (name, body, status, code, limit) in cases {
        let (got, body, ms) = post(&app, body).await;
        println!("{name}: {got} in {ms:.1} ms");
        assert_eq!(got, status, "{name}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], code,
            "{name}: {body}"
        );
        if let Some(limit) = limit {
            assert_eq!(body["errors"][0]["extensions"]["limit"], limit, "{name}");
        }
        assert!(body.get("data").is_none(), "{name}: nothing ran");
    }
    // The server is still healthy and serves ordinary queries.
    let data = app
        .data(
            "{ products(first: 100) { nodes { store { name } } } }",
            json!({}),
        )
        .await;
    assert!(
        data["products"]["nodes"]
            .as_array()
            .is_some_and(|n| !n.is_empty())
    );
}

#[tokio::test]
async fn every_response_reports_its_cost() {
    let app = TestApp::seeded(20).await;
    let (status, body) = app
        .graphql(
            "{ products(first: 10) { nodes { name store { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 2 + 10 * 2);
}
