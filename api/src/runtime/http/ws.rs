//! Subscriptions over WebSocket, speaking `graphql-transport-ws` (the protocol of the
//! `graphql-ws` library, which Apollo Client and urql use).
//!
//! Written here rather than taken from async-graphql-axum because the stock handler closes
//! with 1011 where the protocol says 4401, has no initialisation timeout (4408) and no check
//! for duplicate ids (4409). The close codes, as the protocol defines them:
//! 4400 a message that does not parse or is not expected; 4401 `subscribe` before the
//! connection was acknowledged; 4403 credentials in `connection_init` that are refused;
//! 4406 a client that did not offer `graphql-transport-ws`; 4408 no `connection_init` in
//! time; 4409 a second subscription with an id still in use; 4429 a second
//! `connection_init`. The server closes with 1001 when it shuts down, with 4403 when the
//! connection's session ends (logout, revocation, suspension, a role change: heard from any
//! process through [`crate::runtime::events`], and re-checked periodically), and with 4408 "Idle
//! timeout" when the client sent nothing, not even a `pong` to the server's `ping`, for
//! [`WsConfig::idle_timeout`].
//!
//! Only subscription operations run here, chosen as HTTP chooses ([`crate::graphql::operation`]):
//! queries and mutations get an `error` and go over HTTP, where caching and status codes
//! apply. A subscription names its document as an HTTP request does (text, document id or
//! APQ hash), under the same safelist, and spends from the caller's HTTP cost bucket: its
//! requested cost when it starts, and each event the actual cost of what it delivers.
//! Each client address may hold [`WsConfig::max_connections_per_client`] sockets.

pub mod client_slots;
mod subscribe;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::header::{AUTHORIZATION, UPGRADE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::state::AppState;
use crate::accounts::{self, client_ip};
use crate::graphql::context::ClientInfo;
use crate::graphql::error::RequestError;
use crate::graphql::viewer::Viewer;
use crate::runtime::events::Event;
use async_graphql::ErrorExtensions;

/// The subprotocol spoken.
pub const PROTOCOL: &str = "graphql-transport-ws";

pub use client_slots::ClientSlots;

/// A WebSocket upgrade request, when the GET carries `Upgrade: websocket`.
pub struct MaybeUpgrade(pub Option<WebSocketUpgrade>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeUpgrade {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let wants_upgrade = parts
            .headers
            .get(UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        if !wants_upgrade {
            return Ok(Self(None));
        }
        <WebSocketUpgrade as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(|upgrade| Self(Some(upgrade)))
            .map_err(axum::response::IntoResponse::into_response)
    }
}

/// Accepts the upgrade and runs the connection.
pub fn upgrade(
    state: AppState,
    upgrade: WebSocketUpgrade,
    peer: SocketAddr,
    headers: HeaderMap,
) -> Response {
    // Small buffers: tungstenite reserves its read buffer per connection (128 KiB by
    // default, 1.25 GB for 10,000 idle subscribers); protocol messages are small, and each
    // one is flushed as soon as it is written.
    let upgrade = upgrade
        .protocols([PROTOCOL])
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(state.config.max_body_bytes);
    let spoken = upgrade.selected_protocol().is_some();
    let client = ClientInfo {
        ip: client_ip(peer.ip(), &headers, &state.config.trusted_proxies),
        user_agent: None,
    };
    let max = state.config.ws.max_connections_per_client;
    // The upgrade request's language: the connection runs in a task of its own, where the
    // request's is no longer current.
    let locale = crate::graphql::i18n::current();
    let Some(slot) = state.ws_slots.take(client.network(), max) else {
        metrics::counter!("textisur_rate_limit_rejections_total", "limit" => "websocket")
            .increment(1);
        return too_many_sockets(max);
    };
    upgrade.on_upgrade(move |socket| {
        crate::graphql::i18n::scope(locale, async move {
            metrics::gauge!("textisur_websocket_connections").increment(1.0);
            if spoken {
                Connection::new(state, client, headers)
                    .run(socket, slot)
                    .await;
            } else {
                let mut socket = socket;
                drop(slot);
                let _ = socket.send(close(4406, "Subprotocol not acceptable")).await;
            }
            metrics::gauge!("textisur_websocket_connections").decrement(1.0);
        })
    })
}

/// The answer to an upgrade over the address's cap: no socket at all.
fn too_many_sockets(max: usize) -> Response {
    use axum::response::IntoResponse;
    let body = json!({ "errors": [RequestError::TooManySockets { max }.extend()] });
    (axum::http::StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response()
}

/// A close frame. Reasons stay in English, whatever the connection's language: they are
/// the protocol's own (`graphql-transport-ws` names most of them), at most 123 bytes, and
/// clients act on the code.
fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from(reason),
    }))
}

fn text(value: &Value) -> Message {
    Message::Text(Utf8Bytes::from(value.to_string()))
}

