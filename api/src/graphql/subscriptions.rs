//! The `Subscription` root: `messageAdded` and `orderUpdated`, fed by this process's
//! [`EventBus`](crate::runtime::events::EventBus), which hears every server process through
//! PostgreSQL `LISTEN/NOTIFY`.
//!
//! Key rule: who may subscribe is checked once, when the subscription starts (participants
//! of a conversation or an order never change); every event is then re-read from PostgreSQL
//! with fresh loaders, so a subscriber sees the row as committed, never a cached copy.

use async_graphql::{Context, ID, Result, Subscription};
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;

use crate::conversations::Message;
use crate::conversations::graphql::visible_conversation;
use std::sync::Arc;

use crate::commerce::orders::Order;
use crate::commerce::orders::graphql::visible_order;
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids::{ConversationId, OrderId, StoreId};
use crate::graphql::loaders::{LoadById, Loaders};
use crate::runtime::db::Db;
use crate::runtime::events::{Envelope, Event};

/// The root subscription type.
#[derive(Default)]
pub struct SubscriptionRoot;

/// Which order events a subscriber wants.
#[derive(Clone, Debug)]
enum OrderInterest {
    One(OrderId),
    /// Orders the user bought, or of the stores they run.
    Mine {
        buyer: crate::graphql::ids::UserId,
        stores: Vec<StoreId>,
    },
}

impl OrderInterest {
    fn wants(&self, event: &Event) -> Option<OrderId> {
        let Event::OrderUpdated {
            order_id,
            buyer_id,
            store_id,
        } = event
        else {
            return None;
        };
        let wanted = match self {
            Self::One(id) => id == order_id,
            Self::Mine { buyer, stores } => buyer == buyer_id || stores.contains(store_id),
        };
        wanted.then_some(*order_id)
    }
}

/// Turns bus events into rows: `pick` says which events matter and which row they name,
/// `load` reads that row from PostgreSQL (once per event, shared by every subscriber).
fn rows_of<T, K, P, L, F>(
    events: tokio::sync::broadcast::Receiver<Arc<Envelope>>,
    loaders: Loaders,
    db: Db,
    pick: P,
    load: L,
) -> impl Stream<Item = T> + Send
where
    T: Clone + Send + Sync + 'static,
    K: Send + 'static,
    P: Fn(&Event) -> Option<K> + Send + Sync + 'static,
    L: Fn(Db, K) -> F + Send + Sync + 'static,
    F: Future<Output = ApiResult<Option<T>>> + Send,
{
    let state = (events, loaders, db, pick, load);
    futures::stream::unfold(state, |(mut events, loaders, db, pick, load)| async move {
        loop {
            let (envelope, key) = match events.recv().await {
                Ok(envelope) => match pick(&envelope.event) {
                    Some(key) => (envelope, key),
                    None => continue,
                },
                Err(RecvError::Lagged(skipped)) => {
                    metrics::counter!("textisur_events_lagged_total").increment(skipped);
                    continue;
                }
                Err(RecvError::Closed) => return None,
            };
            // Nested fields (an order's history, say) must not come from this
            // subscription's cache of an earlier event.
            loaders.forget_changing();
            match envelope.row(|| load(db.clone(), key)).await {
                Ok(Some(row)) => return Some((row, (events, loaders, db, pick, load))),
                Ok(None) => continue,
                Err(error) => {
                    // Logged by the conversion; the subscriber just misses this event.
                    let _ = async_graphql::Error::from(error);
                    continue;
                }
            }
        }
    })
}

/// The one row with this id, read straight from PostgreSQL.
async fn one<T: LoadById>(db: Db, id: T::Id) -> ApiResult<Option<T>> {
    Ok(T::load(&db, &[id]).await?.into_iter().next())
}

/// The root subscription type: events pushed over WebSocket (`graphql-transport-ws`) as
/// they are committed. Every subscription needs a signed-in caller.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Messages written in a conversation from now on, by either side. Restricted: the
    /// buyer, the store's seller and admins.
    async fn message_added(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The conversation's global id; an unknown conversation is a `NOT_FOUND` error."
        )]
        conversation_id: ID,
    ) -> Result<impl Stream<Item = Message> + use<>> {
        let rc = RequestContext::of(ctx);
        if rc.viewer.user_id().is_none() {
            return Err(ApiError::Unauthenticated.into());
        }
        let id = ConversationId::from_global(&conversation_id)?;
        // Subscribe before checking, so nothing committed meanwhile is missed.
        let events = rc.events.subscribe_conversation(id);
        if visible_conversation(rc, id).await?.is_none() {
            return Err(ApiError::NotFound(crate::tr!("conversation-not-found")).into());
        }
        Ok(rows_of(
            events,
            rc.loaders.clone(),
            rc.db.clone(),
            move |event| match event {
                Event::MessageAdded {
                    conversation_id,
                    message_id,
                } if *conversation_id == id => Some(*message_id),
                _ => None,
            },
            one::<Message>,
        ))
    }

    /// Orders as they are created and change status: one order, or without `orderId` every
    /// order the caller bought or sells. Restricted: the order's buyer, its store's seller
    /// and admins.
    async fn order_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The global id of one order to follow (an unknown one is a `NOT_FOUND` error); null follows every order of the caller as buyer and of their store (the first one they opened) as seller, new orders included."
        )]
        order_id: Option<ID>,
    ) -> Result<impl Stream<Item = Order> + use<>> {
        let rc = RequestContext::of(ctx);
        let Some(user) = rc.viewer.user_id() else {
            return Err(ApiError::Unauthenticated.into());
        };
        let events = rc.events.subscribe();
        let interest = match order_id {
            Some(id) => {
                let id = OrderId::from_global(&id)?;
                if visible_order(rc, id).await?.is_none() {
                    return Err(ApiError::NotFound(crate::tr!("order-not-found")).into());
                }
                OrderInterest::One(id)
            }
            None => OrderInterest::Mine {
                buyer: user,
                stores: crate::catalogue::stores::db::by_owners(&rc.db, &[user])
                    .await?
                    .into_iter()
                    .map(|store| store.id)
                    .collect(),
            },
        };
        Ok(rows_of(
            events,
            rc.loaders.clone(),
            rc.db.clone(),
            move |event| interest.wants(event),
            one::<Order>,
        ))
    }
}
