//! Checkout: the buyer's cart becomes one order per store, in one transaction.
//!
//! Why it cannot oversell: each product row is locked (in product id order, so two carts
//! never deadlock) and its stock re-checked under the lock before it is decremented; the
//! `stock >= 0` constraint backs that up. Why a retry never makes a second order: the buyer's
//! checkouts are serialised on their user row, and the idempotency key is recorded with the
//! orders in the same transaction, so a retry either finds the committed key (and gets the
//! same orders) or runs as if it were the first attempt (when the first one rolled back).
//! Why a seller cannot buy from themself: a line from a store the buyer runs is refused.
#![deny(clippy::arithmetic_side_effects)]

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::db::query_orders;
use super::expiry::OrdersConfig;
use super::mail::OrderNews;
use super::{Order, OrderStatus};
use crate::catalogue::products::db::query_products;
use crate::catalogue::products::{Product, ProductUnit};
use crate::commerce::carts::{check_quantity, line_amount};
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids::{OrderId, ProductId, StoreId, UserId};
use crate::graphql::user_errors::{UserError, UserErrorCode};
use crate::runtime::db::Db;
use crate::runtime::events::{self, Event};

/// Shortest and longest idempotency key.
pub const KEY_LENGTH: std::ops::RangeInclusive<usize> = 8..=128;

/// What a cart line becomes in an order.
struct TakenLine {
    product: Product,
    quantity: Decimal,
}

/// The fingerprint of a cart: its products and quantities, in product order.
fn cart_hash(lines: &[(ProductId, Decimal)]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    for (product, quantity) in lines {
        hasher.update(format!("{}:{};", product.0, quantity.normalize()));
    }
    hasher.finalize().to_vec()
}

fn key_error(message: String) -> Vec<UserError> {
    vec![UserError::at(
        &["idempotencyKey"],
        UserErrorCode::Invalid,
        message,
    )]
}

