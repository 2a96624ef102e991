//! A `graphql-transport-ws` client for the WebSocket tests: connect, send, and wait (always
//! with a timeout, never a sleep) for a message or the close frame.

#![allow(dead_code)]

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use textisur_tests::Account;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a socket speaking `graphql-transport-ws`, or the refusal of the upgrade.
pub async fn try_connect(base: &str) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let url = format!("{}/graphql", base.replace("http://", "ws://"));
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

/// Opens a socket speaking `graphql-transport-ws`.
pub async fn connect(base: &str) -> Ws {
    try_connect(base).await.expect("websocket connects")
}

pub async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .expect("send");
}

/// The next protocol message, failing after `wait`.
pub async fn receive_within(ws: &mut Ws, wait: Duration) -> Value {
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

pub async fn receive(ws: &mut Ws) -> Value {
    receive_within(ws, Duration::from_secs(5)).await
}

/// Reads until the server closes, failing after `wait`; returns the close code (0 when the
/// connection ended without a close frame).
pub async fn close_code_within(ws: &mut Ws, wait: Duration) -> u16 {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let message = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("closed in time");
        match message {
            Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => return 0,
            Some(Ok(_)) => {}
        }
    }
}

/// `connection_init` with `token` (anonymous without), expecting `connection_ack`.
pub async fn init_with(ws: &mut Ws, token: Option<&str>) {
    let payload = match token {
        Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
        None => json!({}),
    };
    send(ws, json!({ "type": "connection_init", "payload": payload })).await;
    assert_eq!(receive(ws).await["type"], "connection_ack");
}

pub async fn init(ws: &mut Ws, account: &Account) {
    init_with(ws, Some(&account.access_token)).await;
}

/// Every message up to the `pong` answering a ping sent now.
pub async fn replies_until_pong(ws: &mut Ws) -> Vec<Value> {
    send(ws, json!({ "type": "ping" })).await;
    let mut replies = Vec::new();
    loop {
        let message = receive(ws).await;
        if message["type"] == "pong" {
            return replies;
        }
        replies.push(message);
    }
}
