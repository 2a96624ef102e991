//! Subscriptions over `graphql-transport-ws` against two real server processes' worth of
//! servers on one database: events written through one reach subscribers of the other via
//! PostgreSQL LISTEN/NOTIFY; every close code of the protocol is provoked and observed.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use textisur_api::runtime::http::HttpConfig;
use textisur_api::runtime::http::state::WsConfig;
use textisur_persisted_queries::{TrustedDocuments, TrustedOperation, sha256_hex};
use textisur_tests::market::Market;
use textisur_tests::{Account, TestApp};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect_with(base: &str, protocol: Option<&str>) -> Ws {
    let url = format!("{}/graphql", base.replace("http://", "ws://"));
    let mut request = url.into_client_request().expect("request");
    if let Some(protocol) = protocol {
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocol.parse().expect("header"));
    }
    let (ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket connects");
    ws
}

async fn connect(base: &str) -> Ws {
    connect_with(base, Some("graphql-transport-ws")).await
}

async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .expect("send");
}

/// The next protocol message, failing after `wait`.
async fn receive_within(ws: &mut Ws, wait: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let message = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a message in time")
            .expect("connection open")
            .expect("message");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).expect("JSON message"),
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => {}
        }
    }
}

async fn receive(ws: &mut Ws) -> Value {
    receive_within(ws, Duration::from_secs(5)).await
}

/// Reads until the server closes; returns the close code.
async fn close_code(ws: &mut Ws) -> u16 {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("closed in time");
        match message {
            Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => return 0,
            Some(Ok(_)) => {}
        }
    }
}

async fn init(ws: &mut Ws, account: &Account) {
    send(
        ws,
        json!({ "type": "connection_init",
                "payload": { "Authorization": format!("Bearer {}", account.access_token) } }),
    )
    .await;
    assert_eq!(receive(ws).await["type"], "connection_ack");
}

async fn start_conversation(app: &TestApp, buyer: &Account, store: &str) -> String {
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "mutation($s: ID!) { startConversation(storeId: $s, body: \"¿Tienen lino azul?\") {
                conversation { id } userErrors { code message } } }",
            json!({ "s": store }),
        )
        .await;
    body["data"]["startConversation"]["conversation"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("start conversation: {body}"))
        .to_owned()
}

