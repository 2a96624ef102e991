//! Payments: each order is paid through Mercado Pago's marketplace model. The store's
//! seller collects (the preference is made with the token of the seller's connected
//! account) and the marketplace keeps its commission as the preference's
//! `marketplace_fee`. Only the provider's webhook, checked against the provider's API,
//! moves an order to PAID ([`webhook`]).
//!
//! Checkout does not wait on the provider inside its transaction: the orders commit first,
//! then each gets its preference. A provider that is down leaves an order without a
//! payment link (and a warning in the log); asking for the order's payment again
//! (`payOrder`) makes it. A store without a connected account takes no online payment: an
//! admin confirms such orders by hand, as before.
//!
//! One provider exists today; a second one (Stripe Connect) would add its own module and a
//! `provider` value, not a trait written ahead of it.

pub mod graphql;
pub mod mercadopago;
pub mod webhook;

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Enum, SimpleObject};
use rust_decimal::{Decimal, RoundingStrategy};

use self::mercadopago::{BackUrls, MercadoPago, PreferenceItem, PreferenceRequest};
use super::orders::Order;
use crate::catalogue::products::Money;
use crate::graphql::error::ApiResult;
use crate::graphql::ids::{OrderId, StoreId, UserId};
use crate::graphql::loaders::{BatchLoad, Loaders};
use crate::runtime::db::Db;
use crate::runtime::events::{self, Event};

/// Where a payment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Enum, sqlx::Type)]
#[sqlx(type_name = "payment_status", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    /// The link is ready; nothing paid yet.
    Pending,
    /// Paid: the provider approved the payment, and the order is PAID.
    Approved,
    /// The provider refused the last attempt; the buyer may pay again through the link.
    Rejected,
    /// Paid back.
    Refunded,
    /// A refund is owed and not done yet.
    RefundPending,
}

/// Who moves the money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum PaymentProvider {
    /// Mercado Pago (Argentina, Chile, Uruguay, Peru; Paraguay through the same API).
    Mercadopago,
}

/// How a server reaches its payment provider, before it starts.
#[derive(Clone, Debug)]
pub struct PaymentsSetup {
    pub mercadopago: mercadopago::MercadoPagoConfig,
}

impl PaymentsSetup {
    /// The provider's client.
    pub fn start(&self) -> anyhow::Result<Payments> {
        Ok(Payments {
            provider: Arc::new(MercadoPago::new(self.mercadopago.clone())?),
        })
    }
}

/// The payment provider of a server, when one is configured.
#[derive(Clone)]
pub struct Payments {
    pub provider: Arc<MercadoPago>,
}

/// An order's payment.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PaymentRow {
    pub order_id: OrderId,
    pub preference_id: String,
    pub init_point: String,
    pub payment_id: Option<String>,
    pub status: PaymentStatus,
    pub amount: Decimal,
    pub currency_code: String,
}

/// How an order is paid: the provider's link and reference, and where the payment stands.
#[derive(Clone, Debug, SimpleObject)]
pub struct Payment {
    /// Where the payment stands.
    pub status: PaymentStatus,
    /// Who moves the money.
    pub provider: PaymentProvider,
    /// The provider's reference: its payment id once one was made, its preference id
    /// before.
    pub reference: String,
    /// What is to be paid.
    pub amount: Money,
    /// Where the buyer pays (the provider's checkout page); null once paid.
    pub url: Option<String>,
}

impl From<PaymentRow> for Payment {
    fn from(row: PaymentRow) -> Self {
        Self {
            status: row.status,
            provider: PaymentProvider::Mercadopago,
            reference: row.payment_id.unwrap_or(row.preference_id),
            amount: Money {
                amount: row.amount,
                currency_code: row.currency_code,
            },
            url: matches!(row.status, PaymentStatus::Pending | PaymentStatus::Rejected)
                .then_some(row.init_point),
        }
    }
}

pub use super::money::currency_decimals;

/// The marketplace's fee on `total`: `percent` of it, rounded half up to the currency's
/// decimals.
pub fn marketplace_fee(total: Decimal, percent: Decimal, currency: &str) -> Decimal {
    (total * percent / Decimal::ONE_HUNDRED).round_dp_with_strategy(
        currency_decimals(currency),
        RoundingStrategy::MidpointAwayFromZero,
    )
}

