//! Sellers' catalogue management: validation, sanitising, ownership, bulk upserts, stores.

use serde_json::{Value, json};
use textisur_api::accounts::limits::AuthLimitConfig;
use textisur_tests::{Account, TestApp, TestOptions};

const CREATE: &str = "mutation($i: CreateProductInput!) { createProduct(input: $i) {
    product { id name description price { amount } unit minQuantity quantityStep stock materials sku }
    userErrors { field code message } } }";
const UPSERT: &str =
    "mutation($s: ID!, $p: [ProductUpsertInput!]!) { upsertProducts(storeId: $s, products: $p) {
    products { id sku price { amount } } userErrors { field code } } }";

struct Shop {
    app: TestApp,
    seller: Account,
    store: String,
    category: String,
}

async fn shop() -> Shop {
    let generous = AuthLimitConfig {
        register_per_ip_per_hour: 1000,
        ..AuthLimitConfig::default()
    };
    let app = TestApp::spawn_with(TestOptions {
        auth_limits: Some(generous),
        ..TestOptions::default()
    })
    .await;
    let category: i64 = sqlx::query_scalar!(
        "INSERT INTO categories (slug, name) VALUES ('telas', 'Telas') RETURNING id",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("category");
    let seller = app.register("vendedora@correo.cl", "Vendedora").await;
    let (_, body) = app
        .graphql_as(&seller.access_token, "mutation { createStore(input: {name: \"Telas Ñandú\", city: \"Rosario\", region: \"Santa Fe\", country: AR, location: {lat: -32.94, lon: -60.65}}) { store { id slug } userErrors { code } } }", json!({}))
        .await;
    let store = body["data"]["createStore"]["store"]["id"]
        .as_str()
        .expect("store")
        .to_owned();
    Shop {
        app,
        seller,
        store,
        category: textisur_api::graphql::ids::CategoryId(category)
            .to_global()
            .to_string(),
    }
}

fn valid(shop: &Shop) -> Value {
    json!({ "storeId": shop.store, "categoryId": shop.category, "name": "Lino natural", "price": "12.50",
            "unit": "METRE", "minQuantity": "0.5", "quantityStep": "0.5", "stock": "100.5",
            "materials": [" Lino ", "LINO", "Algodón"], "sku": "LIN-1" })
}

async fn products(app: &TestApp) -> i64 {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM products"#)
        .fetch_one(app.db.pool())
        .await
        .expect("count")
}

#[tokio::test]
async fn every_validation_rule_names_its_field_and_writes_nothing() {
    let shop = shop().await;
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("name", json!("ab"), "name", "TOO_SHORT"),
        ("name", json!("x".repeat(151)), "name", "TOO_LONG"),
        (
            "description",
            json!("x".repeat(5001)),
            "description",
            "TOO_LONG",
        ),
        ("price", json!("0"), "price", "OUT_OF_RANGE"),
        ("price", json!("-3"), "price", "OUT_OF_RANGE"),
        ("price", json!("1.234"), "price", "PRECISION"),
        ("quantityStep", json!("0"), "quantityStep", "OUT_OF_RANGE"),
        ("minQuantity", json!("0.75"), "minQuantity", "NOT_MULTIPLE"),
        ("stock", json!("-1"), "stock", "OUT_OF_RANGE"),
        ("stock", json!("10.25"), "stock", "NOT_MULTIPLE"),
        ("stock", json!("1.0005"), "stock", "PRECISION"),
        (
            "materials",
            json!(["x".repeat(41)]),
            "materials",
            "TOO_LONG",
        ),
        (
            "colors",
            json!((0..21).map(|i| format!("color {i}")).collect::<Vec<_>>()),
            "colors",
            "TOO_MANY",
        ),
        ("sku", json!("con espacios"), "sku", "INVALID"),
        (
            "categoryId",
            json!(
                textisur_api::graphql::ids::CategoryId(999)
                    .to_global()
                    .to_string()
            ),
            "categoryId",
            "NOT_FOUND",
        ),
    ];
    for (key, value, field, code) in cases {
        let mut input = valid(&shop);
        input[key] = value;
        let (_, body) = shop
            .app
            .graphql_as(&shop.seller.access_token, CREATE, json!({ "i": input }))
            .await;
        let errors = &body["data"]["createProduct"]["userErrors"];
        assert!(
            body["data"]["createProduct"]["product"].is_null(),
            "{key}: {body}"
        );
        assert_eq!(errors[0]["field"], json!(["input", field]), "{key}: {body}");
        assert_eq!(errors[0]["code"], code, "{key}: {body}");
    }
    // Pieces are whole.
    let mut pieces = valid(&shop);
    pieces["unit"] = json!("PIECE");
    pieces["minQuantity"] = json!("1.5");
    pieces["quantityStep"] = json!("0.5");
    let (_, body) = shop
        .app
        .graphql_as(&shop.seller.access_token, CREATE, json!({ "i": pieces }))
        .await;
    assert_eq!(
        body["data"]["createProduct"]["userErrors"][0]["code"], "PRECISION",
        "{body}"
    );
    assert_eq!(
        products(&shop.app).await,
        0,
        "no invalid input wrote anything"
    );

    let (_, body) = shop
        .app
        .graphql_as(
            &shop.seller.access_token,
            CREATE,
            json!({ "i": valid(&shop) }),
        )
        .await;
    let product = &body["data"]["createProduct"]["product"];
    assert_eq!(
        product["materials"],
        json!(["Lino", "Algodón"]),
        "trimmed, deduplicated, labels kept"
    );
    assert_eq!(product["unit"], "METRE");
    let keys: Vec<String> =
        sqlx::query_scalar!(r#"SELECT unnest(material_keys) AS "key!" FROM products"#)
            .fetch_all(shop.app.db.pool())
            .await
            .expect("keys");
    assert_eq!(keys, vec!["lino", "algodón"]);
    // The SKU is unique within the store.
    let (_, body) = shop
        .app
        .graphql_as(
            &shop.seller.access_token,
            CREATE,
            json!({ "i": valid(&shop) }),
        )
        .await;
    assert_eq!(
        body["data"]["createProduct"]["userErrors"][0]["code"],
        "TAKEN"
    );
    assert_eq!(products(&shop.app).await, 1);
    let queued: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM search_outbox WHERE entity = 'product'"#
    )
    .fetch_one(shop.app.db.pool())
    .await
    .expect("outbox");
    assert_eq!(
        queued, 1,
        "the product reached the search outbox with its write"
    );
}

