//! GraphQL types of conversations: `Query.conversation`, `Conversation`, `Message`, their
//! connections, and `User.conversations`.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::{
    Conversation, ConversationCursor, Direction, Message, MessageCursor, MessagePageKey, db,
};
use crate::accounts::users::User;
use crate::catalogue::products::Product;
use crate::catalogue::stores::Store;
use crate::conversations::MessageCountLoader;
use crate::conversations::MessagePageLoader;
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids::{ConversationId, MessageId, UserId};
use crate::graphql::pagination::{
    Connection, MAX_PAGE_SIZE, Page, Paged, Total, decode_cursor, page_size,
};
use crate::graphql::viewer::Viewer;

/// Conversation root fields.
#[derive(Default)]
pub struct ConversationQueries;

#[Object]
impl ConversationQueries {
    /// A conversation by id; null when there is none. Restricted: its buyer, the store's
    /// seller and admins.
    async fn conversation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation's global id.")] id: ID,
    ) -> Result<Option<Conversation>> {
        let rc = RequestContext::of(ctx);
        let id = ConversationId::from_global(&id)?;
        Ok(visible_conversation(rc, id).await?)
    }
}

/// The conversation with this id: `None` when there is none, `FORBIDDEN` when the caller is
/// neither a party nor an admin.
pub async fn visible_conversation(
    rc: &RequestContext,
    id: ConversationId,
) -> ApiResult<Option<Conversation>> {
    match rc.loaders.by_id::<Conversation>().load_one(id).await? {
        Some(conversation) => {
            check_visible(&conversation, &rc.viewer)?;
            Ok(Some(conversation))
        }
        None => Ok(None),
    }
}

/// `FORBIDDEN` unless `viewer` may see `conversation`.
pub fn check_visible(conversation: &Conversation, viewer: &Viewer) -> ApiResult<()> {
    if conversation.visible_to(viewer) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(crate::tr!("conversation-forbidden")))
    }
}

/// The message with this id, under the same rule as its conversation.
pub async fn visible_message(rc: &RequestContext, id: MessageId) -> ApiResult<Option<Message>> {
    let Some(message) = rc.loaders.by_id::<Message>().load_one(id).await? else {
        return Ok(None);
    };
    match visible_conversation(rc, message.conversation_id).await? {
        Some(_) => Ok(Some(message)),
        None => Ok(None),
    }
}

/// Messages between a buyer and a store, optionally about one product. Visible to the
/// buyer, the store's seller and admins.
#[Object]
impl Conversation {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        self.id.to_global()
    }

    /// The buyer who started the conversation.
    async fn buyer(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .by_id::<User>()
            .load_one(self.buyer_id)
            .await?)
    }

    /// The store written to; its seller answers for it.
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .by_id::<Store>()
            .load_one(self.store_id)
            .await?)
    }

    /// The product the conversation is about, if any.
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        let Some(id) = self.product_id else {
            return Ok(None);
        };
        let rc = RequestContext::of(ctx);
        Ok(rc
            .loaders
            .by_id::<Product>()
            .load_one(id)
            .await?
            .filter(|p| p.visible_to(&rc.viewer)))
    }

    /// Messages in chronological order (newest last). Page forward with `first`/`after`
    /// (from the oldest), or backward with `last`/`before` to load the newest ones first, as
    /// a chat does; the page itself is always oldest to newest. Without `first` or `last`,
    /// the first 20.
    async fn messages(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many messages to return from the oldest (or from `after`): default 20, at most 100. Not with `last`."
        )]
        first: Option<i32>,
        #[graphql(desc = "A message's cursor; the page holds only messages after it.")]
        after: Option<String>,
        #[graphql(
            desc = "How many messages to return from the newest (or from `before`): no default, at most 100. Not with `first`."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "A message's cursor (`pageInfo.startCursor` when paging back); the page holds only messages before it."
        )]
        before: Option<String>,
    ) -> Result<MessageConnection> {
        let key = page_key(self.id, first, after, last, before)?;
        let rows = if key.limit == 0 {
            Vec::new()
        } else {
            // Overfetch by one to know whether more follow.
            let overfetch = MessagePageKey {
                limit: key.limit + 1,
                ..key
            };
            RequestContext::of(ctx)
                .loaders
                .get::<MessagePageLoader>()
                .load_one(overfetch)
                .await?
                .unwrap_or_default()
        };
        Ok(message_page(self.id, key, rows))
    }

    /// Messages from the other side the viewer has not read (for an admin who is not a
    /// party: those the store has not read).
    async fn unread_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let rc = RequestContext::of(ctx);
        let counts = rc
            .loaders
            .get::<MessageCountLoader>()
            .load_one(self.id)
            .await?;
        Ok(counts
            .unwrap_or_default()
            .unread_by(self.reading_side(&rc.viewer)))
    }

    /// When the latest message was written; conversation lists are ordered by it.
    async fn last_message_at(&self) -> DateTime<Utc> {
        self.last_message_at
    }

    /// When the buyer started the conversation.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
}

