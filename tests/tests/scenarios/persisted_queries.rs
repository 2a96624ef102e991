//! Automatic persisted queries as Apollo clients speak them, and persisted documents named by
//! `documentId` (GraphQL Codegen's clients) or `doc_id` (Relay), against the real Redis.

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
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("textisur_redis_breaker_open 1"),
        "the breaker opened"
    );
}

async fn get(app: &TestApp, params: &[(&str, &str)]) -> (u16, Value) {
    let response = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .query(params)
        .send()
        .await
        .expect("send");
    (
        response.status().as_u16(),
        response.json().await.expect("json"),
    )
}

fn assert_not_found(status: u16, body: &Value, what: &str) {
    assert_eq!(status, 200, "{what}: {body}");
    assert_eq!(
        body["errors"][0]["message"], "PersistedQueryNotFound",
        "{what}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "{what}"
    );
}

#[tokio::test]
async fn document_ids_and_relay_doc_ids_name_trusted_and_registered_queries() {
    let app = TestApp::seeded(20).await;
    let trusted = textisur_persisted_queries::TrustedDocuments::embedded().expect("manifests");
    let categories = trusted
        .operations()
        .iter()
        .find(|op| op.name == "Categories")
        .expect("Categories");
    let registered = unique_query("E");
    let hash = sha256_hex(&registered);
    post(
        &app,
        json!({ "query": registered, "extensions": extensions(&hash) }),
    )
    .await;

    for id in [&categories.id, &hash] {
        let prefixed = format!("sha256:{id}");
        let upper = format!("sha256:{}", id.to_ascii_uppercase());
        for (what, body) in [
            ("documentId", json!({ "documentId": prefixed })),
            ("bare documentId", json!({ "documentId": id })),
            ("uppercase documentId", json!({ "documentId": upper })),
            ("doc_id", json!({ "doc_id": id, "variables": {} })),
        ] {
            let (status, body) = post(&app, body).await;
            assert_eq!(status, 200, "{what}: {body}");
            assert!(body["data"]["categories"].is_array(), "{what}: {body}");
        }
        for (what, params) in [
            ("documentId", [("documentId", prefixed.as_str())]),
            ("doc_id", [("doc_id", id.as_str())]),
        ] {
            let (status, body) = get(&app, &params).await;
            assert_eq!(status, 200, "GET {what}: {body}");
            assert!(body["data"]["categories"].is_array(), "GET {what}: {body}");
        }
    }

    let unknown = format!("sha256:{}", sha256_hex(&unique_query("F")));
    let (status, body) = post(&app, json!({ "documentId": unknown })).await;
    assert_not_found(status, &body, "unknown documentId");
    let (status, body) = get(&app, &[("documentId", &unknown)]).await;
    assert_not_found(status, &body, "unknown documentId over GET");
    // Relay's default ids are MD5: not ours, so not found rather than malformed.
    let (status, body) = post(
        &app,
        json!({ "doc_id": "d41d8cd98f00b204e9800998ecf8427e" }),
    )
    .await;
    assert_not_found(status, &body, "unknown doc_id");

    let malformed = [
        json!({ "documentId": "sha256:123" }),
        json!({ "documentId": format!("sha256:{hash}"), "query": registered }),
        json!({ "documentId": format!("sha256:{hash}"), "doc_id": hash }),
    ];
    for body in malformed {
        let (status, response) = post(&app, body.clone()).await;
        assert_eq!(status, 400, "{body}: {response}");
        assert_eq!(
            response["errors"][0]["extensions"]["code"],
            "BAD_USER_INPUT"
        );
    }

    // A mutation named by its id still only runs over POST.
    let logout = trusted
        .operations()
        .iter()
        .find(|op| op.name == "Logout")
        .expect("Logout");
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("documentId", format!("sha256:{}", logout.id))])
        .send()
        .await
        .expect("send");
    let status = response.status();
    let text = response.text().await.expect("text");
    assert_eq!(status, 405, "{text}");
    // The same named mutation as text, without operationName: a lone operation runs, so it
    // is refused too.
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", logout.body.as_str())])
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 405);
}

