//! SQL of conversations and messages.
//!
//! A message is written with [`add_message`], which also moves the conversation's
//! `last_message_at` and queues the `MessageAdded` event, in one statement.

use std::collections::HashMap;

use sqlx::PgConnection;

use super::{
    Conversation, ConversationCursor, Direction, Message, MessageCounts, MessageCursor,
    MessagePageKey, Side,
};
use super::{MessageCountLoader, MessagePageLoader};
use crate::graphql::error::ApiResult;
use crate::graphql::ids::{ConversationId, MessageId, ProductId, StoreId, UserId};
use crate::graphql::loaders::BatchLoad;
use crate::graphql::plain_text::PlainText;
use crate::runtime::db::Db;
use crate::runtime::events;

/// The columns of [`Conversation`] (`c` is the conversation, `s` its store).
macro_rules! columns {
    () => {
        "c.id, c.buyer_id, c.store_id, s.owner_id AS seller_id, c.product_id, c.created_at, \
         c.last_message_at"
    };
}

/// The bounds of a message page: `$3, $4` after, `$5, $6` before, each optional.
macro_rules! message_window {
    () => {
        " AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4))
          AND ($5::timestamptz IS NULL OR (created_at, id) < ($5, $6))"
    };
}

/// Loads conversations by id, in any order; missing ids are absent.
pub async fn conversations_by_ids(db: &Db, ids: &[ConversationId]) -> ApiResult<Vec<Conversation>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM conversations c JOIN stores s ON s.id = c.store_id WHERE c.id = ANY($1)"
    ))
    .bind(ids.iter().map(|id| id.0).collect::<Vec<_>>())
    .fetch_all(db.executor())
    .await?)
}

/// Loads messages by id, in any order; missing ids are absent.
pub async fn messages_by_ids(db: &Db, ids: &[MessageId]) -> ApiResult<Vec<Message>> {
    Ok(sqlx::query_as("SELECT * FROM messages WHERE id = ANY($1)")
        .bind(ids.iter().map(|id| id.0).collect::<Vec<_>>())
        .fetch_all(db.executor())
        .await?)
}

/// The conversation of `buyer` with `store` about `product`, created when there is none.
pub async fn find_or_create(
    conn: &mut PgConnection,
    buyer: UserId,
    store: StoreId,
    product: Option<ProductId>,
) -> sqlx::Result<ConversationId> {
    // The no-op update makes `RETURNING` answer for an existing row too, and waits for a
    // concurrent first message of the same conversation instead of failing on it.
    sqlx::query_scalar(
        "INSERT INTO conversations (buyer_id, store_id, product_id) VALUES ($1, $2, $3)
         ON CONFLICT (buyer_id, store_id, COALESCE(product_id, 0))
         DO UPDATE SET buyer_id = EXCLUDED.buyer_id
         RETURNING id",
    )
    .bind(buyer)
    .bind(store)
    .bind(product)
    .fetch_one(conn)
    .await
}

/// A message just written, with the conversation's `last_message_at` after it.
#[derive(sqlx::FromRow)]
pub struct Written {
    #[sqlx(flatten)]
    pub message: Message,
    pub last_message_at: chrono::DateTime<chrono::Utc>,
}

/// Writes a message, moves the conversation's `last_message_at` to it and queues the
/// `MessageAdded` event, in one statement: atomic by itself, and one round trip (a
/// message is the hottest write there is). Inside a transaction, the event waits for its
/// commit like any other [`events::notify`].
pub async fn add_message<'e, E: sqlx::PgExecutor<'e>>(
    executor: E,
    conversation: ConversationId,
    sender: UserId,
    body: &PlainText,
) -> sqlx::Result<Written> {
    // GREATEST: a transaction that started earlier but commits later must not move the
    // conversation back in its parties' lists. The payload is `Event::MessageAdded` as serde
    // writes it (the subscription tests decode it); a missing conversation writes nothing,
    // as the insert's foreign key fails first.
    sqlx::query_as(
        "WITH m AS (
           INSERT INTO messages (conversation_id, sender_id, body) VALUES ($1, $2, $3)
           RETURNING *
         ), c AS (
           UPDATE conversations c SET last_message_at = GREATEST(c.last_message_at, m.created_at)
           FROM m WHERE c.id = m.conversation_id
           RETURNING c.last_message_at
         ), event AS (
           SELECT pg_notify($4, json_build_object(
             'type', 'MessageAdded', 'conversation_id', m.conversation_id, 'message_id', m.id
           )::text) FROM m
         )
         SELECT m.*, c.last_message_at FROM m, c, event",
    )
    .bind(conversation)
    .bind(sender)
    .bind(body.as_str())
    .bind(events::CHANNEL)
    .fetch_one(executor)
    .await
}

