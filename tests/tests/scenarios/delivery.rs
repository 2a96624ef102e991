//! Delivery: buyers' addresses under each country's rules, stores' shipping options, and
//! checkout with a delivery per store: orders keep a copy of the address and the shipping
//! price, totals are rounded by the currency, and a bad choice writes nothing.

use serde_json::{Value, json};
use textisur_tests::{Account, TestApp};

const ADD: &str = "mutation($i: AddressInput!) { addAddress(input: $i) {
    address { id country recipient phone region city postalCode street number apartment references isDefault }
    addresses { id isDefault }
    userErrors { field code message } } }";

const CREATE_OPTION: &str = "mutation($s: ID!, $i: ShippingOptionInput!) {
    createShippingOption(storeId: $s, input: $i) {
      shippingOption { id kind name price { amount currencyCode } regions estimatedDays }
      userErrors { field code message } } }";

const CHECKOUT: &str = "mutation($k: String!, $d: [CheckoutDeliveryInput!]) {
    checkout(idempotencyKey: $k, delivery: $d) {
      orders { id number store { id } subtotal { amount } total { amount currencyCode }
               taxIncluded { amount }
               shipping { kind name price { amount } estimatedDays pickupAddress
                          address { recipient region city street number } } }
      userErrors { field code message } } }";

fn address(country: &str, region: &str, phone: &str, postal: Option<&str>) -> Value {
    json!({
        "country": country, "recipient": "Ana Pérez", "phone": phone, "region": region,
        "city": "Centro", "postalCode": postal, "street": "Av. Siempre Viva", "number": "742",
        "apartment": "3° B", "references": "portón verde"
    })
}

async fn add_address(app: &TestApp, who: &Account, input: Value) -> Value {
    let (_, body) = app
        .graphql_as(&who.access_token, ADD, json!({ "i": input }))
        .await;
    body["data"]["addAddress"].clone()
}

async fn addresses_in_db(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM addresses")
        .fetch_one(app.db.pool())
        .await
        .expect("count")
}

