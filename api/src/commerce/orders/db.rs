//! SQL of orders: lookups, batched lines and histories, pages, and status changes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::SelectedOptionJson;
use super::{
    Actor, ChangeReason, MoveRefusal, Order, OrderLine, OrderStatus, StatusChange, allowed_move,
};
use crate::catalogue::products::ProductUnit;
use crate::catalogue::variants::VariantId;
use crate::graphql::error::ApiResult;
use crate::graphql::ids::{OrderId, ProductId, StoreId, UserId};
use crate::graphql::loaders::{BatchLoad, LoadById};
use crate::runtime::db::Db;
use crate::runtime::events::{self, Event};

/// A compile-checked statement that returns [`Order`] rows: the SQL before the column list,
/// the SQL after it (literals joined by `+`), then the arguments. The one place that lists
/// an order's columns.
macro_rules! query_orders {
    ($head:literal, $tail:literal $(+ $more:literal)* $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            $crate::commerce::orders::Order,
            $head
                + r#" id AS "id: crate::graphql::ids::OrderId", number,
                    buyer_id AS "buyer_id: crate::graphql::ids::UserId",
                    store_id AS "store_id: crate::graphql::ids::StoreId",
                    status AS "status: crate::commerce::orders::OrderStatus",
                    total, currency_code, payment_due_at, created_at, updated_at,
                    COALESCE(subtotal, total) AS "subtotal!", shipping_price, shipping_kind,
                    shipping_name, shipping_max_days,
                    delivery_address AS "delivery_address: crate::commerce::orders::DeliveryJson",
                    tax_included "#
                + $tail $(+ $more)*
            $(, $arg)*
        )
    };
}
pub(crate) use query_orders;

impl LoadById for Order {
    const NAME: &'static str = "order";
    const CHANGING: bool = true;
    type Id = OrderId;

    fn id(&self) -> OrderId {
        self.id
    }

    async fn load(db: &Db, ids: &[OrderId]) -> ApiResult<Vec<Self>> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        Ok(
            query_orders!("SELECT", "FROM orders WHERE id = ANY($1)", &ids)
                .fetch_all(db.executor())
                .await?,
        )
    }
}

/// Groups rows by their order, keeping their order within each group.
fn by_order<T>(rows: Vec<T>, order: impl Fn(&T) -> OrderId) -> HashMap<OrderId, Vec<T>> {
    let mut grouped: HashMap<OrderId, Vec<T>> = HashMap::new();
    for row in rows {
        grouped.entry(order(&row)).or_default().push(row);
    }
    grouped
}

/// Loads the lines of many orders in one statement.
pub struct OrderLinesLoader(pub Db);

impl BatchLoad for OrderLinesLoader {
    const NAME: &'static str = "order_lines";

    fn build(db: &Db) -> Self {
        Self(db.clone())
    }
    type Key = OrderId;
    type Value = Vec<OrderLine>;

    async fn load(&self, keys: &[OrderId]) -> ApiResult<HashMap<OrderId, Vec<OrderLine>>> {
        let keys: Vec<i64> = keys.iter().map(|id| id.0).collect();
        let rows = sqlx::query_as!(
            OrderLine,
            r#"SELECT order_id AS "order_id: OrderId", product_id AS "product_id: ProductId",
                    variant_id AS "variant_id: VariantId", sku,
                    options AS "options: sqlx::types::Json<Vec<SelectedOptionJson>>",
                    product_name, unit AS "unit: ProductUnit", quantity, unit_price, line_total
             FROM order_lines WHERE order_id = ANY($1) ORDER BY order_id, product_id, variant_id"#,
            &keys
        )
        .fetch_all(self.0.executor())
        .await?;
        Ok(by_order(rows, |row| row.order_id))
    }
}

/// Loads the histories of many orders in one statement.
pub struct OrderHistoryLoader(pub Db);

impl BatchLoad for OrderHistoryLoader {
    const NAME: &'static str = "order_history";
    const CHANGING: bool = true;

