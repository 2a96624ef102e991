//! The trusted operations of `persisted-queries/manifests/apollo.json` (the web app's, which
//! the playground opens as tabs and signs in with): each id is the SHA-256 of its body, and
//! each runs without an error against a seeded server with the safelist on.

use serde_json::{Value, json};
use textisur_api::http::HttpConfig;
use textisur_api::seed::{ADMIN_EMAIL, DEMO_PASSWORD};
use textisur_persisted_queries::{TrustedDocuments, sha256_hex};
use textisur_tests::{TestApp, TestOptions};

fn manifest() -> TrustedDocuments {
    TrustedDocuments::embedded().expect("embedded manifest")
}

#[test]
fn every_id_is_the_sha256_of_its_body_and_every_name_is_unique() {
    let trusted = manifest();
    let mut names = std::collections::HashSet::new();
    for op in trusted.operations() {
        assert_eq!(op.id, sha256_hex(&op.body), "{}", op.name);
        assert!(names.insert(op.name.clone()), "{} twice", op.name);
        let kind = op.body.split_whitespace().next();
        assert_eq!(kind, Some(op.kind.as_str()), "{}: type", op.name);
    }
}

/// Runs a trusted operation by its text; fails the test on any error.
async fn run(app: &TestApp, token: Option<&str>, name: &str, variables: Value) -> Value {
    let trusted = manifest();
    let op = trusted
        .operations()
        .iter()
        .find(|op| op.name == name)
        .unwrap_or_else(|| panic!("no trusted operation {name}"));
    let (status, body) = match token {
        Some(token) => app.graphql_as(token, &op.body, variables).await,
        None => app.graphql(&op.body, variables).await,
    };
    assert_eq!(status, 200, "{name}: {body}");
    assert!(body.get("errors").is_none(), "{name}: {body}");
    body["data"].clone()
}

#[tokio::test]
async fn every_trusted_operation_runs_against_the_schema() {
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(60),
        http: Some(HttpConfig {
            production: true,
            safelist: true,
            cost_restore_rate: 1_000_000,
            ..HttpConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    app.sync_search().await;
    let mut ran = std::collections::HashSet::new();

    let data = run(&app, None, "SearchPage", json!({ "query": "lino" })).await;
    ran.insert("SearchPage");
    let search = &data["products"];
    assert!(search["totalCount"].as_i64() > Some(0), "{data}");
    let product = search["edges"][0]["node"]["slug"].as_str().expect("slug");
    let store = search["edges"][0]["node"]["store"]["slug"]
        .as_str()
        .expect("store slug");

    let data = run(&app, None, "ProductPage", json!({ "slug": product })).await;
    ran.insert("ProductPage");
    assert_eq!(data["product"]["slug"], product);
    let data = run(&app, None, "StorePage", json!({ "slug": store })).await;
    ran.insert("StorePage");
    assert_eq!(data["store"]["slug"], store);
    assert!(data["store"]["products"]["totalCount"].as_i64() > Some(0));
    let data = run(&app, None, "Suggest", json!({ "prefix": "lin" })).await;
    ran.insert("Suggest");
    assert!(data["suggest"].is_array());
    let data = run(&app, None, "Categories", json!({})).await;
    ran.insert("Categories");
    assert!(data["categories"].as_array().is_some_and(|c| !c.is_empty()));

    let credentials = json!({ "input": { "email": ADMIN_EMAIL, "password": DEMO_PASSWORD } });
    let data = run(&app, None, "Login", credentials).await;
    ran.insert("Login");
    assert_eq!(data["login"]["userErrors"], json!([]), "{data}");
    let refresh = data["login"]["refreshToken"]
        .as_str()
        .expect("refresh token");
    let data = run(
        &app,
        None,
        "RefreshSession",
        json!({ "refreshToken": refresh }),
    )
    .await;
    ran.insert("RefreshSession");
    let session = &data["refreshSession"];
    assert_eq!(session["userErrors"], json!([]), "{data}");
    let access = session["accessToken"].as_str().expect("access token");
    let data = run(&app, Some(access), "Me", json!({})).await;
    ran.insert("Me");
    assert_eq!(data["me"]["role"], "ADMIN");
    let refresh = session["refreshToken"].as_str().expect("refresh token");
    let data = run(
        &app,
        Some(access),
        "Logout",
        json!({ "refreshToken": refresh }),
    )
    .await;
    ran.insert("Logout");
    assert_eq!(data["logout"]["ok"], true, "{data}");

    let trusted = manifest();
    let all: std::collections::HashSet<&str> = trusted
        .operations()
        .iter()
        .map(|op| op.name.as_str())
        .collect();
    let ran: std::collections::HashSet<&str> = ran.into_iter().collect();
    assert_eq!(
        ran, all,
        "every operation of the manifest is exercised here"
    );
}
