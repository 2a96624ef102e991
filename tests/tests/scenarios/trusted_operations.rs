//! The trusted operations of every manifest in `persisted-queries/manifests/` (the web and
//! mobile apps': Apollo's `apollo.json`, and `codegen.json`, the same set as GraphQL Codegen
//! and Relay write it): each id is the SHA-256 of its body, and each runs without an error
//! against a seeded server with the safelist on, through the pages and flows the apps walk
//! (search, product, store, sign-in, cart, checkout, orders, conversations, reviews), the
//! subscriptions over WebSocket by document id.
//!
//! A second test walks the selling flow on an empty production database by hash and
//! document id alone: sign up, open a store, list products, be bought from, move the order,
//! talk to the buyer, end a session.
//!
//! Running every operation is the schema check: a field or argument the schema lacks fails
//! validation, and the first test's last assertion fails when any operation of any manifest
//! ran in neither test.

use std::collections::HashSet;
use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::{Value, json};
use textisur_api::graphql::ids::{ProductId, StoreId};
use textisur_api::runtime::demo::{ADMIN_EMAIL, DEMO_PASSWORD};
use textisur_api::runtime::http::HttpConfig;
use textisur_persisted_queries::{TrustedDocuments, TrustedOperation, sha256_hex};
use textisur_tests::mail::MailServer;
use textisur_tests::mercadopago::{MercadoPagoSimulator, Signing};
use textisur_tests::{TEST_PASSWORD, TestApp, TestOptions};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn ws_send(ws: &mut Ws, message: Value) {
    use futures::SinkExt;
    ws.send(Message::Text(message.to_string().into()))
        .await
        .expect("send");
}

async fn ws_receive(ws: &mut Ws) -> Value {
    use futures::StreamExt;
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
            .await
            .expect("a message in time")
            .expect("connection open")
            .expect("message");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("JSON message");
        }
    }
}

/// The data of the next event of a subscription, which must carry no error.
async fn next_event(ws: &mut Ws) -> Value {
    let message = ws_receive(ws).await;
    assert_eq!(message["type"], "next", "{message}");
    assert!(message["payload"].get("errors").is_none(), "{message}");
    message["payload"]["data"].clone()
}

fn manifest() -> TrustedDocuments {
    TrustedDocuments::embedded().expect("embedded manifest")
}

/// Every manifest file in `persisted-queries/manifests/`, embedded or not.
fn manifest_files() -> Vec<(PathBuf, TrustedDocuments)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../persisted-queries/manifests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("manifests directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "apollo.json and codegen.json: {files:?}");
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read manifest");
            let documents = TrustedDocuments::from_manifest(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, documents)
        })
        .collect()
}

#[test]
fn every_id_is_the_sha256_of_its_body_and_every_name_is_unique() {
    for (path, trusted) in manifest_files() {
        let mut names = HashSet::new();
        for op in trusted.operations() {
            assert_eq!(
                op.id,
                sha256_hex(&op.body),
                "{}: {}",
                path.display(),
                op.name
            );
            assert!(names.insert(op.name.clone()), "{} twice", op.name);
            let kind = op.body.split_whitespace().next();
            assert_eq!(kind, Some(op.kind.as_str()), "{}: type", op.name);
        }
    }
}

/// How an operation travels: the apps send hashes, the playground sends text.
#[derive(Clone, Copy, Debug)]
enum Send {
    Text,
    /// `documentId: "sha256:<hex>"` (GraphQL Codegen's clients, the persisted documents
    /// proposal).
    DocumentId,
    /// `doc_id` (Relay).
    DocId,
    /// `extensions.persistedQuery` (Apollo's APQ link).
    Apq,
}

/// Runs trusted operations by name, rotating how they are sent, and remembers which ran.
struct Runner {
    app: TestApp,
    trusted: TrustedDocuments,
    ran: HashSet<String>,
    turn: usize,
    /// Never send an operation's text, only its hash or document id (what the apps send).
    by_id_only: bool,
    /// The SMTP server account mail goes to, where a flow follows mailed links.
    mail: Option<MailServer>,
}

/// The operations only the media flow exercises
/// (`media::apollo_upload_client_uploads_jpeg_png_and_webp_by_persisted_hash_in_production`).
const MEDIA: &[&str] = &[
    "UploadProductImage",
    "ProductImages",
    "UpdateProductImage",
    "ReorderProductImages",
    "DeleteProductImage",
];

impl Runner {
    fn operation(&self, name: &str) -> TrustedOperation {
        self.trusted
            .operations()
            .iter()
            .find(|op| op.name == name)
            .cloned()
            .unwrap_or_else(|| panic!("no trusted operation {name}"))
    }

    /// Runs a trusted operation; fails the test on any error and returns `data`.
    async fn run(&mut self, token: Option<&str>, name: &str, variables: Value) -> Value {
        let op = self.operation(name);
        let sends: &[Send] = if self.by_id_only {
            &[Send::DocumentId, Send::DocId, Send::Apq]
        } else {
            &[Send::Text, Send::DocumentId, Send::DocId, Send::Apq]
        };
        let send = sends[self.turn % sends.len()];
        self.turn += 1;
        let body = match send {
            Send::Text => json!({ "query": op.body, "variables": variables }),
            Send::DocumentId => {
                json!({ "documentId": format!("sha256:{}", op.id), "variables": variables })
            }
            Send::DocId => json!({ "doc_id": op.id, "variables": variables }),
            Send::Apq => json!({ "variables": variables,
                "extensions": { "persistedQuery": { "version": 1, "sha256Hash": op.id } } }),
        };
        let mut request = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("send");
        let status = response.status();
        let body: Value = response.json().await.expect("json");
        assert_eq!(status, StatusCode::OK, "{name} ({send:?}): {body}");
        assert!(body.get("errors").is_none(), "{name} ({send:?}): {body}");
        self.ran.insert(op.id);
        body["data"].clone()
    }

