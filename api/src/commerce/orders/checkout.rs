//! Checkout: the buyer's cart becomes one order per store, in one transaction.
//!
//! Why it cannot oversell: each product row is locked (in product id order, so two carts
//! never deadlock), and the variant's stock re-checked under that lock before it is
//! decremented; the `stock >= 0` constraint backs that up. Every writer of a variant's
//! stock locks its product first, so the product lock alone serialises them: the variant
//! rows need no lock of their own. Why a retry never makes a second order: the buyer's
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
use super::{Delivery, Order, OrderStatus};
use crate::catalogue::products::db::query_products;
use crate::catalogue::products::{Product, ProductUnit};
use crate::catalogue::variants::{Variant, VariantId};
use crate::commerce::addresses;
use crate::commerce::carts::{check_quantity, line_amount};
use crate::commerce::money;
use crate::commerce::shipping::{self, ShippingKind, ShippingOption};
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
    variant: Variant,
    /// `(option name, value)` of the variant, copied onto the order line.
    selected: Vec<(String, String)>,
    quantity: Decimal,
}

impl TakenLine {
    fn unit_price(&self) -> Decimal {
        self.variant.price_or(self.product.price)
    }
}

/// How the buyer wants one store's order delivered: a shipping option of that store, and
/// an address of theirs (none for pickup).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryChoice {
    pub store: StoreId,
    /// A shipping option's row id.
    pub option: i64,
    /// An address's row id.
    pub address: Option<i64>,
    /// Where the choice was given (`delivery`, its index), for user errors.
    pub index: usize,
}

/// The fingerprint of a checkout request: its variants and quantities, in product and
/// variant order, then the delivery chosen.
fn cart_hash(lines: &[(ProductId, VariantId, Decimal)], delivery: &[DeliveryChoice]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    for (product, variant, quantity) in lines {
        hasher.update(format!(
            "{}/{}:{};",
            product.0,
            variant.0,
            quantity.normalize()
        ));
    }
    let mut choices: Vec<_> = delivery
        .iter()
        .map(|d| (d.store.0, d.option, d.address))
        .collect();
    choices.sort_unstable();
    for (store, option, address) in choices {
        hasher.update(format!("d{store}:{option}:{address:?};"));
    }
    hasher.finalize().to_vec()
}

/// What one store's order gets for delivery (by default none: arranged with the store).
#[derive(Default)]
struct Shipping {
    option: Option<ShippingOption>,
    price: Decimal,
    delivery: Option<Delivery>,
}

