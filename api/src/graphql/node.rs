//! The Relay `Node` interface and `node`/`nodes` lookups by global id.

use async_graphql::{Context, ID, Interface, Object, Result};

use crate::accounts::users::User;
use crate::accounts::users::UserByPublicIdLoader;
use crate::catalogue::categories::Category;
use crate::catalogue::products::Product;
use crate::catalogue::reviews::Review;
use crate::catalogue::stores::Store;
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

async fn load_node(rc: &RequestContext, id: &ID) -> ApiResult<Option<Node>> {
    let l = &rc.loaders;
    let (kind, number) = match ids::decode(id)? {
        GlobalRef::Row(kind, number) => (kind, number),
        GlobalRef::User(public) => {
            return Ok(l
                .get::<UserByPublicIdLoader>()
                .load_one(public)
                .await?
                .map(Node::User));
        }
        GlobalRef::Session(session) => {
            return Ok(crate::accounts::graphql::visible_session(rc, session)
                .await?
                .map(Node::Session));
        }
    };
    Ok(match kind {
        NodeKind::Product => l
            .by_id::<Product>()
            .load_one(ProductId(number))
            .await?
            .filter(|p| p.visible_to(&rc.viewer))
            .map(Node::Product),
        NodeKind::Store => l
            .by_id::<Store>()
            .load_one(StoreId(number))
            .await?
            .map(Node::Store),
        NodeKind::Category => l
            .by_id::<Category>()
            .load_one(CategoryId(number))
            .await?
            .map(Node::Category),
        // `decode` names users by public id and sessions by UUID, handled above.
        NodeKind::User | NodeKind::Session => None,
        NodeKind::Review => l
            .by_id::<Review>()
            .load_one(ReviewId(number))
            .await?
            .map(Node::Review),
        NodeKind::Order => visible_order(rc, OrderId(number)).await?.map(Node::Order),
        NodeKind::Conversation => visible_conversation(rc, ConversationId(number))
            .await?
            .map(Node::Conversation),
        NodeKind::Message => visible_message(rc, MessageId(number))
            .await?
            .map(Node::Message),
    })
}
