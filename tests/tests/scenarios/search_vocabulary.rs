//! The search vocabulary admins change at run time: an entry changes the next search without
//! a reindex, an entry written by another process (straight into the table here) reaches this
//! one through its event within the freshness bound, and removal undoes it.

use std::time::{Duration, Instant};

use serde_json::json;
use textisur_tests::market::Market;

/// The index's freshness bound: what a write may take to reach every search.
const FRESHNESS: Duration = Duration::from_secs(2);

async fn names(market: &Market, q: &str) -> Vec<String> {
    let data = market
        .app
        .data(
            "query($q: String!) { products(query: $q, first: 10) { nodes { name } } }",
            json!({ "q": q }),
        )
        .await;
    data["products"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["name"].as_str().expect("name").to_owned())
        .collect()
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
        json!([{ "kind": "IMPLIES", "word": "fiesta", "words": ["guayabera"] }])
    );
}
