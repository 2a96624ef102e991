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
    MAX_PAGE_SIZE, Page, PageInfo, decode_cursor, encode_cursor, page_size,
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
        Ok(MessageConnection::new(self.id, key, rows))
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
pub struct MessageConnection {
    conversation: ConversationId,
    page: Page<Message>,
}

impl MessageConnection {
    /// Turns up to `key.limit + 1` rows fetched in `key.direction` into a page.
    fn new(conversation: ConversationId, key: MessagePageKey, mut rows: Vec<Message>) -> Self {
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
        Self { conversation, page }
    }
}

/// One message of a page.
pub struct MessageEdge(Message);

/// One message of a page, with its cursor.
#[Object]
impl MessageEdge {
    /// Opaque cursor of this message: pass it as `after` or `before`.
    async fn cursor(&self) -> String {
        encode_cursor(&self.0.cursor_key())
    }

    /// The message.
    async fn node(&self) -> &Message {
        &self.0
    }
}

/// A page of a conversation's messages, oldest first.
#[Object]
impl MessageConnection {
    /// The messages of this page with their cursors, oldest first.
    async fn edges(&self) -> Vec<MessageEdge> {
        self.page.rows.iter().cloned().map(MessageEdge).collect()
    }

    /// The messages of this page, without cursors, oldest first.
    async fn nodes(&self) -> &[Message] {
        &self.page.rows
    }

    /// Whether older (`hasPreviousPage`) or newer (`hasNextPage`) messages lie beyond this
    /// page, and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        self.page.page_info(|m| encode_cursor(&m.cursor_key()))
    }

    /// Every message of the conversation.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let counts = RequestContext::of(ctx)
            .loaders
            .get::<MessageCountLoader>()
            .load_one(self.conversation)
            .await?;
        Ok(counts.unwrap_or_default().total)
    }
}

/// A page of a user's conversations, most recent activity first.
pub struct ConversationConnection {
    user: UserId,
    page: Page<Conversation>,
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
    Ok(ConversationConnection {
        user,
        page: Page::from_overfetch(rows, first, after.is_some()),
    })
}

/// One conversation of a page.
pub struct ConversationEdge(Conversation);

/// One conversation of a page, with its cursor.
#[Object]
impl ConversationEdge {
    /// Opaque cursor of this conversation: pass it as `after` to continue after it.
    async fn cursor(&self) -> String {
        encode_cursor(&self.0.cursor_key())
    }

    /// The conversation.
    async fn node(&self) -> &Conversation {
        &self.0
    }
}

/// A page of a user's conversations, most recent activity first.
#[Object]
impl ConversationConnection {
    /// The conversations of this page with their cursors.
    async fn edges(&self) -> Vec<ConversationEdge> {
        self.page
            .rows
            .iter()
            .cloned()
            .map(ConversationEdge)
            .collect()
    }

    /// The conversations of this page, without cursors.
    async fn nodes(&self) -> &[Conversation] {
        &self.page.rows
    }

    /// Whether more conversations follow, and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        self.page.page_info(|c| encode_cursor(&c.cursor_key()))
    }

    /// Every conversation of the user.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(db::count_for_user(&RequestContext::of(ctx).db, self.user).await?)
    }
}