fn counter(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// How many lookups found a prepared document so far.
async fn prepared_hits(app: &TestApp) -> f64 {
    let text = app.metrics().await;
    counter(&text, "textisur_prepared_documents_total{result=\"hit\"}")
}

#[tokio::test]
async fn a_hot_persisted_query_is_prepared_once_and_still_costed_by_its_variables() {
    let app = TestApp::seeded(20).await;
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let query = format!(
        "query Page($n: Int) {{ products(first: $n) {{ nodes {{ name store {{ name }} }} }} }} # {nonce}"
    );
    let hash = sha256_hex(&query);
    let (status, body) = post(
        &app,
        json!({ "query": query, "variables": { "n": 3 }, "extensions": extensions(&hash) }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let hits_before = prepared_hits(&app).await;
    for n in [1u64, 5, 50] {
        let variables = json!({ "n": n }).to_string();
        let extensions = extensions(&hash).to_string();
        let (status, body) = get(
            &app,
            &[("variables", &variables), ("extensions", &extensions)],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["extensions"]["cost"]["requestedQueryCost"],
            2 + n * 2,
            "the cost of a prepared document follows its variables: {body}"
        );
    }
    // Each GET hit found the prepared document (once for the method check, once to run).
    let hits = prepared_hits(&app).await - hits_before;
    assert!(hits >= 3.0, "{hits} prepared hits");

    // A prepared document still answers to the limits: a page too dear is refused.
    let variables = json!({ "n": 5_000 }).to_string();
    let extensions = extensions(&hash).to_string();
    let (status, body) = get(
        &app,
        &[("variables", &variables), ("extensions", &extensions)],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["limit"], "cost");
}

/// Text sent on its own (a web client posting a document's text) is prepared too, by the
/// text's hash: the same text with new variables is parsed and walked once, still costed
/// by its variables. Such a text never answers to its hash alone: that would let a text an
/// admin once sent ad hoc run past the safelist by hash.
#[tokio::test]
async fn a_text_posted_again_is_prepared_once_but_never_found_by_its_hash() {
    let app = TestApp::seeded(20).await;
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let query =
        format!("query Posted($n: Int) {{ products(first: $n) {{ nodes {{ name }} }} }} # {nonce}");
    let (status, body) = post(&app, json!({ "query": query, "variables": { "n": 1 } })).await;
    assert_eq!(status, 200, "{body}");
    let before = prepared_hits(&app).await;
    for n in [2u64, 4] {
        let (status, body) = post(&app, json!({ "query": query, "variables": { "n": n } })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["data"]["products"]["nodes"].as_array().map(Vec::len),
            Some(n as usize)
        );
        assert_eq!(
            body["extensions"]["cost"]["requestedQueryCost"],
            2 + n,
            "the cost of a prepared text follows its variables: {body}"
        );
    }
    assert_eq!(
        prepared_hits(&app).await - before,
        2.0,
        "each repeat found the prepared text"
    );

    // A text that breaks a limit with these variables is still refused.
    let (status, body) = post(&app, json!({ "query": query, "variables": { "n": 5_000 } })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["limit"], "cost");

    // Its hash alone names nothing: the text was never persisted.
    let (status, body) = post(
        &app,
        json!({ "extensions": extensions(&sha256_hex(&query)) }),
    )
    .await;
    assert_not_found(status, &body, "a text sent only ad hoc, asked by its hash");
}

/// Anonymous persisted GETs are answered from the response cache for a moment (as a CDN
/// would, within the `max-age` the server advertises); callers with a token always run.
#[tokio::test]
async fn anonymous_persisted_gets_share_a_cached_answer_for_a_moment() {
    let app = TestApp::seeded(20).await;
    let query = unique_query("Cached");
    let hash = sha256_hex(&query);
    let (status, body) = post(
        &app,
        json!({ "query": query, "extensions": extensions(&hash) }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let first_name = body["data"]["categories"][0]["name"].clone();
    let apq = extensions(&hash).to_string();
    let send = |token: Option<String>| {
        let mut request = app
            .client
            .get(app.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .query(&[("extensions", apq.as_str())]);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let response = request.send().await.expect("send");
            let headers = response.headers().clone();
            let body: Value = response.json().await.expect("json");
            (headers, body)
        }
    };

    let (headers, body) = send(None).await;
    assert!(
        headers.get("age").is_none(),
        "computed, not cached: {headers:?}"
    );
    assert_eq!(body["data"]["categories"][0]["name"], first_name);

    // The database changes; anonymous callers keep the cached answer for a moment.
    sqlx::query!("UPDATE categories SET name = name || ' (renombrada)'")
        .execute(app.db.pool())
        .await
        .expect("rename categories");
    let (headers, body) = send(None).await;
    assert!(
        headers.get("age").is_some(),
        "served from the cache: {headers:?}"
    );
    assert!(
        headers["cache-control"]
            .to_str()
            .is_ok_and(|c| c.starts_with("public")),
        "{headers:?}"
    );
    assert_eq!(body["data"]["categories"][0]["name"], first_name, "{body}");
    let cost = &body["extensions"]["cost"];
    assert!(
        cost["requestedQueryCost"].as_u64().is_some()
            && cost["throttleStatus"]["currentlyAvailable"]
                .as_u64()
                .is_some(),
        "a cached answer still reports the caller's cost: {body}"
    );
    assert!(headers.contains_key("ratelimit-remaining"), "{headers:?}");

    // A caller with a token gets a fresh answer, never stored.
    let buyer = app.quick_account("Compradora", "BUYER").await;
    let (headers, body) = send(Some(buyer.access_token.clone())).await;
    assert_eq!(headers["cache-control"], "no-store");
    let renamed = body["data"]["categories"][0]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(renamed.ends_with("(renombrada)"), "{body}");

    // With the cache off, anonymous callers see the change at once.
    let uncached = TestApp::spawn_with(TestOptions {
        seed_products: Some(20),
        http: Some(textisur_api::runtime::http::HttpConfig {
            response_cache_ttl: std::time::Duration::ZERO,
            ..Default::default()
        }),
        ..Default::default()
    })
    .await;
    for _ in 0..2 {
        let (_, body) = post(
            &uncached,
            json!({ "query": query, "extensions": extensions(&hash) }),
        )
        .await;
        assert!(body["data"]["categories"].is_array(), "{body}");
    }
    sqlx::query!("UPDATE categories SET name = name || ' (otra vez)'")
        .execute(uncached.db.pool())
        .await
        .expect("rename categories");
    let response = uncached
        .client
        .get(uncached.url("/graphql"))
        .query(&[("extensions", apq.as_str())])
        .send()
        .await
        .expect("send");
    assert!(response.headers().get("age").is_none());
    let body: Value = response.json().await.expect("json");
    let names = body["data"]["categories"].to_string();
    assert!(names.contains("(otra vez)"), "{body}");
}

/// A text refused by any limit is never registered: its bare hash is a miss afterwards, on
/// this server and on another one sharing the Redis, instead of a refusal that runs nothing
/// and charges nothing.
#[tokio::test]
async fn a_text_refused_by_a_limit_is_never_registered() {
    let app = TestApp::seeded(5).await;
    let other = TestApp::spawn().await;
    let nonce = unique_query("Refused");
    let aliases: String = (0..40).map(|i| format!("a{i}: __typename ")).collect();
    let mutations: String = (0..6)
        .map(|i| format!("m{i}: logout(refreshToken: \"x\") {{ ok }} "))
        .collect();
    let costly = "{ products(first: 100) { nodes { reviews(first: 100) { nodes { product { store {
        products(first: 100) { nodes { name } } } } } } } } }";
    let cases = [
        (
            "characters",
            format!("{{ __typename }} # {} {nonce}", "x".repeat(25_000)),
        ),
        ("aliases", format!("{{ {aliases} }} # {nonce}")),
        (
            "depth",
            format!("{}{} # {nonce}", "{ a ".repeat(20), "}".repeat(20)),
        ),
        ("cost", format!("{costly} # {nonce}")),
        ("mutations", format!("mutation {{ {mutations} }} # {nonce}")),
    ];
    for (limit, text) in cases {
        let hash = sha256_hex(&text);
        let (status, body) = post(
            &app,
            json!({ "query": text, "extensions": extensions(&hash) }),
        )
        .await;
        assert_eq!(status, 400, "{limit}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["limit"], limit, "{body}");
        let (status, body) = post(&app, json!({ "extensions": extensions(&hash) })).await;
        assert_not_found(status, &body, limit);
        let (status, body) = post(&other, json!({ "extensions": extensions(&hash) })).await;
        assert_not_found(status, &body, limit);
    }
}