/// A message from the client.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Pong {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: Value,
    },
    Complete {
        id: String,
    },
}

/// What a subscription task tells the connection.
enum FromTask {
    Send(Value),
    /// The operation ended (the stream finished or failed); `generation` tells a finished
    /// subscription from a newer one that reused its id.
    Ended {
        id: String,
        generation: u64,
    },
}

/// Why the connection closes.
struct Closing(u16, String);

struct Connection {
    state: AppState,
    client: ClientInfo,
    upgrade_headers: HeaderMap,
    /// Set once `connection_init` was accepted.
    viewer: Option<Viewer>,
    init_seen: bool,
    running: HashMap<String, (u64, tokio::task::AbortHandle)>,
    generation: u64,
    to_connection: mpsc::Sender<FromTask>,
    from_tasks: Option<mpsc::Receiver<FromTask>>,
}

impl Connection {
    fn new(state: AppState, client: ClientInfo, upgrade_headers: HeaderMap) -> Self {
        let (to_connection, from_tasks) = mpsc::channel(256);
        Self {
            state,
            client,
            upgrade_headers,
            viewer: None,
            init_seen: false,
            running: HashMap::new(),
            generation: 0,
            to_connection,
            from_tasks: Some(from_tasks),
        }
    }

    async fn run(mut self, socket: WebSocket, slot: client_slots::Slot) {
        let (mut sink, mut incoming) = socket.split();
        let Some(mut from_tasks) = self.from_tasks.take() else {
            return;
        };
        let config = self.state.config.ws.clone();
        // Heard from before `connection_init` is checked, so an end committed meanwhile
        // is not missed.
        let mut ended_sessions = Some(self.state.events.subscribe_sessions());
        // A zero period would make `interval` panic.
        let period = config.session_recheck.max(Duration::from_millis(10));
        let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let init_deadline = tokio::time::sleep(config.init_timeout);
        let idle_deadline = tokio::time::sleep(config.idle_timeout);
        let ping_due = tokio::time::sleep(config.idle_timeout / 2);
        tokio::pin!(init_deadline, idle_deadline, ping_due);
        let mut pinged = false;
        let mut closing_server = self.state.closing.clone();
        let closing = loop {
            tokio::select! {
                () = &mut init_deadline, if !self.init_seen => {
                    break Some(Closing(4408, "Connection initialisation timeout".into()));
                }
                () = &mut idle_deadline => break Some(Closing(4408, "Idle timeout".into())),
                () = &mut ping_due, if !pinged => {
                    pinged = true;
                    if !send_within(&mut sink, text(&json!({ "type": "ping" })), config.send_timeout).await {
                        break None;
                    }
                }
                changed = closing_server.changed() => {
                    if changed.is_err() || *closing_server.borrow() {
                        break Some(Closing(1001, "server shutting down".into()));
                    }
                }
                ended = next_ended(&mut ended_sessions) => {
                    let still_live = match ended {
                        Ok(event) => !self.ended_by(&event),
                        // Notices were dropped: ours may have been among them.
                        Err(broadcast::error::RecvError::Lagged(_)) => self.session_live().await,
                        Err(broadcast::error::RecvError::Closed) => {
                            ended_sessions = None;
                            true
                        }
                    };
                    if !still_live {
                        break Some(Closing(4403, "Forbidden".into()));
                    }
                }
                _ = recheck.tick(), if matches!(self.viewer, Some(Viewer::User { .. })) => {
                    if !self.session_live().await {
                        break Some(Closing(4403, "Forbidden".into()));
                    }
                }
                message = incoming.next() => {
                    if let Some(Ok(_)) = &message {
                        // Anything the client sends shows it is still there.
                        let now = tokio::time::Instant::now();
                        idle_deadline.as_mut().reset(now + config.idle_timeout);
                        ping_due.as_mut().reset(now + config.idle_timeout / 2);
                        pinged = false;
                    }
                    match message {
                        Some(Ok(Message::Text(raw))) => match self.handle(raw.as_str()).await {
                            Ok(replies) => {
                                for reply in replies {
                                    if !send_within(&mut sink, text(&reply), config.send_timeout).await {
                                        break;
                                    }
                                }
                            }
                            Err(closing) => break Some(closing),
                        },
                        Some(Ok(Message::Binary(_))) => {
                            break Some(Closing(4400, "binary messages are not part of the protocol".into()));
                        }
                        // Pings are answered by the WebSocket layer itself.
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break None,
                    }
                }
                Some(event) = from_tasks.recv() => match event {
                    FromTask::Send(message) => {
                        if !send_within(&mut sink, text(&message), config.send_timeout).await {
                            break None;
                        }
                    }
                    FromTask::Ended { id, generation } => {
                        if self.running.get(&id).is_some_and(|(g, _)| *g == generation) {
                            self.running.remove(&id);
                        }
                    }
                },
            }
        };
        for (_, (_, task)) in self.running.drain() {
            task.abort();
        }
        // The address may open another socket as soon as this one is seen to close.
        drop(slot);
        if let Some(Closing(code, reason)) = closing {
            metrics::counter!("textisur_websocket_closes_total", "code" => code.to_string())
                .increment(1);
            if send_within(&mut sink, close(code, &reason), config.send_timeout).await {
                let _ = tokio::time::timeout(config.send_timeout, sink.close()).await;
            }
        }
    }

