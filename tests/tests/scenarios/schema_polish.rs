//! The schema polish client teams rely on: an explicit `null` clears an optional field of an
//! update and an absent field keeps it; HTML and plain text come apart (the old shapes still
//! answer as before, deprecated with their reason); connections carry their counts; a
//! store search's distance sits on its edge.

use serde_json::{Value, json};
use textisur_tests::market::Market;

const UPDATE_SKU: &str = "mutation($id: ID!, $input: UpdateProductInput!) {
    updateProduct(id: $id, input: $input) { product { sku name } userErrors { code field } } }";

async fn sku_after(market: &Market, product: &str, input: Value) -> Value {
    let (_, body) = market
        .app
        .graphql_as(
            &market.seller.access_token,
            UPDATE_SKU,
            json!({ "id": product, "input": input }),
        )
        .await;
    let payload = &body["data"]["updateProduct"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    payload["product"]["sku"].clone()
}

#[tokio::test]
async fn null_clears_an_optional_field_and_absence_keeps_it() {
    let market = Market::open().await;
    let product = market
        .product("Lino crudo", "METRE", "0.5", "10", "1200")
        .await;
    assert_eq!(
        sku_after(&market, &product, json!({ "sku": "LIN-1" })).await,
        "LIN-1"
    );
    assert_eq!(
        sku_after(&market, &product, json!({ "name": "Lino crudo lavado" })).await,
        "LIN-1",
        "an absent sku keeps it"
    );
    assert_eq!(
        sku_after(&market, &product, json!({ "sku": null })).await,
        Value::Null,
        "null clears it"
    );
    // A description: null empties it, absence keeps it.
    let description = |input: Value| {
        let app = &market.app;
        let token = market.seller.access_token.clone();
        let product = product.clone();
        async move {
            let (_, body) = app
                .graphql_as(
                    &token,
                    "mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) {
                        product { descriptionText } userErrors { code } } }",
                    json!({ "id": product, "input": input }),
                )
                .await;
            body["data"]["updateProduct"]["product"]["descriptionText"].clone()
        }
    };
    assert_eq!(
        description(json!({ "description": "Lino lavado" })).await,
        "Lino lavado"
    );
    assert_eq!(description(json!({ "stock": "8" })).await, "Lino lavado");
    assert_eq!(description(json!({ "description": null })).await, "");

    let stored: Option<String> = sqlx::query_scalar!("SELECT sku FROM products")
        .fetch_one(market.app.db.pool())
        .await
        .expect("product");
    assert_eq!(stored, None);

    // A store's location: set, kept when absent, cleared by null.
    let location = |input: Value| {
        let app = &market.app;
        let token = market.seller.access_token.clone();
        let store = market.store.clone();
        async move {
            let (_, body) = app
                .graphql_as(
                    &token,
                    "mutation($id: ID!, $input: UpdateStoreInput!) { updateStore(id: $id, input: $input) {
                        store { location { lat lon } } userErrors { code } } }",
                    json!({ "id": store, "input": input }),
                )
                .await;
            assert_eq!(
                body["data"]["updateStore"]["userErrors"],
                json!([]),
                "{body}"
            );
            body["data"]["updateStore"]["store"]["location"].clone()
        }
    };
    let set = location(json!({ "location": { "lat": -33.04, "lon": -71.61 } })).await;
    assert_eq!(set["lat"], -33.04);
    assert_eq!(location(json!({ "city": "Viña del Mar" })).await, set);
    assert_eq!(location(json!({ "location": null })).await, Value::Null);

    // A category's parent: `parentId: null` makes it top-level.
    let admin = market.app.quick_account("Admin", "ADMIN").await;
    let create = "mutation($input: CategoryInput!) { createCategory(input: $input) {
        category { id parent { id } } userErrors { code } } }";
    let (_, body) = market
        .app
        .graphql_as(
            &admin.access_token,
            create,
            json!({ "input": { "name": "Lino", "parentId": market.category } }),
        )
        .await;
    let child = body["data"]["createCategory"]["category"]["id"]
        .as_str()
        .expect("category")
        .to_owned();
    assert_eq!(
        body["data"]["createCategory"]["category"]["parent"]["id"],
        market.category.as_str()
    );
    let update =
        "mutation($id: ID!, $input: CategoryInput!) { updateCategory(id: $id, input: $input) {
        category { name parent { id } } userErrors { code } } }";
    let (_, body) = market
        .app
        .graphql_as(
            &admin.access_token,
            update,
            json!({ "id": child, "input": { "name": "Lino fino" } }),
        )
        .await;
    let category = &body["data"]["updateCategory"]["category"];
    assert_eq!(category["parent"]["id"], market.category.as_str(), "{body}");
    let (_, body) = market
        .app
        .graphql_as(
            &admin.access_token,
            update,
            json!({ "id": child, "input": { "parentId": null } }),
        )
        .await;
    let category = &body["data"]["updateCategory"]["category"];
    assert_eq!(category["parent"], Value::Null, "{body}");
    assert_eq!(category["name"], "Lino fino");
}

