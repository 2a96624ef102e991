//! Live events for subscriptions, fanned out through PostgreSQL `LISTEN/NOTIFY`.
//!
//! Key rule: a writer calls [`notify`] inside the transaction that makes the change, so the
//! event is delivered exactly when (and only if) the change commits, to every server process
//! listening on the database, the writer's own included. Payloads carry ids only; each
//! subscriber re-reads the rows it may see.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use tokio::sync::broadcast;

use uuid::Uuid;

use crate::graphql::ids::{ConversationId, MessageId, OrderId, StoreId, UserId};

/// The PostgreSQL channel every event goes through.
pub const CHANNEL: &str = "textisur_events";

/// Something that happened, as subscribers learn it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    /// A message was written in a conversation.
    MessageAdded {
        conversation_id: ConversationId,
        message_id: MessageId,
    },
    /// An order was created, changed status, or its payment changed (approved, refused,
    /// refunded).
    OrderUpdated {
        order_id: OrderId,
        buyer_id: UserId,
        store_id: StoreId,
    },
    /// A user's session ended (logout, revocation, a reused refresh token), or with no
    /// `session` every session of the user lost what it was granted (suspension, a role
    /// change): open sockets of those sessions close.
    SessionsEnded {
        user_id: UserId,
        session: Option<Uuid>,
    },
    /// An admin changed the search vocabulary (sent by a trigger on `search_vocabulary`):
    /// every process reloads it.
    VocabularyChanged,
    /// An admin set an exchange rate (sent by a trigger on `exchange_rates`): every process
    /// reloads the rates.
    RatesChanged,
}

impl Event {
    /// Whether this event ends the session `session` of `user`.
    pub fn ends_session(&self, user: UserId, session: Uuid) -> bool {
        match self {
            Self::SessionsEnded {
                user_id,
                session: ended,
            } => *user_id == user && ended.is_none_or(|ended| ended == session),
            _ => false,
        }
    }
}

/// Queues `event` for delivery when the caller's transaction commits.
pub async fn notify(conn: &mut PgConnection, event: &Event) -> sqlx::Result<()> {
    let payload = serde_json::to_string(event)
        .map_err(|e| sqlx::Error::Protocol(format!("encode event: {e}")))?;
    sqlx::query!("SELECT pg_notify($1, $2)", CHANNEL, payload)
        .fetch_one(conn)
        .await?;
    Ok(())
}

/// An event as this process delivers it, with room for the row it names: the first
/// subscriber to need the row reads it and the others share that read, so an event costs one
/// query however many subscribers hear it.
pub struct Envelope {
    pub event: Event,
    row: tokio::sync::OnceCell<std::sync::Arc<dyn std::any::Any + Send + Sync>>,
}

impl Envelope {
    /// Wraps an event whose row nobody has read yet.
    pub fn new(event: Event) -> Self {
        Self {
            event,
            row: tokio::sync::OnceCell::new(),
        }
    }

    /// The event's row, read by `load` once for all subscribers. Every subscriber of one
    /// event asks for the same type (the event names one table); another type is `None`.
    pub async fn row<T, F, Fut>(&self, load: F) -> crate::graphql::error::ApiResult<Option<T>>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = crate::graphql::error::ApiResult<Option<T>>>,
    {
        let row = self
            .row
            .get_or_try_init(|| async {
                let row = load().await?;
                Ok::<_, crate::graphql::error::ApiError>(
                    std::sync::Arc::new(row) as std::sync::Arc<dyn std::any::Any + Send + Sync>
                )
            })
            .await?;
        Ok(row.downcast_ref::<Option<T>>().cloned().flatten())
    }
}

