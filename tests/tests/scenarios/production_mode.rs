//! In production only admins may explore the schema (introspection and "did you mean") and
//! run operations that are not persisted (the safelist, which `--persisted-only` also turns
//! on outside production).

use reqwest::StatusCode;
use serde_json::{Value, json};
use textisur_api::runtime::demo::{ADMIN_EMAIL, DEMO_PASSWORD};
use textisur_api::runtime::http::HttpConfig;
use textisur_persisted_queries::{TrustedDocuments, TrustedOperation, sha256_hex};
use textisur_tests::{TestApp, TestOptions};

#[tokio::test]
async fn introspection_and_suggestions_are_for_admins_in_production() {
    let http = HttpConfig {
        production: true,
        cost_restore_rate: 1_000_000,
        ..HttpConfig::default()
    };
    let app = TestApp::spawn_with(TestOptions {
        http: Some(http),
        ..TestOptions::default()
    })
    .await;
    let admin = app.register("admin@correo.cl", "Admin").await;
    app.set_role(&admin, "ADMIN").await;
    let buyer = app.register("ana@correo.cl", "Ana").await;
    let introspect = "{ __schema { queryType { name } } }";

    let (_, body) = app.graphql(introspect, json!({})).await;
    assert!(body["data"]["__schema"].is_null(), "anonymous: {body}");
    let (_, body) = app
        .graphql_as(&buyer.access_token, introspect, json!({}))
        .await;
    assert!(body["data"]["__schema"].is_null(), "buyer: {body}");
    let (_, body) = app
        .graphql_as(&admin.access_token, introspect, json!({}))
        .await;
    assert_eq!(
        body["data"]["__schema"]["queryType"]["name"], "Query",
        "admin: {body}"
    );

    let typo = "{ prodcts { totalCount } }";
    let (_, body) = app.graphql(typo, json!({})).await;
    assert!(
        !body.to_string().contains("Did you mean"),
        "no suggestions for the public: {body}"
    );
    let (_, body) = app.graphql_as(&admin.access_token, typo, json!({})).await;
    assert!(
        body.to_string().contains("Did you mean"),
        "admins get suggestions: {body}"
    );

    // Ordinary queries are unaffected.
    let data = app.data("{ categories { name } }", json!({})).await;
    assert!(data["categories"].is_array());
}

/// A server as `TEXTISUR_ENV=production` runs it: explorer for admins, safelist on.
async fn production_app() -> TestApp {
    TestApp::spawn_with(TestOptions {
        seed_products: Some(20),
        http: Some(HttpConfig {
            production: true,
            safelist: true,
            cost_restore_rate: 1_000_000,
            ..HttpConfig::default()
        }),
        ..TestOptions::default()
    })
    .await
}

fn trusted(name: &str) -> TrustedOperation {
    TrustedDocuments::embedded()
        .expect("embedded manifest")
        .operations()
        .iter()
        .find(|op| op.name == name)
        .cloned()
        .unwrap_or_else(|| panic!("no trusted operation {name}"))
}

/// Signs a seeded account in with the trusted `Login` operation (what the web app sends).
async fn sign_in(app: &TestApp, email: &str) -> String {
    let login = trusted("Login");
    let variables = json!({ "input": { "email": email, "password": DEMO_PASSWORD } });
    let (status, body) = app.graphql(&login.body, variables).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("sign in {email}: {body}"))
        .to_owned()
}

fn assert_not_allowed(status: StatusCode, body: &Value, who: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{who}: {body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_ALLOWED",
        "{who}: {body}"
    );
    assert!(body.get("data").is_none(), "{who}: nothing ran: {body}");
}

