//! Variants: what a buyer actually picks. A product has up to three options (Talle: S M L
//! XL; Color: rojo azul) and one variant per combination it sells, each with its own SKU,
//! stock, optional price and `is_active`. A product without options has one default
//! variant with no option values, so carts, checkout and orders always work per variant.
//!
//! The database keeps `products.stock` equal to the sum of the active variants' stock
//! (migration `20261212000001_variants_expand.sql`), so listings, search and the indexer
//! read one figure per product.
//!
//! Quantities and prices come from clients as decimals of up to 28 digits, so arithmetic on
//! them is checked: the lint below keeps it so.
#![deny(clippy::arithmetic_side_effects)]

pub mod db;
pub mod graphql;

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::InputObject;
use rust_decimal::Decimal;

use crate::catalogue::products::ProductUnit;
use crate::catalogue::products::input::{decimals, multiple_of, price_limit};
use crate::graphql::error::ApiResult;
use crate::graphql::ids::ProductId;
use crate::graphql::loaders::{BatchLoad, LoadById};
use crate::graphql::user_errors::{UserError, UserErrorCode};
use crate::runtime::db::Db;

/// Most options a product has.
pub const OPTIONS_MAX: usize = 3;
/// Most values one option has.
pub const VALUES_MAX: usize = 50;
/// Most variants a product has.
pub const VARIANTS_MAX: usize = 100;
/// Most variants `Product.variants` lists: those on sale first, then those taken off sale
/// (a product keeps a variant it stopped selling for the orders that name it).
pub const VARIANTS_LISTED: usize = 200;
/// Longest option name or value, in characters.
pub const LABEL_MAX: usize = 40;

pub use crate::graphql::ids::VariantId;

/// A variant as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Variant {
    pub id: VariantId,
    pub product_id: ProductId,
    /// `None` on a default variant (sold under the product's SKU).
    pub sku: Option<String>,
    /// One value per option of the product, in the options' order; empty for the default.
    pub options: Vec<String>,
    pub stock: Decimal,
    /// `None`: the product's price.
    pub price: Option<Decimal>,
    pub is_active: bool,
}

impl Variant {
    /// The price of one unit: its own, else the product's.
    pub fn price_or(&self, product_price: Decimal) -> Decimal {
        self.price.unwrap_or(product_price)
    }
}

/// One option of a product and the values it offers, in the seller's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductOption {
    pub name: String,
    pub values: Vec<String>,
}

/// A product's options and all its variants (inactive ones included), in the seller's order.
#[derive(Clone, Debug, Default)]
pub struct VariantSet {
    pub options: Vec<ProductOption>,
    pub variants: Vec<Variant>,
}

impl VariantSet {
    /// The variant with these values (one per option, in order), an active one first.
    pub fn with_values(&self, values: &[String]) -> Option<&Variant> {
        let same = |v: &&Variant| {
            v.options.len() == values.len()
                && v.options
                    .iter()
                    .zip(values)
                    .all(|(a, b)| a.to_lowercase() == b.to_lowercase())
        };
        let mut matching = self.variants.iter().filter(same);
        let first = matching.next()?;
        Some(if first.is_active {
            first
        } else {
            matching.find(|v| v.is_active).unwrap_or(first)
        })
    }

    /// The variant picked by option name and value (any order, names and values in any
    /// case). `Err` names what is wrong, for a user error on `field`.
    pub fn select(
        &self,
        selected: &[(String, String)],
        field: &[&str],
    ) -> Result<&Variant, UserError> {
        let mut values = Vec::with_capacity(self.options.len());
        for option in &self.options {
            let key = option.name.to_lowercase();
            let value = selected
                .iter()
                .find(|(name, _)| name.trim().to_lowercase() == key)
                .map(|(_, value)| value.trim().to_owned());
            match value {
                Some(value) => values.push(value),
                None => {
                    return Err(UserError::at(
                        field,
                        UserErrorCode::Required,
                        crate::tr!("variant-option-missing", option = option.name.as_str()),
                    ));
                }
            }
        }
        let unknown = selected.iter().find(|(name, _)| {
            !self
                .options
                .iter()
                .any(|o| o.name.to_lowercase() == name.trim().to_lowercase())
        });
        if let Some((name, _)) = unknown {
            return Err(UserError::at(
                field,
                UserErrorCode::NotFound,
                crate::tr!("variant-option-unknown", option = name.trim()),
            ));
        }
        self.with_values(&values).ok_or_else(|| {
            UserError::at(
                field,
                UserErrorCode::NotFound,
                crate::tr!(
                    "variant-combination-missing",
                    combination = values.join(" / ")
                ),
            )
        })
    }

