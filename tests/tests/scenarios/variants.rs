//! Variants against the real server and PostgreSQL: a product with sizes and colours sells
//! each combination from its own stock (50 buyers racing per variant), a combination the
//! product lacks is a user error, cart lines have ids and are per variant, `upsertProducts`
//! keys variants by SKU, and the migration to variants leaves a seeded database's orders,
//! carts and products as they were.

use std::borrow::Cow;
use std::collections::HashMap;

use futures::future::join_all;
use serde_json::{Value, json};
use textisur_api::runtime::db;
use textisur_api::runtime::demo::{self, SeedPlan};
use textisur_tests::market::Market;
use textisur_tests::{Account, FreshDatabase, TestApp};

const CREATE: &str = "mutation($input: CreateProductInput!) { createProduct(input: $input) {
    product { id stock inStock sizes colors options { name values }
              variants { id sku title stock inStock isActive price { amount }
                         options { name value } } }
    userErrors { field code message } } }";
const ADD: &str = "mutation($p: ID!, $v: ID, $o: [SelectedOptionInput!], $q: Decimal!) {
    addToCart(productId: $p, variantId: $v, options: $o, quantity: $q) {
    cart { id lines { id quantity variant { id title } lineTotal { amount } } }
    userErrors { field code message } } }";
const CHECKOUT: &str = "mutation($k: String!) { checkout(idempotencyKey: $k) {
    orders { id } cart { id lines { id } } userErrors { field code message } } }";
const ORDER_LINES: &str = "query($id: ID!) { node(id: $id) { ... on Order {
    lines { sku options { name value } quantity unitPrice { amount } variant { id } } } } }";