async fn post_as(base: &str, account: &Account, query: &str, variables: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(&account.access_token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_through_one_server_reaches_a_subscriber_on_another() {
    let market = Market::open().await;
    let app = &market.app;
    let other = app.sibling(HttpConfig::default()).await;
    let buyer = app.quick_account("Compradora", "BUYER").await;
    let conversation = start_conversation(app, &buyer, &market.store).await;

    let mut ws = connect(&app.base).await;
    init(&mut ws, &market.seller).await;
    send(
        &mut ws,
        json!({ "id": "m1", "type": "subscribe", "payload": {
            "query": "subscription($c: ID!) { messageAdded(conversationId: $c) { body sender { name } conversation { id } } }",
            "variables": { "c": conversation } } }),
    )
    .await;
    // The subscription is registered once the server answers a ping sent after it.
    send(&mut ws, json!({ "type": "ping" })).await;
    assert_eq!(receive(&mut ws).await["type"], "pong");

    let sent = post_as(
        &other.base,
        &buyer,
        "mutation($c: ID!) { sendMessage(conversationId: $c, body: \"<b>Hola</b>, ¿y en 3 metros?\") {
            message { id } userErrors { code } } }",
        json!({ "c": conversation }),
    )
    .await;
    assert_eq!(
        sent["data"]["sendMessage"]["userErrors"],
        json!([]),
        "{sent}"
    );
    let next = receive_within(&mut ws, Duration::from_secs(1)).await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(next["id"], "m1");
    let message = &next["payload"]["data"]["messageAdded"];
    assert_eq!(message["sender"]["name"], "Compradora");
    assert_eq!(message["conversation"]["id"], conversation.as_str());
    assert!(
        message["body"]
            .as_str()
            .is_some_and(|b| b.contains("Hola") && !b.contains("<b>")),
        "{next}"
    );

    // The client stops the subscription: a further message is not delivered.
    send(&mut ws, json!({ "id": "m1", "type": "complete" })).await;
    send(&mut ws, json!({ "type": "ping" })).await;
    assert_eq!(receive(&mut ws).await["type"], "pong");
    post_as(
        &other.base,
        &buyer,
        "mutation($c: ID!) { sendMessage(conversationId: $c, body: \"¿Sigue ahí?\") { message { id } } }",
        json!({ "c": conversation }),
    )
    .await;
    send(&mut ws, json!({ "type": "ping" })).await;
    assert_eq!(receive(&mut ws).await["type"], "pong");
    other.stop().await.expect("stop sibling");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sellers_and_buyers_follow_orders_across_servers() {
    let market = Market::open().await;
    let app = &market.app;
    let other = app.sibling(HttpConfig::default()).await;
    let product = market
        .product("Frazada de lana", "PIECE", "1", "5", "30000")
        .await;
    let buyer = app.quick_account("Compradora", "BUYER").await;

    let mut seller_ws = connect(&app.base).await;
    init(&mut seller_ws, &market.seller).await;
    send(
        &mut seller_ws,
        json!({ "id": "orders", "type": "subscribe", "payload": {
            "query": "subscription { orderUpdated { id status total { amount } buyer { name } } }" } }),
    )
    .await;
    send(&mut seller_ws, json!({ "type": "ping" })).await;
    assert_eq!(receive(&mut seller_ws).await["type"], "pong");

    post_as(
        &other.base,
        &buyer,
        "mutation($p: ID!) { addToCart(productId: $p, quantity: \"2\") { userErrors { code } } }",
        json!({ "p": product }),
    )
    .await;
    let checkout = post_as(
        &other.base,
        &buyer,
        "mutation { checkout(idempotencyKey: \"sub-test-0001\") { orders { id } userErrors { code } } }",
        json!({}),
    )
    .await;
    let order = checkout["data"]["checkout"]["orders"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("checkout: {checkout}"))
        .to_owned();
    let created = receive_within(&mut seller_ws, Duration::from_secs(1)).await;
    assert_eq!(
        created["payload"]["data"]["orderUpdated"]["id"],
        order.as_str()
    );
    assert_eq!(
        created["payload"]["data"]["orderUpdated"]["status"],
        "PENDING"
    );
    assert_eq!(
        created["payload"]["data"]["orderUpdated"]["total"]["amount"], "60000",
        "pesos chilenos have no decimals"
    );

    // The buyer follows that one order on the first server; an admin confirms its payment
    // through the second.
    let mut buyer_ws = connect(&app.base).await;
    init(&mut buyer_ws, &buyer).await;
    send(
        &mut buyer_ws,
        json!({ "id": "mine", "type": "subscribe", "payload": {
            "query": "subscription($o: ID) { orderUpdated(orderId: $o) { status history { status by { name } } } }",
            "variables": { "o": order } } }),
    )
    .await;
    send(&mut buyer_ws, json!({ "type": "ping" })).await;
    assert_eq!(receive(&mut buyer_ws).await["type"], "pong");
    let admin = app.quick_account("Administradora", "ADMIN").await;
    let paid = post_as(
        &other.base,
        &admin,
        "mutation($o: ID!) { updateOrderStatus(orderId: $o, status: PAID) { order { status } userErrors { code } } }",
        json!({ "o": order }),
    )
    .await;
    assert_eq!(
        paid["data"]["updateOrderStatus"]["order"]["status"], "PAID",
        "{paid}"
    );
    let seen = receive_within(&mut buyer_ws, Duration::from_secs(1)).await;
    let update = &seen["payload"]["data"]["orderUpdated"];
    assert_eq!(update["status"], "PAID", "{seen}");
    assert_eq!(
        update["history"],
        json!([
            { "status": "PENDING", "by": { "name": "Compradora" } },
            // The buyer is not told which administrator confirmed the payment.
            { "status": "PAID", "by": null },
        ])
    );
    let seller_seen = receive_within(&mut seller_ws, Duration::from_secs(1)).await;
    assert_eq!(
        seller_seen["payload"]["data"]["orderUpdated"]["status"],
        "PAID"
    );

    // Someone else cannot follow the order.
    let stranger = app.quick_account("Curiosa", "BUYER").await;
    let mut stranger_ws = connect(&app.base).await;
    init(&mut stranger_ws, &stranger).await;
    send(
        &mut stranger_ws,
        json!({ "id": "x", "type": "subscribe", "payload": {
            "query": "subscription($o: ID) { orderUpdated(orderId: $o) { status } }",
            "variables": { "o": order } } }),
    )
    .await;
    let refused = receive(&mut stranger_ws).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "FORBIDDEN");
    other.stop().await.expect("stop sibling");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_close_code_of_the_protocol() {
    let app = TestApp::spawn_with(textisur_tests::TestOptions {
        http: Some(HttpConfig {
            cost_bucket: 1_000_000,
            cost_restore_rate: 1_000_000,
            ws: WsConfig {
                init_timeout: Duration::from_millis(300),
                max_subscriptions: 2,
                ..WsConfig::default()
            },
            ..HttpConfig::default()
        }),
        ..textisur_tests::TestOptions::default()
    })
    .await;
    let user = app.quick_account("Usuaria", "BUYER").await;
    let subscription = json!({ "query": "subscription { orderUpdated { id } }" });

    // 4400: not a protocol message.
    let mut ws = connect(&app.base).await;
    send(&mut ws, json!({ "type": "connection_init" })).await;
    assert_eq!(receive(&mut ws).await["type"], "connection_ack");
    ws.send(Message::Text("{ not json".into()))
        .await
        .expect("send");
    assert_eq!(close_code(&mut ws).await, 4400);
    let mut ws = connect(&app.base).await;
    send(
        &mut ws,
        json!({ "type": "subscribe", "payload": subscription }),
    )
    .await;
    assert_eq!(close_code(&mut ws).await, 4400, "subscribe without an id");

    // 4401: subscribe before connection_ack.
    let mut ws = connect(&app.base).await;
    send(
        &mut ws,
        json!({ "id": "1", "type": "subscribe", "payload": subscription }),
    )
    .await;
    assert_eq!(close_code(&mut ws).await, 4401);

    // 4403: credentials that are refused.
    let mut ws = connect(&app.base).await;
    send(
        &mut ws,
        json!({ "type": "connection_init", "payload": { "Authorization": "Bearer not.a.token" } }),
    )
    .await;
    assert_eq!(close_code(&mut ws).await, 4403);

    // 4406: a client that does not speak graphql-transport-ws.
    let mut ws = connect_with(&app.base, None).await;
    assert_eq!(close_code(&mut ws).await, 4406);

    // 4408: no connection_init in time.
    let mut ws = connect(&app.base).await;
    assert_eq!(close_code(&mut ws).await, 4408);

    // 4409: an id already in use.
    let mut ws = connect(&app.base).await;
    init(&mut ws, &user).await;
    send(
        &mut ws,
        json!({ "id": "same", "type": "subscribe", "payload": subscription }),
    )
    .await;
    send(
        &mut ws,
        json!({ "id": "same", "type": "subscribe", "payload": subscription }),
    )
    .await;
    assert_eq!(close_code(&mut ws).await, 4409);

    // 4429: a second connection_init.
    let mut ws = connect(&app.base).await;
    init(&mut ws, &user).await;
    send(&mut ws, json!({ "type": "connection_init" })).await;
    assert_eq!(close_code(&mut ws).await, 4429);

    // The cap of subscriptions per connection is an error for the one over it, not a close.
    let mut ws = connect(&app.base).await;
    init(&mut ws, &user).await;
    for id in ["a", "b", "c"] {
        send(
            &mut ws,
            json!({ "id": id, "type": "subscribe", "payload": subscription }),
        )
        .await;
    }
    let over = receive(&mut ws).await;
    assert_eq!(
        (over["type"].as_str(), over["id"].as_str()),
        (Some("error"), Some("c")),
        "{over}"
    );
    // Anonymous subscribers and queries over the socket get errors, not closes.
    let mut anonymous = connect(&app.base).await;
    send(&mut anonymous, json!({ "type": "connection_init" })).await;
    assert_eq!(receive(&mut anonymous).await["type"], "connection_ack");
    send(
        &mut anonymous,
        json!({ "id": "1", "type": "subscribe", "payload": subscription }),
    )
    .await;
    let refused = receive(&mut anonymous).await;
    assert_eq!(
        refused["payload"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{refused}"
    );
    send(
        &mut anonymous,
        json!({ "id": "2", "type": "subscribe", "payload": { "query": "{ categories { id } }" } }),
    )
    .await;
    let refused = receive(&mut anonymous).await;
    assert_eq!(refused["type"], "error", "{refused}");

    // 1001: the server shuts down.
    app.stop().await.expect("stop");
    assert_eq!(close_code(&mut ws).await, 1001);
}

fn trusted(name: &str) -> TrustedOperation {
    TrustedDocuments::embedded()
        .expect("manifests")
        .operations()
        .iter()
        .find(|op| op.name == name)
        .cloned()
        .unwrap_or_else(|| panic!("no trusted operation {name}"))
}

/// Every message up to the `pong` answering a ping sent now, as (id, type, error code).
async fn replies_until_pong(ws: &mut Ws) -> Vec<(String, String, String)> {
    send(ws, json!({ "type": "ping" })).await;
    let mut replies = Vec::new();
    loop {
        let message = receive(ws).await;
        if message["type"] == "pong" {
            return replies;
        }
        replies.push((
            message["id"].as_str().unwrap_or_default().to_owned(),
            message["type"].as_str().unwrap_or_default().to_owned(),
            message["payload"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_safelist_holds_over_websocket() {
    let market = Market::open().await;
    let app = &market.app;
    let safelisted = app
        .sibling(HttpConfig {
            safelist: true,
            ..HttpConfig::default()
        })
        .await;
    let buyer = app.quick_account("Compradora", "BUYER").await;
    let conversation = start_conversation(app, &buyer, &market.store).await;
    let message_added = trusted("MessageAdded");
    let order_updated = trusted("OrderUpdated");
    let variables = json!({ "conversationId": conversation });
    let ad_hoc = "subscription($c: ID!) { messageAdded(conversationId: $c) { body } }";

    let mut ws = connect(&safelisted.base).await;
    init(&mut ws, &market.seller).await;
    let subscriptions = [
        (
            "ad-hoc",
            json!({ "query": ad_hoc, "variables": { "c": conversation } }),
        ),
        (
            "text",
            json!({ "query": message_added.body, "variables": variables }),
        ),
        (
            "document-id",
            json!({ "documentId": format!("sha256:{}", message_added.id), "variables": variables }),
        ),
        (
            "apq",
            json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": order_updated.id } } }),
        ),
        (
            "unknown",
            json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256_hex("nope") } } }),
        ),
    ];
    for (id, payload) in subscriptions {
        send(
            &mut ws,
            json!({ "id": id, "type": "subscribe", "payload": payload }),
        )
        .await;
    }
    let refused = replies_until_pong(&mut ws).await;
    let expected = [
        ("ad-hoc", "error", "PERSISTED_QUERY_NOT_ALLOWED"),
        ("unknown", "error", "PERSISTED_QUERY_NOT_FOUND"),
    ];
    let refused: Vec<(&str, &str, &str)> = refused
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(refused, expected);

    // The trusted subscriptions run: a message reaches both.
    post_as(
        &app.base,
        &buyer,
        "mutation($c: ID!) { sendMessage(conversationId: $c, body: \"¿Hay en verde?\") { message { id } } }",
        json!({ "c": conversation }),
    )
    .await;
    let mut delivered = Vec::new();
    for _ in 0..2 {
        let next = receive(&mut ws).await;
        assert_eq!(next["type"], "next", "{next}");
        assert_eq!(
            next["payload"]["data"]["messageAdded"]["body"], "¿Hay en verde?",
            "{next}"
        );
        delivered.push(next["id"].as_str().unwrap_or_default().to_owned());
    }
    delivered.sort();
    assert_eq!(delivered, ["document-id", "text"]);

    // An admin may still send ad-hoc text (the playground's subscriptions).
    let admin = app.quick_account("Administradora", "ADMIN").await;
    let mut admin_ws = connect(&safelisted.base).await;
    init(&mut admin_ws, &admin).await;
    send(
        &mut admin_ws,
        json!({ "id": "ad-hoc", "type": "subscribe",
                "payload": { "query": ad_hoc, "variables": { "c": conversation } } }),
    )
    .await;
    assert_eq!(replies_until_pong(&mut admin_ws).await, []);
    safelisted.stop().await.expect("stop sibling");
}