    /// The variant a cart takes when none is named: the product's only one on sale (or its
    /// only one at all, which the cart then finds off sale).
    pub fn only(&self) -> Option<&Variant> {
        let mut active = self.variants.iter().filter(|v| v.is_active);
        match (active.next(), active.next(), self.variants.as_slice()) {
            (Some(one), None, _) => Some(one),
            (None, _, [only]) => Some(only),
            _ => None,
        }
    }

    /// `(name, value)` pairs of a variant, for clients and order lines.
    pub fn selected(&self, variant: &Variant) -> Vec<(String, String)> {
        self.options
            .iter()
            .zip(&variant.options)
            .map(|(o, v)| (o.name.clone(), v.clone()))
            .collect()
    }
}

/// The variants of these products, in each product's order.
pub async fn variants_of<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    products: &[i64],
) -> Result<Vec<Variant>, sqlx::Error> {
    sqlx::query_as!(
        Variant,
        r#"SELECT id AS "id: VariantId", product_id AS "product_id: ProductId", sku, options,
                  stock, price, is_active
           FROM product_variants WHERE product_id = ANY($1)
           ORDER BY product_id, position, id"#,
        products
    )
    .fetch_all(executor)
    .await
}

/// Loads the options and variants of many products in two statements.
pub struct VariantSetLoader(Db);

impl BatchLoad for VariantSetLoader {
    type Key = ProductId;
    type Value = Arc<VariantSet>;
    const NAME: &'static str = "product_variants";
    // Stock moves with every checkout a subscription may be watching.
    const CHANGING: bool = true;

    fn build(db: &Db) -> Self {
        Self(db.clone())
    }

    async fn load(&self, keys: &[ProductId]) -> ApiResult<HashMap<ProductId, Arc<VariantSet>>> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let options = sqlx::query!(
            r#"SELECT product_id AS "product_id: ProductId", name, "values" AS "values!"
               FROM product_options WHERE product_id = ANY($1) ORDER BY product_id, position"#,
            &ids
        )
        .fetch_all(self.0.executor())
        .await?;
        let variants = variants_of(self.0.executor(), &ids).await?;
        let mut sets: HashMap<ProductId, VariantSet> = HashMap::with_capacity(keys.len());
        for row in options {
            sets.entry(row.product_id)
                .or_default()
                .options
                .push(ProductOption {
                    name: row.name,
                    values: row.values,
                });
        }
        for variant in variants {
            sets.entry(variant.product_id)
                .or_default()
                .variants
                .push(variant);
        }
        Ok(sets.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

impl LoadById for Variant {
    const NAME: &'static str = "variant";
    const CHANGING: bool = true;
    type Id = VariantId;

    fn id(&self) -> VariantId {
        self.id
    }

    async fn load(db: &Db, ids: &[VariantId]) -> ApiResult<Vec<Self>> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        Ok(sqlx::query_as!(
            Variant,
            r#"SELECT id AS "id: VariantId", product_id AS "product_id: ProductId", sku,
                      options, stock, price, is_active
               FROM product_variants WHERE id = ANY($1)"#,
            &ids
        )
        .fetch_all(db.executor())
        .await?)
    }
}

/// An option name and value as given by a client.
#[derive(Clone, Debug, InputObject)]
pub struct SelectedOptionInput {
    /// The option's name (`Talle`), in any case.
    pub name: String,
    /// One of its values (`M`), in any case.
    pub value: String,
}

/// An option of a product and its values.
#[derive(Clone, Debug, InputObject)]
pub struct ProductOptionInput {
    /// 1 to 40 characters (`Talle`, `Color`); unique within the product. An option named
    /// Talle, Talla, Size, Tamaño or Medida also fills the product's `sizes`, one named
    /// Color the product's `colors`, so filters and facets see the values.
    pub name: String,
    /// 1 to 50 values of 1 to 40 characters, unique within the option, in display order.
    pub values: Vec<String>,
}

/// One variant of a product: a combination of option values.
#[derive(Clone, Debug, InputObject)]
pub struct ProductVariantInput {
    /// The store's code for the variant, unique within the store (across products and
    /// variants' SKUs alike); a variant the product already has with this SKU is updated.
    pub sku: String,
    /// One value of each option of the product.
    pub options: Vec<SelectedOptionInput>,
    /// How much of this variant is available, in the product's unit: the rules of the
    /// product's `stock`.
    pub stock: Decimal,
    /// Its own price of one unit, when it differs from the product's: the rules of the
    /// product's `price`. Null: the product's price.
    pub price: Option<Decimal>,
    /// False keeps the variant off sale. Default true.
    #[graphql(default = true)]
    pub is_active: bool,
}

/// A product's options and variants that passed validation.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantsDraft {
    pub options: Vec<ProductOption>,
    pub variants: Vec<VariantDraft>,
}