/// Events this process hears, fanned out to the subscriptions that want them.
///
/// One `LISTEN` connection per process feeds the bus. A message goes only to the
/// subscribers of its conversation, on a channel of that conversation's own: one shared
/// channel woke every subscription of the process for every message, and with 10,000 of
/// them that wake-up was most of the server's work. Order events share one channel (an
/// order subscriber may follow every order of a buyer or of several stores). A subscriber
/// that falls more than its channel's buffer behind skips the oldest events (the metric
/// `textisur_events_lagged_total` counts them) rather than slowing everyone down.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<Envelope>>,
    /// Ended sessions: every open socket of a signed-in user listens here.
    sessions: broadcast::Sender<Event>,
    conversations: Arc<Mutex<Conversations>>,
    /// Woken when the search vocabulary changed (one waiter: the housekeeping task).
    vocabulary: Arc<tokio::sync::Notify>,
    /// Woken when an exchange rate was set (one waiter: the housekeeping task).
    rates: Arc<tokio::sync::Notify>,
}

/// The channels of the conversations someone in this process follows.
#[derive(Default)]
struct Conversations {
    channels: HashMap<ConversationId, broadcast::Sender<Arc<Envelope>>>,
    /// Channel count after the last sweep of channels nobody follows any more.
    swept_at: usize,
}

impl EventBus {
    /// Order events buffered per subscriber.
    pub const BUFFER: usize = 4096;
    /// Messages buffered per subscriber of one conversation (a channel allocates its
    /// buffer up front, and a process may follow many thousands of conversations).
    pub const CONVERSATION_BUFFER: usize = 64;
    /// Session ends buffered per socket; one that falls behind re-checks its session.
    pub const SESSIONS_BUFFER: usize = 256;

