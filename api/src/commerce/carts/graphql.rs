//! GraphQL of carts: `User.cart`, the cart mutations and the cart's prices and warnings.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use rust_decimal::Decimal;

use super::db::{self, LineChange, no_such_product};
use super::{CartLine, line_amount};
use crate::catalogue::products::{Money, Product, ProductStatus};
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::guards::SignedIn;
use crate::graphql::ids::{ProductId, UserId};
use crate::graphql::user_errors::UserError;

/// A buyer's cart with the current state of its products.
pub struct Cart {
    lines: Vec<(CartLine, Product)>,
}

impl Cart {
    /// Loads `user`'s cart and, in one batch, its products.
    pub async fn load(rc: &RequestContext, user: UserId) -> ApiResult<Self> {
        let rows = db::lines(&rc.db, user).await?;
        let products = futures::future::try_join_all(
            rows.iter()
                .map(|l| rc.loaders.by_id::<Product>().load_one(l.product_id)),
        )
        .await?;
        let lines = rows
            .into_iter()
            .zip(products)
            .filter_map(|(line, product)| product.map(|p| (line, p)))
            .collect();
        Ok(Self { lines })
    }
}

/// One product in a cart.
pub struct CartLineView {
    line: CartLine,
    product: Product,
}

/// One product in the cart, with its quantity and its total at today's price.
#[Object(name = "CartLine")]
impl CartLineView {
    /// The product as it is now (price, stock and status may have changed since the line
    /// was added: see `Cart.warnings`).
    async fn product(&self) -> &Product {
        &self.product
    }

    /// In the product's unit.
    async fn quantity(&self) -> Decimal {
        self.line.quantity.normalize()
    }

    /// The quantity at the product's current price.
    async fn line_total(&self) -> Result<Money> {
        let amount = line_amount(
            self.line.quantity,
            self.product.price,
            &self.product.currency_code,
        )
        .ok_or_else(|| ApiError::Internal("cart line total overflows".to_owned()))?;
        Ok(Money {
            amount,
            currency_code: self.product.currency_code.clone(),
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
    /// What changed.
    pub code: CartWarningCode,
    /// A short explanation naming the product, for people; currently always in English.
    pub message: String,
}

/// What a buyer is about to buy: at most 100 lines, one per product, priced at today's
/// prices. Checkout turns it into one order per store.
#[Object]
impl Cart {
    /// Oldest line first.
    async fn lines(&self) -> Vec<CartLineView> {
        self.lines
            .iter()
            .map(|(line, product)| CartLineView {
                line: line.clone(),
                product: product.clone(),
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
        for (line, product) in &self.lines {
            let mut warn = |code, message: String| {
                warnings.push(CartWarning {
                    product_id: product.id.to_global(),
                    code,
                    message,
                });
            };
            if product.status != ProductStatus::Active {
                warn(
                    CartWarningCode::Unavailable,
                    crate::tr!("cart-warning-unavailable", product = product.name.as_str()),
                );
                continue;
            }
            if product.price != line.price_at_add {
                warn(
                    CartWarningCode::PriceChanged,
                    crate::tr!(
                        "cart-warning-price-changed",
                        product = product.name.as_str(),
                        old = line.price_at_add.to_string(),
                        new = product.price.to_string()
                    ),
                );
            }
            if product.stock < line.quantity {
                warn(
                    CartWarningCode::InsufficientStock,
                    crate::tr!(
                        "cart-warning-insufficient-stock",
                        stock = product.stock.normalize().to_string(),
                        product = product.name.as_str()
                    ),
                );
            } else if product.stock < line.stock_at_add {
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
        for (line, product) in &self.lines {
            let sum = sums.entry(&product.currency_code).or_default();
            *sum = line_amount(line.quantity, product.price, &product.currency_code)
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

#[Object]
impl CartMutations {
    /// Adds `quantity` (in the product's unit) to the caller's cart, on top of what the
    /// line already holds. The product must be on sale, and the line's new quantity at
    /// least its `minQuantity`, a multiple of its `quantityStep` with at most 3 decimals,
    /// and within its stock; a cart holds at most 100 products.
    /// User errors: NOT_FOUND, OUT_OF_RANGE, PRECISION, NOT_MULTIPLE, LIMIT_REACHED, UNAVAILABLE, INSUFFICIENT_STOCK.
    /// Restricted: signed-in users.
    #[graphql(guard = "SignedIn")]
    async fn add_to_cart(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product's global id.")] product_id: ID,
        #[graphql(
            desc = "How much to add, in the product's unit (pieces, metres or kilograms); more than 0."
        )]
        quantity: Decimal,
    ) -> Result<CartPayload> {
        let rc = RequestContext::of(ctx);
        let user = caller(rc)?;
        let outcome = match ProductId::from_global(&product_id) {
            Ok(id) => db::change_line(&rc.db, user, id, quantity, LineChange::Add).await?,
            Err(_) => Err(no_such_product()),
        };
        Ok(payload(rc, user, outcome).await?)
    }

    /// Sets the quantity of a line already in the cart; `0` removes it. The quantity
    /// follows the rules of `addToCart`.
    /// User errors: NOT_FOUND, OUT_OF_RANGE, PRECISION, NOT_MULTIPLE, UNAVAILABLE, INSUFFICIENT_STOCK.
    /// Restricted: signed-in users.
    #[graphql(guard = "SignedIn")]
    async fn update_cart_line(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of a product in the cart (any other is `NOT_FOUND`).")]
        product_id: ID,
        #[graphql(
            desc = "The line's new quantity, in the product's unit (pieces, metres or kilograms); 0 removes the line."
        )]
        quantity: Decimal,
    ) -> Result<CartPayload> {
        let rc = RequestContext::of(ctx);
        let user = caller(rc)?;
        let outcome = match ProductId::from_global(&product_id) {
            Ok(id) if quantity.is_zero() => db::remove_line(&rc.db, user, id).await?,
            Ok(id) => db::change_line(&rc.db, user, id, quantity, LineChange::Set).await?,
            Err(_) => Err(no_such_product()),
        };
        Ok(payload(rc, user, outcome).await?)
    }

    /// Takes a product out of the cart.
    /// User errors: NOT_FOUND.
    /// Restricted: signed-in users.
    #[graphql(guard = "SignedIn")]
    async fn remove_from_cart(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of a product in the cart (any other is `NOT_FOUND`).")]
        product_id: ID,
    ) -> Result<CartPayload> {
        let rc = RequestContext::of(ctx);
        let user = caller(rc)?;
        let outcome = match ProductId::from_global(&product_id) {
            Ok(id) => db::remove_line(&rc.db, user, id).await?,
            Err(_) => Err(no_such_product()),
        };
        Ok(payload(rc, user, outcome).await?)
    }
}
