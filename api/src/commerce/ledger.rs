//! The ledger: what each paid order earned, split between the seller and the marketplace,
//! in the order's currency. One `SALE` entry is written in the transaction that moves an
//! order to PAID (by the payment webhook or an admin), so an order paid once has exactly
//! one; the table refuses updates and deletes (a trigger), so entries are only appended.
//!
//! The commission is the marketplace fee the provider was told at checkout when the order
//! was paid online, else the store's own percent or the server's default, rounded half up
//! to the currency's decimals (none for CLP and PYG), as checkout rounds the fee.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::graphql::error::ApiResult;
use crate::graphql::ids::{OrderId, StoreId};
use crate::runtime::db::Db;

/// Writes the `SALE` entry of `order`, just moved to PAID in `tx`; `default_percent` is the
/// commission of stores without their own. Writing it twice keeps the first.
pub async fn record_sale(
    tx: &mut sqlx::PgConnection,
    order: OrderId,
    default_percent: Decimal,
) -> ApiResult<()> {
    sqlx::query!(
        "INSERT INTO ledger_entries (order_id, store_id, kind, gross, commission, net, currency_code)
         SELECT o.id, o.store_id, 'SALE', o.total, fee.amount, o.total - fee.amount, o.currency_code
         FROM orders o
         JOIN stores s ON s.id = o.store_id
         LEFT JOIN payments p ON p.order_id = o.id AND p.status = 'APPROVED'
         CROSS JOIN LATERAL (
             SELECT COALESCE(
                 p.marketplace_fee,
                 round(o.total * COALESCE(s.commission_percent, $2) / 100,
                       CASE WHEN o.currency_code IN ('CLP', 'PYG') THEN 0 ELSE 2 END)
             ) AS amount
         ) fee
         WHERE o.id = $1
         ON CONFLICT (order_id, kind) DO NOTHING",
        order.0,
        default_percent
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Writes the `REFUND` entry of `order`, whose payment was just given back in `tx`: the
/// negation of its sale. Writing it twice keeps the first.
pub async fn record_refund(tx: &mut sqlx::PgConnection, order: OrderId) -> ApiResult<()> {
    sqlx::query!(
        "INSERT INTO ledger_entries (order_id, store_id, kind, gross, commission, net, currency_code)
         SELECT order_id, store_id, 'REFUND', -gross, -commission, -net, currency_code
         FROM ledger_entries WHERE order_id = $1 AND kind = 'SALE'
         ON CONFLICT (order_id, kind) DO NOTHING",
        order.0
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A store's takings over a period.
#[derive(Clone, Debug, Default, async_graphql::SimpleObject)]
pub struct Earnings {
    /// What buyers paid for the period's orders, less what was refunded.
    pub gross: Decimal,
    /// What the marketplace kept.
    pub commission: Decimal,
    /// What the seller receives: gross less commission.
    pub net: Decimal,
    /// The store's currency.
    pub currency_code: String,
    /// How many orders were paid in the period, less those refunded.
    pub orders: i64,
}

/// The takings of `store` from entries recorded at or after `from` and before `to` (sales
/// less refunds).
pub async fn earnings(
    db: &Db,
    store: StoreId,
    currency_code: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ApiResult<Earnings> {
    let row = sqlx::query!(
        r#"SELECT coalesce(sum(gross), 0) AS "gross!", coalesce(sum(commission), 0) AS "commission!",
                  coalesce(sum(net), 0) AS "net!",
                  count(*) FILTER (WHERE kind = 'SALE') - count(*) FILTER (WHERE kind = 'REFUND')
                      AS "orders!"
           FROM ledger_entries
           WHERE store_id = $1 AND recorded_at >= $2 AND recorded_at < $3"#,
        store.0,
        from,
        to
    )
    .fetch_one(db.executor())
    .await?;
    // Two decimals, as every amount of the API (a sum of nothing is "0.00" too).
    let cents = |mut amount: Decimal| {
        amount.rescale(2);
        amount
    };
    Ok(Earnings {
        gross: cents(row.gross),
        commission: cents(row.commission),
        net: cents(row.net),
        currency_code: currency_code.to_owned(),
        orders: row.orders,
    })
}