/// Checks out `buyer`'s cart under `key`; user errors (and nothing written) when the cart is
/// empty, a line cannot be bought as it is, the key was used for a different cart, or the
/// new orders would take the buyer past `config`'s unpaid orders. Each order must be paid
/// within `config`'s payment timeout (see [`super::expiry`]).
pub async fn checkout(
    db: &Db,
    buyer: UserId,
    key: &str,
    config: &OrdersConfig,
) -> ApiResult<Result<Vec<Order>, Vec<UserError>>> {
    if !KEY_LENGTH.contains(&key.chars().count()) {
        return Ok(Err(key_error(crate::tr!(
            "checkout-key-length",
            min = *KEY_LENGTH.start(),
            max = *KEY_LENGTH.end(),
        ))));
    }
    if key.chars().any(char::is_control) {
        return Ok(Err(key_error(crate::tr!(
            "checkout-key-control-characters"
        ))));
    }
    let mut tx = db.begin().await?;
    sqlx::query_scalar!(
        r#"SELECT 1 AS "locked!" FROM users WHERE id = $1 FOR UPDATE"#,
        buyer.0
    )
    .fetch_optional(&mut *tx)
    .await?;
    let stored = sqlx::query!(
        "SELECT request_hash, order_ids FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        buyer.0,
        key
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|row| (row.request_hash, row.order_ids));
    let lines: Vec<(ProductId, Decimal)> = sqlx::query!(
        r#"SELECT product_id AS "product_id: ProductId", quantity FROM cart_lines
         WHERE user_id = $1 ORDER BY product_id FOR UPDATE"#,
        buyer.0
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| (row.product_id, row.quantity))
    .collect();
    let hash = cart_hash(&lines);
    if let Some((stored_hash, order_ids)) = stored {
        tx.rollback().await?;
        // The cart a successful checkout emptied, or the same cart again: a retry.
        return if lines.is_empty() || stored_hash == hash {
            Ok(Ok(orders_by_ids(db, &order_ids).await?))
        } else {
            Ok(Err(vec![UserError::at(
                &["idempotencyKey"],
                UserErrorCode::IdempotencyKeyReused,
                crate::tr!("checkout-key-reused"),
            )]))
        };
    }
    if lines.is_empty() {
        return Ok(Err(vec![UserError::general(
            UserErrorCode::CartEmpty,
            UserErrorCode::CartEmpty.message(),
        )]));
    }

    // A seller buying from their own store could walk the order to DELIVERED and post a
    // "verified" review of their own product.
    let own_stores = sqlx::query_scalar!(
        r#"SELECT id AS "id: StoreId" FROM stores WHERE owner_id = $1"#,
        buyer.0
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut taken = Vec::with_capacity(lines.len());
    let mut errors = Vec::new();
    for (product_id, quantity) in lines {
        let product = Product::from(
            query_products!(
                "SELECT",
                "FROM products p WHERE p.id = $1 FOR UPDATE",
                product_id.0
            )
            .fetch_one(&mut *tx)
            .await?,
        );
        let global = product.id.to_global();
        if own_stores.contains(&product.store_id) {
            errors.push(UserError::at(
                &["cart", global.as_str()],
                UserErrorCode::OwnStore,
                crate::tr!(
                    "checkout-line-problem",
                    product = product.name.as_str(),
                    problem = UserErrorCode::OwnStore.message(),
                ),
            ));
            continue;
        }
        match check_quantity(&product, quantity, &["cart", global.as_str()]) {
            Ok(()) => taken.push(TakenLine { product, quantity }),
            Err(mut e) => {
                e.message = crate::tr!(
                    "checkout-line-problem",
                    product = product.name.as_str(),
                    problem = e.message,
                );
                errors.push(e);
            }
        }
    }
    if !errors.is_empty() {
        tx.rollback().await?;
        return Ok(Err(errors));
    }
    // Counted under the buyer's lock, so two checkouts at once cannot both pass. Orders past
    // their deadline are the sweeper's, about to give their stock back.
    let unpaid = sqlx::query_scalar!(
        r#"SELECT count(*) AS "unpaid!" FROM orders
         WHERE buyer_id = $1 AND status = 'PENDING' AND payment_due_at > now()"#,
        buyer.0
    )
    .fetch_one(&mut *tx)
    .await?;
    let new_orders = taken
        .iter()
        .map(|l| l.product.store_id)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let allowed = i64::from(config.max_unpaid_orders);
    if unpaid.saturating_add(i64::try_from(new_orders).unwrap_or(i64::MAX)) > allowed {
        tx.rollback().await?;
        return Ok(Err(vec![UserError::general(
            UserErrorCode::LimitReached,
            crate::tr!(
                "checkout-unpaid-orders-limit",
                max = config.max_unpaid_orders,
                unpaid = unpaid,
                new = new_orders,
            ),
        )]));
    }
    for line in &taken {
        sqlx::query!(
            "UPDATE products SET stock = stock - $2, sales_count = sales_count + 1,
                    updated_at = now()
             WHERE id = $1",
            line.product.id.0,
            line.quantity
        )
        .execute(&mut *tx)
        .await?;
    }

    let mut by_store: BTreeMap<StoreId, Vec<&TakenLine>> = BTreeMap::new();
    for line in &taken {
        by_store
            .entry(line.product.store_id)
            .or_default()
            .push(line);
    }
    let mut orders = Vec::with_capacity(by_store.len());
    for (store, lines) in by_store {
        let overflow = || ApiError::Internal("order total overflows".to_owned());
        let totals: Vec<Decimal> = lines
            .iter()
            .map(|l| line_amount(l.quantity, l.product.price).ok_or_else(overflow))
            .collect::<ApiResult<_>>()?;
        let total = totals
            .iter()
            .try_fold(Decimal::ZERO, |sum, t| sum.checked_add(*t))
            .ok_or_else(overflow)?;
        let order = query_orders!(
            "INSERT INTO orders
                 (buyer_id, store_id, total, currency_code, idempotency_key, payment_due_at)
             VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) RETURNING",
            "",
            buyer.0,
            store.0,
            total,
            &lines[0].product.currency_code,
            key,
            config.payment_timeout.as_secs_f64()
        )
        .fetch_one(&mut *tx)
        .await?;
        let product_ids: Vec<i64> = lines.iter().map(|l| l.product.id.0).collect();
        let names: Vec<String> = lines.iter().map(|l| l.product.name.clone()).collect();
        let units: Vec<ProductUnit> = lines.iter().map(|l| l.product.unit).collect();
        let quantities: Vec<Decimal> = lines.iter().map(|l| l.quantity).collect();
        let prices: Vec<Decimal> = lines.iter().map(|l| l.product.price).collect();
        sqlx::query!(
            "INSERT INTO order_lines
                 (order_id, product_id, product_name, unit, quantity, unit_price, line_total)
             SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::product_unit[],
                                      $5::numeric[], $6::numeric[], $7::numeric[])",
            order.id.0,
            &product_ids,
            &names,
            &units as &[ProductUnit],
            &quantities,
            &prices,
            &totals
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO order_status_history (order_id, status, changed_by) VALUES ($1, $2, $3)",
            order.id.0,
            OrderStatus::Pending as OrderStatus,
            buyer.0
        )
        .execute(&mut *tx)
        .await?;
        events::notify(
            &mut tx,
            &Event::OrderUpdated {
                order_id: order.id,
                buyer_id: buyer,
                store_id: store,
            },
        )
        .await?;
        super::mail::queue(&mut tx, order.id, &[OrderNews::Placed, OrderNews::NewOrder]).await?;
        orders.push(order);
    }
    let order_ids: Vec<i64> = orders.iter().map(|o| o.id.0).collect();
    sqlx::query!(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, order_ids)
         VALUES ($1, $2, $3, $4)",
        buyer.0,
        key,
        &hash,
        &order_ids
    )
    .execute(&mut *tx)
    .await?;
    let bought: Vec<i64> = taken.iter().map(|l| l.product.id.0).collect();
    sqlx::query!(
        "DELETE FROM cart_lines WHERE user_id = $1 AND product_id = ANY($2)",
        buyer.0,
        &bought
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(orders))
}

/// The orders with these ids, in this order.
async fn orders_by_ids(db: &Db, ids: &[i64]) -> ApiResult<Vec<Order>> {
    let ids: Vec<OrderId> = ids.iter().copied().map(OrderId).collect();
    let mut found = <Order as crate::graphql::loaders::LoadById>::load(db, &ids).await?;
    found.sort_by_key(|o| ids.iter().position(|id| *id == o.id));
    Ok(found)
}
