//! In production only admins may explore the schema: introspection and "did you mean".

use serde_json::json;
use textisur_api::http::HttpConfig;
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
