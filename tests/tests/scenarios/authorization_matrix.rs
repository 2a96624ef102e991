//! The authorization matrix: every mutation, and every field whose description says
//! `Restricted:`, tried as each kind of caller against a table of expected outcomes.
//!
//! The test walks the schema by introspection: a new mutation or restricted field without
//! a row in `TABLE` fails it, and so does a row naming something the schema lost.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use textisur_api::accounts::limits::AuthLimitConfig;
use textisur_tests::{Account, TestApp, TestOptions};

/// Allowed, FORBIDDEN, UNAUTHENTICATED.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    A,
    F,
    U,
}
use Outcome::{A, F, U};

/// Callers, in the order of each row: anonymous, buyer, another buyer, the owning seller,
/// another seller, admin.
const CALLERS: [&str; 6] = [
    "anonymous",
    "buyer",
    "other buyer",
    "owning seller",
    "other seller",
    "admin",
];

struct Row {
    name: &'static str,
    expected: [Outcome; 6],
    query: &'static str,
}

const TABLE: &[Row] = &[
    Row {
        name: "Mutation.register",
        expected: [A, A, A, A, A, A],
        query: "mutation($email: String!) { register(input: {email: $email, password: \"telas de lino azul\", name: \"Nueva\"}) { userErrors { code } } }",
    },
    Row {
        name: "Mutation.login",
        expected: [A, A, A, A, A, A],
        query: "mutation($victimEmail: String!) { login(input: {email: $victimEmail, password: \"telas de lino azul\"}) { userErrors { code } } }",
    },
    Row {
        name: "Mutation.refreshSession",
        expected: [A, A, A, A, A, A],
        query: "mutation { refreshSession(refreshToken: \"not-a-token\") { userErrors { code } } }",
    },
    Row {
        name: "Mutation.logout",
        expected: [A, A, A, A, A, A],
        query: "mutation { logout(refreshToken: \"not-a-token\") { ok } }",
    },
    Row {
        name: "Mutation.revokeSession",
        expected: [U, A, A, A, A, A],
        query: "mutation { revokeSession(id: \"7f0c5e2a-0000-4000-8000-000000000000\") { ok } }",
    },
    // Account self-service: links work for whoever holds them (a token, not a session,
    // proves the mailbox); the rest acts on the caller's own account only. Wrong passwords
    // and unknown tokens keep every row from changing the accounts the next rows use.
    Row {
        name: "Mutation.requestEmailVerification",
        expected: [U, A, A, A, A, A],
        query: "mutation { requestEmailVerification { ok userErrors { code } } }",
    },
    Row {
        name: "Mutation.verifyEmail",
        expected: [A, A, A, A, A, A],
        query: "mutation { verifyEmail(token: \"no-such-token\") { ok userErrors { code } } }",
    },
    Row {
        name: "Mutation.requestPasswordReset",
        expected: [A, A, A, A, A, A],
        query: "mutation($victimEmail: String!) { requestPasswordReset(email: $victimEmail) { ok } }",
    },
    Row {
        name: "Mutation.resetPassword",
        expected: [A, A, A, A, A, A],
        query: "mutation { resetPassword(token: \"no-such-token\", newPassword: \"cortinas de voile crudo\") { userErrors { code } } }",
    },
    Row {
        name: "Mutation.changePassword",
        expected: [U, A, A, A, A, A],
        query: "mutation { changePassword(currentPassword: \"no es la clave\", newPassword: \"cortinas de voile crudo\") { userErrors { code } } }",
    },
    Row {
        name: "Mutation.requestEmailChange",
        expected: [U, A, A, A, A, A],
        query: "mutation { requestEmailChange(password: \"no es la clave\", newEmail: \"otra@direccion.cl\") { ok userErrors { code } } }",
    },
    Row {
        name: "Mutation.confirmEmailChange",
        expected: [A, A, A, A, A, A],
        query: "mutation { confirmEmailChange(token: \"no-such-token\") { ok userErrors { code } } }",
    },
    Row {
        name: "Mutation.deleteMyAccount",
        expected: [U, A, A, A, A, A],
        query: "mutation { deleteMyAccount(password: \"no es la clave\") { ok userErrors { code } } }",
    },
    Row {
        name: "Query.exportMyData",
        expected: [U, A, A, A, A, A],
        query: "{ exportMyData }",
    },
    Row {
        name: "User.emailVerified",
        expected: [F, A, F, F, F, A],
        query: "query($buyer: ID!) { node(id: $buyer) { ... on User { emailVerified } } }",
    },
    Row {
        name: "Mutation.setUserRole",
        expected: [U, F, F, F, F, A],
        query: "mutation($victim: ID!) { setUserRole(userId: $victim, role: BUYER) { user { id } } }",
    },
    Row {
        name: "Mutation.suspendUser",
        expected: [U, F, F, F, F, A],
        query: "mutation($victim: ID!) { suspendUser(userId: $victim) { user { id } } }",
    },
    Row {
        name: "Mutation.unsuspendUser",
        expected: [U, F, F, F, F, A],
        query: "mutation($victim: ID!) { unsuspendUser(userId: $victim) { user { id } } }",
    },
    Row {
        name: "Mutation.createStore",
        expected: [U, A, A, A, A, A],
        query: "mutation { createStore(input: {name: \"Tienda nueva\", city: \"Salta\", region: \"Salta\", country: AR}) { userErrors { code } } }",
    },
    Row {
        name: "Mutation.updateStore",
        expected: [U, F, F, A, F, A],
        query: "mutation($store: ID!) { updateStore(id: $store, input: {city: \"Córdoba\"}) { store { id } } }",
    },
    Row {
        name: "Mutation.setStoreAllowance",
        expected: [U, F, F, F, F, A],
        query: "mutation($victim: ID!) { setStoreAllowance(userId: $victim, stores: 2) { userErrors { code } } }",
    },
    Row {
        name: "Mutation.createProduct",
        expected: [U, F, F, A, F, A],
        query: "mutation($store: ID!, $category: ID!) { createProduct(input: {storeId: $store, categoryId: $category, name: \"Lino crudo\", price: \"10.50\", stock: \"3\"}) { product { id } userErrors { code } } }",
    },
    Row {
        name: "Mutation.updateProduct",
        expected: [U, F, F, A, F, A],
        query: "mutation($product: ID!) { updateProduct(id: $product, input: {price: \"11.00\"}) { product { id } userErrors { code } } }",
    },
    Row {
        name: "Mutation.archiveProduct",
        expected: [U, F, F, A, F, A],
        query: "mutation($product: ID!) { archiveProduct(id: $product) { product { id } } }",
    },
    Row {
        name: "Mutation.upsertProducts",
        expected: [U, F, F, A, F, A],
        query: "mutation($store: ID!, $category: ID!) { upsertProducts(storeId: $store, products: [{sku: \"M-1\", categoryId: $category, name: \"Manta gris\", price: \"20\", stock: \"1\"}]) { userErrors { code } } }",
    },
    Row {
        // No file arrives with JSON: the seller gets a user error, allowed.
        name: "Mutation.uploadProductImage",
        expected: [U, F, F, A, F, A],
        query: "mutation($product: ID!) { uploadProductImage(productId: $product, file: \"#__graphql_file__:0\") { userErrors { code } } }",
    },
    Row {
        name: "Mutation.updateProductImage",
        expected: [U, F, F, A, F, A],
        query: "mutation($image: ID!) { updateProductImage(id: $image, alt: \"Frente\") { userErrors { code } } }",
    },
    Row {
        name: "Mutation.reorderProductImages",
        expected: [U, F, F, A, F, A],
        query: "mutation($product: ID!, $image: ID!, $spareImage: ID!) { reorderProductImages(productId: $product, imageIds: [$spareImage, $image]) { userErrors { code } } }",
    },
    Row {
        // Once the seller deleted it, it is NOT_FOUND (a user error) to everyone.
        name: "Mutation.deleteProductImage",
        expected: [U, F, F, A, A, A],
        query: "mutation($spareImage: ID!) { deleteProductImage(id: $spareImage) { userErrors { code } } }",
    },
    Row {
        name: "Mutation.createCategory",
        expected: [U, F, F, F, F, A],
        query: "mutation { createCategory(input: {name: \"Tapicería\"}) { category { id } } }",
    },
    Row {
        name: "Mutation.updateCategory",
        expected: [U, F, F, F, F, A],
        query: "mutation($category: ID!) { updateCategory(id: $category, input: {name: \"Telas finas\"}) { category { id } } }",
    },
    Row {
        name: "Mutation.addSearchVocabulary",
        expected: [U, F, F, F, F, A],
        query: "mutation { addSearchVocabulary(input: {kind: STOP_WORD, word: \"porfa\"}) { entry { id } } }",
    },
    Row {
        name: "Mutation.removeSearchVocabulary",
        expected: [U, F, F, F, F, A],
        query: "mutation { removeSearchVocabulary(id: \"bm9uZTox\") { userErrors { code } } }",
    },
    Row {
        name: "Query.searchVocabulary",
        expected: [U, F, F, F, F, A],
        query: "{ searchVocabulary { id } }",
    },
    Row {
        name: "Mutation.startConversation",
        expected: [U, A, A, A, A, A],
        query: "mutation($store: ID!) { startConversation(storeId: $store, body: \"¿Tienen lino?\") { conversation { id } userErrors { code } } }",
    },
    Row {
        name: "Mutation.sendMessage",
        expected: [U, A, F, A, F, A],
        query: "mutation($conversation: ID!) { sendMessage(conversationId: $conversation, body: \"hola\") { message { id } userErrors { code } } }",
    },
    Row {
        name: "Mutation.markConversationRead",
        expected: [U, A, F, A, F, A],
        query: "mutation($conversation: ID!) { markConversationRead(conversationId: $conversation) { conversation { id } } }",
    },
    Row {
        name: "Mutation.addReview",
        expected: [U, A, A, A, A, A],
        query: "mutation($product: ID!) { addReview(productId: $product, rating: 5) { review { id } userErrors { code } } }",
    },
    Row {
        name: "Query.conversation",
        expected: [F, A, F, A, F, A],
        query: "query($conversation: ID!) { conversation(id: $conversation) { id } }",
    },
    Row {
        name: "User.conversations",
        expected: [F, A, F, F, F, A],
        query: "query($buyer: ID!) { node(id: $buyer) { ... on User { conversations { totalCount } } } }",
    },
    Row {
        name: "Mutation.addToCart",
        expected: [U, A, A, A, A, A],
        query: "mutation($product: ID!) { addToCart(productId: $product, quantity: \"1\") { cart { subtotal { amount } } userErrors { code } } }",
    },
    Row {
        name: "Mutation.updateCartLine",
        expected: [U, A, A, A, A, A],
        query: "mutation($product: ID!) { updateCartLine(productId: $product, quantity: \"2\") { userErrors { code } } }",
    },
    Row {
        name: "Mutation.removeFromCart",
        expected: [U, A, A, A, A, A],
        query: "mutation($product: ID!) { removeFromCart(productId: $product) { userErrors { code } } }",
    },
    Row {
        name: "Mutation.checkout",
        expected: [U, A, A, A, A, A],
        query: "mutation { checkout(idempotencyKey: \"matriz-0001\") { orders { id } userErrors { code } } }",
    },
    Row {
        // A pending order of the buyer at the owning seller's store: only admins (or the
        // payment flow) mark it paid; not even that seller.
        name: "Mutation.updateOrderStatus",
        expected: [U, F, F, F, F, A],
        query: "mutation($order: ID!) { updateOrderStatus(orderId: $order, status: PAID) { order { status } userErrors { code } } }",
    },
    Row {
        name: "Mutation.cancelOrder",
        expected: [U, A, F, A, F, A],
        query: "mutation($pendingOrder: ID!) { cancelOrder(orderId: $pendingOrder) { order { status } userErrors { code } } }",
    },
    Row {
        // Only the order's buyer pays it (here without a provider: a user error, allowed).
        name: "Mutation.payOrder",
        expected: [U, A, F, F, F, F],
        query: "mutation($pendingOrder: ID!) { payOrder(orderId: $pendingOrder) { userErrors { code } } }",
    },
    Row {
        // The store's seller connects the account the store collects with (here without a
        // provider: a user error, allowed).
        name: "Mutation.connectMercadoPago",
        expected: [U, F, F, A, F, A],
        query: "mutation($store: ID!) { connectMercadoPago(storeId: $store, code: \"TG-1\", redirectUri: \"https://textisur.localhost/vender\") { connected userErrors { code } } }",
    },
    Row {
        name: "Query.order",
        expected: [F, A, F, A, F, A],
        query: "query($order: ID!) { order(id: $order) { id } }",
    },
    Row {
        name: "Store.earnings",
        expected: [F, F, F, A, F, A],
        query: "query($store: ID!) { node(id: $store) { ... on Store { earnings(from: \"2026-01-01T00:00:00Z\", to: \"2027-01-01T00:00:00Z\") { gross } } } }",
    },
    Row {
        name: "Store.orders",
        expected: [F, F, F, A, F, A],
        query: "query($store: ID!) { node(id: $store) { ... on Store { orders { totalCount } } } }",
    },
    Row {
        name: "User.cart",
        expected: [F, A, F, F, F, A],
        query: "query($buyer: ID!) { node(id: $buyer) { ... on User { cart { lines { quantity } } } } }",
    },
    Row {
        name: "User.orders",
        expected: [F, A, F, F, F, A],
        query: "query($buyer: ID!) { node(id: $buyer) { ... on User { orders { totalCount } } } }",
    },
    Row {
        name: "Query.users",
        expected: [U, F, F, F, F, A],
        query: "{ users(first: 1) { nodes { id } } }",
    },
    Row {
        name: "User.email",
        expected: [F, A, F, F, F, A],
        query: "query($buyer: ID!) { node(id: $buyer) { ... on User { email } } }",
    },
    Row {
        name: "User.suspendedAt",
        expected: [F, A, F, F, F, A],
        query: "query($buyer: ID!) { node(id: $buyer) { ... on User { suspendedAt } } }",
    },
    Row {
        name: "User.sessions",
        expected: [F, A, F, F, F, A],
        query: "query($buyer: ID!) { node(id: $buyer) { ... on User { sessions { id } } } }",
    },
    Row {
        name: "User.role",
        expected: [F, A, F, F, F, A],
        query: "query($buyer: ID!) { node(id: $buyer) { ... on User { role } } }",
    },
    Row {
        name: "User.createdAt",
        expected: [F, A, F, F, F, A],
        query: "query($buyer: ID!) { node(id: $buyer) { ... on User { createdAt } } }",
    },
    Row {
        // A seller's store link would undo the restriction on `Store.owner`.
        name: "User.store",
        expected: [F, F, F, A, F, A],
        query: "query($seller: ID!) { node(id: $seller) { ... on User { store { id } } } }",
    },
    Row {
        name: "Mutation.setExchangeRate",
        expected: [U, F, F, F, F, A],
        query: "mutation { setExchangeRate(input: {currency: CLP, unitsPerUsd: \"950\", source: \"matriz\"}) { rate { currency } } }",
    },
    Row {
        name: "User.addresses",
        expected: [F, A, F, F, F, A],
        query: "query($buyer: ID!) { node(id: $buyer) { ... on User { addresses { id } } } }",
    },
    Row {
        // Everyone signed in keeps their own addresses (this one is invalid: a user error).
        name: "Mutation.addAddress",
        expected: [U, A, A, A, A, A],
        query: "mutation { addAddress(input: {country: AR, recipient: \"Ana\", phone: \"1\", region: \"x\", city: \"x\", street: \"x\", number: \"1\"}) { userErrors { code } } }",
    },
    Row {
        // Another user's address is NOT_FOUND (a user error) for everyone but its owner.
        name: "Mutation.updateAddress",
        expected: [U, A, A, A, A, A],
        query: "mutation($address: ID!) { updateAddress(id: $address, input: {country: AR, recipient: \"Ana\", phone: \"1\", region: \"x\", city: \"x\", street: \"x\", number: \"1\"}) { userErrors { code } } }",
    },
    Row {
        name: "Mutation.setDefaultAddress",
        expected: [U, A, A, A, A, A],
        query: "mutation($address: ID!) { setDefaultAddress(id: $address) { userErrors { code } } }",
    },
    Row {
        name: "Mutation.deleteAddress",
        expected: [U, A, A, A, A, A],
        query: "mutation { deleteAddress(id: \"QWRkcmVzczo5OTk5OTk\") { userErrors { code } } }",
    },
    Row {
        // The store's seller and admins (this input is invalid: a user error, allowed).
        name: "Mutation.createShippingOption",
        expected: [U, F, F, A, F, A],
        query: "mutation($store: ID!) { createShippingOption(storeId: $store, input: {kind: PICKUP, name: \"\", estimatedDays: 1}) { userErrors { code } } }",
    },
    Row {
        name: "Mutation.updateShippingOption",
        expected: [U, F, F, A, F, A],
        query: "mutation($shippingOption: ID!) { updateShippingOption(id: $shippingOption, input: {kind: PICKUP, name: \"\", estimatedDays: 1}) { userErrors { code } } }",
    },
    Row {
        // Once its seller deleted the option, it is NOT_FOUND (a user error) for the callers
        // after: the other seller's refusal is `updateShippingOption`'s row (the same check).
        name: "Mutation.deleteShippingOption",
        expected: [U, F, F, A, A, A],
        query: "mutation($spareShippingOption: ID!) { deleteShippingOption(id: $spareShippingOption) { userErrors { code } } }",
    },
    Row {
        name: "Store.owner",
        expected: [F, F, F, A, F, A],
        query: "query($store: ID!) { node(id: $store) { ... on Store { owner { id } } } }",
    },
];

