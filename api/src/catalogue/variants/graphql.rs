//! GraphQL of variants: `ProductVariant`, `ProductOption`, and the product fields that
//! list and pick them.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use rust_decimal::Decimal;

use super::{ProductOption, SelectedOptionInput, Variant, VariantId, VariantSet, VariantSetLoader};
use crate::catalogue::products::{Money, Product};
use crate::graphql::context::RequestContext;
use crate::graphql::error::ApiResult;

/// One option of a product and the values it offers, in the seller's order.
#[Object(name = "ProductOption")]
impl ProductOption {
    /// The option's name (`Talle`, `Color`).
    async fn name(&self) -> &str {
        &self.name
    }

    /// Its values, in display order.
    async fn values(&self) -> &[String] {
        &self.values
    }
}

/// An option's value in a variant.
#[derive(Clone, Debug, SimpleObject)]
pub struct SelectedOption {
    /// The option's name (`Talle`).
    pub name: String,
    /// The variant's value of it (`M`).
    pub value: String,
}

/// A product's variant with what it needs to answer: its product and its product's options.
#[derive(Clone)]
pub struct ProductVariant {
    pub variant: Variant,
    pub product: Product,
    pub set: Arc<VariantSet>,
}

impl ProductVariant {
    /// The variant's price of one unit: its own, else its product's.
    pub fn unit_price(&self) -> Decimal {
        self.variant.price_or(self.product.price)
    }
}

/// One combination of a product's options that buyers pick and stores stock: its own SKU,
/// stock and, when it differs, price. A product without options has one variant (no
/// option values), sold under the product's SKU and price.
#[Object]
impl ProductVariant {
    /// Opaque global id; `addToCart` takes it as `variantId`.
    pub async fn id(&self) -> ID {
        self.variant.id.to_global()
    }

    /// The store's code for the variant; a product's only, option-less variant has the
    /// product's.
    async fn sku(&self) -> Option<&str> {
        match &self.variant.sku {
            Some(sku) => Some(sku),
            None if self.set.options.is_empty() => self.product.sku.as_deref(),
            None => None,
        }
    }

    /// The variant's value of each option, in the options' order; empty for the variant of
    /// a product without options.
    async fn options(&self) -> Vec<SelectedOption> {
        self.set
            .selected(&self.variant)
            .into_iter()
            .map(|(name, value)| SelectedOption { name, value })
            .collect()
    }

    /// The values joined for display (`M / rojo`); empty without options.
    async fn title(&self) -> String {
        self.variant.options.join(" / ")
    }

    /// Price of one unit: the variant's own or the product's.
    async fn price(&self) -> Money {
        Money {
            amount: self.unit_price(),
            currency_code: self.product.currency_code.clone(),
        }
    }

    /// How much is available, in the product's unit.
    async fn stock(&self) -> Decimal {
        self.variant.stock
    }

    /// Whether it can be bought now: on sale, and at least the product's `minQuantity` in
    /// stock.
    async fn in_stock(&self) -> bool {
        self.variant.is_active && self.variant.stock >= self.product.min_quantity
    }

    /// False when the store took the variant off sale (it stays for past orders).
    async fn is_active(&self) -> bool {
        self.variant.is_active
    }

