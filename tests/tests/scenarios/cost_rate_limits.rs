//! Cost-based rate limits: a caller's bucket empties at the cost of its queries, refills at
//! the configured rate, and another caller's bucket is untouched.

use std::time::Duration;

use serde_json::{Value, json};
use textisur_api::runtime::http::HttpConfig;
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

    let (_, body) = post_as(&app, &ana.access_token, "{ me { name } }").await;
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
    let (_, body) = post_as(&app, &bea.access_token, "{ me { name } }").await;
    assert_eq!(
        body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"], 999,
        "{body}"
    );
}

async fn anonymous(app: &TestApp, query: &str, variables: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("send");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn refused_for(status: u16, body: &Value, limit: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");
    assert_eq!(body["errors"][0]["extensions"]["limit"], limit, "{body}");
    assert!(body.get("data").is_none(), "nothing ran: {body}");
}

/// `nodes(ids:)` costs by its ids like a connection's `first`, times what each node selects.
#[tokio::test]
async fn nodes_cost_by_the_number_of_ids() {
    let app = TestApp::seeded(10).await;
    let (_, body) = anonymous(&app, "{ categories { id } }", json!({})).await;
    let ids: Vec<Value> = body["data"]["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }";
    let (status, body) = anonymous(&app, query, json!({ "ids": ids[..2] })).await;
    assert_eq!(status, 200, "{body}");
    // 2 + two ids x one object each.
    assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 2 + 2);
    assert_eq!(body["extensions"]["cost"]["actualQueryCost"], 2 + 2);

    // 41 ids, each asking a page of products with their reviews: 2 + 41 x 164, over the
    // limit, as the same work through `stores(first: 41)` is.
    let many: Vec<Value> = ids.iter().cycle().take(41).cloned().collect();
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Store { products(first: 20) {
        nodes { reviews(first: 5) { nodes { rating } } } } } } }";
    let (status, body) = anonymous(&app, query, json!({ "ids": many })).await;
    refused_for(status, &body, "cost");
}

/// Lists without `first` cost by the most elements they can hold.
#[tokio::test]
async fn lists_without_first_cost_by_their_most_elements() {
    let app = TestApp::seeded(10).await;
    let (status, body) = anonymous(&app, "{ categories { id name } }", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let returned = body["data"]["categories"].as_array().map_or(0, Vec::len) as u64;
    assert!(returned > 1, "{body}");
    // At most 200 categories; only those returned are kept.
    assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 2 + 200);
    assert_eq!(body["extensions"]["cost"]["actualQueryCost"], 2 + returned);

    // A cart holds at most 100 lines: reviews under each line's product are 100 pages.
    let lines = "{ me { cart { lines { product { reviews(first: 10) {
        nodes { author { name } } } } } } } }";
    let (status, body) = anonymous(&app, lines, json!({})).await;
    refused_for(status, &body, "cost");
    let order = "{ order(id: \"T3JkZXI6MQ==\") { lines { product { reviews(first: 10) {
        nodes { author { name } } } } } } }";
    let (status, body) = anonymous(&app, order, json!({})).await;
    refused_for(status, &body, "cost");
}

/// A search that returns no node but counts, facets and corrects the whole match set pays
/// for that work: thirty of them no longer fit in a bucket of 1,000.
#[tokio::test]
async fn an_empty_page_pays_for_its_counts_facets_and_corrections() {
    let http = HttpConfig {
        cost_bucket: 1_000,
        cost_restore_rate: 1,
        ..HttpConfig::default()
    };
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(20),
        http: Some(http),
        ..TestOptions::default()
    })
    .await;
    app.sync_search().await;
    let query = "{ products(first: 0, query: \"algodn\") { totalCount correctedQuery facets {
        categories { value label count } stores { value label count }
        materials { value label count } colors { value label count }
        sizes { value label count } priceRanges { min max count } } } }";
    let mut ran = 0;
    for _ in 0..30 {
        let (status, body) = anonymous(&app, query, json!({})).await;
        if status == 429 {
            assert_eq!(body["errors"][0]["extensions"]["code"], "THROTTLED");
            break;
        }
        assert_eq!(status, 200, "{body}");
        let cost = &body["extensions"]["cost"];
        // 2 + totalCount 10 + correctedQuery 25 + facets (1 + 50 + 5 x (2 + 30) + 2 + 6).
        assert_eq!(cost["requestedQueryCost"], 2 + 10 + 25 + 219, "{body}");
        let actual = cost["actualQueryCost"].as_u64().expect("actualQueryCost");
        assert!(
            actual >= 2 + 10 + 25 + 1 + 50,
            "the work stays paid: {body}"
        );
        ran += 1;
    }
    assert!(
        (1..=15).contains(&ran),
        "{ran} searches ran before the throttle"
    );
}