/// Marks the other side's unread messages as read by `reader`'s side; returns how many.
pub async fn mark_read(db: &Db, conversation: &Conversation, reader: Side) -> ApiResult<u64> {
    let written_by_buyer = reader == Side::Store;
    let result = sqlx::query(
        "UPDATE messages SET read_at = now()
         WHERE conversation_id = $1 AND read_at IS NULL AND (sender_id = $2) = $3",
    )
    .bind(conversation.id)
    .bind(conversation.buyer_id)
    .bind(written_by_buyer)
    .execute(db.executor())
    .await?;
    Ok(result.rows_affected())
}

/// Up to `limit` conversations `user` takes part in, as buyer or as seller of the store,
/// most recent activity first, after `after`.
pub async fn for_user(
    db: &Db,
    user: UserId,
    after: Option<ConversationCursor>,
    limit: usize,
) -> ApiResult<Vec<Conversation>> {
    // Two index-ordered branches (by buyer, by store) merged, rather than one `OR` that
    // neither index can serve in order.
    Ok(sqlx::query_as(concat!(
        "SELECT * FROM (
             (SELECT ",
        columns!(),
        " FROM conversations c JOIN stores s ON s.id = c.store_id
              WHERE c.buyer_id = $1
                AND ($2::timestamptz IS NULL OR (c.last_message_at, c.id) < ($2, $3))
              ORDER BY c.last_message_at DESC, c.id DESC LIMIT $4)
             UNION
             (SELECT ",
        columns!(),
        " FROM stores s JOIN conversations c ON c.store_id = s.id
              WHERE s.owner_id = $1
                AND ($2::timestamptz IS NULL OR (c.last_message_at, c.id) < ($2, $3))
              ORDER BY c.last_message_at DESC, c.id DESC LIMIT $4)
         ) t ORDER BY last_message_at DESC, id DESC LIMIT $4"
    ))
    .bind(user)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1.0))
    .bind(limit as i64)
    .fetch_all(db.executor())
    .await?)
}

/// How many conversations `user` takes part in.
pub async fn count_for_user(db: &Db, user: UserId) -> ApiResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM conversations c JOIN stores s ON s.id = c.store_id
         WHERE c.buyer_id = $1 OR s.owner_id = $1",
    )
    .bind(user)
    .fetch_one(db.executor())
    .await?)
}

