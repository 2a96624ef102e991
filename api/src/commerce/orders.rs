//! Orders: what checkout creates (one per store), their lines, and the status state machine.
//!
//! Key rule: every status change goes through [`allowed_move`], which says who may make which
//! move; the database layer applies a move only from the status it read under a row lock,
//! records who made it, and restores stock on cancellation, all in one transaction.
//!
//! Payments stay outside: a payment provider's confirmation (a webhook handler, say) would
//! call [`db::change_status`] with [`Actor::System`] to move an order from `PENDING` to `PAID`.
//! That is the only seam a provider needs; nothing else here assumes how money moves. The
//! seller may not mark an order paid: a seller who could would need no buyer to fake a
//! delivered order (and a "verified" review). Until a provider is wired in, an admin
//! confirms payments by hand, and the history records which admin did.

pub mod checkout;
pub mod db;
pub mod expiry;
pub mod graphql;
pub mod mail;

use async_graphql::Enum;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::accounts::users::UserRole;
use crate::catalogue::products::ProductUnit;
use crate::graphql::ids::{OrderId, ProductId, StoreId, UserId};

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Enum, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "order_status", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Placed at checkout, stock taken, waiting for payment. The payment flow or an admin
    /// moves it to PAID; the buyer, the store's seller or an admin may cancel it.
    Pending,
    /// Payment confirmed (by the payment flow or an admin). The store's seller or an admin
    /// moves it to SHIPPED, or cancels it.
    Paid,
    /// Sent by the store. The store's seller or an admin moves it to DELIVERED.
    Shipped,
    /// Received by the buyer; final. The buyer may now review its products.
    Delivered,
    /// Cancelled before shipping, and its stock put back; final.
    Cancelled,
}

impl OrderStatus {
    /// Every status, in the order of the happy path.
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Paid,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
    ];
}

/// An order row.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Order {
    pub id: OrderId,
    pub number: String,
    pub buyer_id: UserId,
    pub store_id: StoreId,
    pub status: OrderStatus,
    pub total: Decimal,
    pub currency_code: String,
    /// While PENDING: when the order is cancelled unless paid (see [`expiry`]); `None` for
    /// an order without a deadline (the demo seed's, which took no stock).
    pub payment_due_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The lines' sum (`total` less shipping).
    pub subtotal: Decimal,
    /// What delivery costs; 0 without a shipping option (delivery arranged with the store).
    pub shipping_price: Decimal,
    /// `PICKUP`, `LOCAL_DELIVERY` or `COURIER`; `None` when no option was chosen.
    pub shipping_kind: Option<String>,
    pub shipping_name: Option<String>,
    pub shipping_max_days: Option<i32>,
    /// A copy of where the order goes, as it was at checkout.
    pub delivery_address: Option<DeliveryJson>,
    /// The value-added tax `total` includes; `None` for orders placed before it was kept.
    pub tax_included: Option<Decimal>,
}

/// [`Delivery`] as the orders table keeps it (JSON; boxed, so an order stays small).
pub type DeliveryJson = sqlx::types::Json<Box<Delivery>>;

/// Where an order goes: a copy of the buyer's address, or of the store's pickup point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// The buyer's address as it was (none for pickup).
    pub address: Option<crate::commerce::addresses::Address>,
    /// Pickup: where and when.
    pub pickup_address: Option<String>,
    pub pickup_hours: Option<String>,
}

/// A line of an order: a copy of what was bought, at the price paid.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrderLine {
    pub order_id: OrderId,
    pub product_id: ProductId,
    pub variant_id: crate::catalogue::variants::VariantId,
    /// The variant's SKU (or its product's) when it was bought.
    pub sku: Option<String>,
    /// The variant's option values when it was bought.
    pub options: sqlx::types::Json<Vec<SelectedOptionJson>>,
    pub product_name: String,
    pub unit: ProductUnit,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub line_total: Decimal,
}

/// An option value of an order line's variant, as stored.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SelectedOptionJson {
    pub name: String,
    pub value: String,
}

/// One entry of an order's history.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StatusChange {
    pub order_id: OrderId,
    pub status: OrderStatus,
    pub changed_by: Option<UserId>,
    pub changed_at: DateTime<Utc>,
    /// Why, when the mover alone does not say it.
    pub reason: Option<ChangeReason>,
}