    /// Whether `event` ends this connection's session.
    fn ended_by(&self, event: &Event) -> bool {
        match self.viewer {
            Some(Viewer::User { id, session, .. }) => event.ends_session(id, session),
            _ => false,
        }
    }

    /// Whether this connection's session still stands as it was when the connection was
    /// accepted: not revoked, the user not suspended, the role unchanged. Asked of the cache
    /// of live sessions, whose entries every notice of an end removes and which forgets the
    /// rest within seconds, so many sockets of one session cost one read; a failed read
    /// keeps the connection.
    async fn session_live(&self) -> bool {
        let Some(Viewer::User { id, role, session }) = self.viewer else {
            return true;
        };
        let sessions = &self.state.auth.sessions;
        match sessions.live_role(&self.state.db, id, session).await {
            Ok(now) => now == Some(role),
            Err(error) => {
                let _ = async_graphql::Error::from(error);
                true
            }
        }
    }

    /// Handles one text message: the replies to send, or why the connection must close.
    async fn handle(&mut self, raw: &str) -> Result<Vec<Value>, Closing> {
        let message: ClientMessage = serde_json::from_str(raw)
            .map_err(|_| Closing(4400, "Invalid message received".into()))?;
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if self.init_seen {
                    return Err(Closing(4429, "Too many initialisation requests".into()));
                }
                self.init_seen = true;
                self.viewer = Some(self.authenticate(payload.as_ref()).await?);
                Ok(vec![json!({ "type": "connection_ack" })])
            }
            ClientMessage::Ping { .. } => Ok(vec![json!({ "type": "pong" })]),
            ClientMessage::Pong { .. } => Ok(Vec::new()),
            ClientMessage::Subscribe { id, payload } => {
                let Some(viewer) = self.viewer else {
                    return Err(Closing(4401, "Unauthorized".into()));
                };
                if id.is_empty() || id.len() > 128 {
                    return Err(Closing(4400, "Invalid message received".into()));
                }
                if self.running.contains_key(&id) {
                    return Err(Closing(4409, format!("Subscriber for {id} already exists")));
                }
                Ok(self
                    .subscribe(id, payload, viewer)
                    .await
                    .into_iter()
                    .collect())
            }
            ClientMessage::Complete { id } => {
                if let Some((_, task)) = self.running.remove(&id) {
                    task.abort();
                }
                Ok(Vec::new())
            }
        }
    }

    /// The viewer named by `connection_init`'s payload (`Authorization`, `authorization` or
    /// `token`), else by the upgrade request's `Authorization` header; anonymous without
    /// either. Refused credentials close the connection with 4403.
    async fn authenticate(&self, payload: Option<&Value>) -> Result<Viewer, Closing> {
        let from_payload = payload.and_then(|p| {
            ["Authorization", "authorization", "token", "accessToken"]
                .iter()
                .find_map(|key| p.get(*key).and_then(Value::as_str))
        });
        let mut headers = HeaderMap::new();
        match from_payload {
            Some(value) => {
                let value = if value.contains(' ') {
                    value.to_owned()
                } else {
                    format!("Bearer {value}")
                };
                let value =
                    HeaderValue::from_str(&value).map_err(|_| Closing(4403, "Forbidden".into()))?;
                headers.insert(AUTHORIZATION, value);
            }
            None => {
                if let Some(value) = self.upgrade_headers.get(AUTHORIZATION) {
                    headers.insert(AUTHORIZATION, value.clone());
                }
            }
        }
        match accounts::authenticate(&self.state.auth, &self.state.db, &headers).await {
            Ok(Ok(viewer)) => Ok(viewer),
            Ok(Err(_)) => Err(Closing(4403, "Forbidden".into())),
            Err(error) => {
                let _ = async_graphql::Error::from(error);
                Err(Closing(4500, "internal error".into()))
            }
        }
    }
}

/// The next ended session this process hears of; never, once the bus is gone.
async fn next_ended(
    receiver: &mut Option<broadcast::Receiver<Event>>,
) -> Result<Event, broadcast::error::RecvError> {
    match receiver {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// Sends one frame; false when the client is gone or has not taken it within `limit`.
async fn send_within<S>(sink: &mut S, message: Message, limit: Duration) -> bool
where
    S: futures::Sink<Message> + Unpin,
{
    matches!(
        tokio::time::timeout(limit, sink.send(message)).await,
        Ok(Ok(()))
    )
}
