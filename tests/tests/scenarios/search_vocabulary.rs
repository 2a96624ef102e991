//! The search vocabulary admins change at run time: an entry changes the next search without
//! a reindex, an entry written by another process (straight into the table here) reaches this
//! one through its event within the freshness bound, and removal undoes it.

use std::time::{Duration, Instant};

use serde_json::json;
use textisur_api::runtime::http::HttpConfig;
use textisur_tests::market::Market;
use textisur_tests::{TestApp, TestOptions};

/// The index's freshness bound: what a write may take to reach every search.
const FRESHNESS: Duration = Duration::from_secs(2);

async fn names(market: &Market, q: &str) -> Vec<String> {
    market.app.search_field(q, "name").await
}

#[tokio::test]
async fn vocabulary_entries_change_results_without_a_reindex() {
    let market = Market::open().await;
    market
        .product("Guayabera de lino blanca", "PIECE", "1", "5", "100")
        .await;
    market
        .product("Camisa de algodón", "PIECE", "1", "5", "100")
        .await;
    market.app.sync_search().await;
    let admin = market.app.quick_account("Admin", "ADMIN").await;

    assert_eq!(names(&market, "camisa").await, ["Camisa de algodón"]);

    // Through the mutation: this server's next search uses it.
    let add = "mutation($i: SearchVocabularyInput!) { addSearchVocabulary(input: $i) {
        entry { id kind word words } userErrors { field code } } }";
    let (_, body) = market
        .app
        .graphql_as(
            &admin.access_token,
            add,
            json!({ "i": { "kind": "SYNONYMS", "words": ["Guayabera", "camisa"] } }),
        )
        .await;
    let entry = &body["data"]["addSearchVocabulary"]["entry"];
    assert_eq!(entry["words"], json!(["guayabera", "camisa"]), "{body}");
    let synonyms_id = entry["id"].as_str().expect("entry id").to_owned();
    assert_eq!(
        names(&market, "camisa").await,
        ["Camisa de algodón", "Guayabera de lino blanca"],
        "the exact word first, its synonym below"
    );

    // Refused entries write nothing.
    let (_, body) = market
        .app
        .graphql_as(
            &admin.access_token,
            add,
            json!({ "i": { "kind": "SYNONYMS", "words": ["sola"] } }),
        )
        .await;
    assert_eq!(
        body["data"]["addSearchVocabulary"]["userErrors"][0]["code"], "INVALID",
        "{body}"
    );

    // A phrase is one word of the query, matched as its words in a row: "camisa cubana"
    // finds the guayabera it implies, not every camisa.
    let (_, body) = market
        .app
        .graphql_as(
            &admin.access_token,
            add,
            json!({ "i": { "kind": "IMPLIES", "word": "Camisa  Cubana", "words": ["guayabera"] } }),
        )
        .await;
    assert_eq!(
        body["data"]["addSearchVocabulary"]["entry"]["word"], "camisa cubana",
        "{body}"
    );
    assert_eq!(
        names(&market, "camisas cubanas").await,
        ["Guayabera de lino blanca"]
    );
    // A stop word is one word.
    let (_, body) = market
        .app
        .graphql_as(
            &admin.access_token,
            add,
            json!({ "i": { "kind": "STOP_WORD", "word": "por favor" } }),
        )
        .await;
    assert_eq!(
        body["data"]["addSearchVocabulary"]["userErrors"][0]["code"], "INVALID",
        "{body}"
    );

    // Written by another process: the trigger's event reloads this one.
    assert!(names(&market, "fiesta").await.is_empty());
    sqlx::query(
        "INSERT INTO search_vocabulary (kind, word, words) VALUES ('IMPLIES', 'fiesta', '{guayabera}')",
    )
    .execute(market.app.db.pool())
    .await
    .expect("insert entry");
    let written = Instant::now();
    loop {
        if names(&market, "fiesta").await == ["Guayabera de lino blanca"] {
            break;
        }
        assert!(
            written.elapsed() < FRESHNESS,
            "an entry written elsewhere did not apply within {FRESHNESS:?}"
        );
        tokio::task::yield_now().await;
    }

    // Removal undoes the synonyms.
    let (_, body) = market
        .app
        .graphql_as(
            &admin.access_token,
            "mutation($id: ID!) { removeSearchVocabulary(id: $id) { entry { kind } userErrors { code } } }",
            json!({ "id": synonyms_id }),
        )
        .await;
    assert_eq!(
        body["data"]["removeSearchVocabulary"]["entry"]["kind"], "SYNONYMS",
        "{body}"
    );
    assert_eq!(names(&market, "camisa").await, ["Camisa de algodón"]);
    let (_, body) = market
        .app
        .graphql_as(
            &admin.access_token,
            "mutation($id: ID!) { removeSearchVocabulary(id: $id) { userErrors { code } } }",
            json!({ "id": synonyms_id }),
        )
        .await;
    assert_eq!(
        body["data"]["removeSearchVocabulary"]["userErrors"][0]["code"],
        "NOT_FOUND"
    );

    let (_, body) = market
        .app
        .graphql_as(
            &admin.access_token,
            "{ searchVocabulary { kind word words } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["searchVocabulary"],
        json!([
            { "kind": "IMPLIES", "word": "camisa cubana", "words": ["guayabera"] },
            { "kind": "IMPLIES", "word": "fiesta", "words": ["guayabera"] }
        ])
    );
}

/// In production (safelist on), operations that are not persisted are for admins only: the
/// vocabulary operations (admins' own, from the playground, not in the apps' manifests) work
/// there for an admin, and a seller sending the same text is refused before it runs.
#[tokio::test]
async fn admins_change_the_vocabulary_in_production() {
    let app = TestApp::spawn_with(TestOptions {
        http: Some(HttpConfig {
            production: true,
            safelist: true,
            ..HttpConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    let seller = app.quick_account("Vendedora", "SELLER").await;
    let admin = app.quick_account("Admin", "ADMIN").await;
    let add = "mutation { addSearchVocabulary(input: {kind: SYNONYMS, words: [\"guayabera\", \"camisa\"]}) {
        entry { words } userErrors { code } } }";
    let (_, body) = app.graphql_as(&seller.access_token, add, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_ALLOWED",
        "{body}"
    );
    let (_, body) = app.graphql_as(&admin.access_token, add, json!({})).await;
    assert_eq!(
        body["data"]["addSearchVocabulary"]["entry"]["words"],
        json!(["guayabera", "camisa"]),
        "{body}"
    );
    let (_, body) = app
        .graphql_as(
            &admin.access_token,
            "{ searchVocabulary { kind } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["searchVocabulary"],
        json!([{ "kind": "SYNONYMS" }]),
        "{body}"
    );
}
