//! Conversations between buyers and stores: who may see and write, one conversation per
//! buyer, store and product, unread counts, message paging, hostile bodies and the
//! `MessageAdded` event.

use serde_json::{Value, json};
use sqlx::postgres::PgListener;
use textisur_api::accounts::limits::AuthLimitConfig;
use textisur_api::graphql::ids::{ProductId, StoreId};
use textisur_tests::{Account, TestApp, TestOptions};

const START: &str = "mutation($s: ID!, $p: ID, $b: String!) {
    startConversation(storeId: $s, productId: $p, body: $b) {
        conversation { id product { id } store { id } buyer { id } }
        userErrors { field code message } } }";
const SEND: &str = "mutation($c: ID!, $b: String!) { sendMessage(conversationId: $c, body: $b) {
    message { id body sender { id } readAt conversation { id lastMessageAt } }
    userErrors { field code message } } }";
const MARK_READ: &str = "mutation($c: ID!) { markConversationRead(conversationId: $c) {
    conversation { id unreadCount } userErrors { code } } }";
const CONVERSATION: &str = "query($c: ID!) { conversation(id: $c) {
    id unreadCount lastMessageAt buyer { id } store { id } product { id }
    messages(first: 100) { totalCount nodes { id body readAt sender { id } } } } }";

struct Market {
    app: TestApp,
    buyer: Account,
    other_buyer: Account,
    seller: Account,
    other_seller: Account,
    admin: Account,
    store: String,
    other_store: String,
    product: String,
    second_product: String,
    foreign_product: String,
}