/// Works out each store's delivery from the buyer's choices, under checkout's transaction:
/// a store with active shipping options needs a choice, one without needs none (delivery
/// is then arranged with the store, at no price here); every choice must name a store of
/// the cart, one of its active options, and, unless it is pickup, an address of the buyer's
/// that the option reaches. User errors name the option or store at fault.
async fn shipping_of(
    tx: &mut sqlx::PgConnection,
    buyer: UserId,
    by_store: &BTreeMap<StoreId, Vec<&TakenLine>>,
    delivery: &[DeliveryChoice],
) -> ApiResult<Result<BTreeMap<StoreId, Shipping>, Vec<UserError>>> {
    let mut errors = Vec::new();
    let at = |index: usize, field: &str, code: UserErrorCode, message: String| {
        UserError::at(&["delivery", &index.to_string(), field], code, message)
    };
    for choice in delivery {
        if !by_store.contains_key(&choice.store) {
            errors.push(at(
                choice.index,
                "storeId",
                UserErrorCode::NotFound,
                crate::tr!("checkout-delivery-store-not-in-cart"),
            ));
        } else if delivery.iter().filter(|d| d.store == choice.store).count() > 1 {
            errors.push(at(
                choice.index,
                "storeId",
                UserErrorCode::Invalid,
                crate::tr!("checkout-delivery-store-twice"),
            ));
        }
    }
    let mut out = BTreeMap::new();
    for (store, lines) in by_store {
        // Only messages name the store: read when one is written.
        let store_name = async |tx: &mut sqlx::PgConnection| -> ApiResult<String> {
            Ok(
                sqlx::query_scalar!("SELECT name FROM stores WHERE id = $1", store.0)
                    .fetch_one(tx)
                    .await?,
            )
        };
        let Some(choice) = delivery.iter().find(|d| d.store == *store) else {
            let offered = sqlx::query_scalar!(
                r#"SELECT count(*) AS "n!" FROM shipping_options WHERE store_id = $1 AND active"#,
                store.0
            )
            .fetch_one(&mut *tx)
            .await?;
            if offered > 0 {
                errors.push(UserError::at(
                    &["delivery"],
                    UserErrorCode::Required,
                    crate::tr!(
                        "checkout-delivery-required",
                        store = store_name(&mut *tx).await?
                    ),
                ));
            }
            out.insert(*store, Shipping::default());
            continue;
        };
        let option = shipping::by_id(&mut *tx, choice.option)
            .await?
            .filter(|o| o.store_id == *store && o.active);
        let Some(option) = option else {
            errors.push(at(
                choice.index,
                "shippingOptionId",
                UserErrorCode::NotFound,
                crate::tr!(
                    "checkout-delivery-option-not-found",
                    store = store_name(&mut *tx).await?
                ),
            ));
            continue;
        };
        let pickup = option.shipping_kind() == Some(ShippingKind::Pickup);
        let address = match choice.address {
            Some(id) => {
                let found = addresses::owned(&mut *tx, buyer, id).await?;
                if found.is_none() {
                    errors.push(at(
                        choice.index,
                        "addressId",
                        UserErrorCode::NotFound,
                        crate::tr!("address-not-found"),
                    ));
                    continue;
                }
                found
            }
            None if pickup => None,
            None => {
                errors.push(at(
                    choice.index,
                    "addressId",
                    UserErrorCode::Required,
                    crate::tr!(
                        "checkout-delivery-address-required",
                        option = option.name.as_str()
                    ),
                ));
                continue;
            }
        };
        if !option.reaches(address.as_ref()) {
            let place = address
                .as_ref()
                .map(|a| format!("{}, {} ({})", a.city, a.region, a.country_code))
                .unwrap_or_default();
            errors.push(at(
                choice.index,
                "shippingOptionId",
                UserErrorCode::Invalid,
                crate::tr!(
                    "checkout-delivery-not-reached",
                    option = option.name.as_str(),
                    place = place,
                ),
            ));
            continue;
        }
        let grams = lines
            .iter()
            .try_fold(Decimal::ZERO, |sum, l| {
                let each = Decimal::from(l.product.weight_grams.unwrap_or(0));
                sum.checked_add(l.quantity.checked_mul(each)?)
            })
            .ok_or_else(|| ApiError::Internal("order weight overflows".to_owned()))?;
        let price = shipping::quote(&option, grams)
            .ok_or_else(|| ApiError::Internal("shipping price overflows".to_owned()))?;
        let delivery = Delivery {
            address: if pickup { None } else { address },
            pickup_address: option.pickup_address.clone(),
            pickup_hours: option.pickup_hours.clone(),
        };
        out.insert(
            *store,
            Shipping {
                option: Some(option),
                price,
                delivery: Some(delivery),
            },
        );
    }
    Ok(if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    })
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
    delivery: &[DeliveryChoice],
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
    let lines: Vec<(ProductId, VariantId, Decimal)> = sqlx::query!(
        r#"SELECT product_id AS "product_id: ProductId", variant_id AS "variant_id: VariantId",
                  quantity
           FROM cart_lines WHERE user_id = $1 ORDER BY product_id, variant_id FOR UPDATE"#,
        buyer.0
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| (row.product_id, row.variant_id, row.quantity))
    .collect();
    let hash = cart_hash(&lines, delivery);
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
    let mut locked: Option<(Product, crate::catalogue::variants::VariantSet)> = None;
    for (product_id, variant_id, quantity) in lines {
        // Lines come in product order: each product is locked once, and its variants read.
        if locked.as_ref().is_none_or(|(p, _)| p.id != product_id) {
            let product = Product::from(
                query_products!(
                    "SELECT",
                    "FROM products p WHERE p.id = $1 FOR UPDATE",
                    product_id.0
                )
                .fetch_one(&mut *tx)
                .await?,
            );
            let set = crate::commerce::carts::db::variant_set(&mut tx, product_id).await?;
            locked = Some((product, set));
        }
        let Some((product, set)) = &locked else {
            continue;
        };
        let product = product.clone();
        let Some(variant) = set.variants.iter().find(|v| v.id == variant_id).cloned() else {
            continue;
        };
        let selected = set.selected(&variant);
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
        match check_quantity(&product, &variant, quantity, &["cart", global.as_str()]) {
            Ok(()) => taken.push(TakenLine {
                product,
                variant,
                selected,
                quantity,
            }),
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
    // One market per cart (`addToCart` keeps it so; a cart from before the rule is checked
    // here): its orders are paid in one currency.
    let currencies: std::collections::BTreeSet<&str> = taken
        .iter()
        .map(|l| l.product.currency_code.as_str())
        .collect();
    if currencies.len() > 1 {
        tx.rollback().await?;
        return Ok(Err(vec![UserError::at(
            &["cart"],
            UserErrorCode::OtherMarket,
            crate::tr!("checkout-cart-mixes-markets"),
        )]));
    }
    let mut by_store: BTreeMap<StoreId, Vec<&TakenLine>> = BTreeMap::new();
    for line in &taken {
        by_store
            .entry(line.product.store_id)
            .or_default()
            .push(line);
    }
    let mut shipping = match shipping_of(&mut tx, buyer, &by_store, delivery).await? {
        Ok(shipping) => shipping,
        Err(errors) => {
            tx.rollback().await?;
            return Ok(Err(errors));
        }
    };
    // One statement each: the variants' stock (the database sums it onto the products),
    // then one more sale per product sold.
    let variant_ids: Vec<i64> = taken.iter().map(|l| l.variant.id.0).collect();
    let quantities: Vec<Decimal> = taken.iter().map(|l| l.quantity).collect();
    sqlx::query!(
        "UPDATE product_variants v SET stock = v.stock - t.quantity, updated_at = now()
         FROM unnest($1::bigint[], $2::numeric[]) AS t(id, quantity) WHERE v.id = t.id",
        &variant_ids,
        &quantities
    )
    .execute(&mut *tx)
    .await?;
    let mut sold: Vec<i64> = taken.iter().map(|l| l.product.id.0).collect();
    sold.dedup();
    sqlx::query!(
        "UPDATE products SET sales_count = sales_count + 1, updated_at = now()
         WHERE id = ANY($1)",
        &sold
    )
    .execute(&mut *tx)
    .await?;

    let mut orders = Vec::with_capacity(by_store.len());
    for (store, lines) in by_store {
        let overflow = || ApiError::Internal("order total overflows".to_owned());
        let currency = &lines[0].product.currency_code;
        let totals: Vec<Decimal> = lines
            .iter()
            .map(|l| line_amount(l.quantity, l.unit_price(), currency).ok_or_else(overflow))
            .collect::<ApiResult<_>>()?;
        let subtotal = totals
            .iter()
            .try_fold(Decimal::ZERO, |sum, t| sum.checked_add(*t))
            .ok_or_else(overflow)?;
        let delivery = shipping.remove(&store).unwrap_or_default();
        let total = subtotal.checked_add(delivery.price).ok_or_else(overflow)?;
        let option = delivery.option.as_ref();
        let order = query_orders!(
            "INSERT INTO orders
                 (buyer_id, store_id, total, currency_code, idempotency_key, payment_due_at,
                  subtotal, shipping_price, shipping_option_id, shipping_kind, shipping_name,
                  shipping_max_days, delivery_address, tax_included)
             VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6),
                     $7, $8, $9, $10, $11, $12, $13, $14) RETURNING",
            "",
            buyer.0,
            store.0,
            total,
            currency,
            key,
            config.payment_timeout.as_secs_f64(),
            subtotal,
            delivery.price,
            option.map(|o| o.id),
            option.map(|o| o.kind.clone()),
            option.map(|o| o.name.clone()),
            option.map(|o| o.max_days),
            delivery.delivery.map(|d| sqlx::types::Json(Box::new(d)))
                as Option<super::DeliveryJson>,
            money::tax_included(total, currency)
        )
        .fetch_one(&mut *tx)
        .await?;
        let product_ids: Vec<i64> = lines.iter().map(|l| l.product.id.0).collect();
        let variant_ids: Vec<i64> = lines.iter().map(|l| l.variant.id.0).collect();
        let skus: Vec<Option<String>> = lines
            .iter()
            .map(|l| l.variant.sku.clone().or_else(|| l.product.sku.clone()))
            .collect();
        let options: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| {
                serde_json::Value::Array(
                    l.selected
                        .iter()
                        .map(|(name, value)| serde_json::json!({"name": name, "value": value}))
                        .collect(),
                )
            })
            .collect();
        let names: Vec<String> = lines.iter().map(|l| l.product.name.clone()).collect();
        let units: Vec<ProductUnit> = lines.iter().map(|l| l.product.unit).collect();
        let quantities: Vec<Decimal> = lines.iter().map(|l| l.quantity).collect();
        let prices: Vec<Decimal> = lines.iter().map(|l| l.unit_price()).collect();
        sqlx::query!(
            "INSERT INTO order_lines
                 (order_id, product_id, variant_id, sku, options, product_name, unit, quantity,
                  unit_price, line_total)
             SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::jsonb[],
                                      $6::text[], $7::product_unit[], $8::numeric[],
                                      $9::numeric[], $10::numeric[])",
            order.id.0,
            &product_ids,
            &variant_ids,
            &skus as &[Option<String>],
            &options,
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
    let bought: Vec<i64> = taken.iter().map(|l| l.variant.id.0).collect();
    sqlx::query!(
        "DELETE FROM cart_lines WHERE user_id = $1 AND variant_id = ANY($2)",
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
