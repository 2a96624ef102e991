//! GraphQL of carts: `User.cart`, the cart mutations and the cart's prices and warnings.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use rust_decimal::Decimal;

use super::db::{self, LineChange, Pick, no_such_line, no_such_product};
use super::{CartLine, CartLineId, line_amount};
use crate::catalogue::products::{Money, Product, ProductStatus};
use crate::catalogue::variants::graphql::{ProductVariant, variant_set};
use crate::catalogue::variants::{SelectedOptionInput, VariantId};
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::guards::SignedIn;
use crate::graphql::ids::{ProductId, UserId};
use crate::graphql::user_errors::UserError;

/// A buyer's cart with the current state of its variants.
pub struct Cart {
    /// The buyer's global id, from which the cart's own is made.
    owner: ID,
    lines: Vec<(CartLine, ProductVariant)>,
}

impl Cart {
    /// Loads `user`'s cart and, in one batch each, its products and their variants.
    pub async fn load(rc: &RequestContext, user: UserId) -> ApiResult<Self> {
        let owner = rc
            .loaders
            .by_id::<crate::accounts::users::User>()
            .load_one(user)
            .await?
            .map(|u| u.public_id.to_global())
            .unwrap_or_default();
        let rows = db::lines(&rc.db, user).await?;
        let products = futures::future::try_join_all(
            rows.iter()
                .map(|l| rc.loaders.by_id::<Product>().load_one(l.product_id)),
        )
        .await?;
        let sets =
            futures::future::try_join_all(products.iter().flatten().map(|p| variant_set(rc, p)))
                .await?;
        let mut sets = sets.into_iter();
        let mut lines = Vec::with_capacity(rows.len());
        for (line, product) in rows.into_iter().zip(products) {
            let Some(product) = product else { continue };
            let Some(set) = sets.next() else { break };
            let Some(variant) = set.variants.iter().find(|v| v.id == line.variant_id) else {
                continue;
            };
            let variant = ProductVariant {
                variant: variant.clone(),
                product,
                set: set.clone(),
            };
            lines.push((line, variant));
        }
        Ok(Self { owner, lines })
    }
}

/// One variant in a cart.
pub struct CartLineView {
    line: CartLine,
    variant: ProductVariant,
}

/// One variant in the cart, with its quantity and its total at today's price.
#[Object(name = "CartLine")]
impl CartLineView {
    /// Opaque id of the line: `updateCartLine` and `removeFromCart` take it as `lineId`.
    async fn id(&self) -> ID {
        self.line.id.to_global()
    }

    /// The product as it is now (price, stock and status may have changed since the line
    /// was added: see `Cart.warnings`).
    async fn product(&self) -> &Product {
        &self.variant.product
    }

    /// The variant bought (size, colour, its stock and price as they are now).
    async fn variant(&self) -> &ProductVariant {
        &self.variant
    }

    /// In the product's unit.
    async fn quantity(&self) -> Decimal {
        self.line.quantity.normalize()
    }

    /// The quantity at the variant's current price.
    async fn line_total(&self) -> Result<Money> {
        let currency = &self.variant.product.currency_code;
        let amount = line_amount(self.line.quantity, self.variant.unit_price(), currency)
            .ok_or_else(|| ApiError::Internal("cart line total overflows".to_owned()))?;
        Ok(Money {
            amount,
            currency_code: currency.clone(),
        })
    }
}

/// What changed about a line since it was put in the cart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum CartWarningCode {
    /// The price is not the one the buyer saw when adding the line.
    PriceChanged,
    /// Stock dropped since the line was added (it still covers the quantity).
    StockDropped,
    /// Stock no longer covers the line's quantity: checkout would refuse it.
    InsufficientStock,
    /// The product was taken off sale.
    Unavailable,
}

/// A change the buyer should see before checking out.
#[derive(Clone, Debug, SimpleObject)]
pub struct CartWarning {
    /// Global id of the product of the line concerned.
    pub product_id: ID,
    /// Global id of the line concerned.
    pub line_id: ID,
    /// What changed.
    pub code: CartWarningCode,
    /// A short explanation naming the product, for people; currently always in English.
    pub message: String,
}

/// What a buyer is about to buy: at most 100 lines, one per variant, priced at today's
/// prices. Checkout turns it into one order per store.
#[Object]
impl Cart {
    /// Opaque id of the cart (one per buyer: it stays the same as lines come and go, and
    /// after checkout empties it), so client caches merge every payload's cart.
    async fn id(&self) -> ID {
        ID(format!("Cart:{}", self.owner.as_str()))
    }

    /// Oldest line first.
    async fn lines(&self) -> Vec<CartLineView> {
        self.lines
            .iter()
            .map(|(line, variant)| CartLineView {
                line: line.clone(),
                variant: variant.clone(),
            })
            .collect()
    }