/// Message pages of many conversations: one statement per distinct window.
pub async fn message_pages(
    db: &Db,
    keys: &[MessagePageKey],
) -> ApiResult<HashMap<MessagePageKey, Vec<Message>>> {
    type Window = (
        Direction,
        usize,
        Option<MessageCursor>,
        Option<MessageCursor>,
    );
    let mut groups: HashMap<Window, Vec<i64>> = HashMap::new();
    for key in keys {
        groups
            .entry((key.direction, key.limit, key.after, key.before))
            .or_default()
            .push(key.conversation.0);
    }
    let mut pages = HashMap::new();
    for ((direction, limit, after, before), conversations) in groups {
        let sql = match direction {
            Direction::Forward => concat!(
                "SELECT m.* FROM unnest($1::bigint[]) AS k(conversation_id)
                 CROSS JOIN LATERAL (
                     SELECT * FROM messages WHERE conversation_id = k.conversation_id",
                message_window!(),
                " ORDER BY created_at, id LIMIT $2) m"
            ),
            Direction::Backward => concat!(
                "SELECT m.* FROM unnest($1::bigint[]) AS k(conversation_id)
                 CROSS JOIN LATERAL (
                     SELECT * FROM messages WHERE conversation_id = k.conversation_id",
                message_window!(),
                " ORDER BY created_at DESC, id DESC LIMIT $2) m"
            ),
        };
        let rows: Vec<Message> = sqlx::query_as(sql)
            .bind(&conversations)
            .bind(limit as i64)
            .bind(after.map(|a| a.0))
            .bind(after.map(|a| a.1.0))
            .bind(before.map(|b| b.0))
            .bind(before.map(|b| b.1.0))
            .fetch_all(db.executor())
            .await?;
        let mut by_conversation: HashMap<ConversationId, Vec<Message>> = HashMap::new();
        for row in rows {
            by_conversation
                .entry(row.conversation_id)
                .or_default()
                .push(row);
        }
        for conversation in conversations {
            let key = MessagePageKey {
                conversation: ConversationId(conversation),
                direction,
                limit,
                after,
                before,
            };
            let rows = by_conversation
                .remove(&key.conversation)
                .unwrap_or_default();
            pages.insert(key, rows);
        }
    }
    Ok(pages)
}

/// Message counts of many conversations (conversations without messages count zero).
pub async fn message_counts(
    db: &Db,
    ids: &[ConversationId],
) -> ApiResult<HashMap<ConversationId, MessageCounts>> {
    let rows: Vec<(ConversationId, i64, i64, i64)> = sqlx::query_as(
        "SELECT c.id, count(m.id),
             count(m.id) FILTER (WHERE m.read_at IS NULL AND m.sender_id <> c.buyer_id),
             count(m.id) FILTER (WHERE m.read_at IS NULL AND m.sender_id = c.buyer_id)
         FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id
         WHERE c.id = ANY($1) GROUP BY c.id",
    )
    .bind(ids.iter().map(|id| id.0).collect::<Vec<_>>())
    .fetch_all(db.executor())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, total, unread_by_buyer, unread_by_store)| {
            let counts = MessageCounts {
                total,
                unread_by_buyer,
                unread_by_store,
            };
            (id, counts)
        })
        .collect())
}

impl crate::graphql::loaders::LoadById for Conversation {
    const NAME: &'static str = "conversation";
    const CHANGING: bool = true;
    type Id = ConversationId;

    fn id(&self) -> ConversationId {
        self.id
    }

    async fn load(db: &Db, ids: &[ConversationId]) -> ApiResult<Vec<Self>> {
        conversations_by_ids(db, ids).await
    }
}

impl crate::graphql::loaders::LoadById for Message {
    const NAME: &'static str = "message";
    const CHANGING: bool = true;
    type Id = MessageId;

    fn id(&self) -> MessageId {
        self.id
    }

    async fn load(db: &Db, ids: &[MessageId]) -> ApiResult<Vec<Self>> {
        messages_by_ids(db, ids).await
    }
}

impl BatchLoad for MessagePageLoader {
    const NAME: &'static str = "message_page";
    const CHANGING: bool = true;

    fn build(db: &Db) -> Self {
        Self { db: db.clone() }
    }
    type Key = MessagePageKey;
    type Value = Vec<Message>;

    async fn load(
        &self,
        keys: &[MessagePageKey],
    ) -> ApiResult<HashMap<MessagePageKey, Vec<Message>>> {
        message_pages(&self.db, keys).await
    }
}

impl BatchLoad for MessageCountLoader {
    const NAME: &'static str = "message_count";
    const CHANGING: bool = true;

    fn build(db: &Db) -> Self {
        Self { db: db.clone() }
    }
    type Key = ConversationId;
    type Value = MessageCounts;

    async fn load(
        &self,
        keys: &[ConversationId],
    ) -> ApiResult<HashMap<ConversationId, MessageCounts>> {
        message_counts(&self.db, keys).await
    }
}
