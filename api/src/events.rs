//! Live events for subscriptions, fanned out through PostgreSQL `LISTEN/NOTIFY`.
//!
//! Key rule: a writer calls [`notify`] inside the transaction that makes the change, so the
//! event is delivered exactly when (and only if) the change commits, to every server process
//! listening on the database, the writer's own included. Payloads carry ids only; each
//! subscriber re-reads the rows it may see.

use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

use crate::ids::{ConversationId, MessageId, OrderId, StoreId, UserId};

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
    /// An order was created or changed status.
    OrderUpdated {
        order_id: OrderId,
        buyer_id: UserId,
        store_id: StoreId,
    },
}

/// Queues `event` for delivery when the caller's transaction commits.
pub async fn notify(conn: &mut PgConnection, event: &Event) -> sqlx::Result<()> {
    let payload = serde_json::to_string(event)
        .map_err(|e| sqlx::Error::Protocol(format!("encode event: {e}")))?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(conn)
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
    pub async fn row<T, F, Fut>(&self, load: F) -> crate::error::ApiResult<Option<T>>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = crate::error::ApiResult<Option<T>>>,
    {
        let row = self
            .row
            .get_or_try_init(|| async {
                let row = load().await?;
                Ok::<_, crate::error::ApiError>(
                    std::sync::Arc::new(row) as std::sync::Arc<dyn std::any::Any + Send + Sync>
                )
            })
            .await?;
        Ok(row.downcast_ref::<Option<T>>().cloned().flatten())
    }
}

/// Events this process hears, fanned out to every subscription in it.
///
/// One `LISTEN` connection per process feeds a broadcast channel; a subscriber that falls
/// more than [`EventBus::BUFFER`] events behind skips the oldest ones (and the metric
/// `textisur_events_lagged_total` counts them) rather than slowing everyone down.
#[derive(Clone)]
pub struct EventBus {
    sender: tokio::sync::broadcast::Sender<std::sync::Arc<Envelope>>,
}

impl EventBus {
    /// Events buffered per subscriber.
    pub const BUFFER: usize = 4096;

    /// A bus that hears nothing until [`EventBus::listen`] runs.
    pub fn new() -> Self {
        let (sender, _) = tokio::sync::broadcast::channel(Self::BUFFER);
        Self { sender }
    }

    /// A receiver of every event from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<std::sync::Arc<Envelope>> {
        self.sender.subscribe()
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
        match serde_json::from_str::<Event>(payload) {
            Ok(event) => {
                metrics::counter!("textisur_events_received_total").increment(1);
                // No receiver is fine: nobody is subscribed in this process.
                let _ = self.sender.send(std::sync::Arc::new(Envelope::new(event)));
            }
            Err(error) => tracing::warn!(%error, "ignoring an event that does not parse"),
        }
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}