    fn build(db: &Db) -> Self {
        Self(db.clone())
    }
    type Key = OrderId;
    type Value = Vec<StatusChange>;

    async fn load(&self, keys: &[OrderId]) -> ApiResult<HashMap<OrderId, Vec<StatusChange>>> {
        let keys: Vec<i64> = keys.iter().map(|id| id.0).collect();
        let rows = sqlx::query_as!(
            StatusChange,
            r#"SELECT order_id AS "order_id: OrderId", status AS "status: OrderStatus",
                    changed_by AS "changed_by: UserId", changed_at,
                    reason AS "reason: ChangeReason"
             FROM order_status_history
             WHERE order_id = ANY($1) ORDER BY order_id, changed_at, id"#,
            &keys
        )
        .fetch_all(self.0.executor())
        .await?;
        Ok(by_order(rows, |row| row.order_id))
    }
}

/// Whose orders a page lists.
#[derive(Clone, Copy, Debug)]
pub enum OrderOwner {
    Buyer(UserId),
    Store(StoreId),
}

/// Where a newest-first page of orders resumes.
pub type OrderCursor = (DateTime<Utc>, OrderId);

/// `first + 1` orders of `owner`, newest first, after `after`.
pub async fn page(
    db: &Db,
    owner: OrderOwner,
    first: usize,
    after: Option<OrderCursor>,
) -> ApiResult<Vec<Order>> {
    // One statement per owner kind, so each keeps its own index and plan.
    macro_rules! newest_of {
        ($owned_by:literal, $id:expr) => {
            query_orders!(
                "SELECT",
                "FROM orders WHERE "
                    + $owned_by
                    + " = $1
                   AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
                 ORDER BY created_at DESC, id DESC LIMIT $2",
                $id,
                (first + 1) as i64,
                after.map(|a| a.0),
                after.map(|a| a.1.0)
            )
            .fetch_all(db.executor())
            .await?
        };
    }
    Ok(match owner {
        OrderOwner::Buyer(user) => newest_of!("buyer_id", user.0),
        OrderOwner::Store(store) => newest_of!("store_id", store.0),
    })
}

/// How many orders `owner` has.
pub async fn count(db: &Db, owner: OrderOwner) -> ApiResult<i64> {
    let count = match owner {
        OrderOwner::Buyer(user) => {
            sqlx::query_scalar!(
                r#"SELECT count(*) AS "count!" FROM orders WHERE buyer_id = $1"#,
                user.0
            )
            .fetch_one(db.executor())
            .await?
        }
        OrderOwner::Store(store) => {
            sqlx::query_scalar!(
                r#"SELECT count(*) AS "count!" FROM orders WHERE store_id = $1"#,
                store.0
            )
            .fetch_one(db.executor())
            .await?
        }
    };
    Ok(count)
}

/// Why a status change did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeRefused {
    /// No such order.
    NotFound,
    /// The actor is not a party to the order, or the move is not theirs to make.
    Forbidden,
    /// The state machine has no such move from the current status.
    InvalidTransition(OrderStatus),
}

/// Moves an order to `to` if `actor` may: locks the order, checks the move from its current
/// status, records it, restores stock when cancelling, writes the ledger's sale when it is
/// paid (`commission_percent` for stores without their own), and tells subscribers at
/// commit.
pub async fn change_status(
    db: &Db,
    order_id: OrderId,
    to: OrderStatus,
    actor: Actor,
    commission_percent: rust_decimal::Decimal,
) -> ApiResult<Result<Order, ChangeRefused>> {
    let mut tx = db.begin().await?;
    let found = query_orders!("SELECT", "FROM orders WHERE id = $1 FOR UPDATE", order_id.0)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(order) = found else {
        return Ok(Err(ChangeRefused::NotFound));
    };
    let moved = apply_move(&mut tx, &order, to, actor, None).await?;
    if moved.is_ok() {
        if to == OrderStatus::Paid {
            crate::commerce::ledger::record_sale(&mut tx, order_id, commission_percent).await?;
        }
        tx.commit().await?;
    }
    Ok(moved)
}

