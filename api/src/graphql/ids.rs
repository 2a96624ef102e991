//! Opaque global ids (`Node.id`) and the typed row ids behind them.
//!
//! A global id is `base64url("Kind:123")`: clients must treat it as opaque, and the kind
//! prefix lets `node(id:)` dispatch and lets every argument reject an id of the wrong type.
//!
//! Users are the exception: their global id is `base64url("User:<uuid>")` over a random
//! public id ([`UserPublicId`]), never the row id, so nobody can list users by counting
//! (`nodes` over `User:1` to `User:100` used to return every account). A [`UserId`] therefore
//! has no global form; resolve a [`UserPublicId`] to one through the database.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::graphql::error::{ApiError, ApiResult};

/// The GraphQL `ID` type, re-exported for crates that build ids without async-graphql.
pub use async_graphql::ID as GlobalId;

/// The entity kinds that implement `Node`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeKind {
    User,
    Store,
    Category,
    Product,
    Review,
    Order,
    Conversation,
    Message,
    /// A signed-in device (a refresh-token family), named by its UUID.
    Session,
    /// An entry of the run-time search vocabulary (not a `Node`: admins list them).
    SearchVocabularyEntry,
    /// A buyer's delivery address (not a `Node`: listed by `User.addresses`).
    Address,
    /// A store's shipping option (not a `Node`: listed by `Store.shippingOptions`).
    ShippingOption,
    /// A product's variant.
    ProductVariant,
    /// A line of a buyer's cart (not a `Node`: listed by `Cart.lines`).
    CartLine,
    /// An uploaded product image (not a `Node`: listed by `Product.images`).
    ProductImage,
}

impl NodeKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Store => "Store",
            Self::Category => "Category",
            Self::Product => "Product",
            Self::Review => "Review",
            Self::Order => "Order",
            Self::Conversation => "Conversation",
            Self::Message => "Message",
            Self::Session => "Session",
            Self::SearchVocabularyEntry => "SearchVocabularyEntry",
            Self::Address => "Address",
            Self::ShippingOption => "ShippingOption",
            Self::ProductVariant => "ProductVariant",
            Self::CartLine => "CartLine",
            Self::ProductImage => "ProductImage",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "User" => Self::User,
            "Store" => Self::Store,
            "Category" => Self::Category,
            "Product" => Self::Product,
            "Review" => Self::Review,
            "Order" => Self::Order,
            "Conversation" => Self::Conversation,
            "Message" => Self::Message,
            "Session" => Self::Session,
            "SearchVocabularyEntry" => Self::SearchVocabularyEntry,
            "Address" => Self::Address,
            "ShippingOption" => Self::ShippingOption,
            "ProductVariant" => Self::ProductVariant,
            "CartLine" => Self::CartLine,
            "ProductImage" => Self::ProductImage,
            _ => return None,
        })
    }
}

/// Encodes a row id as a global id.
pub fn encode(kind: NodeKind, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.as_str())))
}

/// The row id a global id names, when it is one of `kind`'s; `None` for anything else,
/// malformed ids included.
pub fn decode_row(id: &ID, kind: NodeKind) -> Option<i64> {
    match decode(id).ok()? {
        GlobalRef::Row(k, n) if k == kind => Some(n),
        _ => None,
    }
}

/// What a global id names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlobalRef {
    /// A row of every kind but users, by its row id.
    Row(NodeKind, i64),
    /// A user, by their public id.
    User(UserPublicId),
    /// A session, by its UUID.
    Session(Uuid),
}

/// The global id of a session.
pub fn session_id(session: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!(
        "{}:{}",
        NodeKind::Session.as_str(),
        session.hyphenated()
    )))
}

fn invalid(id: &ID) -> ApiError {
    ApiError::bad_input(crate::tr!("id-invalid", id = format!("{:?}", id.as_str())))
}