/// The payment of this order, if one was made.
pub async fn of_order(db: &Db, order: OrderId) -> ApiResult<Option<PaymentRow>> {
    Ok(sqlx::query_as!(
        PaymentRow,
        r#"SELECT order_id AS "order_id: OrderId", preference_id, init_point, payment_id,
                  status AS "status: PaymentStatus", amount, currency_code
           FROM payments WHERE order_id = $1"#,
        order.0
    )
    .fetch_optional(db.executor())
    .await?)
}

/// Loads the payments of many orders in one statement.
pub struct PaymentLoader(Db);

impl BatchLoad for PaymentLoader {
    type Key = OrderId;
    type Value = PaymentRow;
    const NAME: &'static str = "payment";
    const CHANGING: bool = true;

    fn build(db: &Db) -> Self {
        Self(db.clone())
    }

    async fn load(&self, keys: &[OrderId]) -> ApiResult<HashMap<OrderId, PaymentRow>> {
        let ids: Vec<i64> = keys.iter().map(|id| id.0).collect();
        let rows = sqlx::query_as!(
            PaymentRow,
            r#"SELECT order_id AS "order_id: OrderId", preference_id, init_point, payment_id,
                      status AS "status: PaymentStatus", amount, currency_code
               FROM payments WHERE order_id = ANY($1)"#,
            &ids
        )
        .fetch_all(self.0.executor())
        .await?;
        Ok(rows.into_iter().map(|row| (row.order_id, row)).collect())
    }
}

/// The payment of an order, batched with the other orders of the request.
pub async fn order_payment(loaders: &Loaders, order: OrderId) -> ApiResult<Option<Payment>> {
    Ok(loaders
        .get::<PaymentLoader>()
        .load_one(order)
        .await?
        .map(Payment::from))
}

/// The seller's token for a store's connected account, if the store connected one, and
/// the store's own commission percent, if it has one.
async fn store_account(db: &Db, store: StoreId) -> ApiResult<Option<(String, Option<Decimal>)>> {
    Ok(sqlx::query!(
        "SELECT a.access_token, s.commission_percent FROM store_payment_accounts a
         JOIN stores s ON s.id = a.store_id
         WHERE a.store_id = $1 AND a.provider = 'MERCADOPAGO'",
        store.0
    )
    .fetch_optional(db.executor())
    .await?
    .map(|row| (row.access_token, row.commission_percent)))
}

impl Payments {
    /// The payment of `order`, made with the provider now when the order has none yet and
    /// is still PENDING; its marketplace fee is the store's commission, or
    /// `default_percent`. `None` when its store takes no online payment, or when the
    /// provider cannot be reached (logged; asking again retries).
    pub async fn for_order(
        &self,
        db: &Db,
        order: &Order,
        default_percent: Decimal,
    ) -> ApiResult<Option<PaymentRow>> {
        if let Some(existing) = of_order(db, order.id).await? {
            return Ok(Some(existing));
        }
        if order.status != super::orders::OrderStatus::Pending {
            return Ok(None);
        }
        let Some((token, own_percent)) = store_account(db, order.store_id).await? else {
            return Ok(None);
        };
        let config = &self.provider.config;
        let fee = marketplace_fee(
            order.total,
            own_percent.unwrap_or(default_percent),
            &order.currency_code,
        );
        let request = PreferenceRequest {
            items: vec![PreferenceItem {
                id: order.number.clone(),
                title: format!("Pedido {} en TextiSur", order.number),
                quantity: 1,
                unit_price: order.total,
                currency_id: order.currency_code.clone(),
            }],
            external_reference: order.number.clone(),
            marketplace_fee: fee,
            notification_url: config.notification_url.clone(),
            back_urls: BackUrls {
                success: config.back_url.clone(),
                pending: config.back_url.clone(),
                failure: config.back_url.clone(),
            },
            auto_return: "approved",
            // The link stops working when the order stops holding its stock.
            expires: order.payment_due_at.is_some(),
            expiration_date_to: order.payment_due_at,
        };
        let preference = match self
            .provider
            .create_preference(&token, &format!("preference-{}", order.number), &request)
            .await
        {
            Ok(preference) => preference,
            Err(error) => {
                tracing::warn!(order = %order.number, %error, "no payment link for the order yet");
                metrics::counter!("textisur_payment_links_failed_total").increment(1);
                return Ok(None);
            }
        };
        // Two requests at once may both have made one (the provider's idempotency key
        // gives them the same preference): the first row stays.
        sqlx::query!(
            "INSERT INTO payments (order_id, provider, preference_id, init_point, amount,
                                   currency_code, marketplace_fee)
             VALUES ($1, 'MERCADOPAGO', $2, $3, $4, $5, $6)
             ON CONFLICT (order_id) DO NOTHING",
            order.id.0,
            preference.id,
            preference.init_point,
            order.total,
            order.currency_code,
            fee
        )
        .execute(db.executor())
        .await?;
        of_order(db, order.id).await
    }
}