/// Mutations count after fragments are expanded: seven inside `... on Mutation` break the
/// mutation limit, and each pays its 10 points.
#[tokio::test]
async fn mutations_inside_fragments_count_like_mutations_at_the_root() {
    let app = TestApp::spawn().await;
    let seven: String = (0..7)
        .map(|i| format!("m{i}: logout(refreshToken: \"x\") {{ ok }} "))
        .collect();
    for document in [
        format!("mutation {{ ... on Mutation {{ {seven} }} }}"),
        format!("mutation {{ ...M }} fragment M on Mutation {{ {seven} }}"),
    ] {
        let (status, body) = anonymous(&app, &document, json!({})).await;
        refused_for(status, &body, "mutations");
    }
    let two = "mutation { ...A ... on Mutation { b: logout(refreshToken: \"x\") { ok } } }
        fragment A on Mutation { a: logout(refreshToken: \"x\") { ok } }";
    let (status, body) = anonymous(&app, two, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["extensions"]["cost"]["requestedQueryCost"],
        2 * (10 + 1)
    );
}

/// The category tree had no bound, so `categories` had no size to cost by: it holds at most
/// 200 now, and the 201st is a user error.
#[tokio::test]
async fn the_category_tree_holds_at_most_two_hundred() {
    let app = TestApp::spawn().await;
    let admin = app.quick_account("Admin", "ADMIN").await;
    let (_, body) = app.graphql("{ categories { id } }", json!({})).await;
    let existing = body["data"]["categories"].as_array().map_or(0, Vec::len);
    let create = |n: usize| {
        format!(
            "c{n}: createCategory(input: {{name: \"Categoría {n}\"}}) {{ category {{ id }} userErrors {{ code }} }} "
        )
    };
    let mut n = existing;
    while n < 200 {
        let batch: String = (n..(n + 5).min(200)).map(create).collect();
        let (status, body) = app
            .graphql_as(
                &admin.access_token,
                &format!("mutation {{ {batch} }}"),
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        n = (n + 5).min(200);
    }
    let (status, body) = app
        .graphql_as(
            &admin.access_token,
            &format!("mutation {{ {} }}", create(200)),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["c200"]["category"], Value::Null, "{body}");
    assert_eq!(
        body["data"]["c200"]["userErrors"][0]["code"],
        "LIMIT_REACHED"
    );
    let (_, body) = app.graphql("{ categories { id } }", json!({})).await;
    assert_eq!(
        body["data"]["categories"].as_array().map_or(0, Vec::len),
        200
    );
}

/// An error nulls its field, and on a non-null field its ancestors (`data` itself at the
/// root), after its siblings did their work: the refund must not count what was nulled as
/// work never done, so an answer with errors keeps its whole requested cost.
#[tokio::test]
async fn an_answer_with_errors_keeps_its_whole_requested_cost() {
    let http = HttpConfig {
        cost_bucket: 10_000,
        cost_restore_rate: 1,
        ..HttpConfig::default()
    };
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(30),
        http: Some(http),
        ..TestOptions::default()
    })
    .await;
    let ana = app.register("ana@correo.cl", "Ana").await;
    let heavy = "{ stores(first: 19) { nodes { products(first: 100) { nodes { name } } } } }";
    let (_, body) = post_as(&app, &ana.access_token, heavy).await;
    let requested = body["extensions"]["cost"]["requestedQueryCost"]
        .as_u64()
        .expect("requested cost");
    assert!(requested > 1_000, "{body}");
    assert!(
        body["extensions"]["cost"]["actualQueryCost"].as_u64() < Some(requested / 2),
        "a clean answer is refunded what it did not return: {body}"
    );

    let failing = "{ stores(first: 19) { nodes { products(first: 100) { nodes { name } } } }
        products(first: 1, after: \"not-a-cursor\") { totalCount } }";
    let (_, body) = post_as(&app, &ana.access_token, failing).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    let cost = &body["extensions"]["cost"];
    let requested = cost["requestedQueryCost"].as_u64().expect("requested cost");
    assert!(requested > 1_000, "{body}");
    assert_eq!(cost["actualQueryCost"].as_u64(), Some(requested), "{body}");
}

/// An IPv6 subscriber usually holds a whole /64: walking through its addresses must not
/// buy a fresh anonymous bucket per address.
#[tokio::test]
async fn an_ipv6_network_shares_one_bucket() {
    let http = HttpConfig {
        cost_bucket: 100,
        cost_restore_rate: 1,
        trusted_proxies: vec!["127.0.0.1".parse().expect("ip")],
        ..HttpConfig::default()
    };
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(30),
        http: Some(http),
        ..TestOptions::default()
    })
    .await;
    let remaining_after = |from: &'static str| {
        let request = app
            .client
            .post(app.url("/graphql"))
            .header("x-forwarded-for", from)
            .json(&json!({ "query": QUERY }));
        async move {
            let response = request.send().await.expect("send");
            header(response.headers(), "ratelimit-remaining")
        }
    };
    let first = remaining_after("2001:db8:0:7::1").await;
    assert!((78..=80).contains(&first), "{first}");
    let same_network = remaining_after("2001:db8:0:7:ffff::2").await;
    assert!(
        (56..=58).contains(&same_network),
        "another address of the same /64 spends the same bucket: {same_network}"
    );
    let other_network = remaining_after("2001:db8:0:8::1").await;
    assert!((78..=80).contains(&other_network), "{other_network}");
}