    /// Starts a trusted subscription by its document id over WebSocket, as the apps do.
    async fn subscribe(&mut self, token: &str, name: &str, variables: Value) -> Ws {
        let op = self.operation(name);
        let url = format!("{}/graphql", self.app.base.replace("http://", "ws://"));
        let mut request = url.into_client_request().expect("request");
        let protocol = "graphql-transport-ws".parse().expect("header");
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocol);
        let (mut ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket connects");
        let init = json!({ "type": "connection_init",
            "payload": { "Authorization": format!("Bearer {token}") } });
        ws_send(&mut ws, init).await;
        assert_eq!(ws_receive(&mut ws).await["type"], "connection_ack");
        let payload = json!({ "documentId": format!("sha256:{}", op.id), "variables": variables });
        ws_send(
            &mut ws,
            json!({ "id": "1", "type": "subscribe", "payload": payload }),
        )
        .await;
        // Registered (or refused) once the server answers a ping sent after it.
        ws_send(&mut ws, json!({ "type": "ping" })).await;
        let reply = ws_receive(&mut ws).await;
        assert_eq!(reply["type"], "pong", "{name}: {reply}");
        self.ran.insert(op.id);
        ws
    }

    /// Signs a seeded account in with the trusted `Login`; returns its access token.
    async fn sign_in(&mut self, email: &str) -> String {
        let credentials = json!({ "input": { "email": email, "password": DEMO_PASSWORD } });
        let data = self.run(None, "Login", credentials).await;
        assert_eq!(data["login"]["userErrors"], json!([]), "{email}: {data}");
        data["login"]["accessToken"]
            .as_str()
            .expect("access token")
            .to_owned()
    }
}

fn no_user_errors(data: &Value, field: &str) -> Value {
    assert_eq!(data[field]["userErrors"], json!([]), "{field}: {data}");
    data[field].clone()
}