/// Decodes any global id; a malformed one is a `BAD_USER_INPUT`.
pub fn decode(id: &ID) -> ApiResult<GlobalRef> {
    let raw = URL_SAFE_NO_PAD
        .decode(id.as_bytes())
        .map_err(|_| invalid(id))?;
    let text = std::str::from_utf8(&raw).map_err(|_| invalid(id))?;
    let (kind, key) = text.split_once(':').ok_or_else(|| invalid(id))?;
    let kind = NodeKind::parse(kind).ok_or_else(|| invalid(id))?;
    if matches!(kind, NodeKind::User | NodeKind::Session) {
        // Only the hyphenated form, so one user or session has exactly one global id.
        let uuid = Uuid::try_parse(key)
            .ok()
            .filter(|u| u.hyphenated().to_string() == key)
            .ok_or_else(|| invalid(id))?;
        return Ok(if kind == NodeKind::User {
            GlobalRef::User(UserPublicId(uuid))
        } else {
            GlobalRef::Session(uuid)
        });
    }
    let number: i64 = key.parse().map_err(|_| invalid(id))?;
    if number <= 0 {
        return Err(invalid(id));
    }
    Ok(GlobalRef::Row(kind, number))
}

/// The public id of a user: random, so it says nothing about other users or their number.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, sqlx::Type, serde::Serialize, serde::Deserialize,
)]
#[sqlx(transparent)]
pub struct UserPublicId(pub Uuid);

impl UserPublicId {
    /// This id as an opaque global id.
    pub fn to_global(self) -> ID {
        ID(URL_SAFE_NO_PAD.encode(format!("User:{}", self.0.hyphenated())))
    }

    /// Parses a global id that must be a user's.
    pub fn from_global(id: &ID) -> ApiResult<Self> {
        match decode(id)? {
            GlobalRef::User(public) => Ok(public),
            GlobalRef::Row(..) | GlobalRef::Session(_) => Err(ApiError::bad_input(crate::tr!(
                "id-wrong-kind",
                id = format!("{:?}", id.as_str()),
                kind = "user",
            ))),
        }
    }
}

/// Row id of a user. It never leaves the server: clients see the [`UserPublicId`].
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    sqlx::Type,
    serde::Serialize,
    serde::Deserialize,
)]
#[sqlx(transparent)]
pub struct UserId(pub i64);

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type, serde::Serialize, serde::Deserialize)]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// This id as an opaque global id.
            pub fn to_global(self) -> ID {
                encode($kind, self.0)
            }

            /// Parses a global id that must be of this kind.
            pub fn from_global(id: &ID) -> ApiResult<Self> {
                match decode(id)? {
                    GlobalRef::Row(kind, number) if kind == $kind => Ok(Self(number)),
                    _ => Err(ApiError::bad_input(crate::tr!(
                        "id-wrong-kind",
                        id = format!("{:?}", id.as_str()),
                        kind = stringify!($name).trim_end_matches("Id").to_lowercase(),
                    ))),
                }
            }
        }
    };
}

typed_id!(/// Row id of a store.
    StoreId, NodeKind::Store);
typed_id!(/// Row id of a category.
    CategoryId, NodeKind::Category);
typed_id!(/// Row id of a product.
    ProductId, NodeKind::Product);
typed_id!(/// Row id of a review.
    ReviewId, NodeKind::Review);
typed_id!(/// Row id of an order.
    OrderId, NodeKind::Order);
typed_id!(/// Row id of a conversation.
    ConversationId, NodeKind::Conversation);
typed_id!(/// Row id of a message.
    MessageId, NodeKind::Message);
typed_id!(/// Row id of a product variant.
    VariantId, NodeKind::ProductVariant);
typed_id!(/// Row id of a cart line.
    CartLineId, NodeKind::CartLine);
typed_id!(/// Row id of an uploaded product image.
    ImageId, NodeKind::ProductImage);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_other_kinds() {
        let id = ProductId(42).to_global();
        assert_eq!(ProductId::from_global(&id).ok(), Some(ProductId(42)));
        assert!(StoreId::from_global(&id).is_err());
        assert!(decode(&ID("bm9wZQ".into())).is_err());
        assert!(decode(&ID(URL_SAFE_NO_PAD.encode("Product:-1"))).is_err());
        assert!(decode(&ID("%%%".into())).is_err());
    }

    #[test]
    fn user_ids_carry_a_public_id_and_never_a_row_id() {
        let public = UserPublicId(Uuid::new_v4());
        let id = public.to_global();
        assert_eq!(UserPublicId::from_global(&id).ok(), Some(public));
        assert!(ProductId::from_global(&id).is_err());
        assert!(decode(&ID(URL_SAFE_NO_PAD.encode("User:1"))).is_err());
        let upper = format!("User:{}", public.0.hyphenated()).to_uppercase();
        assert!(decode(&ID(URL_SAFE_NO_PAD.encode(upper.replace("USER", "User")))).is_err());
        assert!(UserPublicId::from_global(&ProductId(1).to_global()).is_err());
    }
}