#[tokio::test]
async fn addresses_follow_each_countrys_rules_and_a_bad_one_writes_nothing() {
    let app = TestApp::spawn().await;
    let buyer = app.quick_account("Ana", "BUYER").await;
    // One good address per country, written the way people write them.
    for (country, region, phone, postal, region_kept, phone_kept, postal_kept) in [
        (
            "AR",
            "caba",
            "011 4567-8901",
            Some("c1425 dkf"),
            "Ciudad Autónoma de Buenos Aires",
            "+541145678901",
            Some("C1425DKF"),
        ),
        (
            "CL",
            "Región Metropolitana",
            "+56 9 8765 4321",
            None,
            "Metropolitana de Santiago",
            "+56987654321",
            None,
        ),
        (
            "UY",
            "paysandu",
            "099 123 456",
            Some("60000"),
            "Paysandú",
            "+59899123456",
            Some("60000"),
        ),
        (
            "PY",
            "Central",
            "0981 123456",
            Some("001001"),
            "Central",
            "+595981123456",
            Some("001001"),
        ),
        (
            "PE",
            "cuzco",
            "987 654 321",
            None,
            "Cusco",
            "+51987654321",
            None,
        ),
    ] {
        let payload = add_address(&app, &buyer, address(country, region, phone, postal)).await;
        assert_eq!(payload["userErrors"], json!([]), "{country}: {payload}");
        let kept = &payload["address"];
        assert_eq!(kept["country"], country);
        assert_eq!(kept["region"], region_kept, "{country}");
        assert_eq!(kept["phone"], phone_kept, "{country}");
        assert_eq!(kept["postalCode"], json!(postal_kept), "{country}");
        assert_eq!(kept["references"], "portón verde");
    }
    let me = app
        .graphql_as(
            &buyer.access_token,
            "{ me { addresses { country isDefault } } }",
            json!({}),
        )
        .await
        .1;
    let list = me["data"]["me"]["addresses"]
        .as_array()
        .expect("addresses")
        .clone();
    assert_eq!(list.len(), 5);
    assert_eq!(
        list[0],
        json!({ "country": "AR", "isDefault": true }),
        "the first is the default"
    );

    // Each broken rule, per country: a user error at the field, and nothing written.
    let before = addresses_in_db(&app).await;
    for (input, field, code) in [
        (
            address("AR", "Córdoba", "0351 456-7890", None),
            "postalCode",
            "REQUIRED",
        ),
        (
            address("AR", "Córdoba", "0351 456-7890", Some("14250")),
            "postalCode",
            "INVALID",
        ),
        (
            address("AR", "Montevideo", "0351 456-7890", Some("5000")),
            "region",
            "INVALID",
        ),
        (
            address("CL", "Córdoba", "+56 9 8765 4321", None),
            "region",
            "INVALID",
        ),
        (
            address("CL", "Valparaíso", "98765432", None),
            "phone",
            "INVALID",
        ),
        (
            address("CL", "Valparaíso", "+56 9 8765 4321", Some("832000")),
            "postalCode",
            "INVALID",
        ),
        (
            address("UY", "Montevideo", "+54 9 11 4567 8901", None),
            "phone",
            "INVALID",
        ),
        (
            address("PY", "Central", "0981 123456", Some("1209")),
            "postalCode",
            "INVALID",
        ),
        (
            address("PE", "Lima", "987 654 321", Some("150011")),
            "postalCode",
            "INVALID",
        ),
        (
            json!({ "country": "PE", "recipient": "  ", "phone": "987654321", "region": "Lima",
                    "city": "Lima", "street": "Jr. Unión", "number": "esquina" }),
            "recipient",
            "REQUIRED",
        ),
    ] {
        let payload = add_address(&app, &buyer, input.clone()).await;
        let errors = payload["userErrors"].as_array().expect("user errors");
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == json!(["input", field]) && e["code"] == code),
            "{input}: {payload}"
        );
        assert!(payload["address"].is_null());
    }
    assert_eq!(
        addresses_in_db(&app).await,
        before,
        "no bad address was written"
    );

    // Another buyer's address is nobody else's to change.
    let other = app.quick_account("Otro", "BUYER").await;
    let first = list[0].clone();
    let first_id = app
        .graphql_as(
            &buyer.access_token,
            "{ me { addresses { id } } }",
            json!({}),
        )
        .await
        .1["data"]["me"]["addresses"][0]["id"]
        .clone();
    let (_, body) = app
        .graphql_as(
            &other.access_token,
            "mutation($id: ID!) { deleteAddress(id: $id) { deletedAddressId userErrors { code } } }",
            json!({ "id": first_id }),
        )
        .await;
    assert_eq!(
        body["data"]["deleteAddress"]["userErrors"][0]["code"], "NOT_FOUND",
        "{body}"
    );
    assert_eq!(first["isDefault"], true);

    // Deleting the default makes the oldest one left the default.
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "mutation($id: ID!) { deleteAddress(id: $id) { deletedAddressId addresses { isDefault } userErrors { code } } }",
            json!({ "id": first_id }),
        )
        .await;
    let left = body["data"]["deleteAddress"]["addresses"]
        .as_array()
        .expect("left")
        .clone();
    assert_eq!(left.len(), 4, "{body}");
    assert_eq!(left.iter().filter(|a| a["isDefault"] == true).count(), 1);

    // At most 20 per buyer.
    for _ in 0..16 {
        let payload = add_address(&app, &buyer, address("PE", "Lima", "987654321", None)).await;
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
    }
    let payload = add_address(&app, &buyer, address("PE", "Lima", "987654321", None)).await;
    assert_eq!(
        payload["userErrors"][0]["code"], "LIMIT_REACHED",
        "{payload}"
    );
}

/// Two Argentine stores with their options, products with weights, and a buyer with
/// addresses in Córdoba and Buenos Aires.
struct Shop {
    app: TestApp,
    buyer: Account,
    stores: [String; 2],
    products: [String; 2],
    cordoba: String,
    buenos_aires: String,
    /// Store 0: local delivery in Córdoba, courier by weight, pickup. Store 1: courier to
    /// Buenos Aires only.
    options: Vec<String>,
}