#[tokio::test]
async fn every_trusted_operation_runs_against_the_schema() {
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(60),
        http: Some(HttpConfig {
            production: true,
            safelist: true,
            cost_restore_rate: 1_000_000,
            ..HttpConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    app.sync_search().await;
    let mut r = Runner {
        app,
        trusted: manifest(),
        ran: HashSet::new(),
        turn: 0,
        by_id_only: false,
        mail: None,
    };

    // Browsing.
    let data = r.run(None, "SearchPage", json!({ "query": "lino" })).await;
    let search = &data["products"];
    assert!(search["totalCount"].as_i64() > Some(0), "{data}");
    let product = search["edges"][0]["node"]["slug"].as_str().expect("slug");
    let store = search["edges"][0]["node"]["store"]["slug"]
        .as_str()
        .expect("store slug");
    let data = r.run(None, "ProductPage", json!({ "slug": product })).await;
    assert_eq!(data["product"]["slug"], product);
    let data = r.run(None, "StorePage", json!({ "slug": store })).await;
    assert_eq!(data["store"]["slug"], store);
    assert!(data["store"]["products"]["totalCount"].as_i64() > Some(0));
    let data = r.run(None, "Suggest", json!({ "prefix": "lin" })).await;
    assert!(data["suggest"].is_array());
    let data = r.run(None, "Categories", json!({})).await;
    assert!(data["categories"].as_array().is_some_and(|c| !c.is_empty()));

    // Sessions.
    let credentials = json!({ "input": { "email": ADMIN_EMAIL, "password": DEMO_PASSWORD } });
    let data = r.run(None, "Login", credentials).await;
    let refresh = no_user_errors(&data, "login")["refreshToken"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    let data = r
        .run(None, "RefreshSession", json!({ "refreshToken": refresh }))
        .await;
    let session = no_user_errors(&data, "refreshSession");
    let access = session["accessToken"].as_str().expect("access token");
    let data = r.run(Some(access), "Me", json!({})).await;
    assert_eq!(data["me"]["role"], "ADMIN");
    let refresh = session["refreshToken"].as_str().expect("refresh token");
    let data = r
        .run(Some(access), "Logout", json!({ "refreshToken": refresh }))
        .await;
    assert_eq!(data["logout"]["ok"], true, "{data}");

    // Two products of one store with stock for a few orders, and the store's seller.
    let rows: Vec<(i64, String, i64, String)> = sqlx::query!(
        r#"SELECT p.id AS product_id, p.min_quantity::text AS "min_quantity!", s.id AS store_id,
                  u.email
           FROM products p JOIN stores s ON s.id = p.store_id JOIN users u ON u.id = s.owner_id
          WHERE p.status = 'ACTIVE' AND p.stock >= 4 * p.min_quantity AND p.store_id = (
                SELECT store_id FROM products
                 WHERE status = 'ACTIVE' AND stock >= 4 * min_quantity
                 GROUP BY store_id HAVING count(*) >= 2 ORDER BY store_id LIMIT 1)
          ORDER BY p.id LIMIT 2"#,
    )
    .fetch_all(r.app.db.pool())
    .await
    .expect("products to buy")
    .into_iter()
    .map(|row| (row.product_id, row.min_quantity, row.store_id, row.email))
    .collect();
    assert_eq!(rows.len(), 2, "two products of one store in stock");
    let [(a, a_min, store_row, seller_email), (b, b_min, ..)] = &rows[..] else {
        unreachable!()
    };
    let (a, b) = (ProductId(*a).to_global(), ProductId(*b).to_global());
    let store = StoreId(*store_row).to_global();
    let buyer = r.app.quick_account("Compradora de prueba", "BUYER").await;
    let buyer = buyer.access_token.as_str();
    let seller = r.sign_in(seller_email).await;
    let seller = seller.as_str();

    // Cart and checkout.
    let cart = |field: &str, data: &Value| no_user_errors(data, field)["cart"].clone();
    let data = r
        .run(
            Some(buyer),
            "AddToCart",
            json!({ "productId": a, "quantity": a_min }),
        )
        .await;
    assert_eq!(
        cart("addToCart", &data)["lines"].as_array().map(Vec::len),
        Some(1)
    );
    let data = r
        .run(
            Some(buyer),
            "AddToCart",
            json!({ "productId": b, "quantity": b_min }),
        )
        .await;
    assert_eq!(
        cart("addToCart", &data)["lines"].as_array().map(Vec::len),
        Some(2)
    );
    let data = r
        .run(Some(buyer), "RemoveFromCart", json!({ "productId": b }))
        .await;
    assert_eq!(
        cart("removeFromCart", &data)["lines"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let data = r
        .run(
            Some(buyer),
            "UpdateCartLine",
            json!({ "productId": a, "quantity": a_min }),
        )
        .await;
    assert_eq!(
        cart("updateCartLine", &data)["lines"][0]["product"]["id"],
        json!(a)
    );
    let data = r.run(Some(buyer), "Cart", json!({})).await;
    let lines = &data["me"]["cart"]["lines"];
    assert_eq!(lines.as_array().map(Vec::len), Some(1), "{data}");
    assert!(
        data["me"]["cart"]["subtotal"]["amount"].is_string(),
        "{data}"
    );
    let data = r
        .run(
            Some(buyer),
            "Checkout",
            json!({ "idempotencyKey": "trusted-1" }),
        )
        .await;
    let orders = no_user_errors(&data, "checkout")["orders"].clone();
    assert_eq!(orders.as_array().map(Vec::len), Some(1), "{data}");
    assert_eq!(orders[0]["status"], "PENDING");
    let order = orders[0]["id"].as_str().expect("order id").to_owned();

    // Orders, seen by the buyer, paid as an admin confirms it and moved along by the seller.
    let data = r.run(Some(buyer), "MyOrders", json!({ "first": 10 })).await;
    assert_eq!(
        data["me"]["orders"]["nodes"][0]["id"],
        order.as_str(),
        "{data}"
    );
    let data = r
        .run(Some(buyer), "OrderPage", json!({ "id": order }))
        .await;
    assert!(data["order"]["lines"][0]["quantity"].is_string(), "{data}");
    assert_eq!(data["order"]["history"][0]["status"], "PENDING", "{data}");
    let data = r
        .run(Some(seller), "StoreOrders", json!({ "first": 5 }))
        .await;
    let store_orders = &data["me"]["store"]["orders"];
    assert_eq!(store_orders["nodes"][0]["id"], order.as_str(), "{data}");
    assert_eq!(
        store_orders["nodes"][0]["nextStatuses"],
        json!(["CANCELLED"])
    );
    let admin = r.app.quick_account("Administradora", "ADMIN").await;
    let order_events = json!({ "orderId": order });
    let mut order_events = r.subscribe(buyer, "OrderUpdated", order_events).await;
    for status in ["PAID", "SHIPPED", "DELIVERED"] {
        let variables = json!({ "orderId": order, "status": status });
        let mover = if status == "PAID" {
            admin.access_token.as_str()
        } else {
            seller
        };
        let data = r.run(Some(mover), "UpdateOrderStatus", variables).await;
        let payload = no_user_errors(&data, "updateOrderStatus");
        assert_eq!(payload["order"]["status"], status, "{data}");
        // An event shows the order as it is when delivered: hear each move before the next,
        // or a late event already shows the later status.
        let event = next_event(&mut order_events).await;
        assert_eq!(event["orderUpdated"]["status"], status, "{event}");
    }

    // What was delivered may be reviewed.
    let variables = json!({ "productId": a, "rating": 5, "body": "Muy buena tela" });
    let data = r.run(Some(buyer), "AddReview", variables).await;
    let review = no_user_errors(&data, "addReview");
    assert_eq!(review["review"]["rating"], 5, "{data}");

    // A second order, cancelled by the buyer while pending.
    let variables = json!({ "productId": b, "quantity": b_min });
    r.run(Some(buyer), "AddToCart", variables).await;
    let data = r
        .run(
            Some(buyer),
            "Checkout",
            json!({ "idempotencyKey": "trusted-2" }),
        )
        .await;
    let second = no_user_errors(&data, "checkout")["orders"][0]["id"].clone();
    let data = r
        .run(Some(buyer), "CancelOrder", json!({ "orderId": second }))
        .await;
    let payload = no_user_errors(&data, "cancelOrder");
    assert_eq!(payload["order"]["status"], "CANCELLED", "{data}");

    // A conversation between the buyer and the store.
    let variables = json!({ "storeId": store, "productId": a, "body": "¿Tienen más metros?" });
    let data = r.run(Some(buyer), "StartConversation", variables).await;
    let conversation = no_user_errors(&data, "startConversation")["conversation"]["id"]
        .as_str()
        .expect("conversation id")
        .to_owned();
    let inbox_events = json!({ "conversationId": conversation });
    let mut inbox_events = r.subscribe(seller, "MessageAdded", inbox_events).await;
    let variables = json!({ "conversationId": conversation, "body": "Y en otro color" });
    let data = r.run(Some(buyer), "SendMessage", variables).await;
    assert_eq!(
        no_user_errors(&data, "sendMessage")["message"]["body"],
        "Y en otro color"
    );
    let event = next_event(&mut inbox_events).await;
    assert_eq!(event["messageAdded"]["body"], "Y en otro color", "{event}");
    let data = r
        .run(Some(seller), "Conversations", json!({ "first": 5 }))
        .await;
    let inbox = &data["me"]["conversations"]["nodes"][0];
    assert_eq!(inbox["id"], conversation.as_str(), "{data}");
    assert_eq!(inbox["unreadCount"], 2, "{data}");
    assert_eq!(inbox["messages"]["nodes"][0]["body"], "Y en otro color");
    let data = r
        .run(
            Some(seller),
            "ConversationPage",
            json!({ "id": conversation }),
        )
        .await;
    let messages = &data["conversation"]["messages"];
    assert_eq!(messages["totalCount"], 2, "{data}");
    assert_eq!(messages["nodes"][0]["body"], "¿Tienen más metros?");
    let variables = json!({ "conversationId": conversation });
    let data = r.run(Some(seller), "MarkConversationRead", variables).await;
    let payload = no_user_errors(&data, "markConversationRead");
    assert_eq!(payload["conversation"]["unreadCount"], 0, "{data}");

    for (path, documents) in manifest_files() {
        let missed: Vec<&str> = documents
            .operations()
            .iter()
            .filter(|op| {
                !r.ran.contains(&op.id)
                    && !SELLING.contains(&op.name.as_str())
                    && !DELIVERING.contains(&op.name.as_str())
                    && !VARIANTS.contains(&op.name.as_str())
                    && !MEDIA.contains(&op.name.as_str())
            })
            .map(|op| op.name.as_str())
            .collect();
        assert!(
            missed.is_empty(),
            "{}: every operation is exercised here or in the selling, delivering, variants or media flow, not {missed:?}",
            path.display()
        );
    }
}

/// The operations only the selling flow below exercises (it starts from an empty database,
/// as production does).
const SELLING: &[&str] = &[
    "Register",
    "Sessions",
    "RevokeSession",
    "CreateStore",
    "UpdateStore",
    "CreateProduct",
    "UpdateProduct",
    "ArchiveProduct",
    "UpsertProducts",
    "ConnectMercadoPago",
    "PayOrder",
    "StoreEarnings",
    "RequestEmailVerification",
    "VerifyEmail",
    "RequestPasswordReset",
    "ResetPassword",
    "ChangePassword",
    "RequestEmailChange",
    "ConfirmEmailChange",
    "ExportMyData",
    "DeleteMyAccount",
];

/// The operations only the market and delivery flow exercises.
const DELIVERING: &[&str] = &[
    "MarketSearchPage",
    "MarketSuggest",
    "ExchangeRates",
    "MyAddresses",
    "AddAddress",
    "UpdateAddress",
    "SetDefaultAddress",
    "DeleteAddress",
    "StoreShippingOptions",
    "CheckoutWithDelivery",
    "CreateShippingOption",
    "UpdateShippingOption",
    "DeleteShippingOption",
];

/// The operations only the variants flow exercises.
const VARIANTS: &[&str] = &[
    "CreateProductWithVariants",
    "UpdateProductVariants",
    "ProductVariants",
    "SearchWithVariant",
    "AddVariantToCart",
    "UpdateCartLineById",
    "RemoveCartLine",
    "CheckoutVariants",
    "OrderVariantLines",
];

impl Runner {
    /// Signs a new account up with the trusted `Register` and verifies its address with the
    /// link of the mail that arrives (after asking for it once more, as an app's "resend"
    /// button does); returns its access and refresh tokens.
    async fn sign_up(&mut self, email: &str, name: &str) -> (String, String) {
        let input = json!({ "input": { "email": email, "password": TEST_PASSWORD, "name": name } });
        let data = self.run(None, "Register", input).await;
        let payload = no_user_errors(&data, "register");
        let token = |field: &str| payload[field].as_str().expect("token").to_owned();
        let (access, refresh) = (token("accessToken"), token("refreshToken"));
        // The sign-up's own mail is delivered and set aside first: two mails in flight may
        // arrive in either order, and only the resent link is valid.
        self.app.drain_mail().await;
        if let Some(mail) = &self.mail {
            mail.take_for(email);
        }
        let data = self
            .run(Some(&access), "RequestEmailVerification", json!({}))
            .await;
        assert_eq!(
            no_user_errors(&data, "requestEmailVerification")["ok"],
            true
        );
        let link = self.mailed_token(email, "/cuenta/verificar").await;
        let data = self
            .run(None, "VerifyEmail", json!({ "token": link }))
            .await;
        let verified = no_user_errors(&data, "verifyEmail");
        assert_eq!(verified["user"]["emailVerified"], true, "{data}");
        (access, refresh)
    }

    /// The token of the last link to `path` mailed to `email`.
    async fn mailed_token(&self, email: &str, path: &str) -> String {
        self.app.drain_mail().await;
        let mail = self.mail.as_ref().expect("a mail server");
        let mails = mail.take_for(email);
        let last = mails.last().unwrap_or_else(|| panic!("no mail to {email}"));
        last.link(path).expect("a link").1
    }
}

/// In production, on an empty database (nothing seeded), the apps' flows run through their
/// persisted operations alone, sent by hash or document id and never as text: a seller signs
/// up, opens a store and lists products; a buyer signs up, finds and buys one; the seller
/// sees the order and moves it; buyer and store write to each other; a buyer ends a session
/// on another device.
#[tokio::test]
async fn the_apps_sell_buy_and_talk_by_persisted_operations_alone_in_production() {
    let mail = MailServer::start();
    let provider = MercadoPagoSimulator::start().await;
    let app = TestApp::spawn_with(TestOptions {
        smtp_url: Some(mail.url()),
        payments: Some(provider.setup()),
        http: Some(HttpConfig {
            production: true,
            safelist: true,
            cost_restore_rate: 1_000_000,
            ..HttpConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    // Categories are the operators' (admins') business, not the apps'.
    let category: i64 = sqlx::query_scalar!(
        "INSERT INTO categories (slug, name) VALUES ('telas', 'Telas') RETURNING id",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("a category");
    let mut r = Runner {
        app,
        trusted: manifest(),
        ran: HashSet::new(),
        turn: 0,
        by_id_only: true,
        mail: Some(mail),
    };

    // A seller signs up and opens a store.
    let (seller, _) = r.sign_up("vende@telasdelsur.cl", "Marta").await;
    let seller = seller.as_str();
    let data = r.run(Some(seller), "Me", json!({})).await;
    assert!(data["me"]["store"].is_null(), "{data}");
    let input = json!({ "name": "Telas del Sur", "city": "Valdivia", "region": "Los Ríos",
        "countryCode": "CL" });
    let data = r
        .run(Some(seller), "CreateStore", json!({ "input": input }))
        .await;
    let store = no_user_errors(&data, "createStore")["store"].clone();
    let store_id = store["id"].as_str().expect("store id").to_owned();
    let store_slug = store["slug"].as_str().expect("store slug").to_owned();
    assert_eq!(store["currencyCode"], "CLP", "{data}");
    let input = json!({ "description": "Lino y lana del sur de Chile" });
    let variables = json!({ "id": store_id, "input": input });
    let data = r.run(Some(seller), "UpdateStore", variables).await;
    let updated = no_user_errors(&data, "updateStore");
    assert_eq!(
        updated["store"]["description"], "Lino y lana del sur de Chile",
        "{data}"
    );
    let data = r.run(Some(seller), "Me", json!({})).await;
    assert_eq!(data["me"]["store"]["id"], store_id.as_str(), "{data}");
    // It connects its Mercado Pago account (the code its OAuth redirect brought back).
    let variables = json!({ "storeId": store_id, "code": provider.authorize("7001"),
        "redirectUri": "https://textisur.localhost/vender/mercadopago" });
    let data = r.run(Some(seller), "ConnectMercadoPago", variables).await;
    assert_eq!(
        no_user_errors(&data, "connectMercadoPago")["connected"],
        true
    );

    // It lists products: one by one, and a batch by sku, one of which it takes off sale.
    let data = r.run(None, "Categories", json!({})).await;
    let category_id = data["categories"][0]["id"].clone();
    assert_eq!(
        category_id,
        json!(textisur_api::graphql::ids::CategoryId(category).to_global())
    );
    let input = json!({ "storeId": store_id, "categoryId": category_id, "name": "Lino azul",
        "price": "12500", "stock": "40", "sku": "LINO-AZUL" });
    let data = r
        .run(Some(seller), "CreateProduct", json!({ "input": input }))
        .await;
    let product = no_user_errors(&data, "createProduct")["product"].clone();
    let product_id = product["id"].as_str().expect("product id").to_owned();
    let product_slug = product["slug"].as_str().expect("slug").to_owned();
    let variables = json!({ "id": product_id, "input": { "price": "11900" } });
    let data = r.run(Some(seller), "UpdateProduct", variables).await;
    let updated = no_user_errors(&data, "updateProduct");
    assert_eq!(updated["product"]["price"]["amount"], "11900.00", "{data}");
    let batch = json!([
        { "sku": "LANA-CRUDA", "categoryId": category_id, "name": "Lana cruda",
          "price": "8000", "stock": "25" },
        { "sku": "LANA-TENIDA", "categoryId": category_id, "name": "Lana teñida",
          "price": "9000", "stock": "25" },
    ]);
    let variables = json!({ "storeId": store_id, "products": batch });
    let data = r.run(Some(seller), "UpsertProducts", variables).await;
    let written = no_user_errors(&data, "upsertProducts")["products"].clone();
    assert_eq!(written.as_array().map(Vec::len), Some(2), "{data}");
    let variables = json!({ "id": written[1]["id"] });
    let data = r.run(Some(seller), "ArchiveProduct", variables).await;
    let archived = no_user_errors(&data, "archiveProduct");
    assert_eq!(archived["product"]["status"], "ARCHIVED", "{data}");

    // A buyer signs up and finds the store's products on sale.
    let (buyer, buyer_refresh) = r.sign_up("compra@correo.cl", "Pablo").await;
    let buyer = buyer.as_str();
    r.app.sync_search().await;
    let data = r.run(None, "SearchPage", json!({ "query": "lino" })).await;
    let found = &data["products"]["edges"][0]["node"];
    assert_eq!(found["id"], product_id.as_str(), "{data}");
    let data = r
        .run(None, "StorePage", json!({ "slug": store_slug }))
        .await;
    assert_eq!(
        data["store"]["products"]["totalCount"], 2,
        "the archived one is off sale: {data}"
    );
    let data = r
        .run(Some(buyer), "ProductPage", json!({ "slug": product_slug }))
        .await;
    assert_eq!(data["product"]["price"]["amount"], "11900.00", "{data}");

    // It buys one.
    let variables = json!({ "productId": product_id, "quantity": "2" });
    let data = r.run(Some(buyer), "AddToCart", variables).await;
    no_user_errors(&data, "addToCart");
    let data = r.run(Some(buyer), "Cart", json!({})).await;
    assert_eq!(data["me"]["cart"]["subtotal"]["amount"], "23800", "{data}");
    let variables = json!({ "idempotencyKey": "selling-1" });
    let data = r.run(Some(buyer), "Checkout", variables).await;
    let orders = no_user_errors(&data, "checkout")["orders"].clone();
    assert_eq!(orders.as_array().map(Vec::len), Some(1), "{data}");
    let order = orders[0]["id"].as_str().expect("order id").to_owned();
    let number = orders[0]["number"]
        .as_str()
        .expect("order number")
        .to_owned();
    let link = data["checkout"]["payment"].clone();
    assert_eq!(link["status"], "PENDING", "{data}");
    assert!(link["url"].is_string(), "the link to pay: {data}");
    assert!(orders[0]["paymentDueAt"].is_string(), "{data}");
    let data = r.run(Some(buyer), "MyOrders", json!({})).await;
    assert_eq!(data["me"]["orders"]["nodes"][0]["id"], order.as_str());
    // Back in the app later, the same link.
    let data = r
        .run(Some(buyer), "PayOrder", json!({ "orderId": order }))
        .await;
    assert_eq!(no_user_errors(&data, "payOrder")["payment"], link, "{data}");

    // The buyer pays at the provider, whose signed webhook makes the order PAID (sellers
    // may not mark their own orders paid); then the seller ships it, as its buttons
    // (`nextStatuses`) offer; the buyer hears of both.
    let mut order_events = r
        .subscribe(buyer, "OrderUpdated", json!({ "orderId": order }))
        .await;
    let preference = provider.preference_for(&number).expect("a preference");
    let paid = provider.pay(&preference, "approved", None, None);
    let webhooks = r.app.url("/webhooks/mercadopago");
    let delivered = provider
        .deliver(&provider.webhook(&paid, &webhooks, Signing::Valid))
        .await;
    assert_eq!(delivered, 200);
    let event = next_event(&mut order_events).await;
    assert_eq!(event["orderUpdated"]["status"], "PAID", "{event}");
    assert_eq!(
        event["orderUpdated"]["payment"]["status"], "APPROVED",
        "the event carries the payment: {event}"
    );
    let data = r
        .run(Some(buyer), "OrderPage", json!({ "id": order }))
        .await;
    assert_eq!(data["order"]["payment"]["status"], "APPROVED", "{data}");
    assert_eq!(data["order"]["payment"]["reference"], paid.as_str());
    let variables = json!({ "from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z" });
    let data = r.run(Some(seller), "StoreEarnings", variables).await;
    let earnings = &data["me"]["store"]["earnings"];
    assert_eq!(earnings["gross"], "23800.00", "{data}");
    assert_eq!(earnings["commission"], "2380.00", "{data}");
    assert_eq!(earnings["orders"], 1);
    let data = r.run(Some(seller), "StoreOrders", json!({})).await;
    let seen = &data["me"]["store"]["orders"]["nodes"][0];
    assert_eq!(seen["id"], order.as_str(), "{data}");
    assert_eq!(seen["nextStatuses"][0], "SHIPPED", "{data}");
    let variables = json!({ "orderId": order, "status": "SHIPPED" });
    let data = r.run(Some(seller), "UpdateOrderStatus", variables).await;
    let moved = no_user_errors(&data, "updateOrderStatus");
    assert_eq!(moved["order"]["status"], "SHIPPED", "{data}");
    let event = next_event(&mut order_events).await;
    assert_eq!(event["orderUpdated"]["status"], "SHIPPED", "{event}");
    let data = r
        .run(Some(seller), "OrderPage", json!({ "id": order }))
        .await;
    assert_eq!(data["order"]["status"], "SHIPPED", "{data}");

    // Buyer and store write to each other.
    let variables = json!({ "storeId": store_id, "productId": product_id,
        "body": "¿Tienen el lino en verde?" });
    let data = r.run(Some(buyer), "StartConversation", variables).await;
    let conversation = no_user_errors(&data, "startConversation")["conversation"]["id"]
        .as_str()
        .expect("conversation id")
        .to_owned();
    let mut messages = r
        .subscribe(
            buyer,
            "MessageAdded",
            json!({ "conversationId": conversation }),
        )
        .await;
    let data = r.run(Some(seller), "Conversations", json!({})).await;
    let inbox = &data["me"]["conversations"]["nodes"][0];
    assert_eq!(inbox["id"], conversation.as_str(), "{data}");
    assert_eq!(inbox["unreadCount"], 1, "{data}");
    let variables = json!({ "conversationId": conversation });
    r.run(Some(seller), "MarkConversationRead", variables).await;
    let variables = json!({ "conversationId": conversation, "body": "Sí, la semana que viene" });
    let data = r.run(Some(seller), "SendMessage", variables).await;
    no_user_errors(&data, "sendMessage");
    let event = next_event(&mut messages).await;
    assert_eq!(
        event["messageAdded"]["body"], "Sí, la semana que viene",
        "{event}"
    );
    let data = r
        .run(
            Some(buyer),
            "ConversationPage",
            json!({ "id": conversation }),
        )
        .await;
    assert_eq!(data["conversation"]["messages"]["totalCount"], 2, "{data}");

    // The buyer signs in on a second device and ends the first session from it.
    let credentials =
        json!({ "input": { "email": "compra@correo.cl", "password": TEST_PASSWORD } });
    let data = r.run(None, "Login", credentials).await;
    let second = no_user_errors(&data, "login")["accessToken"]
        .as_str()
        .expect("access token")
        .to_owned();
    let data = r.run(Some(&second), "Sessions", json!({})).await;
    let sessions = data["me"]["sessions"].as_array().expect("sessions").clone();
    assert_eq!(sessions.len(), 2, "{data}");
    let first = sessions
        .iter()
        .find(|s| s["current"] == false)
        .expect("the other session");
    let data = r
        .run(Some(&second), "RevokeSession", json!({ "id": first["id"] }))
        .await;
    assert_eq!(no_user_errors(&data, "revokeSession")["ok"], true);
    let variables = json!({ "refreshToken": buyer_refresh });
    let data = r.run(None, "RefreshSession", variables).await;
    assert!(
        data["refreshSession"]["accessToken"].is_null(),
        "a revoked session cannot be refreshed: {data}"
    );

    // Someone forgets their password, changes it and their address, takes their data and
    // leaves.
    let email = "olvido@correo.uy";
    r.sign_up(email, "Olga").await;
    let data = r
        .run(None, "RequestPasswordReset", json!({ "email": email }))
        .await;
    assert_eq!(no_user_errors(&data, "requestPasswordReset")["ok"], true);
    let token = r.mailed_token(email, "/cuenta/restablecer").await;
    let variables = json!({ "token": token, "newPassword": "cortinas de voile crudo" });
    let data = r.run(None, "ResetPassword", variables).await;
    let access = no_user_errors(&data, "resetPassword")["accessToken"]
        .as_str()
        .expect("access token")
        .to_owned();
    let variables =
        json!({ "currentPassword": "cortinas de voile crudo", "newPassword": TEST_PASSWORD });
    let data = r.run(Some(&access), "ChangePassword", variables).await;
    let access = no_user_errors(&data, "changePassword")["accessToken"]
        .as_str()
        .expect("access token")
        .to_owned();
    let variables = json!({ "password": TEST_PASSWORD, "newEmail": "olga@correo.uy" });
    let data = r.run(Some(&access), "RequestEmailChange", variables).await;
    assert_eq!(no_user_errors(&data, "requestEmailChange")["ok"], true);
    let token = r
        .mailed_token("olga@correo.uy", "/cuenta/confirmar-correo")
        .await;
    let data = r
        .run(
            Some(&access),
            "ConfirmEmailChange",
            json!({ "token": token }),
        )
        .await;
    let confirmed = no_user_errors(&data, "confirmEmailChange");
    assert_eq!(confirmed["user"]["email"], "olga@correo.uy", "{data}");
    let data = r.run(Some(&access), "ExportMyData", json!({})).await;
    assert_eq!(
        data["exportMyData"]["profile"]["email"], "olga@correo.uy",
        "{data}"
    );
    let variables = json!({ "password": TEST_PASSWORD });
    let data = r.run(Some(&access), "DeleteMyAccount", variables).await;
    assert_eq!(no_user_errors(&data, "deleteMyAccount")["ok"], true);

    for name in SELLING {
        let id = r.operation(name).id;
        assert!(r.ran.contains(&id), "the selling flow ran {name}");
    }
}

/// In production, by persisted operations alone: a Chilean seller sets up delivery (a
/// courier and a pickup point); a buyer searches the Chilean market, keeps addresses, sees
/// the options that reach one, and checks out with delivery.
#[tokio::test]
async fn the_apps_buy_in_a_market_with_delivery_by_persisted_operations_in_production() {
    let mail = MailServer::start();
    let app = TestApp::spawn_with(TestOptions {
        smtp_url: Some(mail.url()),
        http: Some(HttpConfig {
            production: true,
            safelist: true,
            cost_restore_rate: 1_000_000,
            ..HttpConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    let mut r = Runner {
        app,
        trusted: manifest(),
        ran: HashSet::new(),
        turn: 0,
        by_id_only: true,
        mail: Some(mail),
    };
    let (seller, _) = r.sign_up("vende@telasdelsur.cl", "Marta").await;
    let (buyer, _) = r.sign_up("compra@correo.cl", "Julia").await;
    // The catalogue comes in by the operators' import: one Chilean and one Peruvian store.
    let pool = r.app.db.pool().clone();
    let mut products = Vec::new();
    let mut stores = Vec::new();
    for (slug, country, currency, price) in [
        ("telas-del-sur", "CL", "CLP", "9990"),
        ("telas-del-rimac", "PE", "PEN", "39.90"),
    ] {
        let (store, product): (i64, i64) = sqlx::query_as(
            "WITH c AS (INSERT INTO categories (slug, name) VALUES ($1 || '-telas', 'Telas')
                        RETURNING id),
                  s AS (INSERT INTO stores (owner_id, slug, name, city, region, country_code,
                                            currency_code)
                        SELECT id, $1, 'Telas', 'Valdivia', 'Los Ríos', $2, $3 FROM users
                        WHERE email = 'vende@telasdelsur.cl' RETURNING id)
             INSERT INTO products (store_id, category_id, slug, name, price, currency_code, stock,
                                   weight_grams)
             SELECT s.id, c.id, $1 || '-lino', 'Lino lavado', $4::numeric, $3, 10, 300 FROM s, c
             RETURNING store_id, id",
        )
        .bind(slug)
        .bind(country)
        .bind(currency)
        .bind(price)
        .fetch_one(&pool)
        .await
        .expect("store and product");
        stores.push(StoreId(store).to_global().to_string());
        products.push(ProductId(product).to_global().to_string());
    }
    r.app.sync_search().await;

    // The seller's delivery.
    let mut options = Vec::new();
    for input in [
        json!({ "kind": "COURIER", "name": "Chilexpress", "price": "3990", "pricePerKg": "1000",
                "minDays": 2, "estimatedDays": 4 }),
        json!({ "kind": "PICKUP", "name": "Retiro en Valdivia", "pickupAddress": "Picarte 123",
                "estimatedDays": 1 }),
        json!({ "kind": "LOCAL_DELIVERY", "name": "Reparto", "price": "1500",
                "regions": ["Los Ríos"], "estimatedDays": 1 }),
    ] {
        let variables = json!({ "storeId": stores[0], "input": input });
        let data = r
            .run(Some(&seller), "CreateShippingOption", variables)
            .await;
        let created = no_user_errors(&data, "createShippingOption");
        options.push(
            created["shippingOption"]["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    let variables = json!({ "id": options[0], "input": { "kind": "COURIER", "name": "Chilexpress a domicilio",
        "price": "3990", "pricePerKg": "1000", "minDays": 2, "estimatedDays": 5 } });
    let data = r
        .run(Some(&seller), "UpdateShippingOption", variables)
        .await;
    assert_eq!(
        no_user_errors(&data, "updateShippingOption")["shippingOption"]["estimatedDays"],
        5
    );
    let data = r
        .run(
            Some(&seller),
            "DeleteShippingOption",
            json!({ "id": options[2] }),
        )
        .await;
    no_user_errors(&data, "deleteShippingOption");

    // The buyer browses the Chilean market.
    let data = r
        .run(
            None,
            "MarketSearchPage",
            json!({ "market": "CL", "query": "lino" }),
        )
        .await;
    let edges = data["products"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 1, "one Chilean linen: {data}");
    assert_eq!(edges[0]["node"]["store"]["country"], "CL");
    assert_eq!(
        data["products"]["facets"]["priceRanges"][0]["currency"],
        "CLP"
    );
    let data = r
        .run(
            None,
            "MarketSuggest",
            json!({ "prefix": "lin", "market": "PE" }),
        )
        .await;
    assert!(
        data["suggest"].as_array().is_some_and(|s| !s.is_empty()),
        "{data}"
    );
    let data = r.run(None, "ExchangeRates", json!({})).await;
    assert_eq!(
        data["exchangeRates"].as_array().map(Vec::len),
        Some(5),
        "{data}"
    );

    // Addresses.
    let home = json!({ "country": "CL", "recipient": "Julia", "phone": "9 8765 4321",
        "region": "Los Ríos", "city": "Valdivia", "street": "Picarte", "number": "456" });
    let data = r
        .run(Some(&buyer), "AddAddress", json!({ "input": home }))
        .await;
    let home_id = no_user_errors(&data, "addAddress")["address"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let work = json!({ "country": "CL", "recipient": "Julia", "phone": "+56 2 2345 6789",
        "region": "Metropolitana", "city": "Santiago", "street": "Huérfanos", "number": "1234" });
    let data = r
        .run(Some(&buyer), "AddAddress", json!({ "input": work }))
        .await;
    let work_id = no_user_errors(&data, "addAddress")["address"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let variables = json!({ "id": home_id, "input": { "country": "CL", "recipient": "Julia Soto",
        "phone": "9 8765 4321", "region": "Los Ríos", "city": "Valdivia", "street": "Picarte",
        "number": "456", "apartment": "2B" } });
    let data = r.run(Some(&buyer), "UpdateAddress", variables).await;
    assert_eq!(
        no_user_errors(&data, "updateAddress")["address"]["recipient"],
        "Julia Soto"
    );
    let data = r
        .run(Some(&buyer), "SetDefaultAddress", json!({ "id": work_id }))
        .await;
    no_user_errors(&data, "setDefaultAddress");
    let data = r.run(Some(&buyer), "MyAddresses", json!({})).await;
    assert_eq!(
        data["me"]["addresses"][0]["id"],
        work_id.as_str(),
        "default first: {data}"
    );
    let variables = json!({ "storeId": stores[0], "addressId": home_id });
    let data = r.run(Some(&buyer), "StoreShippingOptions", variables).await;
    let offered = data["node"]["shippingOptions"].as_array().expect("options");
    assert_eq!(
        offered.len(),
        2,
        "courier and pickup reach Valdivia: {data}"
    );

    // Checkout by courier: 9,990 + 3,990 + 0.3 kg × 1,000 = 14,280 pesos.
    let variables = json!({ "productId": products[0], "quantity": "1" });
    let data = r.run(Some(&buyer), "AddToCart", variables).await;
    no_user_errors(&data, "addToCart");
    let variables = json!({ "idempotencyKey": "con-envio-1", "delivery": [
        { "storeId": stores[0], "shippingOptionId": options[0], "addressId": home_id } ] });
    let data = r.run(Some(&buyer), "CheckoutWithDelivery", variables).await;
    let order = &no_user_errors(&data, "checkout")["orders"][0];
    assert_eq!(
        order["total"],
        json!({ "amount": "14280", "currencyCode": "CLP" }),
        "{data}"
    );
    assert_eq!(order["shipping"]["price"]["amount"], "4290");
    assert_eq!(order["shipping"]["address"]["city"], "Valdivia");
    let data = r
        .run(Some(&buyer), "DeleteAddress", json!({ "id": home_id }))
        .await;
    no_user_errors(&data, "deleteAddress");

    for name in DELIVERING {
        let id = r.operation(name).id;
        assert!(r.ran.contains(&id), "the delivering flow ran {name}");
    }
}

/// The apps sell and buy a t-shirt by size and colour with trusted operations only, by id,
/// in production mode: the seller creates it with variants and restocks one, the buyer
/// finds it by "remera roja M", adds two variants, changes and removes lines by id, checks
/// out and reads the order's variants.
#[tokio::test]
async fn the_apps_sell_and_buy_variants_by_persisted_operations_in_production() {
    let mail = MailServer::start();
    let app = TestApp::spawn_with(TestOptions {
        smtp_url: Some(mail.url()),
        http: Some(HttpConfig {
            production: true,
            safelist: true,
            cost_restore_rate: 1_000_000,
            ..HttpConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    let mut r = Runner {
        app,
        trusted: manifest(),
        ran: HashSet::new(),
        turn: 0,
        by_id_only: true,
        mail: Some(mail),
    };
    let (seller, _) = r.sign_up("vende@remeras.com.ar", "Marta").await;
    let (buyer, _) = r.sign_up("compra@correo.com.ar", "Julia").await;
    let (store, category): (i64, i64) = sqlx::query_as(
        "WITH c AS (INSERT INTO categories (slug, name) VALUES ('remeras', 'Remeras') RETURNING id)
         INSERT INTO stores (owner_id, slug, name, city, region, country_code, currency_code)
         SELECT u.id, 'remeras-del-centro', 'Remeras del Centro', 'Rosario', 'Santa Fe', 'AR', 'ARS'
         FROM users u, c WHERE u.email = 'vende@remeras.com.ar' RETURNING id, (SELECT id FROM c)",
    )
    .fetch_one(r.app.db.pool())
    .await
    .expect("store");
    let store = StoreId(store).to_global().to_string();
    let category = textisur_api::graphql::ids::CategoryId(category)
        .to_global()
        .to_string();

    let variant = |sku: &str, size: &str, color: &str, stock: &str| {
        json!({ "sku": sku, "stock": stock,
                "options": [{ "name": "Talle", "value": size }, { "name": "Color", "value": color }] })
    };
    let input = json!({ "storeId": store, "categoryId": category, "name": "Remera de algodón",
        "price": "12000", "options": [{ "name": "Talle", "values": ["S", "M"] },
                                      { "name": "Color", "values": ["rojo", "negro"] }],
        "variants": [variant("R-S-ROJO", "S", "rojo", "2"), variant("R-M-ROJO", "M", "rojo", "1"),
                     variant("R-M-NEGRO", "M", "negro", "5")] });
    let data = r
        .run(
            Some(&seller),
            "CreateProductWithVariants",
            json!({ "input": input }),
        )
        .await;
    let product = no_user_errors(&data, "createProduct")["product"].clone();
    assert_eq!(product["stock"], "8.000", "{data}");
    let id = product["id"].as_str().expect("id").to_owned();
    let variables = json!({ "id": id, "input": {
        "options": [{ "name": "Talle", "values": ["S", "M"] }, { "name": "Color", "values": ["rojo", "negro"] }],
        "variants": [variant("R-S-ROJO", "S", "rojo", "2"), variant("R-M-ROJO", "M", "rojo", "3"),
                     variant("R-M-NEGRO", "M", "negro", "5")] } });
    let data = r
        .run(Some(&seller), "UpdateProductVariants", variables)
        .await;
    assert_eq!(
        no_user_errors(&data, "updateProduct")["product"]["stock"],
        "10.000"
    );
    r.app.sync_search().await;

    let data = r
        .run(
            None,
            "SearchWithVariant",
            json!({ "query": "remera roja M", "first": 5 }),
        )
        .await;
    let edge = &data["products"]["edges"][0];
    assert_eq!(edge["node"]["id"], id.as_str(), "{data}");
    assert_eq!(edge["matchedVariant"]["title"], "M / rojo", "{data}");
    let data = r.run(None, "ProductVariants", json!({ "id": id })).await;
    let variants = data["product"]["variants"].as_array().expect("variants");
    assert_eq!(variants.len(), 3, "{data}");
    let black = variants
        .iter()
        .find(|v| v["title"] == "M / negro")
        .and_then(|v| v["id"].as_str())
        .expect("M / negro")
        .to_owned();

    let data = r
        .run(
            Some(&buyer),
            "AddVariantToCart",
            json!({ "productId": id, "options": [{ "name": "talle", "value": "m" }, { "name": "color", "value": "rojo" }], "quantity": "1" }),
        )
        .await;
    no_user_errors(&data, "addToCart");
    let data = r
        .run(
            Some(&buyer),
            "AddVariantToCart",
            json!({ "productId": id, "variantId": black, "quantity": "2" }),
        )
        .await;
    let cart = no_user_errors(&data, "addToCart")["cart"].clone();
    let lines = cart["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2, "{data}");
    let (red_line, black_line) = (lines[0]["id"].clone(), lines[1]["id"].clone());
    let data = r
        .run(
            Some(&buyer),
            "UpdateCartLineById",
            json!({ "lineId": black_line, "quantity": "3" }),
        )
        .await;
    assert_eq!(
        no_user_errors(&data, "updateCartLine")["cart"]["lines"][1]["quantity"],
        "3"
    );
    let data = r
        .run(
            Some(&buyer),
            "RemoveCartLine",
            json!({ "lineId": red_line }),
        )
        .await;
    assert_eq!(
        no_user_errors(&data, "removeFromCart")["cart"]["lines"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let data = r
        .run(
            Some(&buyer),
            "CheckoutVariants",
            json!({ "idempotencyKey": "variantes-app-1" }),
        )
        .await;
    let done = no_user_errors(&data, "checkout");
    assert_eq!(
        done["cart"],
        json!({ "id": cart["id"], "lines": [] }),
        "{data}"
    );
    let order = done["orders"][0]["id"].clone();
    let data = r
        .run(Some(&buyer), "OrderVariantLines", json!({ "id": order }))
        .await;
    let line = &data["node"]["lines"][0];
    assert_eq!(line["sku"], "R-M-NEGRO", "{data}");
    assert_eq!(line["variant"]["id"], black.as_str());
    assert_eq!(
        line["options"],
        json!([{ "name": "Talle", "value": "M" }, { "name": "Color", "value": "negro" }])
    );

    for name in VARIANTS {
        let id = r.operation(name).id;
        assert!(r.ran.contains(&id), "the variants flow ran {name}");
    }
}