const INTROSPECTION: &str = "{ __schema { mutationType { fields { name } }
    types { name fields { name description } } } }";

async fn restricted_surface(app: &TestApp) -> BTreeSet<String> {
    let data = app.data(INTROSPECTION, json!({})).await;
    let mut names = BTreeSet::new();
    for field in data["__schema"]["mutationType"]["fields"]
        .as_array()
        .into_iter()
        .flatten()
    {
        names.insert(format!(
            "Mutation.{}",
            field["name"].as_str().unwrap_or_default()
        ));
    }
    for ty in data["__schema"]["types"].as_array().into_iter().flatten() {
        let type_name = ty["name"].as_str().unwrap_or_default();
        // Subscriptions run over WebSocket, not POST: tests/tests/scenarios/subscriptions.rs tries
        // them as strangers and anonymous callers.
        if type_name == "Subscription" {
            continue;
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            if field["description"]
                .as_str()
                .is_some_and(|d| d.contains("Restricted:"))
            {
                names.insert(format!(
                    "{type_name}.{}",
                    field["name"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    names
}

fn outcome(body: &Value) -> Outcome {
    let codes: Vec<&str> = body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["extensions"]["code"].as_str())
        .collect();
    if codes.contains(&"UNAUTHENTICATED") {
        U
    } else if codes.contains(&"FORBIDDEN") {
        F
    } else {
        assert!(codes.is_empty(), "unexpected errors: {body}");
        A
    }
}

#[tokio::test]
async fn every_restricted_field_and_mutation_behaves_as_the_table_says() {
    let generous = AuthLimitConfig {
        register_per_ip_per_hour: 1000,
        login_per_ip_per_minute: 1000,
        account_mail_per_address_per_hour: 1000,
        account_mail_per_ip_per_hour: 1000,
        ..AuthLimitConfig::default()
    };
    let app = TestApp::spawn_with(TestOptions {
        auth_limits: Some(generous),
        ..TestOptions::default()
    })
    .await;

    let surface = restricted_surface(&app).await;
    let table: BTreeSet<String> = TABLE.iter().map(|r| r.name.to_owned()).collect();
    let missing: Vec<&String> = surface.difference(&table).collect();
    let stale: Vec<&String> = table.difference(&surface).collect();
    assert!(
        missing.is_empty(),
        "mutations or restricted fields without a row in TABLE: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows in TABLE the schema no longer has: {stale:?}"
    );

    let buyer = app.register("comprador@correo.cl", "Comprador").await;
    let other_buyer = app
        .register("otro.comprador@correo.cl", "Otro comprador")
        .await;
    let seller = app.register("vendedora@correo.cl", "Vendedora").await;
    let other_seller = app
        .register("otro.vendedor@correo.cl", "Otro vendedor")
        .await;
    let admin = app.register("admin@correo.cl", "Admin").await;
    let victim = app.register("victima@correo.cl", "Víctima").await;
    for (account, role) in [
        (&seller, "SELLER"),
        (&other_seller, "SELLER"),
        (&admin, "ADMIN"),
    ] {
        app.set_role(account, role).await;
    }
    let mut store_ids = Vec::new();
    for (account, slug) in [
        (&seller, "tienda-vendedora"),
        (&other_seller, "tienda-otro"),
    ] {
        let id: i64 = sqlx::query_scalar!(
            "INSERT INTO stores (owner_id, slug, name, city, country_code, currency_code)
             VALUES ($1, $2, $2, 'Córdoba', 'AR', 'ARS') RETURNING id",
            account.row_id(),
            slug
        )
        .fetch_one(app.db.pool())
        .await
        .expect("store");
        store_ids.push(
            textisur_api::graphql::ids::StoreId(id)
                .to_global()
                .to_string(),
        );
    }
    let category: i64 = sqlx::query_scalar!(
        "INSERT INTO categories (slug, name) VALUES ('telas', 'Telas') RETURNING id",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("category");
    let category = textisur_api::graphql::ids::CategoryId(category)
        .to_global()
        .to_string();
    let product: i64 = sqlx::query_scalar!(
        "INSERT INTO products (store_id, category_id, slug, name, price, currency_code, stock)
         SELECT s.id, c.id, 'lino-1', 'Lino', 10, 'ARS', 5 FROM stores s, categories c
         WHERE s.slug = 'tienda-vendedora' RETURNING id",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("product");
    let product = textisur_api::graphql::ids::ProductId(product)
        .to_global()
        .to_string();
    let images: Vec<i64> = sqlx::query_scalar(
        "WITH f AS (INSERT INTO media_files (hash, format, width, height, bytes, state)
                    VALUES (repeat('a', 64), 'png', 10, 10, 100, 'READY') RETURNING hash)
         INSERT INTO product_images (product_id, file_hash, position)
         SELECT p.id, f.hash, n FROM products p, f, generate_series(0, 1) AS n
         WHERE p.slug = 'lino-1' RETURNING id",
    )
    .fetch_all(app.db.pool())
    .await
    .expect("images");
    let image = |id: i64| {
        textisur_api::graphql::ids::ImageId(id)
            .to_global()
            .to_string()
    };
    let conversation: i64 = sqlx::query_scalar!(
        "INSERT INTO conversations (buyer_id, store_id)
         SELECT $1, id FROM stores WHERE slug = 'tienda-vendedora' RETURNING id",
        buyer.row_id()
    )
    .fetch_one(app.db.pool())
    .await
    .expect("conversation");
    let conversation = textisur_api::graphql::ids::ConversationId(conversation)
        .to_global()
        .to_string();
    let mut orders = Vec::new();
    for _ in 0..2 {
        let order: i64 = sqlx::query_scalar!(
            "WITH o AS (INSERT INTO orders (buyer_id, store_id, total, currency_code)
                        SELECT $1, id, 10, 'ARS' FROM stores WHERE slug = 'tienda-vendedora'
                        RETURNING id)
             INSERT INTO order_lines (order_id, product_id, product_name, unit, quantity,
                                      unit_price, line_total)
             SELECT o.id, $2, 'Lino', 'PIECE', 1, 10, 10 FROM o RETURNING order_id",
            buyer.row_id(),
            textisur_api::graphql::ids::ProductId::from_global(&product.clone().into())
                .expect("id")
                .0
        )
        .fetch_one(app.db.pool())
        .await
        .expect("order");
        orders.push(
            textisur_api::graphql::ids::OrderId(order)
                .to_global()
                .to_string(),
        );
    }
    let mut options = Vec::new();
    for _ in 0..2 {
        let option: i64 = sqlx::query_scalar!(
            "INSERT INTO shipping_options (store_id, kind, name, price, pickup_address, min_days, max_days)
             SELECT id, 'PICKUP', 'Retiro', 0, 'Local', 0, 1 FROM stores WHERE slug = 'tienda-vendedora'
             RETURNING id",
        )
        .fetch_one(app.db.pool())
        .await
        .expect("shipping option");
        options.push(textisur_api::graphql::ids::encode(
            textisur_api::graphql::ids::NodeKind::ShippingOption,
            option,
        ));
    }
    let address: i64 = sqlx::query_scalar!(
        "INSERT INTO addresses (user_id, country_code, recipient, phone, region, city, street, number, is_default)
         VALUES ($1, 'AR', 'Víctima', '+541145678901', 'Córdoba', 'Córdoba', 'Colón', '100', true)
         RETURNING id",
        victim.row_id()
    )
    .fetch_one(app.db.pool())
    .await
    .expect("address");
    let address =
        textisur_api::graphql::ids::encode(textisur_api::graphql::ids::NodeKind::Address, address);
    let callers: [Option<&Account>; 6] = [
        None,
        Some(&buyer),
        Some(&other_buyer),
        Some(&seller),
        Some(&other_seller),
        Some(&admin),
    ];

    let mut failures = Vec::new();
    for row in TABLE {
        for (i, caller) in callers.iter().enumerate() {
            let variables = json!({
                "email": format!("nuevo{i}.{}@correo.cl", row.name.len()),
                "victimEmail": "victima@correo.cl",
                "victim": victim.id,
                "buyer": buyer.id,
                "seller": seller.id,
                "store": store_ids[0],
                "category": category,
                "product": product,
                "conversation": conversation,
                "order": orders[0],
                "pendingOrder": orders[1],
                "shippingOption": options[0],
                "spareShippingOption": options[1],
                "address": address,
                "image": image(images[0]),
                "spareImage": image(images[1]),
            });
            let used: Value = variables
                .as_object()
                .map(|vars| {
                    vars.iter()
                        .filter(|(k, _)| row.query.contains(&format!("${k}")))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect::<serde_json::Map<_, _>>()
                        .into()
                })
                .unwrap_or_default();
            let (_, body) = match caller {
                Some(account) => app.graphql_as(&account.access_token, row.query, used).await,
                None => app.graphql(row.query, used).await,
            };
            let got = outcome(&body);
            if got == F && !row.name.starts_with("Mutation.") && !row.name.starts_with("Query.") {
                // The private field is null; the object around it still comes back.
                let node = &body["data"]["node"];
                let field = row.name.split('.').nth(1).unwrap_or_default();
                if node.get(field) != Some(&Value::Null) {
                    failures.push(format!(
                        "{} as {}: the object was lost with the field: {body}",
                        row.name, CALLERS[i]
                    ));
                }
            }
            if got != row.expected[i] {
                failures.push(format!(
                    "{} as {}: expected {:?}, got {:?}: {body}",
                    row.name, CALLERS[i], row.expected[i], got
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix mismatches:\n{}",
        failures.join("\n")
    );
}