async fn post(app: &TestApp, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("send");
    let status = response.status();
    (status, response.json().await.expect("json"))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

#[tokio::test]
async fn in_production_only_admins_run_operations_that_are_not_persisted() {
    let app = production_app().await;
    let admin = sign_in(&app, ADMIN_EMAIL).await;
    let buyer = sign_in(&app, "comprador1@textisur.example").await;
    let ad_hoc = "{ categories { name } }";

    let (status, body) = app.graphql(ad_hoc, json!({})).await;
    assert_not_allowed(status, &body, "anonymous");
    let (status, body) = app.graphql_as(&buyer, ad_hoc, json!({})).await;
    assert_not_allowed(status, &body, "buyer");
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", ad_hoc)])
        .header("accept", "application/graphql-response+json")
        .send()
        .await
        .expect("send");
    let status = response.status();
    assert_not_allowed(status, &response.json().await.expect("json"), "GET");
    let (status, body) = app.graphql_as(&admin, ad_hoc, json!({})).await;
    assert_eq!(status, 200, "admin: {body}");
    assert!(body["data"]["categories"].is_array(), "admin: {body}");

    // A trusted document runs for everyone, as text or by its hash alone.
    let categories = trusted("Categories");
    let (status, body) = app.graphql(&categories.body, json!({})).await;
    assert_eq!(status, 200, "trusted text: {body}");
    assert!(
        body["data"]["categories"].is_array(),
        "trusted text: {body}"
    );
    let (status, body) = post(
        &app,
        None,
        json!({ "extensions": persisted(&categories.id) }),
    )
    .await;
    assert_eq!(status, 200, "trusted hash: {body}");
    assert!(
        body["data"]["categories"].is_array(),
        "trusted hash: {body}"
    );
}

#[tokio::test]
async fn in_production_only_admins_register_persisted_queries_and_everyone_runs_them() {
    let app = production_app().await;
    let admin = sign_in(&app, ADMIN_EMAIL).await;
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let by_buyer = format!("{{ categories {{ slug }} }} # buyer {nonce}");
    let buyer = sign_in(&app, "comprador1@textisur.example").await;
    let hash = sha256_hex(&by_buyer);
    let registration = json!({ "query": by_buyer, "extensions": persisted(&hash) });
    let (status, body) = post(&app, Some(&buyer), registration).await;
    assert_not_allowed(status, &body, "buyer registering");
    let (_, body) = post(&app, None, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "a refused registration stores nothing: {body}"
    );

    let by_admin = format!("{{ categories {{ slug }} }} # admin {nonce}");
    let hash = sha256_hex(&by_admin);
    let registration = json!({ "query": by_admin, "extensions": persisted(&hash) });
    let (status, body) = post(&app, Some(&admin), registration).await;
    assert_eq!(status, 200, "admin registering: {body}");
    let (status, body) = post(&app, None, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(status, 200, "a persisted hit for anyone: {body}");
    assert!(body["data"]["categories"].is_array(), "{body}");
}

#[tokio::test]
async fn persisted_only_turns_the_safelist_on_outside_production() {
    // What `--persisted-only` (TEXTISUR_PERSISTED_ONLY) gives in development; the flag's
    // mapping to this configuration is a unit test of the `textisur` binary.
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(20),
        http: Some(HttpConfig {
            production: false,
            safelist: true,
            cost_restore_rate: 1_000_000,
            ..HttpConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    let admin = sign_in(&app, ADMIN_EMAIL).await;
    let buyer = sign_in(&app, "comprador1@textisur.example").await;
    let ad_hoc = "{ categories { name } }";

    let (status, body) = app.graphql(ad_hoc, json!({})).await;
    assert_not_allowed(status, &body, "anonymous");
    let (status, body) = app.graphql_as(&buyer, ad_hoc, json!({})).await;
    assert_not_allowed(status, &body, "buyer");
    // Admins still run anything, the playground's explorer included (not production).
    let (status, body) = app.graphql_as(&admin, ad_hoc, json!({})).await;
    assert_eq!(status, 200, "admin: {body}");
    assert!(body["data"]["categories"].is_array(), "admin: {body}");
    let introspect = "{ __schema { queryType { name } } }";
    let (_, body) = app.graphql_as(&admin, introspect, json!({})).await;
    assert_eq!(
        body["data"]["__schema"]["queryType"]["name"], "Query",
        "{body}"
    );
    let operations: Value = app
        .client
        .get(app.url("/playground/operations.json"))
        .send()
        .await
        .expect("operations")
        .json()
        .await
        .expect("json");
    assert_eq!(operations["production"], true, "the page offers sign-in");

    // Persisted operations run for everyone: a trusted document by text, by documentId and
    // by doc_id, and a query an admin registered, by its hash over POST and over GET.
    let categories = trusted("Categories");
    let (status, body) = app.graphql_as(&buyer, &categories.body, json!({})).await;
    assert_eq!(status, 200, "trusted text: {body}");
    for request in [
        json!({ "documentId": format!("sha256:{}", categories.id) }),
        json!({ "doc_id": categories.id }),
    ] {
        let (status, body) = post(&app, Some(&buyer), request.clone()).await;
        assert_eq!(status, 200, "{request}: {body}");
        assert!(body["data"]["categories"].is_array(), "{request}: {body}");
    }
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let registered = format!("{{ categories {{ slug }} }} # persisted-only {nonce}");
    let hash = sha256_hex(&registered);
    let registration = json!({ "query": registered, "extensions": persisted(&hash) });
    let (status, body) = post(&app, Some(&buyer), registration.clone()).await;
    assert_not_allowed(status, &body, "buyer registering");
    let (status, body) = post(&app, Some(&admin), registration).await;
    assert_eq!(status, 200, "admin registering: {body}");
    let (status, body) = post(
        &app,
        Some(&buyer),
        json!({ "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(status, 200, "hit over POST: {body}");
    assert!(body["data"]["categories"].is_array(), "{body}");
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("extensions", persisted(&hash).to_string())])
        .header("accept", "application/graphql-response+json")
        .bearer_auth(&buyer)
        .send()
        .await
        .expect("send");
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "hit over GET: {body}");
    assert!(
        body["data"]["categories"].is_array(),
        "hit over GET: {body}"
    );
}
