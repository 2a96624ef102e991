//! Nobody lists users: a user's global id is a random public id that cannot be guessed from
//! a counter, and anyone but the user and admins sees only a user's display name.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use textisur_tests::market::Market;
use textisur_tests::{Account, TestApp};

const USERS: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on User {
    id name role email createdAt store { id } } } }";

async fn ask(app: &TestApp, who: Option<&Account>, query: &str, variables: Value) -> Value {
    match who {
        Some(account) => {
            app.graphql_as(&account.access_token, query, variables)
                .await
                .1
        }
        None => app.graphql(query, variables).await.1,
    }
}

fn found(body: &Value) -> Vec<&Value> {
    body["data"]["nodes"]
        .as_array()
        .map(|nodes| nodes.iter().filter(|n| !n.is_null()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn users_cannot_be_enumerated_and_strangers_see_names_only() {
    let market = Market::open().await;
    let app = &market.app;
    let seller = &market.seller;
    let buyer = app.quick_account("Compradora", "BUYER").await;
    let other = app.quick_account("Curioso", "BUYER").await;
    let admin = app.quick_account("Administradora", "ADMIN").await;

    // A user's id names no row number.
    let raw = URL_SAFE_NO_PAD.decode(&buyer.id).expect("base64 id");
    let raw = String::from_utf8(raw).expect("utf-8 id");
    let key = raw.strip_prefix("User:").expect("a user id");
    assert!(key.parse::<i64>().is_err(), "{raw}");
    assert_ne!(key, buyer.row_id().to_string());

    // Counting ids (the old `User:1`..`User:100`) or trying well-formed random ones finds
    // nobody, whoever asks.
    let counted: Vec<String> = (1..=100)
        .map(|n| URL_SAFE_NO_PAD.encode(format!("User:{n}")))
        .collect();
    let random: Vec<String> = (0..100)
        .map(|_| URL_SAFE_NO_PAD.encode(format!("User:{}", uuid::Uuid::new_v4())))
        .collect();
    for who in [None, Some(&other)] {
        for guesses in [&counted, &random] {
            let body = ask(app, who, USERS, json!({ "ids": guesses })).await;
            assert_eq!(found(&body), Vec::<&Value>::new(), "{body}");
            for name in [
                "Vendedora",
                "Compradora",
                "Administradora",
                "ADMIN",
                "SELLER",
            ] {
                assert!(!body.to_string().contains(name), "{name} leaked: {body}");
            }
        }
    }

    // Given real ids (a review's author, a message's sender), a stranger sees the name and
    // nothing else: each private field is null with FORBIDDEN.
    let ids = json!({ "ids": [buyer.id, seller.id, admin.id] });
    for who in [None, Some(&other)] {
        let body = ask(app, who, USERS, ids.clone()).await;
        let names = ["Compradora", "Vendedora", "Administradora"];
        let expected: Vec<Value> = [&buyer, seller, &admin]
            .iter()
            .zip(names)
            .map(|(account, name)| {
                json!({ "id": account.id, "name": name, "role": null, "email": null,
                        "createdAt": null, "store": null })
            })
            .collect();
        assert_eq!(body["data"]["nodes"], json!(expected), "{body}");
        let errors = body["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 12, "{body}");
        assert!(
            errors
                .iter()
                .all(|e| e["extensions"]["code"] == "FORBIDDEN"),
            "{body}"
        );
    }

    // The store's owner stays private too.
    let body = ask(
        app,
        Some(&other),
        "query($s: ID!) { node(id: $s) { ... on Store { name owner { id } } } }",
        json!({ "s": market.store }),
    )
    .await;
    assert!(body["data"]["node"]["owner"].is_null(), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );

    // The user themself and admins see it all.
    let body = ask(app, Some(seller), USERS, json!({ "ids": [seller.id] })).await;
    assert_eq!(body["data"]["nodes"][0]["role"], "SELLER", "{body}");
    assert_eq!(body["data"]["nodes"][0]["store"]["id"], json!(market.store));
    assert!(body.get("errors").is_none(), "{body}");
    let body = ask(app, Some(&admin), USERS, ids).await;
    assert!(body.get("errors").is_none(), "{body}");
    let roles: Vec<&Value> = (0..3).map(|i| &body["data"]["nodes"][i]["role"]).collect();
    assert_eq!(roles, [&json!("BUYER"), &json!("SELLER"), &json!("ADMIN")]);
}