impl Payments {
    /// Issues the refund `order` owes (its payment is `REFUND_PENDING`): the provider gives
    /// the payment back, the payment becomes `REFUNDED` and the ledger gets the refund, in
    /// one transaction that holds the payment's row, so two processes never issue it at
    /// once (and the provider's idempotency key covers a retry after a lost answer).
    /// `false` when nothing was owed or the provider did not take it (it stays
    /// `REFUND_PENDING`, for [`Payments::retry_refunds`]).
    pub async fn refund(&self, db: &Db, order: OrderId) -> ApiResult<bool> {
        let mut tx = db.begin().await?;
        let owed = sqlx::query!(
            r#"SELECT p.payment_id AS "payment_id!", a.access_token, o.number,
                      o.buyer_id AS "buyer_id: UserId", o.store_id AS "store_id: StoreId"
               FROM payments p
               JOIN orders o ON o.id = p.order_id
               JOIN store_payment_accounts a ON a.store_id = o.store_id
               WHERE p.order_id = $1 AND p.status = 'REFUND_PENDING'
                 AND p.payment_id IS NOT NULL
               FOR UPDATE OF p SKIP LOCKED"#,
            order.0
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(owed) = owed else {
            return Ok(false);
        };
        let key = format!("refund-{}", owed.number);
        if let Err(error) = self
            .provider
            .refund(&owed.access_token, &owed.payment_id, &key)
            .await
        {
            tracing::warn!(order = %owed.number, %error, "a refund is still owed");
            metrics::counter!("textisur_refunds_failed_total").increment(1);
            return Ok(false);
        }
        sqlx::query!(
            "UPDATE payments SET status = 'REFUNDED', updated_at = now() WHERE order_id = $1",
            order.0
        )
        .execute(&mut *tx)
        .await?;
        crate::commerce::ledger::record_refund(&mut tx, order).await?;
        crate::commerce::orders::mail::queue(
            &mut tx,
            order,
            &[crate::commerce::orders::mail::OrderNews::Refunded],
        )
        .await?;
        // Subscribers of the order see its payment come back.
        events::notify(
            &mut tx,
            &Event::OrderUpdated {
                order_id: order,
                buyer_id: owed.buyer_id,
                store_id: owed.store_id,
            },
        )
        .await?;
        tx.commit().await?;
        metrics::counter!("textisur_refunds_total").increment(1);
        Ok(true)
    }

    /// Issues every refund still owed (each as [`Payments::refund`]); how many went
    /// through.
    pub async fn retry_refunds(&self, db: &Db) -> ApiResult<usize> {
        let owed = sqlx::query_scalar!(
            r#"SELECT order_id AS "order_id: OrderId" FROM payments
               WHERE status = 'REFUND_PENDING' ORDER BY updated_at LIMIT 100"#
        )
        .fetch_all(db.executor())
        .await?;
        let mut done = 0;
        for order in owed {
            if self.refund(db, order).await? {
                done += 1;
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_round_half_up_to_the_currencys_decimals() {
        let fee = |total: i64, scale: u32, currency: &str| {
            marketplace_fee(Decimal::new(total, scale), Decimal::TEN, currency).to_string()
        };
        assert_eq!(fee(1005, 0, "CLP"), "101"); // 100.5 -> 101
        assert_eq!(fee(1004, 0, "PYG"), "100"); // 100.4 -> 100
        assert_eq!(fee(12345, 2, "ARS"), "12.35"); // 12.345 -> 12.35
        assert_eq!(fee(12344, 2, "PEN"), "12.34");
        assert_eq!(fee(0, 0, "UYU"), "0");
    }
}
