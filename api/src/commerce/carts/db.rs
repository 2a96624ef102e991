//! SQL of carts. Each change runs in one transaction that locks the buyer's line, so two
//! tabs adding the same product add up instead of overwriting each other.

use rust_decimal::Decimal;

use super::{CartLine, MAX_LINES, check_quantity};
use crate::catalogue::products::Product;
use crate::catalogue::products::db::query_products;
use crate::graphql::error::ApiResult;
use crate::graphql::ids::{ProductId, UserId};
use crate::graphql::user_errors::{UserError, UserErrorCode};
use crate::runtime::db::Db;

/// How a new quantity combines with the line's current one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineChange {
    /// `addToCart`: adds to the line, creating it when missing.
    Add,
    /// `updateCartLine`: replaces the quantity of an existing line.
    Set,
}

/// The buyer's lines, oldest first.
pub async fn lines(db: &Db, user: UserId) -> ApiResult<Vec<CartLine>> {
    Ok(sqlx::query_as!(
        CartLine,
        r#"SELECT product_id AS "product_id: ProductId", quantity, price_at_add, stock_at_add,
                  added_at, updated_at
           FROM cart_lines WHERE user_id = $1 ORDER BY added_at, product_id"#,
        user.0
    )
    .fetch_all(db.executor())
    .await?)
}

/// Adds to or sets a line; a user error (and nothing written) when the product or the
/// quantity is not acceptable.
pub async fn change_line(
    db: &Db,
    user: UserId,
    product_id: ProductId,
    quantity: Decimal,
    change: LineChange,
) -> ApiResult<Result<(), UserError>> {
    let mut tx = db.begin().await?;
    let product = query_products!("SELECT", "FROM products p WHERE p.id = $1", product_id.0)
        .fetch_optional(&mut *tx)
        .await?
        .map(Product::from);
    let Some(product) = product else {
        return Ok(Err(no_such_product()));
    };
    let current: Option<Decimal> = sqlx::query_scalar!(
        "SELECT quantity FROM cart_lines WHERE user_id = $1 AND product_id = $2 FOR UPDATE",
        user.0,
        product_id.0
    )
    .fetch_optional(&mut *tx)
    .await?;
    let total = match (change, current) {
        (LineChange::Add, _) if quantity <= Decimal::ZERO => {
            return Ok(Err(UserError::at(
                &["quantity"],
                UserErrorCode::OutOfRange,
                crate::tr!("cart-quantity-not-positive"),
            )));
        }
        (LineChange::Add, current) => match current.unwrap_or_default().checked_add(quantity) {
            Some(total) => total,
            // More than any stock: the same answer as a sum that fits but exceeds it.
            None => {
                return Ok(Err(UserError::at(
                    &["quantity"],
                    UserErrorCode::InsufficientStock,
                    crate::tr!("cart-quantity-exceeds-stock"),
                )));
            }
        },
        (LineChange::Set, Some(_)) => quantity,
        (LineChange::Set, None) => {
            return Ok(Err(UserError::at(
                &["productId"],
                UserErrorCode::NotFound,
                crate::tr!("cart-product-missing"),
            )));
        }
    };
    if let Err(e) = check_quantity(&product, total, &["quantity"]) {
        return Ok(Err(e));
    }
    if current.is_none() {
        // Serialises the buyer's line inserts so the cap below holds under concurrency.
        sqlx::query_scalar!(
            "SELECT 1 AS locked FROM users WHERE id = $1 FOR UPDATE",
            user.0
        )
        .fetch_optional(&mut *tx)
        .await?;
        let count = sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM cart_lines WHERE user_id = $1"#,
            user.0
        )
        .fetch_one(&mut *tx)
        .await?;
        if count >= MAX_LINES {
            return Ok(Err(UserError::at(
                &["productId"],
                UserErrorCode::LimitReached,
                crate::tr!("cart-full", max = MAX_LINES),
            )));
        }
        // A cart buys in one market: its orders are paid in one currency, and delivered
        // within one country.
        let other = sqlx::query_scalar!(
            "SELECT p.currency_code FROM cart_lines l JOIN products p ON p.id = l.product_id
             WHERE l.user_id = $1 AND p.currency_code <> $2 LIMIT 1",
            user.0,
            product.currency_code
        )
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(other) = other {
            let market = |currency: &str| {
                crate::commerce::markets::Market::of_currency(currency)
                    .map_or_else(|| currency.to_owned(), |m| m.country().to_owned())
            };
            return Ok(Err(UserError::at(
                &["productId"],
                UserErrorCode::OtherMarket,
                crate::tr!(
                    "cart-other-market",
                    product = product.name.as_str(),
                    market = market(&product.currency_code),
                    cart = market(&other),
                ),
            )));
        }
    }
    sqlx::query!(
        "INSERT INTO cart_lines (user_id, product_id, quantity, price_at_add, stock_at_add)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id, product_id) DO UPDATE
         SET quantity = excluded.quantity, price_at_add = excluded.price_at_add,
             stock_at_add = excluded.stock_at_add, updated_at = now()",
        user.0,
        product_id.0,
        total,
        product.price,
        product.stock
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Removes a line; a user error when the product is not in the cart.
pub async fn remove_line(
    db: &Db,
    user: UserId,
    product_id: ProductId,
) -> ApiResult<Result<(), UserError>> {
    let removed = sqlx::query!(
        "DELETE FROM cart_lines WHERE user_id = $1 AND product_id = $2",
        user.0,
        product_id.0
    )
    .execute(db.executor())
    .await?
    .rows_affected();
    Ok(if removed == 0 {
        Err(UserError::at(
            &["productId"],
            UserErrorCode::NotFound,
            crate::tr!("cart-product-missing"),
        ))
    } else {
        Ok(())
    })
}

/// The user error of an unknown or unreadable product id.
pub fn no_such_product() -> UserError {
    UserError::at(
        &["productId"],
        UserErrorCode::NotFound,
        crate::tr!("product-not-found"),
    )
}
