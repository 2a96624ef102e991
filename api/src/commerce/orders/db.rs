//! SQL of orders: lookups, batched lines and histories, pages, and status changes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Actor, MoveRefusal, Order, OrderLine, OrderStatus, StatusChange, allowed_move};
use crate::graphql::error::ApiResult;
use crate::graphql::ids::{OrderId, StoreId, UserId};
use crate::graphql::loaders::{BatchLoad, LoadById};
use crate::runtime::db::Db;
use crate::runtime::events::{self, Event};

/// The columns of [`Order`].
macro_rules! order_columns {
    () => {
        "id, number, buyer_id, store_id, status, total, currency_code, created_at, updated_at"
    };
}

impl LoadById for Order {
    const NAME: &'static str = "order";
    const CHANGING: bool = true;
    type Id = OrderId;

    fn id(&self) -> OrderId {
        self.id
    }

    async fn load(db: &Db, ids: &[OrderId]) -> ApiResult<Vec<Self>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE id = ANY($1)"
        ))
        .bind(ids.iter().map(|id| id.0).collect::<Vec<_>>())
        .fetch_all(db.executor())
        .await?)
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
        let rows: Vec<OrderLine> = sqlx::query_as(
            "SELECT order_id, product_id, product_name, unit, quantity, unit_price, line_total
             FROM order_lines WHERE order_id = ANY($1) ORDER BY order_id, product_id",
        )
        .bind(keys.iter().map(|id| id.0).collect::<Vec<_>>())
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
        let rows: Vec<StatusChange> = sqlx::query_as(
            "SELECT order_id, status, changed_by, changed_at FROM order_status_history
             WHERE order_id = ANY($1) ORDER BY order_id, changed_at, id",
        )
        .bind(keys.iter().map(|id| id.0).collect::<Vec<_>>())
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
    macro_rules! newest_of {
        ($column:literal) => {
            concat!(
                "SELECT ",
                order_columns!(),
                " FROM orders WHERE ",
                $column,
                " = $1 AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
                 ORDER BY created_at DESC, id DESC LIMIT $2"
            )
        };
    }
    let (sql, id) = match owner {
        OrderOwner::Buyer(user) => (newest_of!("buyer_id"), user.0),
        OrderOwner::Store(store) => (newest_of!("store_id"), store.0),
    };
    Ok(sqlx::query_as(sql)
        .bind(id)
        .bind((first + 1) as i64)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1.0))
        .fetch_all(db.executor())
        .await?)
}

/// How many orders `owner` has.
pub async fn count(db: &Db, owner: OrderOwner) -> ApiResult<i64> {
    let (sql, id) = match owner {
        OrderOwner::Buyer(user) => ("SELECT count(*) FROM orders WHERE buyer_id = $1", user.0),
        OrderOwner::Store(store) => ("SELECT count(*) FROM orders WHERE store_id = $1", store.0),
    };
    Ok(sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(db.executor())
        .await?)
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
/// status, records it, restores stock when cancelling, and tells subscribers at commit.
pub async fn change_status(
    db: &Db,
    order_id: OrderId,
    to: OrderStatus,
    actor: Actor,
) -> ApiResult<Result<Order, ChangeRefused>> {
    let mut tx = db.begin().await?;
    let found: Option<Order> = sqlx::query_as(concat!(
        "SELECT ",
        order_columns!(),
        " FROM orders WHERE id = $1 FOR UPDATE"
    ))
    .bind(order_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(order) = found else {
        return Ok(Err(ChangeRefused::NotFound));
    };
    let owner: UserId = sqlx::query_scalar("SELECT owner_id FROM stores WHERE id = $1")
        .bind(order.store_id)
        .fetch_one(&mut *tx)
        .await?;
    let Some(party) = actor.party(&order, owner) else {
        return Ok(Err(ChangeRefused::Forbidden));
    };
    match allowed_move(party, order.status, to) {
        Ok(()) => {}
        Err(MoveRefusal::NotYours) => return Ok(Err(ChangeRefused::Forbidden)),
        Err(MoveRefusal::InvalidTransition) => {
            return Ok(Err(ChangeRefused::InvalidTransition(order.status)));
        }
    }
    let order: Order = sqlx::query_as(concat!(
        "UPDATE orders SET status = $2, updated_at = now() WHERE id = $1 RETURNING ",
        order_columns!()
    ))
    .bind(order_id)
    .bind(to)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO order_status_history (order_id, status, changed_by) VALUES ($1, $2, $3)",
    )
    .bind(order_id)
    .bind(to)
    .bind(actor.user_id())
    .execute(&mut *tx)
    .await?;
    if to == OrderStatus::Cancelled {
        // Locks the products in id order first, as checkout does, so the two never deadlock.
        sqlx::query(
            "SELECT id FROM products
             WHERE id IN (SELECT product_id FROM order_lines WHERE order_id = $1)
             ORDER BY id FOR UPDATE",
        )
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE products p SET stock = p.stock + l.quantity,
                    sales_count = greatest(p.sales_count - 1, 0), updated_at = now()
             FROM order_lines l WHERE l.order_id = $1 AND p.id = l.product_id",
        )
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
    }
    events::notify(
        &mut tx,
        &Event::OrderUpdated {
            order_id,
            buyer_id: order.buyer_id,
            store_id: order.store_id,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(order))
}