/// One message of a conversation, written by the buyer or by the store's side (its seller,
/// or an admin answering for it).
#[Object]
impl Message {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        self.id.to_global()
    }

    /// The conversation the message belongs to.
    async fn conversation(&self, ctx: &Context<'_>) -> Result<Option<Conversation>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .by_id::<Conversation>()
            .load_one(self.conversation_id)
            .await?)
    }

    /// Who wrote it.
    async fn sender(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(RequestContext::of(ctx)
            .loaders
            .by_id::<User>()
            .load_one(self.sender_id)
            .await?)
    }

    /// HTML-safe text without any tag: markup was stripped when the message was sent, and
    /// `&`, `<` and `>` are escaped as entities.
    #[graphql(
        deprecation = "Entity-escaped text clients had to decode: use `text`. Removal not before 2027-06-06."
    )]
    async fn body(&self) -> &str {
        &self.body
    }

    /// What the sender wrote, as plain text to show as it is (no markup, nothing to
    /// decode): markup was stripped when it was sent.
    async fn text(&self) -> String {
        crate::graphql::plain_text::decode(&self.body)
    }

    /// When it was sent.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// When the other side read it; null while unread.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.read_at
    }
}

/// Validates the paging arguments of `Conversation.messages`.
fn page_key(
    conversation: ConversationId,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> ApiResult<MessagePageKey> {
    let after: Option<MessageCursor> = after.as_deref().map(decode_cursor).transpose()?;
    let before: Option<MessageCursor> = before.as_deref().map(decode_cursor).transpose()?;
    let (direction, limit) = match (first, last) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_input(crate::tr!(
                "conversation-first-or-last"
            )));
        }
        (None, Some(n)) if n < 0 => {
            return Err(ApiError::bad_input(crate::tr!(
                "page-size-negative",
                argument = "last"
            )));
        }
        (None, Some(n)) if n > MAX_PAGE_SIZE => {
            return Err(ApiError::bad_input(crate::tr!(
                "page-size-too-large",
                argument = "last",
                max = MAX_PAGE_SIZE,
            )));
        }
        (None, Some(n)) => (Direction::Backward, n as usize),
        (first, None) => (Direction::Forward, page_size(first)?),
    };
    Ok(MessagePageKey {
        conversation,
        direction,
        limit,
        after,
        before,
    })
}

/// A page of a conversation's messages, oldest first.
pub type MessageConnection = Connection<Message, MessagesOf>;

/// `totalCount` of a page of messages: every message of the conversation.
pub struct MessagesOf(ConversationId);

impl Total for MessagesOf {
    async fn total(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        let counts = RequestContext::of(ctx)
            .loaders
            .get::<MessageCountLoader>()
            .load_one(self.0)
            .await?;
        Ok(counts.unwrap_or_default().total)
    }
}

impl Paged for Message {
    type Key = MessageCursor;

    /// The keyset position of this message in a conversation's chronological order.
    fn cursor_key(&self) -> MessageCursor {
        (self.created_at, self.id)
    }
}

/// Turns up to `key.limit + 1` rows fetched in `key.direction` into a page.
fn message_page(
    conversation: ConversationId,
    key: MessagePageKey,
    mut rows: Vec<Message>,
) -> MessageConnection {
    let more = rows.len() > key.limit;
    rows.truncate(key.limit);
    let page = match key.direction {
        Direction::Forward => Page {
            rows,
            has_next_page: more,
            has_previous_page: key.after.is_some(),
        },
        Direction::Backward => {
            rows.reverse();
            Page {
                rows,
                has_next_page: key.before.is_some(),
                has_previous_page: more,
            }
        }
    };
    Connection::new(page, MessagesOf(conversation))
}

/// A page of a user's conversations, most recent activity first.
pub type ConversationConnection = Connection<Conversation, ConversationsOf>;

/// `totalCount` of a page of conversations: every conversation of the user.
pub struct ConversationsOf(UserId);

impl Total for ConversationsOf {
    async fn total(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        db::count_for_user(&RequestContext::of(ctx).db, self.0).await
    }
}

impl Paged for Conversation {
    type Key = ConversationCursor;

    /// The keyset position of this conversation in a most-recent-first list.
    fn cursor_key(&self) -> ConversationCursor {
        (self.last_message_at, self.id)
    }
}

/// `User.conversations`: the conversations `user` takes part in, as buyer or as seller.
pub async fn conversations_of(
    rc: &RequestContext,
    user: UserId,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<ConversationConnection> {
    let first = page_size(first)?;
    let after: Option<ConversationCursor> = after.as_deref().map(decode_cursor).transpose()?;
    let rows = if first == 0 {
        Vec::new()
    } else {
        db::for_user(&rc.db, user, after, first + 1).await?
    };
    for conversation in &rows {
        rc.loaders
            .by_id::<Conversation>()
            .feed_one(conversation.id, conversation.clone())
            .await;
    }
    let page = Page::from_overfetch(rows, first, after.is_some());
    Ok(Connection::new(page, ConversationsOf(user)))
}