/// The lines of an order, read by its buyer.
async fn order_lines(app: &TestApp, buyer: &Account, order: &Value) -> Value {
    let (status, body) = app
        .graphql_as(
            &buyer.access_token,
            ORDER_LINES,
            json!({ "id": order["id"] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["node"]["lines"].clone()
}

fn codes(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .unwrap_or_else(|| panic!("no userErrors in {payload}"))
        .iter()
        .map(|e| e["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A t-shirt in S and M, rojo and azul: S rojo 3, S azul 0, M rojo 5, M azul 2 (at 1500).
async fn remera(market: &Market) -> Value {
    let variant = |sku: &str, size: &str, color: &str, stock: &str, price: Option<&str>| {
        json!({ "sku": sku, "stock": stock, "price": price,
                "options": [{ "name": "Talle", "value": size }, { "name": "Color", "value": color }] })
    };
    let (status, body) = market
        .app
        .graphql_as(
            &market.seller.access_token,
            CREATE,
            json!({ "input": {
                "storeId": market.store, "categoryId": market.category, "name": "Remera básica",
                "price": "1000", "options": [
                    { "name": "Talle", "values": ["S", "M"] },
                    { "name": "Color", "values": ["rojo", "azul"] }],
                "variants": [
                    variant("REM-S-ROJO", "S", "rojo", "3", None),
                    variant("REM-S-AZUL", "s", "Azul", "0", None),
                    variant("REM-M-ROJO", "M", "rojo", "5", None),
                    variant("REM-M-AZUL", "M", "azul", "2", Some("1500"))] } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let payload = body["data"]["createProduct"].clone();
    assert_eq!(codes(&payload), Vec::<String>::new(), "{payload}");
    payload["product"].clone()
}

fn variant_id(product: &Value, title: &str) -> String {
    product["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .find(|v| v["title"] == title)
        .and_then(|v| v["id"].as_str())
        .unwrap_or_else(|| panic!("no variant {title} in {product}"))
        .to_owned()
}

async fn add(app: &TestApp, buyer: &Account, vars: Value) -> Value {
    let (status, body) = app.graphql_as(&buyer.access_token, ADD, vars).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["addToCart"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_buyers_race_per_variant_and_each_gets_only_the_variant_they_chose() {
    let market = Market::open().await;
    let app = &market.app;
    let product = remera(&market).await;
    assert_eq!(product["stock"], "10.000");
    assert_eq!(product["sizes"], json!(["S", "M"]));
    assert_eq!(product["colors"], json!(["rojo", "azul"]));
    assert_eq!(
        product["options"],
        json!([{ "name": "Talle", "values": ["S", "M"] },
               { "name": "Color", "values": ["rojo", "azul"] }])
    );
    let in_stock: Vec<(&str, i64)> = vec![("S / rojo", 3), ("M / rojo", 5), ("M / azul", 2)];
    let id = product["id"].as_str().expect("id").to_owned();
    // 48 buyers hold one of the three variants in stock, 16 each; two more try the one
    // out of stock and are refused at once.
    let mut buyers = Vec::new();
    for i in 0..48 {
        let (title, _) = in_stock[i % 3];
        let buyer = app.quick_account(&format!("Comprador {i}"), "BUYER").await;
        let payload = add(
            app,
            &buyer,
            json!({ "p": id, "v": variant_id(&product, title), "q": "1" }),
        )
        .await;
        assert_eq!(codes(&payload), Vec::<String>::new(), "{payload}");
        buyers.push((buyer, title));
    }
    for i in 0..2 {
        let buyer = app.quick_account(&format!("Tarde {i}"), "BUYER").await;
        let payload = add(
            app,
            &buyer,
            json!({ "p": id, "v": variant_id(&product, "S / azul"), "q": "1" }),
        )
        .await;
        assert_eq!(codes(&payload), vec!["INSUFFICIENT_STOCK"], "{payload}");
    }
    let results = join_all(buyers.iter().enumerate().map(|(i, (b, _))| async move {
        let (status, body) = app
            .graphql_as(
                &b.access_token,
                CHECKOUT,
                json!({ "k": format!("carrera-variante-{i:04}") }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["checkout"].clone()
    }))
    .await;
    let mut sold: HashMap<&str, i64> = HashMap::new();
    for ((buyer, title), result) in buyers.iter().zip(&results) {
        match codes(result).as_slice() {
            [] => {
                let lines = &order_lines(app, buyer, &result["orders"][0]).await;
                assert_eq!(lines.as_array().map(Vec::len), Some(1), "{result}");
                // The order is for the variant this buyer chose, never another one.
                assert_eq!(lines[0]["variant"]["id"], variant_id(&product, title));
                assert_eq!(result["cart"]["lines"], json!([]), "{result}");
                *sold.entry(title).or_default() += 1;
            }
            [code] => assert_eq!(code, "INSUFFICIENT_STOCK", "{result}"),
            other => panic!("{other:?}: {result}"),
        }
    }
    for (title, stock) in &in_stock {
        assert_eq!(
            sold.get(title).copied().unwrap_or(0),
            *stock,
            "{title}: {sold:?}"
        );
    }
    let rows = sqlx::query!(
        r#"SELECT v.sku, v.stock::text AS "stock!", p.stock::text AS "product_stock!",
                  (SELECT coalesce(sum(l.quantity), 0) FROM order_lines l
                   WHERE l.variant_id = v.id)::text AS "sold!"
           FROM product_variants v JOIN products p ON p.id = v.product_id
           WHERE v.sku LIKE 'REM-%' ORDER BY v.sku"#
    )
    .fetch_all(app.db.pool())
    .await
    .expect("variants");
    let rows: Vec<(String, String, String, String)> = rows
        .into_iter()
        .map(|r| (r.sku.unwrap_or_default(), r.stock, r.product_stock, r.sold))
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                "REM-M-AZUL".into(),
                "0.000".into(),
                "0.000".into(),
                "2.000".into()
            ),
            (
                "REM-M-ROJO".into(),
                "0.000".into(),
                "0.000".into(),
                "5.000".into()
            ),
            (
                "REM-S-AZUL".into(),
                "0.000".into(),
                "0.000".into(),
                "0".into()
            ),
            (
                "REM-S-ROJO".into(),
                "0.000".into(),
                "0.000".into(),
                "3.000".into()
            ),
        ]
    );
}

#[tokio::test]
async fn carts_hold_variants_by_line_and_a_missing_combination_is_a_user_error() {
    let market = Market::open().await;
    let app = &market.app;
    let product = remera(&market).await;
    let id = product["id"].as_str().expect("id").to_owned();
    let buyer = app.quick_account("Compradora", "BUYER").await;
    let field = |p: &Value| p["userErrors"][0]["field"].clone();

    // A product with several variants needs one named; a combination it lacks, an option it
    // lacks, or another product's variant are refused, and nothing is written.
    let none = add(app, &buyer, json!({ "p": id, "q": "1" })).await;
    assert_eq!(codes(&none), vec!["REQUIRED"]);
    assert_eq!(field(&none), json!(["variantId"]));
    let xl = add(
        app,
        &buyer,
        json!({ "p": id, "q": "1", "o": [{ "name": "talle", "value": "XL" }, { "name": "color", "value": "rojo" }] }),
    )
    .await;
    assert_eq!(codes(&xl), vec!["NOT_FOUND"]);
    assert_eq!(field(&xl), json!(["options"]));
    assert!(
        xl["userErrors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("XL / rojo")
    );
    let sleeve = add(
        app,
        &buyer,
        json!({ "p": id, "q": "1", "o": [{ "name": "Talle", "value": "M" }, { "name": "Color", "value": "rojo" }, { "name": "Manga", "value": "larga" }] }),
    )
    .await;
    assert_eq!(codes(&sleeve), vec!["NOT_FOUND"]);
    let other = market.product("Lino", "METRE", "0.5", "10", "12.50").await;
    let other_variant = app
        .data(
            "query($id: ID!) { product(id: $id) { variants { id sku } } }",
            json!({ "id": other }),
        )
        .await["product"]["variants"][0]["id"]
        .as_str()
        .expect("variant")
        .to_owned();
    let foreign = add(
        app,
        &buyer,
        json!({ "p": id, "v": other_variant, "q": "1" }),
    )
    .await;
    assert_eq!(codes(&foreign), vec!["NOT_FOUND"]);
    assert_eq!(field(&foreign), json!(["variantId"]));
    let lines: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM cart_lines"#)
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(lines, 0);

    // Two variants of one product are two lines, each with its own id and price.
    let by_options = add(
        app,
        &buyer,
        json!({ "p": id, "q": "2", "o": [{ "name": "COLOR", "value": "Azul" }, { "name": "talle", "value": "m" }] }),
    )
    .await;
    assert_eq!(codes(&by_options), Vec::<String>::new(), "{by_options}");
    let payload = add(
        app,
        &buyer,
        json!({ "p": id, "v": variant_id(&product, "S / rojo"), "q": "1" }),
    )
    .await;
    let cart = &payload["cart"];
    assert_eq!(cart["lines"].as_array().map(Vec::len), Some(2), "{payload}");
    assert_eq!(cart["lines"][0]["variant"]["title"], "M / azul");
    assert_eq!(cart["lines"][0]["lineTotal"]["amount"], "3000");
    assert_eq!(cart["lines"][1]["lineTotal"]["amount"], "1000");
    let line = cart["lines"][1]["id"].as_str().expect("line id").to_owned();
    assert_ne!(cart["lines"][0]["id"], cart["lines"][1]["id"]);
    let cart_id = cart["id"].clone();

    // Lines are addressed by id; a product id is ambiguous once it has two lines.
    let update = "mutation($l: ID, $p: ID, $q: Decimal!) { updateCartLine(lineId: $l, productId: $p, quantity: $q) {
        cart { id lines { id quantity } } userErrors { field code } } }";
    let (_, body) = app
        .graphql_as(&buyer.access_token, update, json!({ "l": line, "q": "3" }))
        .await;
    assert_eq!(
        body["data"]["updateCartLine"]["cart"]["lines"][1]["quantity"],
        "3"
    );
    assert_eq!(body["data"]["updateCartLine"]["cart"]["id"], cart_id);
    let (_, body) = app
        .graphql_as(&buyer.access_token, update, json!({ "l": line, "q": "4" }))
        .await;
    assert_eq!(
        codes(&body["data"]["updateCartLine"]),
        vec!["INSUFFICIENT_STOCK"]
    );
    let (_, body) = app
        .graphql_as(&buyer.access_token, update, json!({ "p": id, "q": "1" }))
        .await;
    assert_eq!(codes(&body["data"]["updateCartLine"]), vec!["REQUIRED"]);
    assert_eq!(
        body["data"]["updateCartLine"]["userErrors"][0]["field"],
        json!(["lineId"])
    );

    // Checkout copies the variant onto the order and returns the emptied cart.
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            CHECKOUT,
            json!({ "k": "variantes-0001" }),
        )
        .await;
    let done = &body["data"]["checkout"];
    assert_eq!(codes(done), Vec::<String>::new(), "{body}");
    assert_eq!(done["cart"], json!({ "id": cart_id, "lines": [] }));
    let lines = &order_lines(app, &buyer, &done["orders"][0]).await;
    assert_eq!(lines.as_array().map(Vec::len), Some(2), "{done}");
    let skus: Vec<&str> = lines
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["sku"].as_str())
        .collect();
    assert_eq!(skus, vec!["REM-S-ROJO", "REM-M-AZUL"]);
    assert_eq!(
        lines[1]["options"],
        json!([{ "name": "Talle", "value": "M" }, { "name": "Color", "value": "azul" }])
    );
    assert_eq!(lines[1]["unitPrice"]["amount"], "1500.00");
    assert_eq!(market.stock(&id).await, "5.000");
}

#[tokio::test]
async fn upserts_key_variants_by_sku_and_variants_left_out_go_off_sale() {
    let market = Market::open().await;
    let app = &market.app;
    let upsert = "mutation($s: ID!, $p: [ProductUpsertInput!]!) { upsertProducts(storeId: $s, products: $p) {
        products { id sku stock } userErrors { field code } } }";
    let variants = |id: Value| async move {
        app.data(
            "query($id: ID!) { product(id: $id) { variants { sku stock isActive title } } }",
            json!({ "id": id }),
        )
        .await["product"]["variants"]
            .clone()
    };
    let item = |variants: Value| {
        json!({ "sku": "MANTEL", "categoryId": market.category, "name": "Mantel de lino",
                "price": "5000", "options": [{ "name": "Medida", "values": ["140x180", "140x240"] }],
                "variants": variants })
    };
    let v = |sku: &str, size: &str, stock: &str| json!({ "sku": sku, "stock": stock, "options": [{ "name": "Medida", "value": size }] });
    let run = |products: Value| {
        let vars = json!({ "s": &market.store, "p": products });
        let token = market.seller.access_token.clone();
        async move {
            let (status, body) = app.graphql_as(&token, upsert, vars).await;
            assert_eq!(status, 200, "{body}");
            body["data"]["upsertProducts"].clone()
        }
    };
    let first = run(json!([item(json!([
        v("M-180", "140x180", "4"),
        v("M-240", "140x240", "6")
    ]))]))
    .await;
    assert_eq!(codes(&first), Vec::<String>::new(), "{first}");
    assert_eq!(first["products"][0]["stock"], "10.000");
    // Again with one variant left out and the other restocked: same product, same variant.
    let second = run(json!([item(json!([v("M-240", "140x240", "7")]))])).await;
    assert_eq!(codes(&second), Vec::<String>::new(), "{second}");
    assert_eq!(second["products"][0]["stock"], "7.000");
    assert_eq!(second["products"][0]["id"], first["products"][0]["id"]);
    assert_eq!(
        variants(second["products"][0]["id"].clone()).await,
        json!([{ "sku": "M-240", "stock": "7.000", "isActive": true, "title": "140x240" },
               { "sku": "M-180", "stock": "4.000", "isActive": false, "title": "140x180" }])
    );
    // A variant SKU of another product of the store is taken; nothing is written.
    let mut other = item(json!([v("M-240", "140x180", "1")]));
    other["sku"] = json!("OTRO-MANTEL");
    let taken = run(json!([other])).await;
    assert_eq!(codes(&taken), vec!["TAKEN"], "{taken}");
    assert_eq!(
        taken["userErrors"][0]["field"],
        json!(["products", "0", "variants", "0", "sku"])
    );
    let others: i64 =
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM products WHERE sku = 'OTRO-MANTEL'"#)
            .fetch_one(app.db.pool())
            .await
            .expect("count");
    assert_eq!(others, 0);
    // Options without variants, or a product without stock or variants, are refused.
    let mut half = item(json!(null));
    half.as_object_mut().map(|o| o.remove("variants"));
    assert_eq!(codes(&run(json!([half])).await), vec!["REQUIRED"]);
}

/// What a migration must not change: orders with their lines, cart lines, and every
/// product row (its `search_document` included) the search index and PostgreSQL search
/// are built from.
async fn snapshot(pool: &sqlx::PgPool) -> (Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
    let rows = |sql: &'static str| async move {
        sqlx::query_scalar::<_, String>(sql)
            .fetch_all(pool)
            .await
            .expect(sql)
    };
    (
        rows("SELECT (to_jsonb(o) - 'updated_at')::text FROM orders o ORDER BY id").await,
        rows("SELECT concat_ws(',', order_id, product_id, product_name, quantity, unit_price, line_total)
              FROM order_lines ORDER BY order_id, product_id")
        .await,
        rows("SELECT concat_ws(',', user_id, product_id, quantity, price_at_add)
              FROM cart_lines ORDER BY user_id, product_id")
        .await,
        // Less the columns migrations after the variants' add (`images_uploaded`).
        rows("SELECT (to_jsonb(p) - 'updated_at' - 'images_uploaded')::text FROM products p ORDER BY id")
            .await,
    )
}

#[tokio::test]
async fn the_variants_migration_leaves_a_seeded_databases_orders_carts_and_products_intact() {
    let database = FreshDatabase::create("variantsmig")
        .await
        .expect("database");
    let pool = db::connect(&database.url, 4).await.expect("connect");
    let mut before = sqlx::migrate::Migrator::new(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../migrations"
    )))
    .await
    .expect("migrations");
    let first_variants = 20_261_212_000_001;
    before.migrations = Cow::Owned(
        before
            .migrations
            .iter()
            .filter(|m| m.version < first_variants)
            .cloned()
            .collect(),
    );
    assert!(before.migrations.len() < db::MIGRATOR.migrations.len());
    before
        .run(pool.pool())
        .await
        .expect("migrations before variants");
    assert!(
        demo::seed_if_empty(
            &pool,
            // Seeded as before variants existed: the schema has no variants yet.
            &SeedPlan {
                variants: false,
                ..SeedPlan::for_products(300, 6)
            }
        )
        .await
        .expect("seed")
    );
    // Carts as buyers left them before the deploy.
    sqlx::query(
        "INSERT INTO cart_lines (user_id, product_id, quantity, price_at_add, stock_at_add)
         SELECT u.id, p.id, p.min_quantity, p.price, p.stock
         FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users LIMIT 10) u
         JOIN (SELECT *, row_number() OVER (ORDER BY id) AS n FROM products) p ON p.n <= u.n + 2",
    )
    .execute(pool.pool())
    .await
    .expect("carts");
    let old = snapshot(pool.pool()).await;
    assert!(
        !old.0.is_empty() && !old.1.is_empty() && !old.2.is_empty(),
        "seeded orders and carts"
    );

    db::migrate(&pool).await.expect("the variants migrations");

    assert_eq!(snapshot(pool.pool()).await, old);
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM products p WHERE (SELECT count(*) FROM product_variants v
                    WHERE v.product_id = p.id AND v.options = '{}' AND v.is_active
                      AND v.stock = p.stock) <> 1)
              + (SELECT count(*) FROM product_variants) - (SELECT count(*) FROM products)
              + (SELECT count(*) FROM order_lines l JOIN product_variants v ON v.id = l.variant_id
                 WHERE v.product_id <> l.product_id)
              + (SELECT count(*) FROM cart_lines l JOIN product_variants v ON v.id = l.variant_id
                 WHERE v.product_id <> l.product_id)
              -- The index's in-stock test after variants agrees with the one before.
              + (SELECT count(*) FROM products p
                 WHERE (p.stock >= p.min_quantity) <> EXISTS (SELECT 1 FROM product_variants v
                     WHERE v.product_id = p.id AND v.is_active AND v.stock >= p.min_quantity))",
    )
    .fetch_one(pool.pool())
    .await
    .expect("check");
    assert_eq!(mismatched, 0);
    pool.pool().close().await;
    drop(database);
}

/// A product named `name` in Talle S M and Color rojo azul, with these stocks for
/// S rojo, S azul, M rojo and M azul.
async fn shirt(market: &Market, name: &str, sku: &str, stocks: [&str; 4]) -> Value {
    let combos = [("S", "rojo"), ("S", "azul"), ("M", "rojo"), ("M", "azul")];
    let variants: Vec<Value> = combos
        .iter()
        .zip(stocks)
        .map(|((size, color), stock)| {
            json!({ "sku": format!("{sku}-{size}-{color}"), "stock": stock,
                    "options": [{ "name": "Talle", "value": size }, { "name": "Color", "value": color }] })
        })
        .collect();
    let (_, body) = market
        .app
        .graphql_as(
            &market.seller.access_token,
            CREATE,
            json!({ "input": {
                "storeId": market.store, "categoryId": market.category, "name": name,
                "price": "1000", "options": [
                    { "name": "Talle", "values": ["S", "M"] },
                    { "name": "Color", "values": ["rojo", "azul"] }],
                "variants": variants } }),
        )
        .await;
    let payload = body["data"]["createProduct"].clone();
    assert_eq!(codes(&payload), Vec::<String>::new(), "{body}");
    payload["product"].clone()
}

#[tokio::test]
async fn a_search_naming_size_and_colour_ranks_that_variant_in_stock_first_and_preselects_it() {
    let market = Market::open().await;
    let app = &market.app;
    // Created before and after the one with M rojo in stock, so no tie-break by id can put
    // it first: only its stock can.
    let before = shirt(
        &market,
        "Remera lisa de algodón",
        "ANTES",
        ["4", "1", "0", "3"],
    )
    .await;
    let stocked = shirt(
        &market,
        "Remera lisa de algodón",
        "CON",
        ["0", "0", "2", "0"],
    )
    .await;
    let after = shirt(
        &market,
        "Remera lisa de algodón",
        "DESPUES",
        ["4", "0", "0", "3"],
    )
    .await;
    let sold_out = shirt(
        &market,
        "Remera lisa de algodón",
        "AGOTADA",
        ["0", "0", "0", "0"],
    )
    .await;
    app.sync_search().await;
    let search = "query($q: String, $f: ProductFilter) {
        products(query: $q, filter: $f, first: 10) {
          totalCount
          edges { node { id inStock } matchedVariant { title sku } }
          facets { sizes { value count } colors { value count } } } }";
    let listing = |q: &'static str, f: Value| async move {
        app.data(search, json!({ "q": q, "f": f })).await["products"].clone()
    };
    let ids = |page: &Value| -> Vec<Value> {
        page["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["node"]["id"].clone())
            .collect()
    };

    let page = listing("remera roja talle M", json!(null)).await;
    let found = ids(&page);
    assert_eq!(found.first(), Some(&stocked["id"]), "{page}");
    assert_eq!(found.len(), 4, "{page}");
    assert_eq!(page["edges"][0]["matchedVariant"]["title"], "M / rojo");
    assert_eq!(page["edges"][0]["matchedVariant"]["sku"], "CON-M-rojo");
    // The sold-out one matches the words but has nothing in stock: last, and nothing to
    // preselect.
    assert_eq!(found.last(), Some(&sold_out["id"]), "{page}");
    assert_eq!(page["edges"][3]["matchedVariant"], Value::Null);

    // Blue in S: only `before` has it in stock.
    let page = listing("remera azul S", json!(null)).await;
    assert_eq!(ids(&page).first(), Some(&before["id"]), "{page}");
    assert_eq!(page["edges"][0]["matchedVariant"]["title"], "S / azul");

    // In stock means some variant on sale is; facet counts per size and colour are exact.
    let page = listing("remera", json!({ "inStock": true })).await;
    let mut in_stock = ids(&page);
    in_stock.sort_by_key(|v| v.to_string());
    let mut expected = vec![
        before["id"].clone(),
        stocked["id"].clone(),
        after["id"].clone(),
    ];
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(in_stock, expected);
    for facet in ["sizes", "colors"] {
        let counts: HashMap<String, i64> = page["facets"][facet]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| {
                (
                    v["value"].as_str().unwrap_or_default().to_owned(),
                    v["count"].as_i64().unwrap_or(-1),
                )
            })
            .collect();
        let expected: HashMap<String, i64> = match facet {
            "sizes" => [("s", 3), ("m", 3)],
            _ => [("rojo", 3), ("azul", 3)],
        }
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        assert_eq!(counts, expected, "{facet}: {page}");
    }
}