#[tokio::test]
async fn descriptions_are_stored_clean() {
    let shop = shop().await;
    let mut input = valid(&shop);
    input["description"] = json!(
        "<p>Lino <strong>lavado</strong><br><em>suave</em></p><ul><li>1,50 m</li></ul>\
         <script>alert('x')</script><img src=x onerror=\"alert(1)\"><a href=\"javascript:alert(1)\" onclick=\"x()\">ver</a>\
         <p style=\"color:red\" onmouseover=\"x()\">fin</p>"
    );
    let (_, body) = shop
        .app
        .graphql_as(&shop.seller.access_token, CREATE, json!({ "i": input }))
        .await;
    let stored: String = sqlx::query_scalar!("SELECT description FROM products")
        .fetch_one(shop.app.db.pool())
        .await
        .expect("row");
    assert_eq!(
        stored,
        "<p>Lino <strong>lavado</strong><br><em>suave</em></p><ul><li>1,50 m</li></ul>ver<p>fin</p>",
        "{body}"
    );
    for hostile in [
        "<script",
        "onerror",
        "javascript:",
        "onclick",
        "onmouseover",
        "style=",
    ] {
        assert!(!stored.contains(hostile), "{hostile} survived");
    }
}

#[tokio::test]
async fn only_the_stores_seller_and_admins_change_its_products() {
    let shop = shop().await;
    let (_, body) = shop
        .app
        .graphql_as(
            &shop.seller.access_token,
            CREATE,
            json!({ "i": valid(&shop) }),
        )
        .await;
    let id = body["data"]["createProduct"]["product"]["id"].clone();
    let update = "mutation($id: ID!) { updateProduct(id: $id, input: {price: \"99.90\", name: \"Lino teñido\"}) {
        product { name price { amount } } userErrors { code } } }";

    let rival = shop.app.register("rival@correo.cl", "Rival").await;
    shop.app
        .graphql_as(&rival.access_token, "mutation { createStore(input: {name: \"Rival\", city: \"Lima\", region: \"Lima\", countryCode: \"PE\"}) { store { id } } }", json!({}))
        .await;
    let (_, body) = shop
        .app
        .graphql_as(&rival.access_token, update, json!({ "id": id }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    let name: String = sqlx::query_scalar!("SELECT name FROM products")
        .fetch_one(shop.app.db.pool())
        .await
        .expect("row");
    assert_eq!(name, "Lino natural");

    let admin = shop.app.register("admin@correo.cl", "Admin").await;
    shop.app.set_role(&admin, "ADMIN").await;
    let (_, body) = shop
        .app
        .graphql_as(&admin.access_token, update, json!({ "id": id }))
        .await;
    assert_eq!(
        body["data"]["updateProduct"]["product"]["price"]["amount"], "99.90",
        "{body}"
    );
    let (_, body) = shop
        .app
        .graphql_as(
            &admin.access_token,
            "mutation($id: ID!) { archiveProduct(id: $id) { product { status } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        body["data"]["archiveProduct"]["product"]["status"],
        "ARCHIVED"
    );
}

fn batch(shop: &Shop, n: usize, price: &str) -> Vec<Value> {
    (0..n)
        .map(|i| json!({ "sku": format!("SKU-{i:04}"), "categoryId": shop.category, "name": format!("Frazada de lana {i}"),
                          "price": price, "stock": "10", "colors": ["Gris"], "sizes": ["2 plazas"] }))
        .collect()
}

#[tokio::test]
async fn upsert_is_all_or_nothing_and_idempotent_by_sku() {
    let shop = shop().await;
    let mut items = batch(&shop, 500, "45.00");
    items[316]["price"] = json!("-1");
    let (_, body) = shop
        .app
        .graphql_as(
            &shop.seller.access_token,
            UPSERT,
            json!({ "s": shop.store, "p": items }),
        )
        .await;
    let errors = body["data"]["upsertProducts"]["userErrors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["field"], json!(["products", "316", "price"]));
    assert_eq!(products(&shop.app).await, 0, "nothing written");

    let (_, body) = shop
        .app
        .graphql_as(
            &shop.seller.access_token,
            UPSERT,
            json!({ "s": shop.store, "p": batch(&shop, 500, "45.00") }),
        )
        .await;
    assert_eq!(
        body["data"]["upsertProducts"]["products"]
            .as_array()
            .map(Vec::len),
        Some(500),
        "{}",
        &body.to_string()[..300.min(body.to_string().len())]
    );
    assert_eq!(products(&shop.app).await, 500);
    let (_, body) = shop
        .app
        .graphql_as(
            &shop.seller.access_token,
            UPSERT,
            json!({ "s": shop.store, "p": batch(&shop, 500, "47.50") }),
        )
        .await;
    let written = body["data"]["upsertProducts"]["products"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(written.len(), 500);
    assert_eq!(written[0]["sku"], "SKU-0000", "input order");
    assert_eq!(written[499]["price"]["amount"], "47.50");
    assert_eq!(
        products(&shop.app).await,
        500,
        "the second call updated, it did not duplicate"
    );

    let (_, body) = shop
        .app
        .graphql_as(
            &shop.seller.access_token,
            UPSERT,
            json!({ "s": shop.store, "p": batch(&shop, 501, "1") }),
        )
        .await;
    assert_eq!(
        body["data"]["upsertProducts"]["userErrors"][0]["code"],
        "TOO_MANY"
    );
}

#[tokio::test]
async fn stores_get_folded_numbered_slugs_and_make_sellers() {
    let shop = shop().await;
    let me = "{ me { role store { slug city location { lat lon } } } }";
    let (_, body) = shop
        .app
        .graphql_as(&shop.seller.access_token, me, json!({}))
        .await;
    assert_eq!(
        body["data"]["me"]["role"], "SELLER",
        "creating a store makes a buyer a seller"
    );
    assert_eq!(
        body["data"]["me"]["store"]["slug"], "telas-nandu",
        "accents folded"
    );

    let create = "mutation($i: CreateStoreInput!) { createStore(input: $i) { store { slug } userErrors { field code } } }";
    let (_, body) = shop
        .app
        .graphql_as(
            &shop.seller.access_token,
            create,
            json!({ "i": { "name": "Otra", "city": "Rosario", "region": "Santa Fe", "country": "AR" } }),
        )
        .await;
    assert_eq!(
        body["data"]["createStore"]["userErrors"][0]["code"], "LIMIT_REACHED",
        "one store per seller"
    );

    let other = shop.app.register("otra@correo.cl", "Otra").await;
    let (_, body) = shop
        .app
        .graphql_as(
            &other.access_token,
            create,
            json!({ "i": { "name": "Telas Ñandú", "city": "Salta", "region": "Salta", "country": "AR" } }),
        )
        .await;
    assert_eq!(
        body["data"]["createStore"]["store"]["slug"], "telas-nandu-2",
        "collisions are numbered"
    );

    let third = shop.app.register("tercera@correo.cl", "Tercera").await;
    for (input, field, code) in [
        (
            json!({ "name": "Buena", "city": "", "region": "Salta", "country": "AR" }),
            json!(["input", "city"]),
            "REQUIRED",
        ),
        (
            json!({ "name": "Buena", "city": "Salta", "country": "AR" }),
            json!(["input", "region"]),
            "REQUIRED",
        ),
        (
            json!({ "name": "Buena", "city": "Salta", "region": "Salta", "country": "AR", "location": { "lat": 91, "lon": 0 } }),
            json!(["input", "location", "lat"]),
            "OUT_OF_RANGE",
        ),
        (
            json!({ "name": "Buena", "city": "Salta", "region": "Salta", "country": "AR", "location": { "lat": 0, "lon": -181 } }),
            json!(["input", "location", "lon"]),
            "OUT_OF_RANGE",
        ),
        (
            json!({ "name": "Buena", "city": "Salta", "region": "Salta", "countryCode": "BR" }),
            json!(["input", "countryCode"]),
            "INVALID",
        ),
        // A store's country fixes its market for good: it has no default.
        (
            json!({ "name": "Buena", "city": "Salta", "region": "Salta" }),
            json!(["input", "country"]),
            "REQUIRED",
        ),
    ] {
        let (_, body) = shop
            .app
            .graphql_as(&third.access_token, create, json!({ "i": input }))
            .await;
        assert_eq!(
            body["data"]["createStore"]["userErrors"][0]["field"], field,
            "{body}"
        );
        assert_eq!(
            body["data"]["createStore"]["userErrors"][0]["code"], code,
            "{body}"
        );
    }
    let stores: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM stores"#)
        .fetch_one(shop.app.db.pool())
        .await
        .expect("count");
    assert_eq!(stores, 2);
}

#[tokio::test]
async fn admins_shape_the_category_tree() {
    let shop = shop().await;
    let admin = shop.app.register("admin@correo.cl", "Admin").await;
    shop.app.set_role(&admin, "ADMIN").await;
    let create = "mutation($i: CategoryInput!) { createCategory(input: $i) { category { id slug parent { id } } userErrors { code } } }";
    let (_, body) = shop
        .app
        .graphql_as(
            &admin.access_token,
            create,
            json!({ "i": { "name": "Lino", "parentId": shop.category } }),
        )
        .await;
    let lino = body["data"]["createCategory"]["category"].clone();
    assert_eq!(lino["parent"]["id"], shop.category.as_str());
    let update = "mutation($id: ID!, $i: CategoryInput!) { updateCategory(id: $id, input: $i) { category { name parent { id } } userErrors { code } } }";
    let (_, body) = shop
        .app
        .graphql_as(
            &admin.access_token,
            update,
            json!({ "id": shop.category, "i": { "parentId": lino["id"] } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateCategory"]["userErrors"][0]["code"], "INVALID",
        "no cycles: {body}"
    );
    let (_, body) = shop
        .app
        .graphql_as(
            &admin.access_token,
            update,
            json!({ "id": lino["id"], "i": { "name": "Lino europeo", "moveToRoot": true } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateCategory"]["category"],
        json!({ "name": "Lino europeo", "parent": null })
    );
}