    /// The product's uploaded images that show this variant (a colour's photos), in the
    /// seller's order; empty when none was linked to it.
    async fn images(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Vec<crate::catalogue::media::graphql::Image>> {
        Ok(crate::catalogue::media::graphql::variant_images(
            RequestContext::of(ctx),
            &self.product,
            self.variant.id,
        )
        .await?)
    }

    /// The product the variant belongs to.
    async fn product(&self) -> &Product {
        &self.product
    }
}

/// The options and variants of `product`, through the request's loader.
pub async fn variant_set(rc: &RequestContext, product: &Product) -> ApiResult<Arc<VariantSet>> {
    Ok(rc
        .loaders
        .get::<VariantSetLoader>()
        .load_one(product.id)
        .await?
        .unwrap_or_default())
}

/// The variants of `product`: those on sale, then those taken off sale, each in the
/// seller's order; at most [`super::VARIANTS_LISTED`].
pub async fn variants(rc: &RequestContext, product: &Product) -> ApiResult<Vec<ProductVariant>> {
    let set = variant_set(rc, product).await?;
    let on_sale = set.variants.iter().filter(|v| v.is_active);
    let off_sale = set.variants.iter().filter(|v| !v.is_active);
    Ok(on_sale
        .chain(off_sale)
        .take(super::VARIANTS_LISTED)
        .map(|v| ProductVariant {
            variant: v.clone(),
            product: product.clone(),
            set: set.clone(),
        })
        .collect())
}

/// The variant with this id when it is one of a product the caller may see.
pub async fn visible_variant(
    rc: &RequestContext,
    id: VariantId,
) -> ApiResult<Option<ProductVariant>> {
    let Some(variant) = rc.loaders.by_id::<Variant>().load_one(id).await? else {
        return Ok(None);
    };
    let product = rc
        .loaders
        .by_id::<Product>()
        .load_one(variant.product_id)
        .await?
        .filter(|p| p.visible_to(&rc.viewer));
    let Some(product) = product else {
        return Ok(None);
    };
    let set = variant_set(rc, &product).await?;
    Ok(Some(ProductVariant {
        variant,
        product,
        set,
    }))
}

/// The variant of `product` a search `text` names: of those on sale with the product's
/// minimum in stock, the one with most option values among the text's words (stemmed as
/// search stems them, so "roja" names "rojo"), the first in display order on a tie; `None`
/// when no value is named.
pub async fn named_variant(
    rc: &RequestContext,
    product: &Product,
    text: &str,
) -> ApiResult<Option<ProductVariant>> {
    let set = variant_set(rc, product).await?;
    if set.options.is_empty() {
        return Ok(None);
    }
    let words = textisur_search_index::query_stems(text);
    let named = |v: &Variant| {
        v.options
            .iter()
            .filter(|value| {
                let key = textisur_search_index::variant_value_key(value);
                !key.is_empty() && key.split(' ').all(|stem| words.iter().any(|w| w == stem))
            })
            .count()
    };
    let best = set
        .variants
        .iter()
        .filter(|v| v.is_active && v.stock >= product.min_quantity)
        .map(|v| (named(v), v))
        .filter(|(n, _)| *n > 0)
        .fold(None, |best: Option<(usize, &Variant)>, (n, v)| match best {
            Some((m, _)) if m >= n => best,
            _ => Some((n, v)),
        });
    Ok(best.map(|(_, v)| ProductVariant {
        variant: v.clone(),
        product: product.clone(),
        set: set.clone(),
    }))
}

/// The product fields of variants, resolved by `Product`'s object.
pub struct ProductVariantFields;

impl ProductVariantFields {
    /// `Product.options`.
    pub async fn options(ctx: &Context<'_>, product: &Product) -> Result<Vec<ProductOption>> {
        Ok(variant_set(RequestContext::of(ctx), product)
            .await?
            .options
            .clone())
    }

    /// `Product.variants`.
    pub async fn variants(ctx: &Context<'_>, product: &Product) -> Result<Vec<ProductVariant>> {
        Ok(variants(RequestContext::of(ctx), product).await?)
    }

    /// `Product.variantBySelectedOptions`.
    pub async fn by_selected_options(
        ctx: &Context<'_>,
        product: &Product,
        selected: Vec<SelectedOptionInput>,
    ) -> Result<Option<ProductVariant>> {
        let set = variant_set(RequestContext::of(ctx), product).await?;
        let pairs: Vec<(String, String)> =
            selected.into_iter().map(|s| (s.name, s.value)).collect();
        Ok(set.select(&pairs, &[]).ok().map(|v| ProductVariant {
            variant: v.clone(),
            product: product.clone(),
            set: set.clone(),
        }))
    }
}
