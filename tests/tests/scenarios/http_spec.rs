//! The HTTP layer against the GraphQL-over-HTTP spec, on the real server.

use reqwest::StatusCode;
use reqwest::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use serde_json::{Value, json};
use textisur_api::runtime::http::HttpConfig;
use textisur_tests::{TestApp, TestOptions};

const GRAPHQL_JSON: &str = "application/graphql-response+json";

async fn post_raw(
    app: &TestApp,
    accept: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (StatusCode, String, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", accept)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("send");
    let status = response.status();
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap_or("")
        .to_owned();
    let body: Value = response.json().await.expect("JSON body");
    (status, content_type, body)
}

fn first_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test]
async fn mutation_over_get_is_405_with_allow_post() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { __typename }")])
        .header("accept", GRAPHQL_JSON)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()[ALLOW], "POST");
    let body: Value = response.json().await.expect("json");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("POST")
    );

    // The operation GET would run is the one operationName selects.
    let document = "query Q { __typename } mutation M { __typename }";
    let status = |name: &'static str| {
        let request = app
            .client
            .get(app.url("/graphql"))
            .query(&[("query", document), ("operationName", name)]);
        async move { request.send().await.expect("send").status() }
    };
    assert_eq!(status("M").await, StatusCode::METHOD_NOT_ALLOWED);
    // Q is a query, so GET may run it (the schema has no mutation type yet, so the
    // document as a whole then fails validation: a 400, not a 405).
    assert_ne!(status("Q").await, StatusCode::METHOD_NOT_ALLOWED);

    // A lone named mutation runs without operationName, so it is refused without one too.
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "mutation Named { __typename }")])
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn get_runs_queries_and_marks_them_cacheable() {
    let app = TestApp::seeded(50).await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            (
                "query",
                "query Cats($n: Int) { products(first: $n) { nodes { name } } }",
            ),
            ("operationName", "Cats"),
            ("variables", r#"{"n": 2}"#),
        ])
        .header("accept", GRAPHQL_JSON)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[CACHE_CONTROL]
            .to_str()
            .unwrap_or("")
            .starts_with("public, max-age=")
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["data"]["products"]["nodes"].as_array().map(Vec::len),
        Some(2)
    );

    let bad_variables = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ __typename }"), ("variables", "{not json")])
        .send()
        .await
        .expect("send");
    assert_eq!(bad_variables.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn malformed_json_is_400_with_a_graphql_error_body() {
    let app = TestApp::spawn().await;
    let (status, content_type, body) =
        post_raw(&app, GRAPHQL_JSON, "application/json", "{\"query\": ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(content_type.starts_with(GRAPHQL_JSON));
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("malformed JSON")
    );
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
    assert!(body.get("data").is_none());

    // Well-formed JSON of the wrong shape is refused too, naming the field.
    for (payload, needle) in [
        (json!({"query": 5}), "query must be a string"),
        (
            json!({"query": "{ __typename }", "variables": [1]}),
            "variables must be a JSON object",
        ),
        (json!({"variables": {}}), "no query"),
        (json!("{ __typename }"), "JSON object"),
    ] {
        let (status, _, body) =
            post_raw(&app, GRAPHQL_JSON, "application/json", payload.to_string()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{payload}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap_or("")
                .contains(needle),
            "{body}"
        );
    }
}

#[tokio::test]
async fn oversized_body_is_413() {
    let app = TestApp::spawn().await;
    let padding = "x".repeat(10 * 1024 * 1024);
    let body =
        json!({ "query": "{ __typename }", "variables": { "padding": padding } }).to_string();
    let (status, _, body) = post_raw(&app, GRAPHQL_JSON, "application/json", body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("limit")
    );
}

#[tokio::test]
async fn unknown_operation_name_is_400() {
    let app = TestApp::spawn().await;
    let body =
        json!({ "query": "query A { __typename } query B { __typename }", "operationName": "C" });
    let (status, _, body) =
        post_raw(&app, GRAPHQL_JSON, "application/json", body.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.get("data").is_none(),
        "a request error has no data: {body}"
    );
    assert_eq!(first_code(&body), "BAD_USER_INPUT");

    let body = json!({ "query": "query A { __typename } query B { categories { name } }", "operationName": "A" });
    let (status, _, body) =
        post_raw(&app, GRAPHQL_JSON, "application/json", body.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], json!({ "__typename": "Query" }));
}

#[tokio::test]
async fn request_errors_follow_the_status_rules_of_each_media_type() {
    let app = TestApp::spawn().await;
    for (query, what) in [
        ("{ products { nope } }", "validation"),
        ("{ products(first: \"x\") { totalCount } }", "argument type"),
        ("{ products {", "syntax"),
    ] {
        let body = json!({ "query": query }).to_string();
        let (status, content_type, json) =
            post_raw(&app, GRAPHQL_JSON, "application/json", body.clone()).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{what} error with graphql-response+json"
        );
        assert!(content_type.starts_with(GRAPHQL_JSON));
        assert!(json.get("data").is_none(), "{json}");
        assert!(
            !first_code(&json).is_empty(),
            "every error carries a code: {json}"
        );

        // The legacy media type answers 200 for any well-formed request.
        let (status, content_type, json) =
            post_raw(&app, "application/json", "application/json", body).await;
        assert_eq!(status, StatusCode::OK, "{what} error with application/json");
        assert!(content_type.starts_with("application/json"));
        assert!(json["errors"].is_array());
    }

    // Variables of the wrong type are a request error as well.
    let body = json!({ "query": "query($n: Int) { products(first: $n) { totalCount } }", "variables": { "n": "ten" } });
    let (status, _, json) =
        post_raw(&app, GRAPHQL_JSON, "application/json", body.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{json}");
}

#[tokio::test]
async fn field_errors_keep_200_and_partial_data() {
    let app = TestApp::seeded(20).await;
    let (status, body) = app
        .graphql(
            "{ categories { name } products(first: 500) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["data"]["categories"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["path"], json!(["products"]));
}

/// Every pooled connection held elsewhere: the request waits out the acquire timeout, then
/// answers 503 with `Retry-After` and a retryable error, and works again once one is free.
#[tokio::test]
async fn database_out_of_reach_is_503_with_retry_after() {
    // Without the indexer, only requests use the pool: no background task hands a
    // connection back in the middle for the request to take.
    let app = TestApp::spawn_with(TestOptions {
        without_search_index: true,
        ..TestOptions::default()
    })
    .await;
    let query = r#"{ product(slug: "no-such-product") { id } }"#;
    let (status, body) = app.graphql(query, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A session the server has not seen yet: checking it needs the database.
    let buyer = app.quick_account("Comprador", "BUYER").await;

    // Take every connection the pool has or will open, and keep taking any that comes back.
    let pool = app.db.pool().clone();
    let held = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let grabber = tokio::spawn({
        let (pool, held) = (pool.clone(), held.clone());
        async move {
            loop {
                if let Ok(connection) = pool.acquire().await {
                    held.lock().expect("lock").push(connection);
                }
            }
        }
    });
    let max = pool.options().get_max_connections();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while pool.size() < max || pool.num_idle() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the pool never ran dry"
        );
        tokio::task::yield_now().await;
    }
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", GRAPHQL_JSON)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "2");
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let body: Value = response.json().await.expect("json");
    assert_eq!(first_code(&body), "INTERNAL_SERVER_ERROR", "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        "service unavailable: retry shortly"
    );
    assert_eq!(body["errors"][0]["extensions"]["retryAfterMs"], 2000);

    // Signed in, the request stops at the session check, before GraphQL runs: same answer.
    let (status, body) = app.graphql_as(&buyer.access_token, query, json!({})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(first_code(&body), "INTERNAL_SERVER_ERROR", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["retryAfterMs"], 2000);

    grabber.abort();
    let _ = grabber.await;
    held.lock().expect("lock").clear();
    let (status, body) = app.graphql(query, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn accept_negotiates_the_response_media_type() {
    let app = TestApp::spawn().await;
    let body = json!({ "query": "{ __typename }" }).to_string();
    for (accept, expected) in [
        ("application/json", Some("application/json")),
        (GRAPHQL_JSON, Some(GRAPHQL_JSON)),
        ("*/*", Some(GRAPHQL_JSON)),
        (
            "application/graphql-response+json;q=0.2, application/json",
            Some("application/json"),
        ),
        ("text/html", None),
    ] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("accept", accept)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("send");
        match expected {
            Some(media) => {
                assert_eq!(response.status(), StatusCode::OK, "{accept}");
                let content_type = response.headers()[CONTENT_TYPE].to_str().unwrap_or("");
                assert!(
                    content_type.starts_with(media),
                    "{accept} -> {content_type}"
                );
            }
            None => assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE, "{accept}"),
        }
    }
    // An empty Accept counts as none: the spec's default is application/json.
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("send");
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap_or("")
            .starts_with("application/json")
    );
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let app = TestApp::spawn().await;
    let (status, _, body) = post_raw(&app, GRAPHQL_JSON, "text/plain", "{ __typename }").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(body["errors"].is_array());
}

#[tokio::test]
async fn batches_are_capped() {
    let app = TestApp::spawn_with(TestOptions {
        http: Some(HttpConfig {
            max_batch: 3,
            ..HttpConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    let one = json!({ "query": "{ __typename }" });
    let (status, _, body) = post_raw(
        &app,
        GRAPHQL_JSON,
        "application/json",
        json!([one, one]).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_array().map(Vec::len), Some(2));

    let (status, _, body) = post_raw(
        &app,
        GRAPHQL_JSON,
        "application/json",
        json!([one, one, one, one]).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(first_code(&body), "QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn health_endpoints_answer() {
    let app = TestApp::spawn().await;
    let live = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .expect("send");
    assert_eq!(live.status(), StatusCode::OK);
    let ready: Value = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(ready["checks"]["postgres"], "ok");
}