/// Moves `order`, read under `FOR UPDATE` in `tx`, to `to` if `actor` may: records the move
/// (with `reason`, when given), restores stock when cancelling, and tells subscribers and
/// (by mail) the buyer and seller at commit. Writes nothing when the move is refused; the caller commits.
pub(crate) async fn apply_move(
    tx: &mut sqlx::PgConnection,
    order: &Order,
    to: OrderStatus,
    actor: Actor,
    reason: Option<ChangeReason>,
) -> ApiResult<Result<Order, ChangeRefused>> {
    let owner = sqlx::query_scalar!(
        r#"SELECT owner_id AS "owner_id: UserId" FROM stores WHERE id = $1"#,
        order.store_id.0
    )
    .fetch_one(&mut *tx)
    .await?;
    let Some(party) = actor.party(order, owner) else {
        return Ok(Err(ChangeRefused::Forbidden));
    };
    match allowed_move(party, order.status, to) {
        Ok(()) => {}
        Err(MoveRefusal::NotYours) => return Ok(Err(ChangeRefused::Forbidden)),
        Err(MoveRefusal::InvalidTransition) => {
            return Ok(Err(ChangeRefused::InvalidTransition(order.status)));
        }
    }
    let order_id = order.id;
    let from = order.status;
    // Past PENDING, a deadline for the payment means nothing.
    let order = query_orders!(
        "UPDATE orders SET status = $2, updated_at = now(),
                payment_due_at = CASE WHEN $2 = 'PENDING'::order_status THEN payment_due_at END
         WHERE id = $1 RETURNING",
        "",
        order_id.0,
        to as OrderStatus
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO order_status_history (order_id, status, changed_by, reason)
         VALUES ($1, $2, $3, $4)",
        order_id.0,
        to as OrderStatus,
        actor.user_id().map(|u| u.0),
        reason as Option<ChangeReason>
    )
    .execute(&mut *tx)
    .await?;
    if to == OrderStatus::Cancelled && from == OrderStatus::Paid {
        // The payment is owed back: recorded here, with the move, and issued after commit
        // (and retried until the provider takes it) by `payments::Payments::refund`.
        sqlx::query!(
            "UPDATE payments SET status = 'REFUND_PENDING', updated_at = now()
             WHERE order_id = $1 AND status = 'APPROVED'",
            order_id.0
        )
        .execute(&mut *tx)
        .await?;
    }
    if to == OrderStatus::Cancelled {
        // Locks the products in id order first, as checkout does, so the two never deadlock.
        sqlx::query!(
            "SELECT id FROM products
             WHERE id IN (SELECT product_id FROM order_lines WHERE order_id = $1)
             ORDER BY id FOR UPDATE",
            order_id.0
        )
        .fetch_all(&mut *tx)
        .await?;
        // The variants' stock back (the database sums it onto the products), and one sale
        // less per product, as checkout counted them.
        sqlx::query!(
            "UPDATE product_variants v SET stock = v.stock + l.quantity, updated_at = now()
             FROM order_lines l WHERE l.order_id = $1 AND v.id = l.variant_id",
            order_id.0
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE products p SET sales_count = greatest(p.sales_count - 1, 0),
                    updated_at = now()
             WHERE p.id IN (SELECT product_id FROM order_lines WHERE order_id = $1)",
            order_id.0
        )
        .execute(&mut *tx)
        .await?;
    }
    events::notify(
        &mut *tx,
        &Event::OrderUpdated {
            order_id,
            buyer_id: order.buyer_id,
            store_id: order.store_id,
        },
    )
    .await?;
    super::mail::queue(&mut *tx, order_id, super::mail::OrderNews::of_move(to)).await?;
    Ok(Ok(order))
}