/// A query run by its hash alone is charged to the caller's bucket like its text.
#[tokio::test]
async fn a_query_run_by_hash_is_charged() {
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(20),
        http: Some(textisur_api::runtime::http::HttpConfig {
            cost_bucket: 1_000,
            cost_restore_rate: 1,
            ..Default::default()
        }),
        ..TestOptions::default()
    })
    .await;
    app.sync_search().await;
    let nonce = unique_query("Charged");
    let query =
        format!("{{ products(first: 10) {{ nodes {{ name store {{ name }} }} }} }} # {nonce}");
    let hash = sha256_hex(&query);
    let (status, body) = post(
        &app,
        json!({ "query": query, "extensions": extensions(&hash) }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let available = |body: &Value| {
        body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
            .as_u64()
            .expect("currentlyAvailable")
    };
    let mut before = available(&body);
    for _ in 0..3 {
        let (status, body) = post(&app, json!({ "extensions": extensions(&hash) })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 2 + 10 * 2);
        let actual = body["extensions"]["cost"]["actualQueryCost"]
            .as_u64()
            .expect("actualQueryCost");
        assert!(actual > 2, "{body}");
        let after = available(&body);
        // A point a second refills meanwhile.
        assert!(
            (before - actual..=before - actual + 1).contains(&after),
            "{before} - {actual} vs {after}"
        );
        before = after;
    }
}

/// The in-process cache of registered texts is bounded by bytes: texts of 15,000 characters
/// in a 40,000-byte budget leave at most two in memory (with Redis down, memory is all).
#[tokio::test]
async fn the_local_persisted_query_cache_is_bounded_by_bytes() {
    let app = TestApp::spawn_with(TestOptions {
        redis_url: Some("redis://127.0.0.1:1".into()),
        apq_local_cache_bytes: Some(40_000),
        ..TestOptions::default()
    })
    .await;
    let nonce = unique_query("Bytes");
    let texts: Vec<String> = (0..8)
        .map(|n| format!("{{ __typename }} # {n} {} {nonce}", "x".repeat(15_000)))
        .collect();
    for text in &texts {
        let (status, body) = post(
            &app,
            json!({ "query": text, "extensions": extensions(&sha256_hex(text)) }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["__typename"], "Query", "{body}");
    }
    let mut held = 0;
    for text in &texts {
        let (status, body) =
            post(&app, json!({ "extensions": extensions(&sha256_hex(text)) })).await;
        assert_eq!(status, 200, "{body}");
        if body["data"]["__typename"] == "Query" {
            held += 1;
        } else {
            assert_not_found(status, &body, "evicted");
        }
    }
    assert!(
        (1..=2).contains(&held),
        "{held} texts of 15 kB held in 40 kB"
    );
}
