//! SQL of carts. Each change runs in one transaction that locks the buyer's line, so two
//! tabs adding the same variant add up instead of overwriting each other.

use rust_decimal::Decimal;

use super::{CartLine, CartLineId, MAX_LINES, check_quantity};
use crate::catalogue::products::Product;
use crate::catalogue::products::db::query_products;
use crate::catalogue::variants::{ProductOption, Variant, VariantId, VariantSet};
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

/// Which line a cart mutation is about.
#[derive(Clone, Debug)]
pub enum Pick {
    /// `addToCart`: a variant of a product, named by id, by option values, or (for a
    /// product with one variant) not at all.
    Variant {
        product: ProductId,
        variant: Option<VariantId>,
        options: Option<Vec<(String, String)>>,
    },
    /// A line of the cart by its id.
    Line(CartLineId),
    /// The line of a product (the deprecated `productId` of `updateCartLine` and
    /// `removeFromCart`): an error when the cart holds several variants of it.
    Product(ProductId),
}

/// The buyer's lines, oldest first.
pub async fn lines(db: &Db, user: UserId) -> ApiResult<Vec<CartLine>> {
    Ok(sqlx::query_as!(
        CartLine,
        r#"SELECT id AS "id: CartLineId", product_id AS "product_id: ProductId",
                  variant_id AS "variant_id: VariantId", quantity, price_at_add, stock_at_add,
                  added_at, updated_at
           FROM cart_lines WHERE user_id = $1 ORDER BY added_at, id"#,
        user.0
    )
    .fetch_all(db.executor())
    .await?)
}

/// The options and variants of a product, read in `tx`.
pub async fn variant_set(tx: &mut sqlx::PgConnection, product: ProductId) -> ApiResult<VariantSet> {
    let options = sqlx::query!(
        r#"SELECT name, "values" AS "values!" FROM product_options
           WHERE product_id = $1 ORDER BY position"#,
        product.0
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| ProductOption {
        name: row.name,
        values: row.values,
    })
    .collect();
    let variants = crate::catalogue::variants::variants_of(&mut *tx, &[product.0]).await?;
    Ok(VariantSet { options, variants })
}

/// The product and variant a pick names, with the line's current quantity (locked).
async fn picked(
    tx: &mut sqlx::PgConnection,
    user: UserId,
    pick: &Pick,
) -> ApiResult<Result<(Product, Variant, Option<Decimal>), UserError>> {
    let (product_id, wanted) = match pick {
        Pick::Variant { product, .. } => (*product, None),
        Pick::Line(line) => {
            let row = sqlx::query!(
                r#"SELECT product_id AS "product_id: ProductId",
                          variant_id AS "variant_id: VariantId"
                   FROM cart_lines WHERE id = $1 AND user_id = $2"#,
                line.0,
                user.0
            )
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                Some(row) => (row.product_id, Some(row.variant_id)),
                None => return Ok(Err(no_such_line())),
            }
        }
        Pick::Product(product) => {
            let variants = sqlx::query_scalar!(
                r#"SELECT variant_id AS "variant_id: VariantId" FROM cart_lines
                   WHERE user_id = $1 AND product_id = $2"#,
                user.0,
                product.0
            )
            .fetch_all(&mut *tx)
            .await?;
            match variants.as_slice() {
                [] => {
                    return Ok(Err(UserError::at(
                        &["productId"],
                        UserErrorCode::NotFound,
                        crate::tr!("cart-product-missing"),
                    )));
                }
                [only] => (*product, Some(*only)),
                _ => {
                    return Ok(Err(UserError::at(
                        &["lineId"],
                        UserErrorCode::Required,
                        crate::tr!("cart-line-id-required"),
                    )));
                }
            }
        }
    };
    let product = query_products!("SELECT", "FROM products p WHERE p.id = $1", product_id.0)
        .fetch_optional(&mut *tx)
        .await?
        .map(Product::from);
    let Some(product) = product else {
        return Ok(Err(no_such_product()));
    };
    let set = variant_set(&mut *tx, product_id).await?;
    let variant = match (wanted, pick) {
        (Some(id), _) => set.variants.iter().find(|v| v.id == id).cloned(),
        (
            None,
            Pick::Variant {
                variant: Some(id), ..
            },
        ) => match set.variants.iter().find(|v| v.id == *id) {
            Some(v) => Some(v.clone()),
            None => {
                return Ok(Err(UserError::at(
                    &["variantId"],
                    UserErrorCode::NotFound,
                    crate::tr!("variant-not-found"),
                )));
            }
        },
        (
            None,
            Pick::Variant {
                options: Some(options),
                ..
            },
        ) => match set.select(options, &["options"]) {
            Ok(v) => Some(v.clone()),
            Err(e) => return Ok(Err(e)),
        },
        (None, _) => match set.only() {
            Some(v) => Some(v.clone()),
            None => {
                let names: Vec<&str> = set.options.iter().map(|o| o.name.as_str()).collect();
                return Ok(Err(UserError::at(
                    &["variantId"],
                    UserErrorCode::Required,
                    crate::tr!("cart-variant-required", options = names.join(", ")),
                )));
            }
        },
    };
    let Some(variant) = variant else {
        return Ok(Err(no_such_line()));
    };
    let current: Option<Decimal> = sqlx::query_scalar!(
        "SELECT quantity FROM cart_lines WHERE user_id = $1 AND variant_id = $2 FOR UPDATE",
        user.0,
        variant.id.0
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(Ok((product, variant, current)))
}