/// One variant that passed validation; `values` spelled as its options spell them.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantDraft {
    pub sku: String,
    pub values: Vec<String>,
    pub stock: Decimal,
    pub price: Option<Decimal>,
    pub is_active: bool,
}

impl VariantsDraft {
    /// The stock of the product: the sum of the active variants' stock.
    pub fn stock(&self) -> Decimal {
        self.variants
            .iter()
            .filter(|v| v.is_active)
            .try_fold(Decimal::ZERO, |sum, v| sum.checked_add(v.stock))
            .unwrap_or(Decimal::MAX)
    }

    /// The values of the options that name sizes and colours, for the product's `sizes`
    /// and `colors` (filters and facets).
    pub fn facet_values(&self) -> (Vec<String>, Vec<String>) {
        let (mut sizes, mut colors) = (Vec::new(), Vec::new());
        for option in &self.options {
            match option.name.to_lowercase().as_str() {
                "talle" | "talla" | "size" | "tamaño" | "medida" => {
                    sizes.extend(option.values.iter().cloned());
                }
                "color" | "colour" | "colores" => colors.extend(option.values.iter().cloned()),
                _ => {}
            }
        }
        (sizes, colors)
    }
}

/// A label as stored: trimmed, inner spaces collapsed.
fn label(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Validates a product's options and variants; errors carry `prefix` (e.g. `["input"]`).
/// Stocks follow the product's `unit` and `step`.
pub fn validate(
    options: Vec<ProductOptionInput>,
    variants: Vec<ProductVariantInput>,
    unit: ProductUnit,
    step: Decimal,
    prefix: &[String],
) -> Result<VariantsDraft, Vec<UserError>> {
    let mut errors = Vec::new();
    let mut err = |path: &[&str], code: UserErrorCode, message: String| {
        errors.push(UserError::under(prefix, path, code, message));
    };
    if options.is_empty() || options.len() > OPTIONS_MAX {
        err(
            &["options"],
            UserErrorCode::TooMany,
            crate::tr!("variant-options-count", max = OPTIONS_MAX),
        );
    }
    let mut clean_options: Vec<ProductOption> = Vec::new();
    for (i, option) in options.into_iter().enumerate() {
        let index = i.to_string();
        let name = label(&option.name);
        if name.is_empty() || name.chars().count() > LABEL_MAX {
            err(
                &["options", &index, "name"],
                UserErrorCode::Invalid,
                crate::tr!("variant-label-length", max = LABEL_MAX),
            );
        } else if clean_options
            .iter()
            .any(|o| o.name.to_lowercase() == name.to_lowercase())
        {
            err(
                &["options", &index, "name"],
                UserErrorCode::Taken,
                crate::tr!("variant-option-repeated"),
            );
        }
        if option.values.is_empty() || option.values.len() > VALUES_MAX {
            err(
                &["options", &index, "values"],
                UserErrorCode::TooMany,
                crate::tr!("variant-values-count", max = VALUES_MAX),
            );
        }
        let mut values: Vec<String> = Vec::new();
        for value in option.values {
            let value = label(&value);
            if value.is_empty() || value.chars().count() > LABEL_MAX {
                err(
                    &["options", &index, "values"],
                    UserErrorCode::Invalid,
                    crate::tr!("variant-label-length", max = LABEL_MAX),
                );
            } else if values
                .iter()
                .any(|v| v.to_lowercase() == value.to_lowercase())
            {
                err(
                    &["options", &index, "values"],
                    UserErrorCode::Taken,
                    crate::tr!("variant-value-repeated", value = value.as_str()),
                );
            } else {
                values.push(value);
            }
        }
        clean_options.push(ProductOption { name, values });
    }
    if variants.is_empty() || variants.len() > VARIANTS_MAX {
        err(
            &["variants"],
            UserErrorCode::TooMany,
            crate::tr!("variant-count", max = VARIANTS_MAX),
        );
    }
    let set = VariantSet {
        options: clean_options.clone(),
        variants: Vec::new(),
    };
    let mut drafts: Vec<VariantDraft> = Vec::with_capacity(variants.len());
    for (i, variant) in variants.into_iter().enumerate() {
        let index = i.to_string();
        let sku = variant.sku.trim().to_owned();
        if sku.is_empty()
            || sku.len() > 64
            || !sku
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            err(
                &["variants", &index, "sku"],
                UserErrorCode::Invalid,
                crate::tr!("product-sku-invalid"),
            );
        } else if drafts.iter().any(|d| d.sku == sku) {
            err(
                &["variants", &index, "sku"],
                UserErrorCode::Taken,
                crate::tr!("product-sku-repeated"),
            );
        }
        // Each option named once, with one of its values, spelled as the option spells it.
        let mut values = Vec::with_capacity(set.options.len());
        let mut combination_ok = variant.options.len() == set.options.len();
        for option in &set.options {
            let given = variant
                .options
                .iter()
                .find(|s| label(&s.name).to_lowercase() == option.name.to_lowercase())
                .and_then(|s| {
                    let value = label(&s.value).to_lowercase();
                    option.values.iter().find(|v| v.to_lowercase() == value)
                });
            match given {
                Some(value) => values.push(value.clone()),
                None => combination_ok = false,
            }
        }
        if !combination_ok {
            err(
                &["variants", &index, "options"],
                UserErrorCode::Invalid,
                crate::tr!("variant-options-mismatch"),
            );
        } else if drafts.iter().any(|d| d.values == values) {
            err(
                &["variants", &index, "options"],
                UserErrorCode::Taken,
                crate::tr!(
                    "variant-combination-repeated",
                    combination = values.join(" / ")
                ),
            );
        }
        let stock = variant.stock;
        if stock < Decimal::ZERO || stock >= Decimal::new(100_000_000_000, 0) {
            err(
                &["variants", &index, "stock"],
                UserErrorCode::OutOfRange,
                crate::tr!("product-quantity-negative"),
            );
        } else if unit == ProductUnit::Piece && !stock.fract().is_zero() {
            err(
                &["variants", &index, "stock"],
                UserErrorCode::Precision,
                crate::tr!("product-quantity-not-whole"),
            );
        } else if decimals(stock) > 3 {
            err(
                &["variants", &index, "stock"],
                UserErrorCode::Precision,
                crate::tr!("product-quantity-precision"),
            );
        } else if !multiple_of(stock, step) {
            err(
                &["variants", &index, "stock"],
                UserErrorCode::NotMultiple,
                crate::tr!("product-stock-not-multiple"),
            );
        }
        if let Some(price) = variant.price {
            if price <= Decimal::ZERO || price >= price_limit() {
                err(
                    &["variants", &index, "price"],
                    UserErrorCode::OutOfRange,
                    crate::tr!("product-price-out-of-range"),
                );
            } else if decimals(price) > 2 {
                err(
                    &["variants", &index, "price"],
                    UserErrorCode::Precision,
                    crate::tr!("product-price-precision"),
                );
            }
        }
        drafts.push(VariantDraft {
            sku,
            values,
            stock,
            price: variant.price,
            is_active: variant.is_active,
        });
    }
    if errors.is_empty() {
        Ok(VariantsDraft {
            options: clean_options,
            variants: drafts,
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(name: &str, values: &[&str]) -> ProductOptionInput {
        ProductOptionInput {
            name: name.to_owned(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    fn variant(sku: &str, size: &str, color: &str, stock: i64) -> ProductVariantInput {
        ProductVariantInput {
            sku: sku.to_owned(),
            options: vec![
                SelectedOptionInput {
                    name: "talle".to_owned(),
                    value: size.to_owned(),
                },
                SelectedOptionInput {
                    name: "COLOR".to_owned(),
                    value: color.to_owned(),
                },
            ],
            stock: Decimal::new(stock, 0),
            price: None,
            is_active: true,
        }
    }

    fn codes(result: Result<VariantsDraft, Vec<UserError>>) -> Vec<(String, UserErrorCode)> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field.unwrap_or_default().join("."), e.code))
            .collect()
    }

    fn check(variants: Vec<ProductVariantInput>) -> Result<VariantsDraft, Vec<UserError>> {
        validate(
            vec![
                option("Talle", &["S", "M"]),
                option("Color", &["rojo", "azul"]),
            ],
            variants,
            ProductUnit::Piece,
            Decimal::ONE,
            &["input".to_owned()],
        )
    }

    #[test]
    fn variants_name_one_known_value_of_each_option_once() {
        let draft = check(vec![
            variant("R-S", "s", "Rojo", 2),
            variant("R-M", "M", "rojo", 3),
        ])
        .expect("valid");
        assert_eq!(draft.variants[0].values, vec!["S", "rojo"]);
        assert_eq!(draft.stock(), Decimal::new(5, 0));
        assert_eq!(
            draft.facet_values(),
            (
                vec!["S".to_owned(), "M".to_owned()],
                vec!["rojo".to_owned(), "azul".to_owned()]
            )
        );
        assert_eq!(
            codes(check(vec![variant("R-S", "XL", "rojo", 1)])),
            vec![(
                "input.variants.0.options".to_owned(),
                UserErrorCode::Invalid
            )]
        );
        assert_eq!(
            codes(check(vec![
                variant("A", "S", "rojo", 1),
                variant("B", "S", "ROJO", 1)
            ])),
            vec![("input.variants.1.options".to_owned(), UserErrorCode::Taken)]
        );
        assert_eq!(
            codes(check(vec![
                variant("A", "S", "rojo", 1),
                variant("A", "M", "rojo", 1)
            ])),
            vec![("input.variants.1.sku".to_owned(), UserErrorCode::Taken)]
        );
        assert_eq!(
            codes(check(vec![variant("A", "S", "rojo", -1)])),
            vec![(
                "input.variants.0.stock".to_owned(),
                UserErrorCode::OutOfRange
            )]
        );
        let mut half = variant("A", "S", "rojo", 1);
        half.stock = Decimal::new(15, 1);
        assert_eq!(
            codes(check(vec![half])),
            vec![(
                "input.variants.0.stock".to_owned(),
                UserErrorCode::Precision
            )]
        );
        assert_eq!(
            codes(check(vec![])),
            vec![("input.variants".to_owned(), UserErrorCode::TooMany)]
        );
    }

    #[test]
    fn a_selection_finds_its_variant_or_names_what_is_missing() {
        let draft = check(vec![variant("R-S", "S", "rojo", 2)]).expect("valid");
        let set = VariantSet {
            options: draft.options,
            variants: vec![Variant {
                id: VariantId(7),
                product_id: ProductId(1),
                sku: Some("R-S".to_owned()),
                options: vec!["S".to_owned(), "rojo".to_owned()],
                stock: Decimal::ONE,
                price: None,
                is_active: true,
            }],
        };
        let pick = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect();
            set.select(&pairs, &["options"])
                .map(|v| v.id)
                .map_err(|e| e.code)
        };
        assert_eq!(pick(&[("color", "ROJO"), ("Talle", "s")]), Ok(VariantId(7)));
        assert_eq!(
            pick(&[("Talle", "M"), ("Color", "rojo")]),
            Err(UserErrorCode::NotFound)
        );
        assert_eq!(pick(&[("Talle", "S")]), Err(UserErrorCode::Required));
        assert_eq!(
            pick(&[("Talle", "S"), ("Color", "rojo"), ("Manga", "corta")]),
            Err(UserErrorCode::NotFound)
        );
    }
}
