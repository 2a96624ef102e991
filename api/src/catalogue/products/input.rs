//! Validation of product input: every rule of the catalogue-management issue, each failure a
//! `UserError` with the field's path and a stable code. Valid input becomes a [`ProductDraft`]
//! that the database layer writes as is.
//!
//! Every number here comes from a client and may be as large as a decimal gets: arithmetic
//! on them is checked, and the lint below keeps it so.
#![deny(clippy::arithmetic_side_effects)]

use rust_decimal::Decimal;

use super::{ProductStatus, ProductUnit};
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// Longest name, in characters.
pub const NAME_MAX: usize = 150;
/// Longest description before sanitising, in characters.
pub const DESCRIPTION_MAX: usize = 5000;
/// Most materials, colours or sizes.
pub const FACETS_MAX: usize = 20;
/// Longest single material, colour or size.
pub const FACET_VALUE_MAX: usize = 40;

/// Every price is below this: 10,000,000,000 in the store's currency.
pub fn price_limit() -> Decimal {
    Decimal::new(10_000_000_000, 0)
}

/// Every field of a product as submitted (after merging an update onto the stored row).
#[derive(Clone, Debug)]
pub struct ProductFields {
    pub name: String,
    pub description: String,
    pub price: Decimal,
    pub unit: ProductUnit,
    pub min_quantity: Option<Decimal>,
    pub quantity_step: Option<Decimal>,
    pub stock: Decimal,
    pub materials: Vec<String>,
    pub colors: Vec<String>,
    pub sizes: Vec<String>,
    pub status: ProductStatus,
    pub sku: Option<String>,
    pub weight_grams: Option<i32>,
}

/// Heaviest unit, in grams.
pub const WEIGHT_MAX_GRAMS: i32 = 1_000_000;

/// A product that passed validation, normalised and sanitised.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductDraft {
    pub name: String,
    pub description: String,
    pub price: Decimal,
    pub unit: ProductUnit,
    pub min_quantity: Decimal,
    pub quantity_step: Decimal,
    pub stock: Decimal,
    pub materials: Vec<String>,
    pub colors: Vec<String>,
    pub sizes: Vec<String>,
    pub status: ProductStatus,
    pub sku: Option<String>,
    pub weight_grams: Option<i32>,
}

impl ProductDraft {
    /// Lower-cased values that filters match.
    pub fn keys(values: &[String]) -> Vec<String> {
        values.iter().map(|v| v.to_lowercase()).collect()
    }
}

/// The default minimum and step of a unit.
pub fn default_quantities(unit: ProductUnit) -> (Decimal, Decimal) {
    match unit {
        ProductUnit::Piece => (Decimal::ONE, Decimal::ONE),
        ProductUnit::Metre => (Decimal::ONE, Decimal::new(5, 1)),
        ProductUnit::Kilogram => (Decimal::new(5, 1), Decimal::new(25, 2)),
    }
}

/// Keeps a small set of formatting tags and removes everything else (scripts, event
/// handlers, links, styles).
pub fn sanitize_description(raw: &str) -> String {
    ammonia::Builder::empty()
        .add_tags([
            "p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "h3", "h4",
        ])
        .clean(raw)
        .to_string()
}

/// Whether `value` is a whole multiple of `step` (`false` when it cannot be computed).
pub(crate) fn multiple_of(value: Decimal, step: Decimal) -> bool {
    value.checked_rem(step).is_some_and(|rest| rest.is_zero())
}

/// How many decimals `value` has, trailing zeros aside.
pub(crate) fn decimals(value: Decimal) -> u32 {
    value.normalize().scale()
}