#[tokio::test]
async fn html_and_text_come_apart_and_the_old_shapes_still_answer() {
    let market = Market::open().await;
    let product = market.product("Voile", "METRE", "0.5", "10", "900").await;
    let (_, body) = market
        .app
        .graphql_as(
            &market.seller.access_token,
            "mutation($id: ID!) { updateProduct(id: $id, input: {description:
                \"<p>Voile <b>liviano</b> &amp; fino</p><script>x()</script><ul><li>ancho 2,80 m</li></ul>\"}) {
                userErrors { code } } }",
            json!({ "id": product }),
        )
        .await;
    assert_eq!(
        body["data"]["updateProduct"]["userErrors"],
        json!([]),
        "{body}"
    );
    market.app.settle_rows().await;
    let data = market
        .app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Product { description descriptionHtml descriptionText } } }",
            json!({ "id": product }),
        )
        .await;
    let node = &data["node"];
    assert_eq!(
        node["description"], node["descriptionHtml"],
        "the old shape answers as before"
    );
    assert_eq!(
        node["descriptionHtml"],
        "<p>Voile <b>liviano</b> &amp; fino</p><ul><li>ancho 2,80 m</li></ul>"
    );
    assert_eq!(
        node["descriptionText"],
        "Voile liviano & fino\nancho 2,80 m"
    );

    // A message: `body` entity-escaped as before, `text` as typed.
    let buyer = market.app.quick_account("Compradora", "BUYER").await;
    let (_, body) = market
        .app
        .graphql_as(
            &buyer.access_token,
            "mutation($s: ID!) { startConversation(storeId: $s, body: \"¿Ancho > 2 m? Sí & <b>gracias</b>\") {
                conversation { messages(first: 1) { nodes { body text } } } userErrors { code } } }",
            json!({ "s": market.store }),
        )
        .await;
    let message = &body["data"]["startConversation"]["conversation"]["messages"]["nodes"][0];
    assert_eq!(
        message["body"], "¿Ancho &gt; 2 m? Sí &amp; gracias",
        "{body}"
    );
    assert_eq!(message["text"], "¿Ancho > 2 m? Sí & gracias");

    // The deprecations say why and what to use instead.
    let data = market
        .app
        .data(
            "{ __schema { types { name
                fields(includeDeprecated: true) { name isDeprecated deprecationReason }
                inputFields(includeDeprecated: true) { name isDeprecated deprecationReason } } } }",
            json!({}),
        )
        .await;
    let reason = |type_name: &str, field: &str| -> String {
        let ty = data["__schema"]["types"]
            .as_array()
            .expect("types")
            .iter()
            .find(|t| t["name"] == type_name)
            .unwrap_or_else(|| panic!("{type_name}"));
        let fields = ty["fields"]
            .as_array()
            .or(ty["inputFields"].as_array())
            .expect("fields");
        let field = fields
            .iter()
            .find(|f| f["name"] == field)
            .unwrap_or_else(|| panic!("{type_name}.{field}"));
        assert_eq!(field["isDeprecated"], true, "{type_name}.{field}");
        field["deprecationReason"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(reason("Product", "description").contains("descriptionHtml"));
    assert!(reason("Store", "description").contains("descriptionText"));
    assert!(reason("Message", "body").contains("`text`"));
    assert!(reason("Review", "body").contains("`text`"));
    assert!(reason("Store", "distanceKm").contains("StoreSearchEdge.distanceKm"));
    assert!(reason("CategoryInput", "moveToRoot").contains("parentId: null"));
}

#[tokio::test]
async fn connections_count_and_store_search_edges_carry_the_distance() {
    let market = Market::open().await;
    let (_, body) = market
        .app
        .graphql_as(
            &market.seller.access_token,
            "mutation($id: ID!) { updateStore(id: $id, input: {location: {lat: -33.04, lon: -71.61}}) { userErrors { code } } }",
            json!({ "id": market.store }),
        )
        .await;
    assert_eq!(
        body["data"]["updateStore"]["userErrors"],
        json!([]),
        "{body}"
    );
    market.app.sync_search().await;
    let data = market
        .app
        .data(
            "{ stores(near: {lat: -33.45, lon: -70.66}, first: 5) { totalCount
                edges { distanceKm node { name } } } }",
            json!({}),
        )
        .await;
    let stores = &data["stores"];
    assert_eq!(stores["totalCount"], 1, "{data}");
    let distance = stores["edges"][0]["distanceKm"].as_f64().expect("distance");
    assert!(
        (95.0..=105.0).contains(&distance),
        "Valparaíso to Santiago: {distance}"
    );
    let data = market
        .app
        .data(
            "{ stores(first: 5) { totalCount edges { distanceKm } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["stores"]["totalCount"], 1, "{data}");
    assert_eq!(data["stores"]["edges"][0]["distanceKm"], Value::Null);

    let admin = market.app.quick_account("Admin", "ADMIN").await;
    let (_, body) = market
        .app
        .graphql_as(
            &admin.access_token,
            "{ users(first: 1) { totalCount edges { cursor node { name } } pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    let users = &body["data"]["users"];
    assert_eq!(users["totalCount"], 2, "the seller and the admin: {body}");
    assert_eq!(users["edges"].as_array().map(Vec::len), Some(1));
    assert!(users["edges"][0]["cursor"].is_string());
    assert_eq!(users["pageInfo"]["hasNextPage"], true);
}

#[tokio::test]
async fn sessions_are_nodes_their_owner_and_admins_can_find_and_end() {
    let market = Market::open().await;
    let app = &market.app;
    let owner = app.register("sesiones@example.com", "Sesiones").await;
    let other = app.quick_account("Otra", "BUYER").await;
    let admin = app.quick_account("Admin", "ADMIN").await;
    let (_, body) = app
        .graphql_as(
            &owner.access_token,
            "{ me { sessions { id current } } }",
            json!({}),
        )
        .await;
    let session = body["data"]["me"]["sessions"][0]["id"]
        .as_str()
        .expect("session id")
        .to_owned();
    let find = "query($id: ID!) { node(id: $id) { __typename ... on Session { id current } } }";
    let (_, body) = app
        .graphql_as(&owner.access_token, find, json!({ "id": session }))
        .await;
    assert_eq!(body["data"]["node"]["__typename"], "Session", "{body}");
    assert_eq!(body["data"]["node"]["id"], session.as_str());
    assert_eq!(body["data"]["node"]["current"], true);
    let (_, body) = app
        .graphql_as(&admin.access_token, find, json!({ "id": session }))
        .await;
    assert_eq!(body["data"]["node"]["current"], false, "{body}");
    let (_, body) = app
        .graphql_as(&other.access_token, find, json!({ "id": session }))
        .await;
    assert_eq!(
        body["data"]["node"],
        Value::Null,
        "a stranger sees nothing: {body}"
    );

    // `revokeSession` takes the global id, and still the bare UUID of the old shape.
    let login = "mutation { login(input: {email: \"sesiones@example.com\", password: \"telas de lino azul\"}) { accessToken } }";
    let (_, body) = app.graphql(login, json!({})).await;
    let second = body["data"]["login"]["accessToken"]
        .as_str()
        .expect("login")
        .to_owned();
    let uuid: uuid::Uuid = sqlx::query_scalar!(
        "SELECT f.id FROM refresh_token_families f JOIN users u ON u.id = f.user_id
         WHERE u.email = 'sesiones@example.com' ORDER BY f.created_at DESC LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("second session");
    let revoke = "mutation($id: ID!) { revokeSession(id: $id) { ok userErrors { code } } }";
    let (_, body) = app
        .graphql_as(
            &owner.access_token,
            revoke,
            json!({ "id": uuid.to_string() }),
        )
        .await;
    assert_eq!(body["data"]["revokeSession"]["ok"], true, "{body}");
    let (status, _) = app.graphql_as(&second, "{ me { id } }", json!({})).await;
    assert_eq!(status, 401);
    let (_, body) = app
        .graphql_as(&admin.access_token, revoke, json!({ "id": session }))
        .await;
    assert_eq!(body["data"]["revokeSession"]["ok"], true, "{body}");
    let (status, _) = app
        .graphql_as(&owner.access_token, "{ me { id } }", json!({}))
        .await;
    assert_eq!(status, 401);
}
