//! `startConversation`, `sendMessage` and `markConversationRead`.
//!
//! A message and the event announcing it are written in one statement, so subscribers
//! hear of a message exactly when it commits. Writing in a conversation one is not a party
//! of is `FORBIDDEN` (admins excepted), like changing another seller's products.

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::graphql::check_visible;
use super::{Conversation, MESSAGE_MAX_CHARS, Message, db};
use crate::catalogue::products::Product;
use crate::catalogue::stores::Store;
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::guards::SignedIn;
use crate::graphql::ids::{ConversationId, ProductId, StoreId, UserId};
use crate::graphql::plain_text::{PlainText, PlainTextError};
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// Result of `startConversation` and `markConversationRead`.
#[derive(SimpleObject, Default)]
pub struct ConversationPayload {
    /// The conversation after the change; null when there are user errors.
    pub conversation: Option<Conversation>,
    /// Why nothing was done; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of `sendMessage`.
#[derive(SimpleObject, Default)]
pub struct MessagePayload {
    /// The message as stored; null when there are user errors.
    pub message: Option<Message>,
    /// Why nothing was sent; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Parses a message body; a user error at `["body"]` otherwise.
fn message_body(raw: &str) -> Result<PlainText, UserError> {
    PlainText::parse(raw, MESSAGE_MAX_CHARS).map_err(|e| match e {
        PlainTextError::Empty => UserError::at(
            &["body"],
            UserErrorCode::Required,
            crate::tr!("message-empty"),
        ),
        PlainTextError::TooLong => UserError::at(
            &["body"],
            UserErrorCode::TooLong,
            crate::tr!("message-too-long", max = MESSAGE_MAX_CHARS),
        ),
    })
}

fn no_such_conversation() -> UserError {
    UserError::at(
        &["conversationId"],
        UserErrorCode::NotFound,
        crate::tr!("conversation-not-found"),
    )
}

/// The conversation with this id, after checking the caller may write in it; `None` when
/// there is no such conversation.
async fn writable_conversation(rc: &RequestContext, id: &ID) -> ApiResult<Option<Conversation>> {
    let Ok(id) = ConversationId::from_global(id) else {
        return Ok(None);
    };
    let Some(conversation) = rc.loaders.by_id::<Conversation>().load_one(id).await? else {
        return Ok(None);
    };
    check_visible(&conversation, &rc.viewer)?;
    Ok(Some(conversation))
}

fn signed_in_user(rc: &RequestContext) -> ApiResult<UserId> {
    rc.viewer.user_id().ok_or(ApiError::Unauthenticated)
}

/// Where a message goes.
enum Recipient {
    /// A conversation the sender may write in.
    Conversation(Conversation),
    /// The sender's conversation with this store about this product, created when missing.
    Store(StoreId, Option<ProductId>),
}

/// Writes `body` to `recipient` and primes the loaders with what was written, so the
/// payload shows the new state.
async fn write_message(
    rc: &RequestContext,
    sender: UserId,
    recipient: Recipient,
    body: &PlainText,
) -> ApiResult<(Message, Conversation)> {
    let (message, conversation) = match recipient {
        Recipient::Conversation(conversation) => {
            // One statement, atomic without a transaction.
            let written = db::add_message(rc.db.executor(), conversation.id, sender, body).await?;
            let conversation = Conversation {
                last_message_at: written.last_message_at,
                ..conversation
            };
            (written.message, conversation)
        }
        Recipient::Store(store, product) => {
            let mut tx = rc.db.begin().await?;
            let id = db::find_or_create(&mut tx, sender, store, product).await?;
            let written = db::add_message(&mut *tx, id, sender, body).await?;
            tx.commit().await?;
            let conversation = rc
                .loaders
                .by_id::<Conversation>()
                .load_one(id)
                .await?
                .ok_or_else(|| {
                    ApiError::Internal(format!("conversation {} vanished after a message", id.0))
                })?;
            (written.message, conversation)
        }
    };
    rc.loaders
        .by_id::<Conversation>()
        .feed_one(conversation.id, conversation.clone())
        .await;
    rc.loaders
        .by_id::<Message>()
        .feed_one(message.id, message.clone())
        .await;
    Ok((message, conversation))
}

/// Conversation mutations.
#[derive(Default)]
pub struct ConversationMutations;

#[Object]
impl ConversationMutations {
    /// Writes to a store, optionally about one of its products. The same buyer, store and
    /// product always share one conversation: asking again adds the message to it. A seller
    /// cannot write to their own store (`INVALID`), and the caller's email address must be
    /// verified first (`EMAIL_NOT_VERIFIED`).
    /// User errors: INVALID, REQUIRED, TOO_LONG, NOT_FOUND, EMAIL_NOT_VERIFIED.
    /// Restricted: signed-in users.
    #[graphql(guard = "SignedIn")]
    async fn start_conversation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The store's global id.")] store_id: ID,
        #[graphql(
            desc = "Global id of a product of that store the conversation is about; null: the store in general."
        )]
        product_id: Option<ID>,
        #[graphql(
            desc = "The message: markup is stripped and `&`, `<` and `>` escaped; 1 to 4,000 characters both as typed and once stored."
        )]
        body: String,
    ) -> Result<ConversationPayload> {
        let rc = RequestContext::of(ctx);
        let buyer = signed_in_user(rc)?;
        // Writing to a seller puts the buyer's address in front of them: verified first.
        if let Some(error) = crate::accounts::self_service::unverified(rc, buyer).await? {
            return Ok(ConversationPayload {
                conversation: None,
                user_errors: vec![error],
            });
        }
        let mut errors = Vec::new();
        let store = match StoreId::from_global(&store_id) {
            Ok(id) => rc.loaders.by_id::<Store>().load_one(id).await?,
            Err(_) => None,
        };
        match &store {
            None => errors.push(UserError::at(
                &["storeId"],
                UserErrorCode::NotFound,
                crate::tr!("store-not-found"),
            )),
            Some(store) if store.owner_id == buyer => errors.push(UserError::at(
                &["storeId"],
                UserErrorCode::Invalid,
                crate::tr!("conversation-own-store"),
            )),
            Some(_) => {}
        }
        let product = match &product_id {
            None => None,
            Some(id) => {
                let found = match ProductId::from_global(id) {
                    Ok(id) => rc
                        .loaders
                        .by_id::<Product>()
                        .load_one(id)
                        .await?
                        .filter(|p| p.visible_to(&rc.viewer)),
                    Err(_) => None,
                };
                match (found, &store) {
                    (Some(p), Some(store)) if p.store_id == store.id => Some(p.id),
                    // Without the store, the store error says it all.
                    (Some(_), None) => None,
                    _ => {
                        errors.push(UserError::at(
                            &["productId"],
                            UserErrorCode::NotFound,
                            crate::tr!("conversation-product-not-in-store"),
                        ));
                        None
                    }
                }
            }
        };
        let body = message_body(&body);
        let (Some(store), Ok(body)) = (&store, &body) else {
            errors.extend(body.err());
            return Ok(ConversationPayload {
                conversation: None,
                user_errors: errors,
            });
        };
        if !errors.is_empty() {
            return Ok(ConversationPayload {
                conversation: None,
                user_errors: errors,
            });
        }
        let recipient = Recipient::Store(store.id, product);
        let (_, conversation) = write_message(rc, buyer, recipient, body).await?;
        Ok(ConversationPayload {
            conversation: Some(conversation),
            user_errors: Vec::new(),
        })
    }

    /// Adds a message to a conversation; subscribers of `messageAdded` receive it.
    /// User errors: REQUIRED, TOO_LONG, NOT_FOUND.
    /// Restricted: the conversation's buyer, the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation's global id.")] conversation_id: ID,
        #[graphql(
            desc = "The message: markup is stripped and `&`, `<` and `>` escaped; 1 to 4,000 characters both as typed and once stored."
        )]
        body: String,
    ) -> Result<MessagePayload> {
        let rc = RequestContext::of(ctx);
        let sender = signed_in_user(rc)?;
        let Some(conversation) = writable_conversation(rc, &conversation_id).await? else {
            return Ok(MessagePayload {
                message: None,
                user_errors: vec![no_such_conversation()],
            });
        };
        let body = match message_body(&body) {
            Ok(body) => body,
            Err(error) => {
                return Ok(MessagePayload {
                    message: None,
                    user_errors: vec![error],
                });
            }
        };
        let (message, _) =
            write_message(rc, sender, Recipient::Conversation(conversation), &body).await?;
        Ok(MessagePayload {
            message: Some(message),
            user_errors: Vec::new(),
        })
    }

    /// Marks the other side's messages as read by the caller's side. An admin who is not a
    /// party only looks: nothing changes.
    /// User errors: NOT_FOUND.
    /// Restricted: the conversation's buyer, the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn mark_conversation_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation's global id.")] conversation_id: ID,
    ) -> Result<ConversationPayload> {
        let rc = RequestContext::of(ctx);
        let Some(conversation) = writable_conversation(rc, &conversation_id).await? else {
            return Ok(ConversationPayload {
                conversation: None,
                user_errors: vec![no_such_conversation()],
            });
        };
        if let Some(side) = conversation.party(&rc.viewer) {
            db::mark_read(&rc.db, &conversation, side).await?;
        }
        Ok(ConversationPayload {
            conversation: Some(conversation),
            user_errors: Vec::new(),
        })
    }
}
