//! Carts: one per buyer, a line per variant, quantities in the product's own unit.
//!
//! Key rule: a line is only ever written with a quantity the variant can sell at that
//! moment ([`check_quantity`]: product and variant on sale, at least the product's minimum,
//! a multiple of its step, at most the variant's stock). Prices and stock drift afterwards; the cart reports the drift as warnings and
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
use crate::catalogue::variants::{Variant, VariantId};
use crate::graphql::ids::ProductId;
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// Most decimals a quantity may have (grams of a kilogram, millimetres of a metre).
pub const QUANTITY_DECIMALS: u32 = 3;
/// Most distinct products one cart holds.
pub const MAX_LINES: i64 = 100;

pub use crate::graphql::ids::CartLineId;

/// A cart line as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CartLine {
    pub id: CartLineId,
    pub product_id: ProductId,
    pub variant_id: VariantId,
    pub quantity: Decimal,
    /// The variant's price when the line was last set; the cart warns when it changes.
    pub price_at_add: Decimal,
    /// The variant's stock when the line was last set.
    pub stock_at_add: Decimal,
    pub added_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `quantity` at `price` in `currency`, rounded by the currency's rules (whole units for
/// CLP and PYG, cents otherwise, halves away from zero as tills do); `None` when the amount
/// does not fit a decimal (never for a stored line: its quantity is within a stock below
/// 10^11 and prices are below 10^10).
pub fn line_amount(quantity: Decimal, price: Decimal, currency: &str) -> Option<Decimal> {
    quantity
        .checked_mul(price)
        .map(|amount| crate::commerce::money::round_amount(amount, currency))
}

/// Checks that `quantity` of `variant` of `product` may be put in a cart now; the error's
/// field is `field`.
pub fn check_quantity(
    product: &Product,
    variant: &Variant,
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
    if product.status != ProductStatus::Active || !variant.is_active {
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
    if quantity > variant.stock {
        return error(
            UserErrorCode::InsufficientStock,
            crate::tr!(
                "cart-insufficient-stock",
                stock = variant.stock.normalize().to_string(),
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

    fn variant_of(product: &Product) -> Variant {
        Variant {
            id: VariantId(1),
            product_id: product.id,
            sku: None,
            options: Vec::new(),
            stock: product.stock,
            price: None,
            is_active: true,
        }
    }

    fn code(product: &Product, quantity: &str) -> Option<UserErrorCode> {
        let quantity: Decimal = quantity.parse().expect("decimal");
        check_quantity(product, &variant_of(product), quantity, &["quantity"])
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
        let mut off_sale = variant_of(&p);
        off_sale.is_active = false;
        assert_eq!(
            check_quantity(&p, &off_sale, Decimal::ONE, &["quantity"]).map_err(|e| e.code),
            Err(UserErrorCode::Unavailable)
        );
    }

    #[test]
    fn line_amounts_round_half_up_by_the_currency() {
        let amount = |q: i64, qs: u32, p: i64, ps: u32, currency| {
            line_amount(Decimal::new(q, qs), Decimal::new(p, ps), currency)
        };
        // 1.5 m at 9,999 pesos chilenos = 14,998.5 -> 14,999; 1.25 m at 9,990 = 12,487.5.
        assert_eq!(
            amount(15, 1, 9_999, 0, "CLP"),
            Some(Decimal::new(14_999, 0))
        );
        assert_eq!(
            amount(125, 2, 9_990, 0, "CLP"),
            Some(Decimal::new(12_488, 0))
        );
        assert_eq!(
            amount(1_250, 3, 4_999, 0, "PYG"),
            Some(Decimal::new(6_249, 0))
        );
        assert_eq!(
            amount(1_249, 3, 4_999, 0, "PYG"),
            Some(Decimal::new(6_244, 0))
        );
        // 1.255 kg at 10.00 = 12.55; 0.125 m at 10.10 = 1.2625 -> 1.26; 0.375 m at 1.00 -> 0.38.
        assert_eq!(
            amount(1_255, 3, 1_000, 2, "ARS"),
            Some(Decimal::new(1_255, 2))
        );
        assert_eq!(amount(125, 3, 1_010, 2, "UYU"), Some(Decimal::new(126, 2)));
        assert_eq!(amount(375, 3, 100, 2, "PEN"), Some(Decimal::new(38, 2)));
        assert_eq!(amount(1, 0, i64::MAX, 0, "ARS").map(|_| ()), Some(()));
    }
}
