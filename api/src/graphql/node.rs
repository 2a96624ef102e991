//! The Relay `Node` interface and `node`/`nodes` lookups by global id.

use async_graphql::{Context, ID, Interface, Object, Result};

use crate::accounts::graphql::visible_session;
use crate::accounts::users::User;
use crate::accounts::users::graphql::visible_user;
use crate::catalogue::categories::Category;
use crate::catalogue::categories::graphql::visible_category;
use crate::catalogue::products::Product;
use crate::catalogue::products::graphql::visible_product;
use crate::catalogue::reviews::Review;
use crate::catalogue::reviews::graphql::visible_review;
use crate::catalogue::stores::Store;
use crate::catalogue::stores::graphql::visible_store;
use crate::commerce::orders::Order;
use crate::commerce::orders::graphql::visible_order;
use crate::conversations::graphql::{visible_conversation, visible_message};
use crate::conversations::{Conversation, Message};
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids::{
    self, CategoryId, GlobalRef, NodeKind, OrderId, ProductId, ReviewId, StoreId,
};
use crate::graphql::ids::{ConversationId, MessageId};

/// Most ids one `nodes` call may ask for.
pub const MAX_NODES: usize = 100;

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Opaque global id: it names the object and its type, and `node` finds the object by it."
))]
pub enum Node {
    Product(Product),
    Store(Store),
    Category(Category),
    User(User),
    Review(Review),
    Conversation(Conversation),
    Message(Message),
    Order(Order),
    Session(crate::accounts::graphql::Session),
    ProductVariant(crate::catalogue::variants::graphql::ProductVariant),
}

/// `node` and `nodes` root fields.
#[derive(Default)]
pub struct NodeQueries;

#[Object]
impl NodeQueries {
    /// The object with this global id, or null when there is none.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A global id (`id` of any `Node`); a malformed one is a `BAD_USER_INPUT` error."
        )]
        id: ID,
    ) -> Result<Option<Node>> {
        Ok(load_node(RequestContext::of(ctx), &id).await?)
    }

    /// The objects with these global ids, in order; null where there is none.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most 100 global ids; a malformed one is a `BAD_USER_INPUT` error.")]
        ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(ApiError::bad_input(crate::tr!("nodes-too-many", max = MAX_NODES)).into());
        }
        let rc = RequestContext::of(ctx);
        // Every lookup goes through a batching loader, so these run as one statement per kind.
        let loads = ids.iter().map(|id| load_node(rc, id));
        Ok(futures::future::try_join_all(loads).await?)
    }
}

/// Finds the node a global id names through the feature that owns its kind: each feature
/// names one public `visible_*` function that applies its own visibility rules, so this
/// table reaches into no feature's loaders or rules.
async fn load_node(rc: &RequestContext, id: &ID) -> ApiResult<Option<Node>> {
    let (kind, n) = match ids::decode(id)? {
        GlobalRef::Row(kind, number) => (kind, number),
        GlobalRef::User(public) => return Ok(visible_user(rc, public).await?.map(Node::User)),
        GlobalRef::Session(session) => {
            return Ok(visible_session(rc, session).await?.map(Node::Session));
        }
    };
    Ok(match kind {
        NodeKind::Product => visible_product(rc, ProductId(n)).await?.map(Node::Product),
        NodeKind::Store => visible_store(rc, StoreId(n)).await?.map(Node::Store),
        NodeKind::Category => visible_category(rc, CategoryId(n))
            .await?
            .map(Node::Category),
        NodeKind::Review => visible_review(rc, ReviewId(n)).await?.map(Node::Review),
        NodeKind::Order => visible_order(rc, OrderId(n)).await?.map(Node::Order),
        NodeKind::Conversation => visible_conversation(rc, ConversationId(n))
            .await?
            .map(Node::Conversation),
        NodeKind::Message => visible_message(rc, MessageId(n)).await?.map(Node::Message),
        // `decode` names users by public id and sessions by UUID, handled above.
        NodeKind::User | NodeKind::Session => None,
        NodeKind::ProductVariant => crate::catalogue::variants::graphql::visible_variant(
            rc,
            crate::catalogue::variants::VariantId(n),
        )
        .await?
        .map(Node::ProductVariant),
        NodeKind::SearchVocabularyEntry
        | NodeKind::Address
        | NodeKind::ShippingOption
        | NodeKind::CartLine
        | NodeKind::ProductImage => None,
    })
}