async fn market() -> Market {
    let app = TestApp::spawn_with(TestOptions {
        auth_limits: Some(AuthLimitConfig {
            register_per_ip_per_hour: 1000,
            ..AuthLimitConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    let buyer = app.register("comprador@correo.cl", "Comprador").await;
    let other_buyer = app.register("otra@correo.cl", "Otra compradora").await;
    let seller = app.register("vendedora@correo.cl", "Vendedora").await;
    let other_seller = app.register("otro.vendedor@correo.cl", "Otro").await;
    let admin = app.register("admin@correo.cl", "Admin").await;
    app.set_role(&seller, "SELLER").await;
    app.set_role(&other_seller, "SELLER").await;
    app.set_role(&admin, "ADMIN").await;
    let store = insert_store(&app, &seller, "telas-nandu").await;
    let other_store = insert_store(&app, &other_seller, "lanas-del-sur").await;
    let category: i64 = sqlx::query_scalar!(
        "INSERT INTO categories (slug, name) VALUES ('telas', 'Telas') RETURNING id",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("category");
    let product = insert_product(&app, store, category, "lino-1").await;
    let second_product = insert_product(&app, store, category, "lino-2").await;
    let foreign_product = insert_product(&app, other_store, category, "lana-1").await;
    Market {
        app,
        buyer,
        other_buyer,
        seller,
        other_seller,
        admin,
        store: StoreId(store).to_global().to_string(),
        other_store: StoreId(other_store).to_global().to_string(),
        product,
        second_product,
        foreign_product,
    }
}

async fn insert_store(app: &TestApp, owner: &Account, slug: &str) -> i64 {
    sqlx::query_scalar!(
        "INSERT INTO stores (owner_id, slug, name, city, country_code, currency_code)
         VALUES ($1, $2, $2, 'Rosario', 'AR', 'ARS') RETURNING id",
        owner.row_id(),
        slug
    )
    .fetch_one(app.db.pool())
    .await
    .expect("store")
}

async fn insert_product(app: &TestApp, store: i64, category: i64, slug: &str) -> String {
    let id: i64 = sqlx::query_scalar!(
        "INSERT INTO products (store_id, category_id, slug, name, price, currency_code, stock)
         VALUES ($1, $2, $3, 'Lino crudo', 10, 'ARS', 5) RETURNING id",
        store,
        category,
        slug
    )
    .fetch_one(app.db.pool())
    .await
    .expect("product");
    ProductId(id).to_global().to_string()
}

impl Market {
    /// Runs `query` as `who` (anonymous when `None`); returns the whole response body.
    async fn call(&self, who: Option<&Account>, query: &str, variables: Value) -> Value {
        match who {
            Some(account) => {
                self.app
                    .graphql_as(&account.access_token, query, variables)
                    .await
                    .1
            }
            None => self.app.graphql(query, variables).await.1,
        }
    }

    /// Starts a conversation as `who`, expecting success; returns its id.
    async fn start(&self, who: &Account, store: &str, product: Option<&str>, body: &str) -> String {
        let body = self
            .call(
                Some(who),
                START,
                json!({ "s": store, "p": product, "b": body }),
            )
            .await;
        let payload = &body["data"]["startConversation"];
        assert_eq!(payload["userErrors"], json!([]), "{body}");
        payload["conversation"]["id"]
            .as_str()
            .expect("conversation id")
            .to_owned()
    }

    /// Sends a message as `who`, expecting success; returns the message.
    async fn send(&self, who: &Account, conversation: &str, text: &str) -> Value {
        let body = self
            .call(Some(who), SEND, json!({ "c": conversation, "b": text }))
            .await;
        let payload = &body["data"]["sendMessage"];
        assert_eq!(payload["userErrors"], json!([]), "{body}");
        payload["message"].clone()
    }

    async fn unread(&self, who: &Account, conversation: &str) -> i64 {
        let body = self
            .call(
                Some(who),
                "query($c: ID!) { conversation(id: $c) { unreadCount } }",
                json!({ "c": conversation }),
            )
            .await;
        body["data"]["conversation"]["unreadCount"]
            .as_i64()
            .unwrap_or_else(|| panic!("unread count: {body}"))
    }
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["extensions"]["code"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn only_the_buyer_the_stores_seller_and_admins_see_and_write() {
    let m = market().await;
    let conversation = m
        .start(
            &m.buyer,
            &m.store,
            Some(&m.product),
            "¿Tienen lino en 3 metros?",
        )
        .await;
    let first_message = {
        let body = m
            .call(Some(&m.buyer), CONVERSATION, json!({ "c": conversation }))
            .await;
        body["data"]["conversation"]["messages"]["nodes"][0]["id"]
            .as_str()
            .expect("message id")
            .to_owned()
    };
    let callers: [(&str, Option<&Account>, bool); 6] = [
        ("buyer", Some(&m.buyer), true),
        ("the store's seller", Some(&m.seller), true),
        ("admin", Some(&m.admin), true),
        ("another buyer", Some(&m.other_buyer), false),
        ("another seller", Some(&m.other_seller), false),
        ("anonymous", None, false),
    ];
    for (name, who, allowed) in callers {
        let body = m
            .call(who, CONVERSATION, json!({ "c": conversation }))
            .await;
        let by_query = &body["data"]["conversation"];
        let nodes = m
            .call(
                who,
                "query($c: ID!, $m: ID!) {
                    c: node(id: $c) { id ... on Conversation { unreadCount } }
                    m: node(id: $m) { id ... on Message { body } } }",
                json!({ "c": conversation, "m": first_message }),
            )
            .await;
        let sent = m
            .call(
                who,
                SEND,
                json!({ "c": conversation, "b": format!("hola de {name}") }),
            )
            .await;
        if allowed {
            assert_eq!(by_query["id"], json!(conversation), "{name}: {body}");
            assert_eq!(by_query["buyer"]["id"], json!(m.buyer.id), "{name}: {body}");
            assert_eq!(by_query["store"]["id"], json!(m.store), "{name}: {body}");
            assert_eq!(
                by_query["product"]["id"],
                json!(m.product),
                "{name}: {body}"
            );
            assert_eq!(
                nodes["data"]["c"]["id"],
                json!(conversation),
                "{name}: {nodes}"
            );
            assert_eq!(
                nodes["data"]["m"]["id"],
                json!(first_message),
                "{name}: {nodes}"
            );
            assert!(codes(&nodes).is_empty(), "{name}: {nodes}");
            assert_eq!(
                sent["data"]["sendMessage"]["userErrors"],
                json!([]),
                "{name}: {sent}"
            );
        } else {
            assert!(by_query.is_null(), "{name}: {body}");
            assert_eq!(codes(&body), ["FORBIDDEN"], "{name}: {body}");
            assert!(nodes["data"]["c"].is_null(), "{name}: {nodes}");
            assert!(nodes["data"]["m"].is_null(), "{name}: {nodes}");
            assert_eq!(codes(&nodes), ["FORBIDDEN", "FORBIDDEN"], "{name}: {nodes}");
            let expected = if who.is_none() {
                "UNAUTHENTICATED"
            } else {
                "FORBIDDEN"
            };
            assert_eq!(codes(&sent), [expected], "{name}: {sent}");
            let read = m.call(who, MARK_READ, json!({ "c": conversation })).await;
            assert_eq!(codes(&read), [expected], "{name}: {read}");
        }
    }
    // Buyer, seller and admin wrote; nobody else did.
    let body = m
        .call(Some(&m.admin), CONVERSATION, json!({ "c": conversation }))
        .await;
    assert_eq!(
        body["data"]["conversation"]["messages"]["totalCount"],
        json!(4),
        "{body}"
    );

    // An unknown conversation is null without an error; a malformed id is bad input.
    let unknown = textisur_api::graphql::ids::ConversationId(999_999)
        .to_global()
        .to_string();
    let body = m
        .call(Some(&m.admin), CONVERSATION, json!({ "c": unknown }))
        .await;
    assert!(body["data"]["conversation"].is_null(), "{body}");
    assert!(codes(&body).is_empty(), "{body}");
    let body = m
        .call(Some(&m.buyer), SEND, json!({ "c": unknown, "b": "hola" }))
        .await;
    assert_eq!(
        body["data"]["sendMessage"]["userErrors"][0]["code"], "NOT_FOUND",
        "{body}"
    );
    let body = m
        .call(Some(&m.buyer), CONVERSATION, json!({ "c": m.product }))
        .await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{body}");
}

#[tokio::test]
async fn one_conversation_per_buyer_store_and_product() {
    let m = market().await;
    let about_product = m
        .start(&m.buyer, &m.store, Some(&m.product), "primera pregunta")
        .await;
    let again = m
        .start(&m.buyer, &m.store, Some(&m.product), "segunda pregunta")
        .await;
    assert_eq!(again, about_product, "asking again reuses the conversation");
    let other_product = m
        .start(&m.buyer, &m.store, Some(&m.second_product), "otra")
        .await;
    let no_product = m.start(&m.buyer, &m.store, None, "general").await;
    let no_product_again = m.start(&m.buyer, &m.store, None, "general 2").await;
    let other_buyer = m
        .start(&m.other_buyer, &m.store, Some(&m.product), "yo también")
        .await;
    assert_eq!(no_product_again, no_product);
    let ids = [&about_product, &other_product, &no_product, &other_buyer];
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            assert_ne!(a, b);
        }
    }
    let body = m
        .call(Some(&m.buyer), CONVERSATION, json!({ "c": about_product }))
        .await;
    let bodies: Vec<&str> = body["data"]["conversation"]["messages"]["nodes"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|n| n["body"].as_str())
        .collect();
    assert_eq!(bodies, ["primera pregunta", "segunda pregunta"]);

    // What cannot be started, and writes nothing.
    let before: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM messages"#)
        .fetch_one(m.app.db.pool())
        .await
        .expect("count");
    let cases: Vec<(&Account, Value, &str, &str)> = vec![
        (
            &m.seller,
            json!({ "s": m.store, "p": null, "b": "hola" }),
            "storeId",
            "INVALID",
        ),
        (
            &m.buyer,
            json!({ "s": m.store, "p": m.foreign_product, "b": "hola" }),
            "productId",
            "NOT_FOUND",
        ),
        (
            &m.buyer,
            json!({ "s": StoreId(999_999).to_global().to_string(), "p": null, "b": "hola" }),
            "storeId",
            "NOT_FOUND",
        ),
        (
            &m.buyer,
            json!({ "s": m.store, "p": null, "b": "   " }),
            "body",
            "REQUIRED",
        ),
        (
            &m.buyer,
            json!({ "s": m.store, "p": null, "b": "ñ".repeat(4001) }),
            "body",
            "TOO_LONG",
        ),
    ];
    for (who, variables, field, code) in cases {
        let body = m.call(Some(who), START, variables.clone()).await;
        let payload = &body["data"]["startConversation"];
        assert!(payload["conversation"].is_null(), "{variables}: {body}");
        assert_eq!(payload["userErrors"][0]["field"], json!([field]), "{body}");
        assert_eq!(payload["userErrors"][0]["code"], code, "{body}");
    }
    let body = m
        .call(None, START, json!({ "s": m.store, "p": null, "b": "hola" }))
        .await;
    assert_eq!(codes(&body), ["UNAUTHENTICATED"], "{body}");
    // A seller may still write to another store as a buyer.
    m.start(&m.seller, &m.other_store, None, "consulta entre tiendas")
        .await;
    let after: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM messages"#)
        .fetch_one(m.app.db.pool())
        .await
        .expect("count");
    assert_eq!(after, before + 1);
}

#[tokio::test]
async fn unread_counts_follow_each_side_until_marked_read() {
    let m = market().await;
    let conversation = m.start(&m.buyer, &m.store, None, "hola").await;
    m.send(&m.buyer, &conversation, "¿siguen ahí?").await;
    assert_eq!(m.unread(&m.buyer, &conversation).await, 0);
    assert_eq!(m.unread(&m.seller, &conversation).await, 2);
    // An admin sees what the store has not read, and reading does not mark it for them.
    assert_eq!(m.unread(&m.admin, &conversation).await, 2);
    let body = m
        .call(Some(&m.admin), MARK_READ, json!({ "c": conversation }))
        .await;
    assert_eq!(
        body["data"]["markConversationRead"]["conversation"]["unreadCount"],
        json!(2),
        "{body}"
    );

    let reply = m.send(&m.seller, &conversation, "¡sí, aquí estamos!").await;
    assert!(reply["readAt"].is_null());
    assert_eq!(m.unread(&m.buyer, &conversation).await, 1);
    assert_eq!(m.unread(&m.seller, &conversation).await, 2);

    let body = m
        .call(Some(&m.seller), MARK_READ, json!({ "c": conversation }))
        .await;
    assert_eq!(
        body["data"]["markConversationRead"]["conversation"]["unreadCount"],
        json!(0),
        "{body}"
    );
    assert_eq!(
        m.unread(&m.buyer, &conversation).await,
        1,
        "only the seller read"
    );
    let body = m
        .call(Some(&m.buyer), CONVERSATION, json!({ "c": conversation }))
        .await;
    let read: Vec<(String, bool)> = body["data"]["conversation"]["messages"]["nodes"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|n| {
            (
                n["sender"]["id"].as_str().unwrap_or_default().to_owned(),
                !n["readAt"].is_null(),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            (m.buyer.id.clone(), true),
            (m.buyer.id.clone(), true),
            (m.seller.id.clone(), false)
        ]
    );

    let body = m
        .call(Some(&m.buyer), MARK_READ, json!({ "c": conversation }))
        .await;
    assert_eq!(
        body["data"]["markConversationRead"]["conversation"]["unreadCount"],
        json!(0),
        "{body}"
    );
    let unread: i64 =
        sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM messages WHERE read_at IS NULL"#)
            .fetch_one(m.app.db.pool())
            .await
            .expect("count");
    assert_eq!(unread, 0);
}

#[tokio::test]
async fn hostile_bodies_come_back_inert() {
    let m = market().await;
    let conversation = m.start(&m.buyer, &m.store, None, "hola").await;
    let hostile = [
        "Hola <script>alert('robo')</script>señor, ¿tenés paño?",
        "Mirá la foto <img src=x onerror=\"alert(document.cookie)\"> del diseño ñandú",
        "Pagá <a href=\"javascript:alert(1)\">acá</a> mañana & después",
        "Algodón peinado <svg onload=alert(1)><scr<script>ipt>alert(2)</script> 100%",
    ];
    let mut returned = Vec::new();
    for text in hostile {
        let message = m.send(&m.buyer, &conversation, text).await;
        returned.push(message["body"].as_str().expect("body").to_owned());
    }
    let stored: Vec<String> = sqlx::query_scalar!(
        "SELECT body FROM messages WHERE body <> 'hola' ORDER BY created_at, id",
    )
    .fetch_all(m.app.db.pool())
    .await
    .expect("bodies");
    assert_eq!(stored, returned, "what is returned is what is stored");
    for body in &stored {
        for needle in [
            "<script",
            "onerror",
            "javascript:",
            "onload",
            "<img",
            "<a ",
            "<svg",
        ] {
            assert!(
                !body.to_lowercase().contains(needle),
                "{needle} survived in {body:?}"
            );
        }
    }
    assert_eq!(stored[0], "Hola señor, ¿tenés paño?");
    assert_eq!(stored[1], "Mirá la foto  del diseño ñandú");
    assert_eq!(stored[2], "Pagá acá mañana &amp; después");
    assert!(stored[3].starts_with("Algodón peinado"), "{}", stored[3]);

    // Nothing but markup is an empty message: a user error, and nothing written.
    let body = m
        .call(
            Some(&m.buyer),
            SEND,
            json!({ "c": conversation, "b": "<script>alert(1)</script><img src=x onerror=y>" }),
        )
        .await;
    assert_eq!(
        body["data"]["sendMessage"]["userErrors"],
        json!([{ "field": ["body"], "code": "REQUIRED",
                 "message": "the message is empty once markup is removed" }]),
        "{body}"
    );
    let count: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM messages"#)
        .fetch_one(m.app.db.pool())
        .await
        .expect("count");
    assert_eq!(count, 5);
}

const PAGE: &str = "query($c: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    conversation(id: $c) { messages(first: $first, after: $after, last: $last, before: $before) {
        totalCount edges { cursor node { body } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }";

fn page_bodies(body: &Value) -> Vec<String> {
    body["data"]["conversation"]["messages"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("edges: {body}"))
        .iter()
        .map(|e| e["node"]["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn messages_page_forward_from_the_oldest_and_backward_from_the_newest() {
    let m = market().await;
    let conversation = m.start(&m.buyer, &m.store, None, "mensaje 00").await;
    for i in 1..25 {
        let who = if i % 2 == 0 { &m.buyer } else { &m.seller };
        m.send(who, &conversation, &format!("mensaje {i:02}")).await;
    }
    let all: Vec<String> = (0..25).map(|i| format!("mensaje {i:02}")).collect();

    // Forward, 10 at a time, oldest first.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = m
            .call(
                Some(&m.buyer),
                PAGE,
                json!({ "c": conversation, "first": 10, "after": after }),
            )
            .await;
        let messages = &body["data"]["conversation"]["messages"];
        assert_eq!(messages["totalCount"], json!(25), "{body}");
        assert_eq!(
            messages["pageInfo"]["hasPreviousPage"],
            json!(after.is_some()),
            "{body}"
        );
        seen.extend(page_bodies(&body));
        if messages["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = messages["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
    }
    assert_eq!(seen, all);

    // Backward, as a chat loads: the newest 10, then the 10 before them; each page oldest first.
    let body = m
        .call(
            Some(&m.seller),
            PAGE,
            json!({ "c": conversation, "last": 10 }),
        )
        .await;
    assert_eq!(page_bodies(&body), all[15..].to_vec());
    let info = &body["data"]["conversation"]["messages"]["pageInfo"];
    assert_eq!(info["hasPreviousPage"], json!(true), "{body}");
    assert_eq!(info["hasNextPage"], json!(false), "{body}");
    let mut before = info["startCursor"].as_str().map(str::to_owned);
    let mut seen = page_bodies(&body);
    while let Some(cursor) = before {
        let body = m
            .call(
                Some(&m.seller),
                PAGE,
                json!({ "c": conversation, "last": 10, "before": cursor }),
            )
            .await;
        let info = &body["data"]["conversation"]["messages"]["pageInfo"];
        assert_eq!(info["hasNextPage"], json!(true), "{body}");
        let mut page = page_bodies(&body);
        page.extend(seen);
        seen = page;
        before = (info["hasPreviousPage"] == json!(true))
            .then(|| info["startCursor"].as_str().map(str::to_owned))
            .flatten();
    }
    assert_eq!(seen, all);

    // Without first or last: the first 20.
    let body = m
        .call(Some(&m.buyer), PAGE, json!({ "c": conversation }))
        .await;
    assert_eq!(page_bodies(&body), all[..20].to_vec());
    // A window between two cursors.
    let body = m
        .call(
            Some(&m.buyer),
            PAGE,
            json!({ "c": conversation, "first": 3 }),
        )
        .await;
    let third = body["data"]["conversation"]["messages"]["edges"][2]["cursor"].clone();
    let first = body["data"]["conversation"]["messages"]["edges"][0]["cursor"].clone();
    let body = m
        .call(
            Some(&m.buyer),
            PAGE,
            json!({ "c": conversation, "first": 10, "after": first, "before": third }),
        )
        .await;
    assert_eq!(page_bodies(&body), ["mensaje 01"]);

    for bad in [
        json!({ "c": conversation, "first": 5, "last": 5 }),
        json!({ "c": conversation, "last": 101 }),
        json!({ "c": conversation, "last": -1 }),
        json!({ "c": conversation, "first": 101 }),
        json!({ "c": conversation, "after": "nope" }),
    ] {
        let body = m.call(Some(&m.buyer), PAGE, bad.clone()).await;
        assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{bad}: {body}");
    }
}

const MY_CONVERSATIONS: &str = "query($u: ID!, $first: Int, $after: String) {
    node(id: $u) { ... on User { conversations(first: $first, after: $after) {
        totalCount nodes { id unreadCount messages(last: 1) { nodes { body } } }
        pageInfo { hasNextPage endCursor } } } } }";

fn listed(body: &Value) -> Vec<String> {
    body["data"]["node"]["conversations"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("conversations: {body}"))
        .iter()
        .map(|n| n["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn users_list_their_conversations_by_latest_activity() {
    let m = market().await;
    let a = m.start(&m.buyer, &m.store, None, "a").await;
    let b = m.start(&m.buyer, &m.other_store, None, "b").await;
    let c = m.start(&m.buyer, &m.store, Some(&m.product), "c").await;
    let d = m.start(&m.other_buyer, &m.store, None, "d").await;
    m.send(&m.seller, &a, "respuesta a").await;

    let body = m
        .call(Some(&m.buyer), MY_CONVERSATIONS, json!({ "u": m.buyer.id }))
        .await;
    assert_eq!(listed(&body), [a.clone(), c.clone(), b.clone()], "{body}");
    let first = &body["data"]["node"]["conversations"]["nodes"][0];
    assert_eq!(first["unreadCount"], json!(1), "{body}");
    assert_eq!(
        first["messages"]["nodes"][0]["body"], "respuesta a",
        "{body}"
    );
    assert_eq!(
        body["data"]["node"]["conversations"]["totalCount"],
        json!(3)
    );

    // The seller sees their store's conversations, not the other store's.
    let body = m
        .call(
            Some(&m.seller),
            MY_CONVERSATIONS,
            json!({ "u": m.seller.id }),
        )
        .await;
    assert_eq!(listed(&body), [a.clone(), d.clone(), c.clone()], "{body}");

    // Pages of one.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = m
            .call(
                Some(&m.seller),
                MY_CONVERSATIONS,
                json!({ "u": m.seller.id, "first": 1, "after": after }),
            )
            .await;
        seen.extend(listed(&body));
        let info = &body["data"]["node"]["conversations"]["pageInfo"];
        if info["hasNextPage"] != json!(true) {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, [a.clone(), d, c]);

    // Private: only the user and admins.
    let body = m
        .call(Some(&m.admin), MY_CONVERSATIONS, json!({ "u": m.buyer.id }))
        .await;
    assert_eq!(listed(&body).len(), 3, "{body}");
    for who in [Some(&m.seller), Some(&m.other_buyer), None] {
        let body = m
            .call(who, MY_CONVERSATIONS, json!({ "u": m.buyer.id }))
            .await;
        assert!(body["data"]["node"]["conversations"].is_null(), "{body}");
        assert_eq!(codes(&body), ["FORBIDDEN"], "{body}");
    }
}

#[tokio::test]
async fn every_message_is_announced_when_it_commits() {
    let m = market().await;
    let mut listener = PgListener::connect_with(m.app.db.pool())
        .await
        .expect("listen");
    listener
        .listen(textisur_api::runtime::events::CHANNEL)
        .await
        .expect("listen");
    let conversation = m.start(&m.buyer, &m.store, None, "hola").await;
    let reply = m.send(&m.seller, &conversation, "buenas").await;
    // A rejected message announces nothing: the next event is the one after it.
    let body = m
        .call(
            Some(&m.buyer),
            SEND,
            json!({ "c": conversation, "b": "<b></b>" }),
        )
        .await;
    assert_eq!(
        body["data"]["sendMessage"]["userErrors"][0]["code"],
        "REQUIRED"
    );
    let last = m.send(&m.buyer, &conversation, "gracias").await;

    let mut events = Vec::new();
    for _ in 0..3 {
        let notification = listener.recv().await.expect("notification");
        let event: Value = serde_json::from_str(notification.payload()).expect("json");
        events.push(event);
    }
    let conversation_row = textisur_api::graphql::ids::ConversationId::from_global(
        &textisur_api::graphql::ids::GlobalId::from(conversation.clone()),
    )
    .expect("conversation id")
    .0;
    let message_row = |message: &Value| {
        textisur_api::graphql::ids::MessageId::from_global(
            &textisur_api::graphql::ids::GlobalId::from(
                message["id"].as_str().unwrap_or_default().to_owned(),
            ),
        )
        .expect("message id")
        .0
    };
    for event in &events {
        assert_eq!(event["type"], "MessageAdded", "{event}");
        assert_eq!(event["conversation_id"], json!(conversation_row), "{event}");
    }
    assert_eq!(events[1]["message_id"], json!(message_row(&reply)));
    assert_eq!(events[2]["message_id"], json!(message_row(&last)));
}