async fn shop() -> Shop {
    let app = TestApp::spawn().await;
    let buyer = app.quick_account("Compradora", "BUYER").await;
    let sellers = [
        app.quick_account("Vende Uno", "SELLER").await,
        app.quick_account("Vende Dos", "SELLER").await,
    ];
    let category: i64 = sqlx::query_scalar(
        "INSERT INTO categories (slug, name) VALUES ('telas', 'Telas') RETURNING id",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("category");
    let mut stores = Vec::new();
    let mut products = Vec::new();
    for (i, seller) in sellers.iter().enumerate() {
        let store: i64 = sqlx::query_scalar(
            "INSERT INTO stores (owner_id, slug, name, city, region, country_code, currency_code)
             VALUES ($1, $2, $3, 'Córdoba', 'Córdoba', 'AR', 'ARS') RETURNING id",
        )
        .bind(seller.row_id())
        .bind(format!("tienda-{i}"))
        .bind(format!("Tienda {i}"))
        .fetch_one(app.db.pool())
        .await
        .expect("store");
        // 1,234.50 a metre (its weight comes from the seller, below).
        let product: i64 = sqlx::query_scalar(
            "INSERT INTO products (store_id, category_id, slug, name, price, currency_code, unit,
                                   min_quantity, quantity_step, stock)
             VALUES ($1, $2, $3, 'Lino crudo', 1234.50, 'ARS', 'METRE', 0.5, 0.5, 100)
             RETURNING id",
        )
        .bind(store)
        .bind(category)
        .bind(format!("lino-{i}"))
        .fetch_one(app.db.pool())
        .await
        .expect("product");
        stores.push(
            textisur_api::graphql::ids::StoreId(store)
                .to_global()
                .to_string(),
        );
        products.push(
            textisur_api::graphql::ids::ProductId(product)
                .to_global()
                .to_string(),
        );
    }
    // Sellers give their products' weights: 250 g a metre.
    let weigh = "mutation($id: ID!, $g: Int) { updateProduct(id: $id, input: {weightGrams: $g}) {
        product { weightGrams } userErrors { field code } } }";
    for (seller, product) in sellers.iter().zip(&products) {
        let (_, body) = app
            .graphql_as(
                &seller.access_token,
                weigh,
                json!({ "id": product, "g": 0 }),
            )
            .await;
        let error = &body["data"]["updateProduct"]["userErrors"][0];
        assert_eq!(error["code"], "OUT_OF_RANGE", "{body}");
        assert_eq!(error["field"], json!(["input", "weightGrams"]));
        let (_, body) = app
            .graphql_as(
                &seller.access_token,
                weigh,
                json!({ "id": product, "g": 250 }),
            )
            .await;
        assert_eq!(
            body["data"]["updateProduct"]["product"]["weightGrams"], 250,
            "{body}"
        );
    }
    let mut options = Vec::new();
    for (seller, store, input) in [
        (
            0,
            0,
            json!({ "kind": "LOCAL_DELIVERY", "name": "Moto en el día", "price": "1500",
                       "regions": ["cordoba"], "estimatedDays": 1 }),
        ),
        (
            0,
            0,
            json!({ "kind": "COURIER", "name": "Correo a domicilio", "price": "3000",
                       "pricePerKg": "500.50", "minDays": 2, "estimatedDays": 5 }),
        ),
        (
            0,
            0,
            json!({ "kind": "PICKUP", "name": "Retiro en el local",
                       "pickupAddress": "Deán Funes 123, Córdoba", "pickupHours": "lun a vie 9 a 18",
                       "estimatedDays": 1 }),
        ),
        (
            1,
            1,
            json!({ "kind": "COURIER", "name": "Envío a Buenos Aires", "price": "2000",
                       "regions": ["Buenos Aires", "CABA"], "estimatedDays": 4 }),
        ),
    ] {
        let (_, body) = app
            .graphql_as(
                &sellers[seller].access_token,
                CREATE_OPTION,
                json!({ "s": stores[store], "i": input }),
            )
            .await;
        let created = &body["data"]["createShippingOption"];
        assert_eq!(created["userErrors"], json!([]), "{body}");
        options.push(
            created["shippingOption"]["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    // Sellers keep their own store's options only.
    let (_, body) = app
        .graphql_as(
            &sellers[1].access_token,
            CREATE_OPTION,
            json!({ "s": stores[0], "i": { "kind": "COURIER", "name": "Ajena", "price": "1", "estimatedDays": 1 } }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    let cordoba = add_address(
        &app,
        &buyer,
        address("AR", "Córdoba", "0351 456-7890", Some("X5000ABC")),
    )
    .await;
    let buenos_aires = add_address(
        &app,
        &buyer,
        address("AR", "Buenos Aires", "0221 456-7890", Some("1900")),
    )
    .await;
    Shop {
        cordoba: cordoba["address"]["id"].as_str().expect("id").to_owned(),
        buenos_aires: buenos_aires["address"]["id"]
            .as_str()
            .expect("id")
            .to_owned(),
        app,
        buyer,
        stores: [stores[0].clone(), stores[1].clone()],
        products: [products[0].clone(), products[1].clone()],
        options,
    }
}

#[tokio::test]
async fn checkout_delivers_each_store_by_its_option_and_keeps_a_copy_of_the_address() {
    let Shop {
        app,
        buyer,
        stores,
        products,
        cordoba,
        buenos_aires,
        options,
    } = shop().await;
    // What reaches Córdoba: store 0's three options; store 1 delivers to Buenos Aires only.
    let reach = "query($s: ID!, $a: ID) { node(id: $s) { ... on Store { shippingOptions(addressId: $a) { name } } } }";
    let names = |body: &Value| -> Vec<String> {
        body["data"]["node"]["shippingOptions"]
            .as_array()
            .expect("options")
            .iter()
            .map(|o| o["name"].as_str().expect("name").to_owned())
            .collect()
    };
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            reach,
            json!({ "s": stores[0], "a": cordoba }),
        )
        .await;
    assert_eq!(
        names(&body),
        ["Moto en el día", "Correo a domicilio", "Retiro en el local"]
    );
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            reach,
            json!({ "s": stores[1], "a": cordoba }),
        )
        .await;
    assert!(names(&body).is_empty(), "{body}");
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            reach,
            json!({ "s": stores[1], "a": buenos_aires }),
        )
        .await;
    assert_eq!(names(&body), ["Envío a Buenos Aires"]);

    // 2.5 m from each store: 3,086.25 each, 625 g each.
    for product in &products {
        app.add_to_cart(&buyer, product, "2.5").await;
    }
    let stock_before: Vec<String> =
        sqlx::query_scalar("SELECT stock::text FROM products ORDER BY id")
            .fetch_all(app.db.pool())
            .await
            .expect("stock");
    let checkout = |key: &str, delivery: Value| {
        let app = &app;
        let token = buyer.access_token.clone();
        let key = key.to_owned();
        async move {
            app.graphql_as(&token, CHECKOUT, json!({ "k": key, "d": delivery }))
                .await
                .1["data"]["checkout"]
                .clone()
        }
    };
    // Store 1's option does not reach Córdoba: a user error naming it, nothing written.
    let refused = checkout(
        "entrega-001",
        json!([
            { "storeId": stores[0], "shippingOptionId": options[0], "addressId": cordoba },
            { "storeId": stores[1], "shippingOptionId": options[3], "addressId": cordoba },
        ]),
    )
    .await;
    let error = &refused["userErrors"][0];
    assert_eq!(error["code"], "INVALID", "{refused}");
    assert_eq!(error["field"], json!(["delivery", "1", "shippingOptionId"]));
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .contains("Envío a Buenos Aires"),
        "{error}"
    );
    // A store that offers options needs a delivery; an option of another store is none.
    let missing = checkout(
        "entrega-002",
        json!([{ "storeId": stores[0], "shippingOptionId": options[1], "addressId": cordoba }]),
    )
    .await;
    assert_eq!(missing["userErrors"][0]["code"], "REQUIRED", "{missing}");
    let crossed = checkout(
        "entrega-003",
        json!([
            { "storeId": stores[0], "shippingOptionId": options[3], "addressId": cordoba },
            { "storeId": stores[1], "shippingOptionId": options[3], "addressId": buenos_aires },
        ]),
    )
    .await;
    assert_eq!(crossed["userErrors"][0]["code"], "NOT_FOUND", "{crossed}");
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(app.db.pool())
        .await
        .expect("orders");
    assert_eq!(orders, 0);
    let stock_after: Vec<String> =
        sqlx::query_scalar("SELECT stock::text FROM products ORDER BY id")
            .fetch_all(app.db.pool())
            .await
            .expect("stock");
    assert_eq!(stock_after, stock_before, "refused checkouts take no stock");

    // Courier by weight to Córdoba for store 0, courier to Buenos Aires for store 1.
    let placed = checkout(
        "entrega-004",
        json!([
            { "storeId": stores[0], "shippingOptionId": options[1], "addressId": cordoba },
            { "storeId": stores[1], "shippingOptionId": options[3], "addressId": buenos_aires },
        ]),
    )
    .await;
    assert_eq!(placed["userErrors"], json!([]), "{placed}");
    let orders = placed["orders"].as_array().expect("orders").clone();
    assert_eq!(orders.len(), 2);
    let by_store = |store: &str| {
        orders
            .iter()
            .find(|o| o["store"]["id"] == store)
            .expect("an order of the store")
            .clone()
    };
    let first = by_store(&stores[0]);
    assert_eq!(first["subtotal"]["amount"], "3086.25");
    // 3,000 + 0.625 kg × 500.50 = 3,312.8125 -> 3,312.81.
    assert_eq!(first["shipping"]["price"]["amount"], "3312.81", "{first}");
    assert_eq!(first["shipping"]["kind"], "COURIER");
    assert_eq!(first["shipping"]["estimatedDays"], 5);
    assert_eq!(first["total"]["amount"], "6399.06");
    // 6,399.06 × 21 / 121 = 1,110.5806... -> 1,110.58.
    assert_eq!(first["taxIncluded"]["amount"], "1110.58");
    assert_eq!(first["shipping"]["address"]["region"], "Córdoba");
    let second = by_store(&stores[1]);
    assert_eq!(second["shipping"]["price"]["amount"], "2000.00", "{second}");
    assert_eq!(second["total"]["amount"], "5086.25");
    assert_eq!(second["shipping"]["address"]["region"], "Buenos Aires");

    // The address changes, then goes: the orders keep what they were sent to.
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "mutation($id: ID!, $i: AddressInput!) { updateAddress(id: $id, input: $i) { userErrors { code } } }",
            json!({ "id": cordoba, "i": address("AR", "Mendoza", "0261 456-7890", Some("5500")) }),
        )
        .await;
    assert_eq!(
        body["data"]["updateAddress"]["userErrors"],
        json!([]),
        "{body}"
    );
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "mutation($id: ID!) { deleteAddress(id: $id) { userErrors { code } } }",
            json!({ "id": cordoba }),
        )
        .await;
    assert_eq!(
        body["data"]["deleteAddress"]["userErrors"],
        json!([]),
        "{body}"
    );
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "query($id: ID!) { order(id: $id) { shipping { address { region street } } total { amount } } }",
            json!({ "id": first["id"] }),
        )
        .await;
    assert_eq!(
        body["data"]["order"]["shipping"]["address"]["region"], "Córdoba",
        "{body}"
    );
    assert_eq!(body["data"]["order"]["total"]["amount"], "6399.06");

    // Pickup needs no address and costs nothing.
    app.add_to_cart(&buyer, &products[0], "1").await;
    let pickup = checkout(
        "entrega-005",
        json!([{ "storeId": stores[0], "shippingOptionId": options[2] }]),
    )
    .await;
    assert_eq!(pickup["userErrors"], json!([]), "{pickup}");
    let order = &pickup["orders"][0];
    assert_eq!(order["shipping"]["kind"], "PICKUP");
    assert_eq!(order["shipping"]["price"]["amount"], "0.00");
    assert_eq!(
        order["shipping"]["pickupAddress"],
        "Deán Funes 123, Córdoba"
    );
    assert!(order["shipping"]["address"].is_null());
    assert_eq!(order["total"]["amount"], "1234.50");
}

