//! Buying: carts, checkout, orders and their payments.

pub mod addresses;
pub mod carts;
pub mod ledger;
pub mod markets;
pub mod money;
pub mod orders;
pub mod payments;
pub mod shipping;
pub mod worker;

/// What the buying side of a server is configured with: how orders wait for their payment,
/// and the payment provider when one is configured.
#[derive(Clone, Default)]
pub struct Commerce {
    pub orders: orders::expiry::OrdersConfig,
    /// `None`: no provider; orders are paid by hand (an admin confirms them).
    pub payments: Option<payments::Payments>,
}
