//! The WebSocket is no way around HTTP's protections (issue 21, items 5 to 7): it runs only
//! subscriptions, spends the caller's HTTP cost bucket, holds a bounded number of sockets per
//! client address, closes silent sockets, and closes a session's sockets with 4403 on every
//! server process as soon as the session ends.

use std::time::Duration;

use crate::ws_client::{
    Ws, close_code_within, connect, init, init_with, receive, receive_within, replies_until_pong,
    send, try_connect,
};
use serde_json::{Value, json};
use textisur_api::runtime::http::HttpConfig;
use textisur_api::runtime::http::state::WsConfig;
use textisur_tests::{Account, TestApp, TestOptions};

fn app_with(http: HttpConfig) -> TestOptions {
    TestOptions {
        http: Some(http),
        ..TestOptions::default()
    }
}

/// Test limits: a cost bucket no test exhausts unless it means to, and `ws`.
fn http_with(ws: WsConfig) -> HttpConfig {
    HttpConfig {
        cost_bucket: 1_000_000,
        cost_restore_rate: 1_000_000,
        ws,
        ..HttpConfig::default()
    }
}

const ORDERS: &str = "subscription { orderUpdated { id } }";

/// Subscribes to the caller's orders and waits until the server has the subscription.
async fn follow_orders(ws: &mut Ws) {
    send(
        ws,
        json!({ "id": "orders", "type": "subscribe", "payload": { "query": ORDERS } }),
    )
    .await;
    assert_eq!(replies_until_pong(ws).await, Vec::<Value>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_queries_and_mutations_are_refused_over_websocket() {
    let app = TestApp::spawn().await;
    let mut ws = connect(&app.base).await;
    init_with(&mut ws, None).await;
    let email = "por-el-socket@example.com";
    let register = "mutation SignUp($i: RegisterInput!) { register(input: $i) { user { id } } }";
    let operations = [
        (
            "query",
            json!({ "query": "query Categories { categories { id } }" }),
        ),
        (
            "mutation",
            json!({ "query": register, "variables": { "i": {
                "email": email, "password": textisur_tests::TEST_PASSWORD, "name": "Intrusa" } } }),
        ),
        (
            "chosen-query",
            json!({ "query": "query Q { categories { id } } subscription S { orderUpdated { id } }",
                    "operationName": "Q" }),
        ),
    ];
    for (id, payload) in operations {
        send(
            &mut ws,
            json!({ "id": id, "type": "subscribe", "payload": payload }),
        )
        .await;
    }
    let replies = replies_until_pong(&mut ws).await;
    let refused: Vec<(&str, &str, &str)> = replies
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap_or_default(),
                m["type"].as_str().unwrap_or_default(),
                m["payload"][0]["extensions"]["code"]
                    .as_str()
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            ("query", "error", "BAD_USER_INPUT"),
            ("mutation", "error", "BAD_USER_INPUT"),
            ("chosen-query", "error", "BAD_USER_INPUT"),
        ],
        "{replies:?}"
    );
    let written: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM users WHERE email = $1"#,
        email
    )
    .fetch_one(app.db.pool())
    .await
    .expect("count users");
    assert_eq!(written, 0, "the refused mutation wrote nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribes_spend_the_callers_http_cost_bucket() {
    // Ten points, one back a second: a subscription to one's orders costs one.
    let app = TestApp::spawn_with(app_with(HttpConfig {
        cost_bucket: 10,
        cost_restore_rate: 1,
        ..HttpConfig::default()
    }))
    .await;
    let user = app.quick_account("Suscriptora", "BUYER").await;
    let mut ws = connect(&app.base).await;
    init(&mut ws, &user).await;
    for n in 0..20 {
        send(
            &mut ws,
            json!({ "id": n.to_string(), "type": "subscribe", "payload": { "query": ORDERS } }),
        )
        .await;
    }
    let refusals = replies_until_pong(&mut ws).await;
    assert!(
        refusals.len() >= 5,
        "subscribes past the bucket are refused: {refusals:?}"
    );
    for refusal in &refusals {
        assert_eq!(refusal["type"], "error", "{refusal}");
        assert_eq!(
            refusal["payload"][0]["extensions"]["code"], "THROTTLED",
            "{refusal}"
        );
        assert!(refusal["payload"][0]["extensions"]["retryAfterMs"].is_u64());
    }
    // The same bucket as HTTP: the user's next request is refused, with the same code.
    let (status, body) = app
        .graphql_as(
            &user.access_token,
            "{ products(first: 10) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        refusals[0]["payload"][0]["extensions"]["code"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_spends_from_the_subscribers_bucket() {
    // Forty points, one back a second; each user spends their own.
    let app = TestApp::spawn_with(app_with(HttpConfig {
        cost_bucket: 40,
        cost_restore_rate: 1,
        ..HttpConfig::default()
    }))
    .await;
    let seller = app.quick_account("Vendedora", "SELLER").await;
    let (_, body) = app
        .graphql_as(
            &seller.access_token,
            "mutation { createStore(input: {name: \"Telas del Sur\", city: \"Valparaíso\",
                region: \"Valparaíso\", countryCode: \"CL\"}) { store { id } } }",
            json!({}),
        )
        .await;
    let store = body["data"]["createStore"]["store"]["id"].clone();
    let buyer = app.quick_account("Compradora", "BUYER").await;
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "mutation($s: ID!) { startConversation(storeId: $s, body: \"¿Hay lino?\") {
                conversation { id } } }",
            json!({ "s": store }),
        )
        .await;
    let conversation = body["data"]["startConversation"]["conversation"]["id"].clone();
    assert!(conversation.is_string(), "{body}");

    // Thirty subscriptions of one point each leave the admin ten points for their events.
    let admin = app.quick_account("Administradora", "ADMIN").await;
    let mut ws = connect(&app.base).await;
    init(&mut ws, &admin).await;
    for n in 0..30 {
        send(
            &mut ws,
            json!({ "id": n.to_string(), "type": "subscribe", "payload": {
                "query": "subscription($c: ID!) { messageAdded(conversationId: $c) { body } }",
                "variables": { "c": conversation } } }),
        )
        .await;
    }
    assert_eq!(replies_until_pong(&mut ws).await, Vec::<Value>::new());
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "mutation($c: ID!) { sendMessage(conversationId: $c, body: \"¿Y en azul?\") {
                message { id } } }",
            json!({ "c": conversation }),
        )
        .await;
    assert!(
        body["data"]["sendMessage"]["message"]["id"].is_string(),
        "{body}"
    );
    let (mut delivered, mut throttled) = (0, 0);
    for _ in 0..30 {
        let message = receive(&mut ws).await;
        match message["type"].as_str() {
            Some("next") => delivered += 1,
            Some("error") => {
                assert_eq!(
                    message["payload"][0]["extensions"]["code"], "THROTTLED",
                    "{message}"
                );
                throttled += 1;
            }
            _ => panic!("unexpected {message}"),
        }
    }
    assert!(
        delivered <= 12 && throttled >= 18,
        "{delivered} delivered, {throttled} throttled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_address_holds_at_most_its_cap_of_sockets() {
    let app = TestApp::spawn_with(app_with(http_with(WsConfig {
        max_connections_per_client: 2,
        ..WsConfig::default()
    })))
    .await;
    let mut first = connect(&app.base).await;
    init_with(&mut first, None).await;
    let mut second = connect(&app.base).await;
    init_with(&mut second, None).await;
    match try_connect(&app.base).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429);
        }
        Err(other) => panic!("refused, but not with 429: {other}"),
        Ok(_) => panic!("a third socket from one address was accepted"),
    }
    // A socket the server closed frees its place.
    send(&mut first, json!({ "type": "no such message" })).await;
    assert_eq!(
        close_code_within(&mut first, Duration::from_secs(5)).await,
        4400
    );
    let mut third = connect(&app.base).await;
    init_with(&mut third, None).await;
    assert_eq!(replies_until_pong(&mut second).await, Vec::<Value>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_socket_is_closed_and_one_that_answers_pings_is_not() {
    let idle = Duration::from_millis(400);
    let app = TestApp::spawn_with(app_with(http_with(WsConfig {
        idle_timeout: idle,
        ..WsConfig::default()
    })))
    .await;
    let mut silent = connect(&app.base).await;
    init_with(&mut silent, None).await;
    let mut lively = connect(&app.base).await;
    init_with(&mut lively, None).await;

    // The lively client answers each of the server's pings; three of them span more than
    // the idle time.
    let started = tokio::time::Instant::now();
    for _ in 0..3 {
        let ping = receive_within(&mut lively, idle * 4).await;
        assert_eq!(ping["type"], "ping", "{ping}");
        send(&mut lively, json!({ "type": "pong" })).await;
    }
    assert!(started.elapsed() > idle);
    assert_eq!(replies_until_pong(&mut lively).await, Vec::<Value>::new());

    assert_eq!(close_code_within(&mut silent, idle * 4).await, 4408);
}

/// A second session of `account`'s user, with its own access token.
async fn second_session(app: &TestApp, account: &Account) -> String {
    let user = textisur_api::graphql::ids::UserId(account.row_id());
    let (session, _) = textisur_api::accounts::db::start_session(&app.db, user, Some("tests"))
        .await
        .expect("start session");
    textisur_api::accounts::tokens::TokenKeys::parse(textisur_tests::TEST_JWT_KEYS)
        .expect("keys")
        .issue(user, session, chrono::Utc::now())
}

/// The id of the only session of `account`'s user.
async fn only_session(app: &TestApp, account: &Account) -> String {
    let (_, body) = app
        .graphql_as(
            &account.access_token,
            "{ me { sessions { id } } }",
            json!({}),
        )
        .await;
    let sessions = body["data"]["me"]["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 1, "{body}");
    sessions[0]["id"].as_str().expect("id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_sessions_lose_their_sockets_on_every_process_within_a_second() {
    let app = TestApp::spawn().await;
    let sibling = app.sibling(http_with(WsConfig::default())).await;
    let admin = app.quick_account("Administradora", "ADMIN").await;
    let within = Duration::from_secs(1);
    let ends = ["logout", "revokeSession", "suspendUser", "setUserRole"];
    for end in ends {
        let user = app.quick_account("Usuaria", "BUYER").await;
        let session = only_session(&app, &user).await;
        let other_session = second_session(&app, &user).await;
        // The session's sockets on both processes, and a socket of another session.
        let mut here = connect(&app.base).await;
        init(&mut here, &user).await;
        follow_orders(&mut here).await;
        let mut there = connect(&sibling.base).await;
        init(&mut there, &user).await;
        follow_orders(&mut there).await;
        let mut bystander = connect(&sibling.base).await;
        init_with(&mut bystander, Some(&other_session)).await;

        let (token, query, variables) = match end {
            "logout" => (
                &user.access_token,
                "mutation($t: String!) { logout(refreshToken: $t) { ok } }",
                json!({ "t": user.refresh_token }),
            ),
            "revokeSession" => (
                &user.access_token,
                "mutation($id: ID!) { revokeSession(id: $id) { ok } }",
                json!({ "id": session }),
            ),
            "suspendUser" => (
                &admin.access_token,
                "mutation($u: ID!) { suspendUser(userId: $u) { user { id } } }",
                json!({ "u": user.id }),
            ),
            _ => (
                &admin.access_token,
                "mutation($u: ID!) { setUserRole(userId: $u, role: SELLER) { user { id } } }",
                json!({ "u": user.id }),
            ),
        };
        let (status, body) = app.graphql_as(token, query, variables).await;
        assert!(
            status.is_success() && body.get("errors").is_none(),
            "{end}: {body}"
        );
        assert_eq!(close_code_within(&mut here, within).await, 4403, "{end}");
        assert_eq!(close_code_within(&mut there, within).await, 4403, "{end}");
        if matches!(end, "logout" | "revokeSession") {
            assert_eq!(
                replies_until_pong(&mut bystander).await,
                Vec::<Value>::new(),
                "{end} ends one session, not the user's others"
            );
        } else {
            assert_eq!(
                close_code_within(&mut bystander, within).await,
                4403,
                "{end}"
            );
        }
    }
    sibling.stop().await.expect("stop sibling");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ended_without_notice_is_caught_by_the_recheck() {
    let app = TestApp::spawn_with(app_with(http_with(WsConfig {
        session_recheck: Duration::from_millis(200),
        ..WsConfig::default()
    })))
    .await;
    let user = app.quick_account("Usuaria", "BUYER").await;
    let mut ws = connect(&app.base).await;
    init(&mut ws, &user).await;
    follow_orders(&mut ws).await;
    // Straight in the database, as if the notice had been lost on the way.
    sqlx::query!(
        "UPDATE refresh_token_families SET revoked_at = now() WHERE user_id = $1",
        user.row_id()
    )
    .execute(app.db.pool())
    .await
    .expect("revoke");
    // The recheck asks the cache of live sessions, which trusts an entry this long.
    let within = textisur_api::accounts::LIVE_SESSION_TTL + Duration::from_secs(2);
    assert_eq!(close_code_within(&mut ws, within).await, 4403);
}
