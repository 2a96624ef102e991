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

/// A compile-checked statement that returns [`Conversation`]s, `c` being the conversation
/// and `s` its store: the SQL after the column list, then the arguments.
macro_rules! query_conversations {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Conversation,
            r#"SELECT c.id AS "id: ConversationId", c.buyer_id AS "buyer_id: UserId",
                      c.store_id AS "store_id: StoreId", s.owner_id AS "seller_id: UserId",
                      c.product_id AS "product_id: ProductId", c.created_at, c.last_message_at "#
                + $tail
            $(, $arg)*
        )
    };
}

/// A compile-checked statement that returns [`Message`]s, `m` being the message: the SQL
/// after the column list, then the arguments. Non-null is stated, as `m` may be a lateral
/// subquery whose columns PostgreSQL does not describe.
macro_rules! query_messages {
    ($tail:literal $(+ $more:literal)* $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Message,
            r#"SELECT m.id AS "id!: MessageId", m.conversation_id AS "conversation_id!: ConversationId",
                      m.sender_id AS "sender_id!: UserId", m.body AS "body!",
                      m.created_at AS "created_at!", m.read_at "#
                + $tail $(+ $more)*
            $(, $arg)*
        )
    };
}

/// Loads conversations by id, in any order; missing ids are absent.
pub async fn conversations_by_ids(db: &Db, ids: &[ConversationId]) -> ApiResult<Vec<Conversation>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    Ok(query_conversations!(
        "FROM conversations c JOIN stores s ON s.id = c.store_id WHERE c.id = ANY($1)",
        &ids
    )
    .fetch_all(db.executor())
    .await?)
}

/// Loads messages by id, in any order; missing ids are absent.
pub async fn messages_by_ids(db: &Db, ids: &[MessageId]) -> ApiResult<Vec<Message>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    Ok(
        query_messages!("FROM messages m WHERE m.id = ANY($1)", &ids)
            .fetch_all(db.executor())
            .await?,
    )
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
    sqlx::query_scalar!(
        r#"INSERT INTO conversations (buyer_id, store_id, product_id) VALUES ($1, $2, $3)
         ON CONFLICT (buyer_id, store_id, COALESCE(product_id, 0))
         DO UPDATE SET buyer_id = EXCLUDED.buyer_id
         RETURNING id AS "id: ConversationId""#,
        buyer.0,
        store.0,
        product.map(|p| p.0)
    )
    .fetch_one(conn)
    .await
}

/// A message just written, with the conversation's `last_message_at` after it.
pub struct Written {
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
    let row = sqlx::query!(
        r#"WITH m AS (
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
         SELECT m.id AS "id!: MessageId", m.conversation_id AS "conversation_id!: ConversationId",
                m.sender_id AS "sender_id!: UserId", m.body AS "body!",
                m.created_at AS "created_at!", m.read_at,
                c.last_message_at AS "last_message_at!"
         FROM m, c, event"#,
        conversation.0,
        sender.0,
        body.as_str(),
        events::CHANNEL
    )
    .fetch_one(executor)
    .await?;
    Ok(Written {
        message: Message {
            id: row.id,
            conversation_id: row.conversation_id,
            sender_id: row.sender_id,
            body: row.body,
            created_at: row.created_at,
            read_at: row.read_at,
        },
        last_message_at: row.last_message_at,
    })
}

/// Marks the other side's unread messages as read by `reader`'s side; returns how many.
pub async fn mark_read(db: &Db, conversation: &Conversation, reader: Side) -> ApiResult<u64> {
    let written_by_buyer = reader == Side::Store;
    let result = sqlx::query!(
        "UPDATE messages SET read_at = now()
         WHERE conversation_id = $1 AND read_at IS NULL AND (sender_id = $2) = $3",
        conversation.id.0,
        conversation.buyer_id.0,
        written_by_buyer
    )
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
    // Two index-ordered branches (by buyer, by store) pick the ids, rather than one `OR`
    // that neither index can serve in order; the page's rows are then read by id.
    Ok(query_conversations!(
        "FROM conversations c JOIN stores s ON s.id = c.store_id
         WHERE c.id IN (
             (SELECT c.id FROM conversations c
              WHERE c.buyer_id = $1
                AND ($2::timestamptz IS NULL OR (c.last_message_at, c.id) < ($2, $3))
              ORDER BY c.last_message_at DESC, c.id DESC LIMIT $4)
             UNION ALL
             (SELECT c.id FROM stores s JOIN conversations c ON c.store_id = s.id
              WHERE s.owner_id = $1
                AND ($2::timestamptz IS NULL OR (c.last_message_at, c.id) < ($2, $3))
              ORDER BY c.last_message_at DESC, c.id DESC LIMIT $4))
         ORDER BY c.last_message_at DESC, c.id DESC LIMIT $4",
        user.0,
        after.map(|a| a.0),
        after.map(|a| a.1.0),
        limit as i64
    )
    .fetch_all(db.executor())
    .await?)
}

/// How many conversations `user` takes part in.
pub async fn count_for_user(db: &Db, user: UserId) -> ApiResult<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM conversations c JOIN stores s ON s.id = c.store_id
         WHERE c.buyer_id = $1 OR s.owner_id = $1"#,
        user.0
    )
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
        // The window: `$3, $4` after, `$5, $6` before, each optional. One statement per
        // direction, so each walks its index in its own order.
        macro_rules! page_in {
            ($order:literal) => {
                query_messages!(
                    "FROM unnest($1::bigint[]) AS k(conversation_id)
                     CROSS JOIN LATERAL (
                         SELECT * FROM messages WHERE conversation_id = k.conversation_id
                           AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4))
                           AND ($5::timestamptz IS NULL OR (created_at, id) < ($5, $6))
                         ORDER BY " + $order + " LIMIT $2) m",
                    &conversations,
                    limit as i64,
                    after.map(|a| a.0),
                    after.map(|a| a.1.0),
                    before.map(|b| b.0),
                    before.map(|b| b.1.0)
                )
                .fetch_all(db.executor())
                .await?
            };
        }
        let rows = match direction {
            Direction::Forward => page_in!("created_at, id"),
            Direction::Backward => page_in!("created_at DESC, id DESC"),
        };
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
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let rows = sqlx::query!(
        r#"SELECT c.id AS "id: ConversationId", count(m.id) AS "total!",
             count(m.id) FILTER (WHERE m.read_at IS NULL AND m.sender_id <> c.buyer_id)
                 AS "unread_by_buyer!",
             count(m.id) FILTER (WHERE m.read_at IS NULL AND m.sender_id = c.buyer_id)
                 AS "unread_by_store!"
         FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id
         WHERE c.id = ANY($1) GROUP BY c.id"#,
        &ids
    )
    .fetch_all(db.executor())
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let counts = MessageCounts {
                total: row.total,
                unread_by_buyer: row.unread_by_buyer,
                unread_by_store: row.unread_by_store,
            };
            (row.id, counts)
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