/// Adds to or sets a line; a user error (and nothing written) when the product, the
/// variant or the quantity is not acceptable.
pub async fn change_line(
    db: &Db,
    user: UserId,
    pick: &Pick,
    quantity: Decimal,
    change: LineChange,
) -> ApiResult<Result<(), UserError>> {
    let mut tx = db.begin().await?;
    let (product, variant, current) = match picked(&mut tx, user, pick).await? {
        Ok(found) => found,
        Err(e) => return Ok(Err(e)),
    };
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
        (LineChange::Set, None) => return Ok(Err(no_such_line())),
    };
    if let Err(e) = check_quantity(&product, &variant, total, &["quantity"]) {
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
        "INSERT INTO cart_lines
             (user_id, product_id, variant_id, quantity, price_at_add, stock_at_add)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id, variant_id) DO UPDATE
         SET quantity = excluded.quantity, price_at_add = excluded.price_at_add,
             stock_at_add = excluded.stock_at_add, updated_at = now()",
        user.0,
        product.id.0,
        variant.id.0,
        total,
        variant.price_or(product.price),
        variant.stock
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Removes a line (by the deprecated product id: every line of that product); a user
/// error when there is no such line.
pub async fn remove_line(db: &Db, user: UserId, pick: &Pick) -> ApiResult<Result<(), UserError>> {
    let (removed, missing) = match pick {
        Pick::Line(line) => (
            sqlx::query!(
                "DELETE FROM cart_lines WHERE user_id = $1 AND id = $2",
                user.0,
                line.0
            )
            .execute(db.executor())
            .await?,
            no_such_line(),
        ),
        Pick::Product(product) | Pick::Variant { product, .. } => (
            sqlx::query!(
                "DELETE FROM cart_lines WHERE user_id = $1 AND product_id = $2",
                user.0,
                product.0
            )
            .execute(db.executor())
            .await?,
            UserError::at(
                &["productId"],
                UserErrorCode::NotFound,
                crate::tr!("cart-product-missing"),
            ),
        ),
    };
    Ok(if removed.rows_affected() == 0 {
        Err(missing)
    } else {
        Ok(())
    })
}

/// The user error of a line id that names no line of the caller's cart.
pub fn no_such_line() -> UserError {
    UserError::at(
        &["lineId"],
        UserErrorCode::NotFound,
        crate::tr!("cart-line-missing"),
    )
}

/// The user error of an unknown or unreadable product id.
pub fn no_such_product() -> UserError {
    UserError::at(
        &["productId"],
        UserErrorCode::NotFound,
        crate::tr!("product-not-found"),
    )
}