/// Validates `fields`; errors carry `prefix` (e.g. `["input"]` or `["products", "316"]`).
pub fn validate(fields: ProductFields, prefix: &[String]) -> Result<ProductDraft, Vec<UserError>> {
    let mut errors = Vec::new();
    let mut err = |path: &str, code: UserErrorCode, message: String| {
        errors.push(UserError::under(prefix, &[path], code, message));
    };

    let name = fields.name.trim().to_owned();
    match name.chars().count() {
        n if n < 3 => err(
            "name",
            UserErrorCode::TooShort,
            crate::tr!("product-name-too-short"),
        ),
        n if n > NAME_MAX => err(
            "name",
            UserErrorCode::TooLong,
            crate::tr!("product-name-too-long"),
        ),
        _ => {}
    }
    if fields.description.chars().count() > DESCRIPTION_MAX {
        err(
            "description",
            UserErrorCode::TooLong,
            crate::tr!("product-description-too-long"),
        );
    }
    if fields.price <= Decimal::ZERO || fields.price >= price_limit() {
        err(
            "price",
            UserErrorCode::OutOfRange,
            crate::tr!("product-price-out-of-range"),
        );
    } else if decimals(fields.price) > 2 {
        err(
            "price",
            UserErrorCode::Precision,
            crate::tr!("product-price-precision"),
        );
    }

    let (default_min, default_step) = default_quantities(fields.unit);
    let step = fields.quantity_step.unwrap_or(default_step);
    let min = fields.min_quantity.unwrap_or(default_min.max(step));
    let whole = fields.unit == ProductUnit::Piece;
    let mut quantity_ok = true;
    for (path, value, allow_zero) in [
        ("quantityStep", step, false),
        ("minQuantity", min, false),
        ("stock", fields.stock, true),
    ] {
        if value < Decimal::ZERO
            || (!allow_zero && value.is_zero())
            || value >= Decimal::new(100_000_000_000, 0)
        {
            err(
                path,
                UserErrorCode::OutOfRange,
                if allow_zero {
                    crate::tr!("product-quantity-negative")
                } else {
                    crate::tr!("product-quantity-not-positive")
                },
            );
            quantity_ok = false;
        } else if whole && !value.fract().is_zero() {
            err(
                path,
                UserErrorCode::Precision,
                crate::tr!("product-quantity-not-whole"),
            );
            quantity_ok = false;
        } else if decimals(value) > 3 {
            err(
                path,
                UserErrorCode::Precision,
                crate::tr!("product-quantity-precision"),
            );
            quantity_ok = false;
        }
    }
    if quantity_ok {
        if !multiple_of(min, step) {
            err(
                "minQuantity",
                UserErrorCode::NotMultiple,
                crate::tr!("product-min-quantity-not-multiple"),
            );
        }
        if !multiple_of(fields.stock, step) {
            err(
                "stock",
                UserErrorCode::NotMultiple,
                crate::tr!("product-stock-not-multiple"),
            );
        }
    }

    let mut facet = |path: &str, values: Vec<String>| -> Vec<String> {
        let mut labels: Vec<String> = Vec::new();
        for value in values {
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            if value.is_empty()
                || labels
                    .iter()
                    .any(|l| l.to_lowercase() == value.to_lowercase())
            {
                continue;
            }
            if value.chars().count() > FACET_VALUE_MAX {
                err(
                    path,
                    UserErrorCode::TooLong,
                    crate::tr!("product-facet-value-too-long"),
                );
                return Vec::new();
            }
            labels.push(value);
        }
        if labels.len() > FACETS_MAX {
            err(
                path,
                UserErrorCode::TooMany,
                crate::tr!("product-facet-too-many"),
            );
        }
        labels
    };
    let materials = facet("materials", fields.materials);
    let colors = facet("colors", fields.colors);
    let sizes = facet("sizes", fields.sizes);

    let sku = fields
        .sku
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if let Some(sku) = &sku
        && (sku.len() > 64
            || !sku
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
    {
        err(
            "sku",
            UserErrorCode::Invalid,
            crate::tr!("product-sku-invalid"),
        );
    }

    if fields
        .weight_grams
        .is_some_and(|g| !(1..=WEIGHT_MAX_GRAMS).contains(&g))
    {
        err(
            "weightGrams",
            UserErrorCode::OutOfRange,
            crate::tr!("product-weight-out-of-range", max = WEIGHT_MAX_GRAMS),
        );
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ProductDraft {
        name,
        description: sanitize_description(&fields.description),
        price: fields.price.normalize(),
        unit: fields.unit,
        min_quantity: min,
        quantity_step: step,
        stock: fields.stock,
        materials,
        colors,
        sizes,
        status: fields.status,
        sku,
        weight_grams: fields.weight_grams,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linen() -> ProductFields {
        ProductFields {
            name: "Lino natural".into(),
            description: String::new(),
            price: Decimal::new(1250, 2),
            unit: ProductUnit::Metre,
            min_quantity: Some(Decimal::new(5, 1)),
            quantity_step: Some(Decimal::new(5, 1)),
            stock: Decimal::new(1005, 1),
            materials: vec![" Lino ".into(), "lino".into()],
            colors: vec![],
            sizes: vec![],
            status: ProductStatus::Active,
            sku: Some("LIN-1".into()),
            weight_grams: Some(250),
        }
    }

    #[test]
    fn valid_input_is_normalised() {
        let draft = validate(linen(), &[]).expect("valid");
        assert_eq!(draft.materials, vec!["Lino".to_owned()]);
        assert_eq!(
            ProductDraft::keys(&draft.materials),
            vec!["lino".to_owned()]
        );
    }

    #[test]
    fn descriptions_lose_scripts_and_keep_formatting() {
        let clean = sanitize_description(
            "<p>Suave <strong>y fresco</strong></p><script>alert(1)</script><img src=x onerror=alert(1)><a href=\"javascript:alert(1)\">ver</a>",
        );
        assert_eq!(clean, "<p>Suave <strong>y fresco</strong></p>ver");
    }
}