    /// The sum of the lines when they share one currency; null for an empty cart and for a
    /// cart with products of stores in several countries (see `subtotals`).
    async fn subtotal(&self) -> Result<Option<Money>> {
        let mut subtotals = self.sums_by_currency()?;
        Ok(if subtotals.len() == 1 {
            subtotals.pop()
        } else {
            None
        })
    }

    /// The sum of the lines per currency.
    async fn subtotals(&self) -> Result<Vec<Money>> {
        Ok(self.sums_by_currency()?)
    }

    /// Lines whose price or stock changed since they were added, or that left the shelf.
    async fn warnings(&self) -> Vec<CartWarning> {
        let mut warnings = Vec::new();
        for (line, variant) in &self.lines {
            let product = &variant.product;
            let price = variant.unit_price();
            let stock = variant.variant.stock;
            let mut warn = |code, message: String| {
                warnings.push(CartWarning {
                    product_id: product.id.to_global(),
                    line_id: line.id.to_global(),
                    code,
                    message,
                });
            };
            if product.status != ProductStatus::Active || !variant.variant.is_active {
                warn(
                    CartWarningCode::Unavailable,
                    crate::tr!("cart-warning-unavailable", product = product.name.as_str()),
                );
                continue;
            }
            if price != line.price_at_add {
                warn(
                    CartWarningCode::PriceChanged,
                    crate::tr!(
                        "cart-warning-price-changed",
                        product = product.name.as_str(),
                        old = line.price_at_add.to_string(),
                        new = price.to_string()
                    ),
                );
            }
            if stock < line.quantity {
                warn(
                    CartWarningCode::InsufficientStock,
                    crate::tr!(
                        "cart-warning-insufficient-stock",
                        stock = stock.normalize().to_string(),
                        product = product.name.as_str()
                    ),
                );
            } else if stock < line.stock_at_add {
                warn(
                    CartWarningCode::StockDropped,
                    crate::tr!("cart-warning-selling-out", product = product.name.as_str()),
                );
            }
        }
        warnings
    }
}

impl Cart {
    fn sums_by_currency(&self) -> ApiResult<Vec<Money>> {
        let mut sums: BTreeMap<&str, Decimal> = BTreeMap::new();
        for (line, variant) in &self.lines {
            let currency = &variant.product.currency_code;
            let sum = sums.entry(currency).or_default();
            *sum = line_amount(line.quantity, variant.unit_price(), currency)
                .and_then(|amount| sum.checked_add(amount))
                .ok_or_else(|| ApiError::Internal("cart subtotal overflows".to_owned()))?;
        }
        Ok(sums
            .into_iter()
            .map(|(currency, amount)| Money {
                amount,
                currency_code: currency.to_owned(),
            })
            .collect())
    }
}

