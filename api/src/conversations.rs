//! Conversations between a buyer and a store, and their messages.
//!
//! Key rule: only the two parties (the buyer and the store's seller) and admins may see a
//! conversation or write in it; every way in (`Query.conversation`, `node`, payloads, the
//! `messageAdded` subscription) asks [`Conversation::visible_to`]. A message belongs to a
//! side: the buyer's, or the store's (its seller, or an admin answering for it); a party's
//! unread messages are the other side's messages without `read_at`.

pub mod db;
pub mod graphql;
pub mod mutations;

use chrono::{DateTime, Utc};

use crate::graphql::ids::{ConversationId, MessageId, ProductId, StoreId, UserId};
use crate::graphql::viewer::Viewer;
use crate::runtime::db::Db;

/// Longest message body, in characters, as typed and as stored.
pub const MESSAGE_MAX_CHARS: usize = 4000;

/// A conversation row, with the seller who runs its store.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Conversation {
    pub id: ConversationId,
    pub buyer_id: UserId,
    pub store_id: StoreId,
    /// `stores.owner_id`: the other party.
    pub seller_id: UserId,
    pub product_id: Option<ProductId>,
    pub created_at: DateTime<Utc>,
    pub last_message_at: DateTime<Utc>,
}

/// A message row.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub sender_id: UserId,
    /// Sanitised: see [`crate::graphql::plain_text`].
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// The two sides of a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    Buyer,
    Store,
}

impl Conversation {
    /// Whether `viewer` may read this conversation and write in it.
    pub fn visible_to(&self, viewer: &Viewer) -> bool {
        viewer.is_admin() || self.party(viewer).is_some()
    }

    /// The side `viewer` takes part on, if they are the buyer or the seller.
    pub fn party(&self, viewer: &Viewer) -> Option<Side> {
        match viewer.user_id() {
            Some(user) if user == self.buyer_id => Some(Side::Buyer),
            Some(user) if user == self.seller_id => Some(Side::Store),
            _ => None,
        }
    }

    /// The side whose unread messages `viewer` is shown: their own, and the store's for an
    /// admin looking in.
    pub fn reading_side(&self, viewer: &Viewer) -> Side {
        self.party(viewer).unwrap_or(Side::Store)
    }

    /// The side a message of `sender` is on.
    pub fn side_of_sender(&self, sender: UserId) -> Side {
        if sender == self.buyer_id {
            Side::Buyer
        } else {
            Side::Store
        }
    }
}

/// Where a page of a user's conversations resumes (most recent activity first).
pub type ConversationCursor = (DateTime<Utc>, ConversationId);

/// Where a page of messages resumes (chronological order).
pub type MessageCursor = (DateTime<Utc>, MessageId);

/// Which end of a conversation a page of messages is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `first`/`after`: oldest first from the start (or from `after`).
    Forward,
    /// `last`/`before`: the newest ones (before `before`), fetched newest first.
    Backward,
}

/// One page of one conversation's messages: `limit` rows (the caller overfetches by one)
/// strictly between `after` and `before`, in `direction` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessagePageKey {
    pub conversation: ConversationId,
    pub direction: Direction,
    pub limit: usize,
    pub after: Option<MessageCursor>,
    pub before: Option<MessageCursor>,
}

/// Loads message pages of many conversations; keys sharing the window share a statement.
pub struct MessagePageLoader {
    db: Db,
}

/// How many messages a conversation holds, and how many each side has not read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MessageCounts {
    pub total: i64,
    /// Store-side messages the buyer has not read.
    pub unread_by_buyer: i64,
    /// Buyer messages the store has not read.
    pub unread_by_store: i64,
}

impl MessageCounts {
    /// The unread count shown to `side`.
    pub fn unread_by(&self, side: Side) -> i64 {
        match side {
            Side::Buyer => self.unread_by_buyer,
            Side::Store => self.unread_by_store,
        }
    }
}

/// Counts the messages of many conversations in one statement.
pub struct MessageCountLoader {
    db: Db,
}