#[tokio::test]
async fn clp_and_pyg_totals_have_no_decimals_and_a_cart_buys_in_one_market() {
    let app = TestApp::spawn().await;
    let buyer = app.quick_account("Compradora", "BUYER").await;
    let seller = app.quick_account("Vende", "SELLER").await;
    let category: i64 = sqlx::query_scalar(
        "INSERT INTO categories (slug, name) VALUES ('telas', 'Telas') RETURNING id",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("category");
    let mut products = Vec::new();
    for (country, currency, price) in [
        ("CL", "CLP", "9999"),
        ("PY", "PYG", "4999"),
        ("AR", "ARS", "10.10"),
    ] {
        let id: i64 = sqlx::query_scalar(
            "WITH s AS (INSERT INTO stores (owner_id, slug, name, city, region, country_code, currency_code)
                        VALUES ($1, $2, $2, 'Centro', 'Centro', $3, $4) RETURNING id)
             INSERT INTO products (store_id, category_id, slug, name, price, currency_code, unit,
                                   min_quantity, quantity_step, stock)
             SELECT s.id, $5, $2, 'Tela por metro', $6::numeric, $4, 'METRE', 0.125, 0.125, 100 FROM s
             RETURNING id",
        )
        .bind(seller.row_id())
        .bind(format!("tienda-{}", country.to_lowercase()))
        .bind(country)
        .bind(currency)
        .bind(category)
        .bind(price)
        .fetch_one(app.db.pool())
        .await
        .expect("product");
        products.push(
            textisur_api::graphql::ids::ProductId(id)
                .to_global()
                .to_string(),
        );
    }
    // 1.5 m at 9,999 CLP = 14,998.5 -> 14,999; the tax in it, 2,394.80... -> 2,395.
    app.add_to_cart(&buyer, &products[0], "1.5").await;
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "{ me { cart { subtotal { amount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["me"]["cart"]["subtotal"]["amount"], "14999",
        "{body}"
    );
    // A Paraguayan product does not join a Chilean cart.
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "mutation($p: ID!) { addToCart(productId: $p, quantity: \"1\") { userErrors { field code message } } }",
            json!({ "p": products[1] }),
        )
        .await;
    let error = &body["data"]["addToCart"]["userErrors"][0];
    assert_eq!(error["code"], "OTHER_MARKET", "{body}");
    assert!(
        error["message"].as_str().expect("message").contains("PY"),
        "{error}"
    );
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            CHECKOUT,
            json!({ "k": "pesos-chilenos-1" }),
        )
        .await;
    let order = &body["data"]["checkout"]["orders"][0];
    assert_eq!(
        order["total"],
        json!({ "amount": "14999", "currencyCode": "CLP" }),
        "{body}"
    );
    assert_eq!(order["taxIncluded"]["amount"], "2395");
    assert!(
        order["shipping"].is_null(),
        "no option offered: arranged with the store"
    );

    // 1.25 m at 4,999 PYG = 6,248.75 -> 6,249; tax 568.09... -> 568.
    app.add_to_cart(&buyer, &products[1], "1.25").await;
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            CHECKOUT,
            json!({ "k": "guaranies-0001" }),
        )
        .await;
    let order = &body["data"]["checkout"]["orders"][0];
    assert_eq!(
        order["total"],
        json!({ "amount": "6249", "currencyCode": "PYG" }),
        "{body}"
    );
    assert_eq!(order["taxIncluded"]["amount"], "568");

    // 0.125 m at 10.10 ARS = 1.2625 -> 1.26 (cents, half up).
    app.add_to_cart(&buyer, &products[2], "0.125").await;
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            CHECKOUT,
            json!({ "k": "pesos-argentinos" }),
        )
        .await;
    let order = &body["data"]["checkout"]["orders"][0];
    assert_eq!(
        order["total"],
        json!({ "amount": "1.26", "currencyCode": "ARS" }),
        "{body}"
    );
}