/// Result of the cart mutations: the whole cart after the change.
#[derive(SimpleObject)]
pub struct CartPayload {
    /// The caller's whole cart after the change; null when there are user errors.
    pub cart: Option<Cart>,
    /// Why the cart did not change; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Cart mutations.
#[derive(Default)]
pub struct CartMutations;

async fn payload(
    rc: &RequestContext,
    user: UserId,
    outcome: Result<(), UserError>,
) -> ApiResult<CartPayload> {
    Ok(match outcome {
        Ok(()) => CartPayload {
            cart: Some(Cart::load(rc, user).await?),
            user_errors: Vec::new(),
        },
        Err(e) => CartPayload {
            cart: None,
            user_errors: vec![e],
        },
    })
}

fn caller(rc: &RequestContext) -> Result<UserId> {
    rc.viewer
        .user_id()
        .ok_or_else(|| crate::graphql::error::ApiError::Unauthenticated.into())
}

/// The pick of `updateCartLine` and `removeFromCart`: a line id, else (deprecated) a
/// product id.
fn line_pick(line_id: Option<ID>, product_id: Option<ID>) -> Result<Pick, UserError> {
    match (line_id, product_id) {
        (Some(line), _) => CartLineId::from_global(&line)
            .ok()
            .map(Pick::Line)
            .ok_or_else(no_such_line),
        (None, Some(product)) => ProductId::from_global(&product)
            .map(Pick::Product)
            .map_err(|_| no_such_product()),
        (None, None) => Err(UserError::at(
            &["lineId"],
            crate::graphql::user_errors::UserErrorCode::Required,
            crate::tr!("cart-line-id-required"),
        )),
    }
}

#[Object]
impl CartMutations {
    /// Adds `quantity` (in the product's unit) of a variant to the caller's cart, on top of
    /// what its line already holds. A product with more than one variant needs `variantId`
    /// or `options`; a combination the product does not have is `NOT_FOUND`. The product
    /// and variant must be on sale, and the line's new quantity at least the product's
    /// `minQuantity`, a multiple of its `quantityStep` with at most 3 decimals, and within
    /// the variant's stock; a cart holds at most 100 lines, of one market.
    /// User errors: NOT_FOUND, REQUIRED, OUT_OF_RANGE, PRECISION, NOT_MULTIPLE, LIMIT_REACHED, UNAVAILABLE, INSUFFICIENT_STOCK, OTHER_MARKET.
    /// Restricted: signed-in users.
    #[graphql(guard = "SignedIn")]
    async fn add_to_cart(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product's global id.")] product_id: ID,
        #[graphql(
            desc = "The variant's global id (`Product.variants`); required, or `options`, when the product has more than one variant."
        )]
        variant_id: Option<ID>,
        #[graphql(
            desc = "The variant by its option values (`[{name: \"Talle\", value: \"M\"}]`), instead of `variantId`."
        )]
        options: Option<Vec<SelectedOptionInput>>,
        #[graphql(
            desc = "How much to add, in the product's unit (pieces, metres or kilograms); more than 0."
        )]
        quantity: Decimal,
    ) -> Result<CartPayload> {
        let rc = RequestContext::of(ctx);
        let user = caller(rc)?;
        let pick = match (ProductId::from_global(&product_id), &variant_id) {
            (Err(_), _) => Err(no_such_product()),
            (Ok(product), Some(variant)) => match VariantId::from_global(variant).ok() {
                Some(variant) => Ok(Pick::Variant {
                    product,
                    variant: Some(variant),
                    options: None,
                }),
                None => Err(UserError::at(
                    &["variantId"],
                    crate::graphql::user_errors::UserErrorCode::NotFound,
                    crate::tr!("variant-not-found"),
                )),
            },
            (Ok(product), None) => Ok(Pick::Variant {
                product,
                variant: None,
                options: options.map(|o| o.into_iter().map(|s| (s.name, s.value)).collect()),
            }),
        };
        let outcome = match pick {
            Ok(pick) => db::change_line(&rc.db, user, &pick, quantity, LineChange::Add).await?,
            Err(e) => Err(e),
        };
        Ok(payload(rc, user, outcome).await?)
    }

    /// Sets the quantity of a line already in the cart; `0` removes it. The quantity
    /// follows the rules of `addToCart`.
    /// User errors: NOT_FOUND, REQUIRED, OUT_OF_RANGE, PRECISION, NOT_MULTIPLE, UNAVAILABLE, INSUFFICIENT_STOCK.
    /// Restricted: signed-in users.
    #[graphql(guard = "SignedIn")]
    async fn update_cart_line(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The line's id (`CartLine.id`); any other is `NOT_FOUND`.")]
        line_id: Option<ID>,
        #[graphql(
            desc = "Deprecated: use `lineId`. The global id of a product in the cart, when the cart holds one variant of it.",
            deprecation = "A product may be in the cart in several variants: use `lineId`. Removal not before 2027-06-12."
        )]
        product_id: Option<ID>,
        #[graphql(
            desc = "The line's new quantity, in the product's unit (pieces, metres or kilograms); 0 removes the line."
        )]
        quantity: Decimal,
    ) -> Result<CartPayload> {
        let rc = RequestContext::of(ctx);
        let user = caller(rc)?;
        let outcome = match line_pick(line_id, product_id) {
            Ok(pick) if quantity.is_zero() => db::remove_line(&rc.db, user, &pick).await?,
            Ok(pick) => db::change_line(&rc.db, user, &pick, quantity, LineChange::Set).await?,
            Err(e) => Err(e),
        };
        Ok(payload(rc, user, outcome).await?)
    }

    /// Takes a line out of the cart.
    /// User errors: NOT_FOUND, REQUIRED.
    /// Restricted: signed-in users.
    #[graphql(guard = "SignedIn")]
    async fn remove_from_cart(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The line's id (`CartLine.id`); any other is `NOT_FOUND`.")]
        line_id: Option<ID>,
        #[graphql(
            desc = "Deprecated: use `lineId`. A product in the cart: removes every line of it.",
            deprecation = "A product may be in the cart in several variants: use `lineId`. Removal not before 2027-06-12."
        )]
        product_id: Option<ID>,
    ) -> Result<CartPayload> {
        let rc = RequestContext::of(ctx);
        let user = caller(rc)?;
        let outcome = match line_pick(line_id, product_id) {
            Ok(pick) => db::remove_line(&rc.db, user, &pick).await?,
            Err(e) => Err(e),
        };
        Ok(payload(rc, user, outcome).await?)
    }
}