/// Why an order's status changed, recorded when the mover alone does not say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Enum, sqlx::Type, Serialize, Deserialize)]
#[sqlx(type_name = "order_change_reason", rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(name = "OrderChangeReason")]
pub enum ChangeReason {
    /// The payment did not arrive before the order's deadline: the marketplace cancelled it
    /// and put its stock back.
    PaymentExpired,
}

/// Who makes a move, as the state machine sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// The order's buyer.
    Buyer,
    /// The seller who runs the order's store.
    Seller,
    /// An administrator.
    Admin,
    /// The system itself, e.g. a payment provider's confirmation.
    System,
}

/// Who is changing an order, with the user to record in its history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user.
    User { id: UserId, role: UserRole },
    /// A process acting on its own (no user is recorded).
    System,
}

impl Actor {
    /// The user recorded in the history, if any.
    pub fn user_id(self) -> Option<UserId> {
        match self {
            Self::User { id, .. } => Some(id),
            Self::System => None,
        }
    }

    /// How this actor relates to `order`; `None` for a user unrelated to it.
    pub fn party(self, order: &Order, store_owner: UserId) -> Option<Party> {
        match self {
            Self::System => Some(Party::System),
            Self::User {
                role: UserRole::Admin,
                ..
            } => Some(Party::Admin),
            Self::User { id, .. } if id == store_owner => Some(Party::Seller),
            Self::User { id, .. } if id == order.buyer_id => Some(Party::Buyer),
            Self::User { .. } => None,
        }
    }
}

/// Why a move is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveRefusal {
    /// No one may make this move from this status.
    InvalidTransition,
    /// The move exists, but this party may not make it.
    NotYours,
}

/// Whether `party` may move an order from `from` to `to`.
///
/// PENDING -> PAID is the payment's confirmation: only the system (the payment flow) or an
/// admin makes it. PAID -> SHIPPED -> DELIVERED is the seller's path. PENDING or PAID ->
/// CANCELLED restores stock and may be done by the seller, and by the buyer while the order
/// is still PENDING. Admins may make every move that exists.
pub fn allowed_move(party: Party, from: OrderStatus, to: OrderStatus) -> Result<(), MoveRefusal> {
    use OrderStatus::*;
    use Party::*;
    let movers: &[Party] = match (from, to) {
        (Pending, Paid) => &[Admin, System],
        (Paid, Shipped) | (Shipped, Delivered) => &[Seller, Admin],
        (Pending, Cancelled) => &[Buyer, Seller, Admin, System],
        (Paid, Cancelled) => &[Seller, Admin],
        _ => return Err(MoveRefusal::InvalidTransition),
    };
    if movers.contains(&party) {
        Ok(())
    } else {
        Err(MoveRefusal::NotYours)
    }
}

/// The statuses `party` may move an order in status `from` to.
pub fn next_statuses(party: Party, from: OrderStatus) -> Vec<OrderStatus> {
    OrderStatus::ALL
        .into_iter()
        .filter(|to| allowed_move(party, from, *to).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn only_the_documented_moves_exist() {
        let mut moves = Vec::new();
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                if allowed_move(Party::Admin, from, to).is_ok() {
                    moves.push((from, to));
                }
            }
        }
        assert_eq!(
            moves,
            vec![
                (Pending, Paid),
                (Pending, Cancelled),
                (Paid, Shipped),
                (Paid, Cancelled),
                (Shipped, Delivered),
            ]
        );
    }

    #[test]
    fn buyers_only_cancel_pending_orders() {
        assert_eq!(next_statuses(Party::Buyer, Pending), vec![Cancelled]);
        assert!(next_statuses(Party::Buyer, Paid).is_empty());
        assert_eq!(
            allowed_move(Party::Buyer, Pending, Paid),
            Err(MoveRefusal::NotYours)
        );
        assert_eq!(
            allowed_move(Party::Seller, Delivered, Cancelled),
            Err(MoveRefusal::InvalidTransition)
        );
        assert_eq!(next_statuses(Party::Seller, Paid), vec![Shipped, Cancelled]);
    }

    #[test]
    fn only_the_payment_flow_and_admins_mark_an_order_paid() {
        assert_eq!(
            allowed_move(Party::Seller, Pending, Paid),
            Err(MoveRefusal::NotYours)
        );
        assert_eq!(next_statuses(Party::Seller, Pending), vec![Cancelled]);
        assert_eq!(allowed_move(Party::System, Pending, Paid), Ok(()));
        assert_eq!(allowed_move(Party::Admin, Pending, Paid), Ok(()));
    }
}