    /// A bus that hears nothing until [`EventBus::listen`] runs.
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(Self::BUFFER);
        let (sessions, _) = broadcast::channel(Self::SESSIONS_BUFFER);
        Self {
            sender,
            sessions,
            conversations: Arc::default(),
            vocabulary: Arc::default(),
            rates: Arc::default(),
        }
    }

    /// A receiver of every order event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Envelope>> {
        self.sender.subscribe()
    }

    /// A receiver of every [`Event::SessionsEnded`] from now on.
    pub fn subscribe_sessions(&self) -> broadcast::Receiver<Event> {
        self.sessions.subscribe()
    }

    /// Resolves when the search vocabulary changed since the last call returned.
    pub async fn vocabulary_changed(&self) {
        self.vocabulary.notified().await;
    }

    /// Resolves when an exchange rate was set since the last call returned.
    pub async fn rates_changed(&self) {
        self.rates.notified().await;
    }

    /// A receiver of the messages added to `conversation` from now on.
    pub fn subscribe_conversation(
        &self,
        conversation: ConversationId,
    ) -> broadcast::Receiver<Arc<Envelope>> {
        let mut conversations = self
            .conversations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Forget the channels nobody follows any more, whenever their number has doubled.
        if conversations.channels.len() >= 2 * conversations.swept_at.max(512) {
            conversations
                .channels
                .retain(|_, channel| channel.receiver_count() > 0);
            conversations.swept_at = conversations.channels.len();
        }
        conversations
            .channels
            .entry(conversation)
            .or_insert_with(|| broadcast::channel(Self::CONVERSATION_BUFFER).0)
            .subscribe()
    }

    /// Starts listening on [`CHANNEL`]: returns once `LISTEN` is in place (so nothing
    /// committed after this returns is missed) and hears events on a background task.
    /// sqlx's listener reconnects and re-issues `LISTEN` by itself after a lost connection;
    /// what was sent meanwhile is lost, as with any NOTIFY fan-out (clients refetch).
    pub async fn start(pool: &sqlx::PgPool) -> sqlx::Result<(Self, tokio::task::JoinHandle<()>)> {
        let bus = Self::new();
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        let task = tokio::spawn({
            let bus = bus.clone();
            async move {
                loop {
                    match listener.recv().await {
                        Ok(notification) => bus.deliver(notification.payload()),
                        Err(error) => {
                            tracing::warn!(%error, "event listener failed; retrying");
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        }
                    }
                }
            }
        });
        Ok((bus, task))
    }

    fn deliver(&self, payload: &str) {
        let event = match serde_json::from_str::<Event>(payload) {
            Ok(event) => event,
            Err(error) => {
                tracing::warn!(%error, "ignoring an event that does not parse");
                return;
            }
        };
        metrics::counter!("textisur_events_received_total").increment(1);
        match event {
            Event::MessageAdded {
                conversation_id, ..
            } => {
                let mut conversations = self
                    .conversations
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if let Some(channel) = conversations.channels.get(&conversation_id)
                    && channel.send(Arc::new(Envelope::new(event))).is_err()
                {
                    // Nobody follows this conversation any more.
                    conversations.channels.remove(&conversation_id);
                }
            }
            // No receiver is fine: nobody is subscribed in this process.
            Event::OrderUpdated { .. } => {
                let _ = self.sender.send(Arc::new(Envelope::new(event)));
            }
            Event::SessionsEnded { .. } => {
                let _ = self.sessions.send(event);
            }
            Event::VocabularyChanged => self.vocabulary.notify_one(),
            Event::RatesChanged => self.rates.notify_one(),
        }
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(conversation: i64, message: i64) -> String {
        serde_json::to_string(&Event::MessageAdded {
            conversation_id: ConversationId(conversation),
            message_id: MessageId(message),
        })
        .expect("encode")
    }

    #[test]
    fn a_message_reaches_only_its_conversation() {
        let bus = EventBus::new();
        let mut first = bus.subscribe_conversation(ConversationId(1));
        let mut second = bus.subscribe_conversation(ConversationId(2));
        let mut orders = bus.subscribe();
        bus.deliver(&message(1, 10));
        let heard = first.try_recv().expect("conversation 1 hears its message");
        assert_eq!(
            heard.event,
            Event::MessageAdded {
                conversation_id: ConversationId(1),
                message_id: MessageId(10),
            }
        );
        assert!(second.try_recv().is_err(), "conversation 2 hears nothing");
        assert!(
            orders.try_recv().is_err(),
            "order subscribers hear no messages"
        );

        let order = Event::OrderUpdated {
            order_id: OrderId(7),
            buyer_id: UserId(3),
            store_id: StoreId(4),
        };
        bus.deliver(&serde_json::to_string(&order).expect("encode"));
        assert_eq!(orders.try_recv().expect("order event").event, order);
        assert!(first.try_recv().is_err());
    }

    #[test]
    fn an_ended_session_reaches_session_listeners_and_names_whom_it_ends() {
        let bus = EventBus::new();
        let mut sessions = bus.subscribe_sessions();
        let mut orders = bus.subscribe();
        let (one, other) = (Uuid::new_v4(), Uuid::new_v4());
        let ended = Event::SessionsEnded {
            user_id: UserId(3),
            session: Some(one),
        };
        bus.deliver(&serde_json::to_string(&ended).expect("encode"));
        let heard = sessions.try_recv().expect("heard");
        assert!(heard.ends_session(UserId(3), one));
        assert!(!heard.ends_session(UserId(3), other), "only that session");
        assert!(!heard.ends_session(UserId(4), one));
        assert!(orders.try_recv().is_err(), "order subscribers hear nothing");
        let every = Event::SessionsEnded {
            user_id: UserId(3),
            session: None,
        };
        assert!(every.ends_session(UserId(3), other), "all of the user's");
    }

    #[test]
    fn a_conversation_nobody_follows_loses_its_channel() {
        let bus = EventBus::new();
        let receiver = bus.subscribe_conversation(ConversationId(5));
        drop(receiver);
        bus.deliver(&message(5, 1));
        let channels = bus.conversations.lock().expect("lock").channels.len();
        assert_eq!(channels, 0);
        // A later subscriber gets a fresh channel and hears what follows.
        let mut again = bus.subscribe_conversation(ConversationId(5));
        bus.deliver(&message(5, 2));
        assert!(again.try_recv().is_ok());
    }
}
