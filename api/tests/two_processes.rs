//! Two `textisur serve` processes on one database: a `graphql-transport-ws` subscriber on
//! the first receives, within a second, a message sent through the second, and is closed with
//! 4403 within a second of its session's logout through the second. Both travel only through
//! PostgreSQL (NOTIFY at commit, LISTEN in each process).

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use textisur_tests::scratch::Scratch;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const KEYS: &str = "two:dHdvLXByb2Nlc3Nlcy10ZXN0LWtleS0zMi1ieXRlcyEh";

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn serve(scratch: &Scratch, extra: &[&str]) -> Server {
    let mut args = vec!["serve", "--no-demo-data", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let mut child = scratch
        .command(&args)
        .env("TEXTISUR_JWT_KEYS", KEYS)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let base = lines
        .find_map(|line| {
            line.strip_prefix("TextiSur API listening on ")
                .map(|a| a.trim().to_owned())
        })
        .expect("server printed its address");
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, base }
}

async fn post(base: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json")
}

/// Signs in; returns the access and refresh tokens.
async fn login(base: &str, email: &str) -> (String, String) {
    let body = post(
        base,
        None,
        "mutation($e: String!) { login(input: {email: $e, password: \"lana de alpaca\"}) { accessToken refreshToken userErrors { code } } }",
        json!({ "e": email }),
    )
    .await;
    let token = |name: &str| {
        body["data"]["login"][name]
            .as_str()
            .unwrap_or_else(|| panic!("login {email}: {body}"))
            .to_owned()
    };
    (token("accessToken"), token("refreshToken"))
}

async fn receive<S>(ws: &mut S, wait: Duration) -> Value
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(wait, ws.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("message");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("json");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_on_one_process_hears_writes_and_logout_through_another() {
    let scratch = Scratch::new("two_processes", env!("CARGO_BIN_EXE_textisur"));
    scratch.ok(&["seed", "--products", "50"]);
    let first = serve(&scratch, &[]);
    let second = serve(
        &scratch,
        &["--indexer", "off", "--search-backend", "postgres"],
    );

    let (seller, seller_refresh) = login(&first.base, "vendedor1@textisur.example").await;
    let (buyer, _) = login(&second.base, "comprador1@textisur.example").await;
    let me = post(
        &first.base,
        Some(&seller),
        "{ me { store { id } } }",
        json!({}),
    )
    .await;
    let store = me["data"]["me"]["store"]["id"].clone();
    let started = post(
        &second.base,
        Some(&buyer),
        "mutation($s: ID!) { startConversation(storeId: $s, body: \"¿Hacen envíos a Salta?\") { conversation { id } userErrors { code } } }",
        json!({ "s": store }),
    )
    .await;
    let conversation = started["data"]["startConversation"]["conversation"]["id"].clone();
    assert!(conversation.is_string(), "{started}");

    let url = format!("{}/graphql", first.base.replace("http://", "ws://"));
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    for message in [
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {seller}") } }),
        json!({ "id": "1", "type": "subscribe", "payload": {
            "query": "subscription($c: ID!) { messageAdded(conversationId: $c) { body sender { name } } }",
            "variables": { "c": conversation } } }),
        json!({ "type": "ping" }),
    ] {
        ws.send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }
    assert_eq!(
        receive(&mut ws, Duration::from_secs(5)).await["type"],
        "connection_ack"
    );
    assert_eq!(
        receive(&mut ws, Duration::from_secs(5)).await["type"],
        "pong"
    );

    let sent = post(
        &second.base,
        Some(&buyer),
        "mutation($c: ID!) { sendMessage(conversationId: $c, body: \"Necesito 12 metros de lino\") { message { id } userErrors { code } } }",
        json!({ "c": conversation }),
    )
    .await;
    assert_eq!(
        sent["data"]["sendMessage"]["userErrors"],
        json!([]),
        "{sent}"
    );
    let next = receive(&mut ws, Duration::from_secs(1)).await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(
        next["payload"]["data"]["messageAdded"]["body"],
        "Necesito 12 metros de lino"
    );

    // The seller logs out through the second process: the first closes the socket.
    let out = post(
        &second.base,
        None,
        "mutation($t: String!) { logout(refreshToken: $t) { ok } }",
        json!({ "t": seller_refresh }),
    )
    .await;
    assert_eq!(out["data"]["logout"]["ok"], true, "{out}");
    let closed = loop {
        let message = tokio::time::timeout(Duration::from_secs(1), ws.next())
            .await
            .expect("closed within a second of the logout");
        match message {
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            other => panic!("ended without a close frame: {other:?}"),
        }
    };
    assert_eq!(closed, Some(4403));
    drop(second);
    drop(first);
}
