//! Unpaid orders give their stock back. Checkout takes the stock at once, so an order
//! nobody pays would hold it for ever: each PENDING order gets a deadline
//! (`payment_due_at`, [`OrdersConfig::payment_timeout`] after checkout), and a sweeper in
//! every server process cancels the orders past it as [`Actor::System`], with the reason
//! recorded in their history, and puts their stock back.
//!
//! Several processes sweep at once without cancelling an order twice: each order is taken
//! in its own transaction with `FOR UPDATE SKIP LOCKED`, so a sweeper passes over the order
//! another one is cancelling, and the move is checked against the status read under the
//! lock (an order paid or cancelled meanwhile is no longer PENDING and is left alone).
//!
//! A buyer may also hold only [`OrdersConfig::max_unpaid_orders`] unpaid orders at once
//! (checked at checkout), so one account cannot take a product's whole stock with orders it
//! never pays.

use std::time::Duration;

use super::db::{ChangeRefused, apply_move, query_orders};
use super::{Actor, ChangeReason, OrderStatus};
use crate::graphql::error::ApiResult;
use crate::runtime::db::Db;

/// How orders wait for their payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrdersConfig {
    /// How long a PENDING order holds its stock before it is cancelled.
    pub payment_timeout: Duration,
    /// Most PENDING orders (within their deadline) one buyer may hold; the next checkout
    /// is a `LIMIT_REACHED` user error.
    pub max_unpaid_orders: u32,
    /// How often each process looks for orders past their deadline (and refunds still
    /// owed: [`crate::commerce::worker`]).
    pub sweep_every: Duration,
    /// The marketplace's commission on a paid order, in percent of its total, for stores
    /// without their own (see [`crate::commerce::ledger`]).
    pub commission_percent: rust_decimal::Decimal,
}

impl Default for OrdersConfig {
    fn default() -> Self {
        Self {
            payment_timeout: Duration::from_secs(30 * 60),
            max_unpaid_orders: 5,
            sweep_every: Duration::from_secs(15),
            commission_percent: rust_decimal::Decimal::TEN,
        }
    }
}

/// Most orders one sweep cancels before it yields to the next tick (each is its own
/// transaction, so a long backlog is worked through over several ticks).
const SWEEP_BATCH: usize = 500;

/// Cancels the PENDING orders past their payment deadline, each in its own transaction,
/// and puts their stock back; returns how many this call cancelled. Safe to run in several
/// processes at once (see the module).
pub async fn expire_due(db: &Db) -> ApiResult<usize> {
    let mut cancelled = 0;
    while cancelled < SWEEP_BATCH {
        let mut tx = db.begin().await?;
        let due = query_orders!(
            "SELECT",
            "FROM orders
             WHERE status = 'PENDING' AND payment_due_at <= now()
             ORDER BY payment_due_at LIMIT 1 FOR UPDATE SKIP LOCKED"
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(order) = due else { break };
        match apply_move(
            &mut tx,
            &order,
            OrderStatus::Cancelled,
            Actor::System,
            Some(ChangeReason::PaymentExpired),
        )
        .await?
        {
            Ok(_) => {
                tx.commit().await?;
                cancelled += 1;
                tracing::info!(order = %order.number, "cancelled an order whose payment did not arrive in time");
            }
            // Read PENDING under the lock, and the system may cancel a pending order: not
            // reached, but an order left as it is must not stop the sweep.
            Err(refused @ (ChangeRefused::Forbidden | ChangeRefused::InvalidTransition(_))) => {
                tracing::error!(order = %order.number, ?refused, "could not expire an order");
                break;
            }
            Err(ChangeRefused::NotFound) => break,
        }
    }
    if cancelled > 0 {
        metrics::counter!("textisur_orders_expired_total").increment(cancelled as u64);
    }
    Ok(cancelled)
}
