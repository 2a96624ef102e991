//! Carts: one per buyer, a line per product, quantities in the product's own unit.
//!
//! Key rule: a line is only ever written with a quantity the product can sell at that
//! moment ([`check_quantity`]: active, at least the minimum, a multiple of the step, at most
//! the stock). Prices and stock drift afterwards; the cart reports the drift as warnings and
//! checkout takes the current price and re-checks the stock.
//!
//! Quantities come from clients as decimals of up to 28 digits, so every operation on them
//! is checked (a plain `+`, `*` or `%` panics on overflow): the lint below keeps it so.
#![deny(clippy::arithmetic_side_effects)]

pub mod db;
pub mod graphql;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::catalogue::products::{Product, ProductStatus, ProductUnit};
use crate::graphql::ids::ProductId;
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// Most decimals a quantity may have (grams of a kilogram, millimetres of a metre).
pub const QUANTITY_DECIMALS: u32 = 3;
/// Most distinct products one cart holds.
pub const MAX_LINES: i64 = 100;

/// A cart line as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CartLine {
    pub product_id: ProductId,
    pub quantity: Decimal,
    /// The product's price when the line was last set; the cart warns when it changes.
    pub price_at_add: Decimal,
    /// The product's stock when the line was last set.
    pub stock_at_add: Decimal,
    pub added_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Rounds a money amount to cents, halves away from zero (as tills do).
pub fn round_money(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// `quantity` at `price`, rounded to cents; `None` when the amount does not fit a decimal
/// (never for a stored line: its quantity is within a stock below 10^11 and prices are
/// below 10^10).
pub fn line_amount(quantity: Decimal, price: Decimal) -> Option<Decimal> {
    quantity.checked_mul(price).map(round_money)
}

/// Checks that `quantity` of `product` may be put in a cart now; the error's field is
/// `field`.
pub fn check_quantity(
    product: &Product,
    quantity: Decimal,
    field: &[&str],
) -> Result<(), UserError> {
    // The unit's key in the catalogue's messages, which spell it in the request's language.
    let unit = match product.unit {
        ProductUnit::Piece => "piece",
        ProductUnit::Metre => "metre",
        ProductUnit::Kilogram => "kilogram",
    };
    let error = |code, message: String| Err(UserError::at(field, code, message));
    if product.status != ProductStatus::Active {
        return error(
            UserErrorCode::Unavailable,
            crate::tr!("cart-product-unavailable"),
        );
    }
    if quantity <= Decimal::ZERO {
        return error(
            UserErrorCode::OutOfRange,
            crate::tr!("cart-quantity-not-positive"),
        );
    }
    if quantity.normalize().scale() > QUANTITY_DECIMALS {
        return error(
            UserErrorCode::Precision,
            crate::tr!("cart-quantity-precision", max = QUANTITY_DECIMALS),
        );
    }
    if quantity < product.min_quantity {
        return error(
            UserErrorCode::OutOfRange,
            crate::tr!(
                "cart-quantity-below-minimum",
                min = product.min_quantity.normalize().to_string(),
                unit = unit,
            ),
        );
    }
    if !quantity
        .checked_rem(product.quantity_step)
        .is_some_and(|rest| rest.is_zero())
    {
        return error(
            UserErrorCode::NotMultiple,
            crate::tr!(
                "cart-quantity-not-multiple",
                step = product.quantity_step.normalize().to_string(),
                unit = unit,
            ),
        );
    }
    if quantity > product.stock {
        return error(
            UserErrorCode::InsufficientStock,
            crate::tr!(
                "cart-insufficient-stock",
                stock = product.stock.normalize().to_string(),
                unit = unit
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linen(stock: Decimal) -> Product {
        Product::sample("lino", stock)
    }

    fn code(product: &Product, quantity: &str) -> Option<UserErrorCode> {
        let quantity: Decimal = quantity.parse().expect("decimal");
        check_quantity(product, quantity, &["quantity"])
            .err()
            .map(|e| e.code)
    }

    #[test]
    fn quantities_follow_unit_minimum_step_and_stock() {
        let p = linen(Decimal::new(10, 0));
        assert_eq!(code(&p, "2.5"), None);
        assert_eq!(code(&p, "10"), None);
        assert_eq!(code(&p, "0.5"), Some(UserErrorCode::OutOfRange));
        assert_eq!(code(&p, "0"), Some(UserErrorCode::OutOfRange));
        assert_eq!(code(&p, "-1"), Some(UserErrorCode::OutOfRange));
        assert_eq!(code(&p, "2.3"), Some(UserErrorCode::NotMultiple));
        assert_eq!(code(&p, "2.0001"), Some(UserErrorCode::Precision));
        assert_eq!(code(&p, "10.5"), Some(UserErrorCode::InsufficientStock));
        let mut archived = p.clone();
        archived.status = ProductStatus::Archived;
        assert_eq!(code(&archived, "1"), Some(UserErrorCode::Unavailable));
    }

    #[test]
    fn money_rounds_half_away_from_zero() {
        assert_eq!(round_money(Decimal::new(12345, 3)), Decimal::new(1235, 2));
        assert_eq!(round_money(Decimal::new(31_250, 4)), Decimal::new(313, 2));
    }
}
