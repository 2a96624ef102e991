//! The shipping option mutations sellers keep their options with.
#![deny(clippy::arithmetic_side_effects)]

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use rust_decimal::Decimal;

use super::{MAX_OPTIONS, ShippingKind, ShippingOption, by_id};
use crate::catalogue::stores::Store;
use crate::commerce::addresses::rules;
use crate::commerce::markets::CountryCode;
use crate::commerce::money::currency_decimals;
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::guards::SignedIn;
use crate::graphql::ids::{NodeKind, StoreId, decode_row};
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// Longest delivery estimate, in days.
pub const MAX_DAYS: i32 = 90;

/// A shipping option as a seller writes it. Prices are in the store's currency, with no
/// decimals for CLP and PYG.
#[derive(InputObject, Debug, Clone)]
pub struct ShippingOptionInput {
    /// Pickup, local delivery or courier.
    pub kind: ShippingKind,
    /// What buyers see: 1 to 80 characters.
    pub name: String,
    /// The price: 0 or more (pickup: 0 or absent).
    pub price: Option<Decimal>,
    /// Couriers only: added per kilogram of the order.
    pub price_per_kg: Option<Decimal>,
    /// Regions of the store's country it reaches (names as in addresses; `CABA` and other
    /// common names accepted). Required for local delivery; empty for a courier means the
    /// whole country; none for pickup. At most 30.
    #[graphql(default)]
    pub regions: Vec<String>,
    /// Pickup only, required: where the order is picked up, 1 to 200 characters.
    pub pickup_address: Option<String>,
    /// Pickup only: opening hours, at most 200 characters.
    pub pickup_hours: Option<String>,
    /// Working days until delivery, at least: 0 to 90.
    #[graphql(default)]
    pub min_days: i32,
    /// Working days until delivery, at most: `minDays` to 90.
    pub estimated_days: i32,
    /// Whether buyers are offered it.
    #[graphql(default = true)]
    pub is_active: bool,
}

/// An option that passed its rules.
struct ValidOption {
    price: Decimal,
    price_per_kg: Option<Decimal>,
    regions: Vec<String>,
    pickup_address: Option<String>,
    pickup_hours: Option<String>,
    name: String,
}

fn validate(
    input: &ShippingOptionInput,
    country: CountryCode,
    currency: &str,
) -> Result<ValidOption, Vec<UserError>> {
    let mut errors = Vec::new();
    let at = |field: &str, code: UserErrorCode, message: String| {
        UserError::at(&["input", field], code, message)
    };
    let name = input.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        errors.push(at(
            "name",
            UserErrorCode::Required,
            UserErrorCode::Required.message(),
        ));
    } else if name.chars().count() > 80 {
        errors.push(at(
            "name",
            UserErrorCode::TooLong,
            crate::tr!("address-too-long", max = 80),
        ));
    }
    let decimals = currency_decimals(currency);
    let mut money = |field: &str, amount: Option<Decimal>, positive: bool| {
        let Some(amount) = amount else { return };
        if amount.is_sign_negative()
            || (positive && amount.is_zero())
            || amount >= Decimal::from(10_000_000_000_i64)
        {
            errors.push(at(
                field,
                UserErrorCode::OutOfRange,
                crate::tr!("shipping-price-out-of-range"),
            ));
        } else if amount.normalize().scale() > decimals {
            errors.push(at(
                field,
                UserErrorCode::Precision,
                crate::tr!(
                    "shipping-price-decimals",
                    currency = currency,
                    decimals = decimals
                ),
            ));
        }
    };
    money("price", input.price, false);
    money("pricePerKg", input.price_per_kg, true);
    let kind = input.kind;
    if kind != ShippingKind::Courier && input.price_per_kg.is_some() {
        errors.push(at(
            "pricePerKg",
            UserErrorCode::Invalid,
            crate::tr!("shipping-per-kg-courier-only"),
        ));
    }
    if kind == ShippingKind::Pickup && input.price.is_some_and(|p| !p.is_zero()) {
        errors.push(at(
            "price",
            UserErrorCode::Invalid,
            crate::tr!("shipping-pickup-free"),
        ));
    }
    if input.regions.len() > 30 {
        errors.push(at(
            "regions",
            UserErrorCode::TooMany,
            UserErrorCode::TooMany.message(),
        ));
    }
    let mut regions: Vec<String> = Vec::new();
    for typed in &input.regions {
        match rules::region(country, typed) {
            Some(region) => {
                if !regions.iter().any(|r| r == region) {
                    regions.push(region.to_owned());
                }
            }
            None => errors.push(at(
                "regions",
                UserErrorCode::Invalid,
                crate::tr!(
                    "address-region-unknown",
                    region = typed.trim(),
                    country = country.as_str()
                ),
            )),
        }
    }
    match kind {
        ShippingKind::Pickup if !input.regions.is_empty() => errors.push(at(
            "regions",
            UserErrorCode::Invalid,
            crate::tr!("shipping-pickup-no-regions"),
        )),
        ShippingKind::LocalDelivery if input.regions.is_empty() => errors.push(at(
            "regions",
            UserErrorCode::Required,
            crate::tr!("shipping-local-needs-regions"),
        )),
        _ => {}
    }
    let text = |value: &Option<String>| {
        value
            .as_deref()
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|v| !v.is_empty())
    };
    let pickup_address = text(&input.pickup_address);
    let pickup_hours = text(&input.pickup_hours);
    if kind == ShippingKind::Pickup {
        if pickup_address.is_none() {
            errors.push(at(
                "pickupAddress",
                UserErrorCode::Required,
                UserErrorCode::Required.message(),
            ));
        }
    } else if pickup_address.is_some() || pickup_hours.is_some() {
        errors.push(at(
            "pickupAddress",
            UserErrorCode::Invalid,
            crate::tr!("shipping-pickup-only"),
        ));
    }
    for (field, value) in [
        ("pickupAddress", &pickup_address),
        ("pickupHours", &pickup_hours),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > 200) {
            errors.push(at(
                field,
                UserErrorCode::TooLong,
                crate::tr!("address-too-long", max = 200),
            ));
        }
    }
    if !(0..=MAX_DAYS).contains(&input.min_days)
        || !(input.min_days..=MAX_DAYS).contains(&input.estimated_days)
    {
        errors.push(at(
            "estimatedDays",
            UserErrorCode::OutOfRange,
            crate::tr!("shipping-days-out-of-range", max = MAX_DAYS),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ValidOption {
        price: input.price.unwrap_or_default(),
        price_per_kg: input.price_per_kg,
        regions,
        pickup_address,
        pickup_hours,
        name,
    })
}

/// Result of the shipping option mutations.
#[derive(SimpleObject, Default)]
pub struct ShippingOptionPayload {
    /// The option as written (or as it was, when deleted); null when there are user errors.
    pub shipping_option: Option<ShippingOption>,
    /// Why nothing was written; empty on success.
    pub user_errors: Vec<UserError>,
}

fn failed(error: UserError) -> ShippingOptionPayload {
    ShippingOptionPayload {
        shipping_option: None,
        user_errors: vec![error],
    }
}

/// The store `id` if the caller may change it (its seller, or an admin).
async fn writable_store(rc: &RequestContext, id: StoreId) -> ApiResult<Option<Store>> {
    let Some(store) = rc.loaders.by_id::<Store>().load_one(id).await? else {
        return Ok(None);
    };
    if rc.viewer.is_self_or_admin(store.owner_id) {
        Ok(Some(store))
    } else {
        Err(ApiError::Forbidden(crate::tr!("shipping-change-forbidden")))
    }
}

fn store_not_found() -> UserError {
    UserError::at(
        &["storeId"],
        UserErrorCode::NotFound,
        crate::tr!("store-not-found"),
    )
}

fn option_not_found() -> UserError {
    UserError::at(
        &["id"],
        UserErrorCode::NotFound,
        crate::tr!("shipping-option-not-found"),
    )
}

/// The store's country, which its options deliver in.
fn country_of(store: &Store) -> ApiResult<CountryCode> {
    CountryCode::parse(&store.country_code)
        .ok_or_else(|| ApiError::Internal(format!("store {} country", store.id.0)))
}

/// The option `id` and its store, when the caller may change them.
async fn writable_option(
    rc: &RequestContext,
    id: &ID,
) -> ApiResult<Option<(ShippingOption, Store)>> {
    let Some(row) = decode_row(id, NodeKind::ShippingOption) else {
        return Ok(None);
    };
    let Some(option) = by_id(rc.db.executor(), row).await? else {
        return Ok(None);
    };
    let Some(store) = writable_store(rc, option.store_id).await? else {
        return Ok(None);
    };
    Ok(Some((option, store)))
}

/// The shipping option mutations (sellers).
#[derive(Default)]
pub struct ShippingMutations;

#[Object]
impl ShippingMutations {
    /// Adds a shipping option to a store.
    /// User errors: NOT_FOUND, REQUIRED, TOO_LONG, INVALID, OUT_OF_RANGE, PRECISION, TOO_MANY, LIMIT_REACHED.
    /// Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn create_shipping_option(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The store's global id.")] store_id: ID,
        #[graphql(desc = "The option.")] input: ShippingOptionInput,
    ) -> Result<ShippingOptionPayload> {
        let rc = RequestContext::of(ctx);
        let Ok(store) = StoreId::from_global(&store_id) else {
            return Ok(failed(store_not_found()));
        };
        let Some(store) = writable_store(rc, store).await? else {
            return Ok(failed(store_not_found()));
        };
        let valid = match validate(&input, country_of(&store)?, &store.currency_code) {
            Ok(valid) => valid,
            Err(user_errors) => {
                return Ok(ShippingOptionPayload {
                    shipping_option: None,
                    user_errors,
                });
            }
        };
        let mut tx = rc.db.begin().await?;
        sqlx::query_scalar!(
            r#"SELECT 1 AS "locked!" FROM stores WHERE id = $1 FOR UPDATE"#,
            store.id.0
        )
        .fetch_optional(&mut *tx)
        .await?;
        let count = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM shipping_options WHERE store_id = $1"#,
            store.id.0
        )
        .fetch_one(&mut *tx)
        .await?;
        if count >= MAX_OPTIONS {
            tx.rollback().await?;
            return Ok(failed(UserError::general(
                UserErrorCode::LimitReached,
                crate::tr!("shipping-limit-reached", max = MAX_OPTIONS),
            )));
        }
        let id = sqlx::query_scalar!(
            "INSERT INTO shipping_options (store_id, kind, name, price, price_per_kg, regions,
                 pickup_address, pickup_hours, min_days, max_days, active)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            store.id.0,
            input.kind.as_str(),
            valid.name,
            valid.price,
            valid.price_per_kg,
            &valid.regions,
            valid.pickup_address,
            valid.pickup_hours,
            input.min_days,
            input.estimated_days,
            input.is_active
        )
        .fetch_one(&mut *tx)
        .await?;
        let option = by_id(&mut *tx, id).await?;
        tx.commit().await?;
        Ok(ShippingOptionPayload {
            shipping_option: option,
            user_errors: Vec::new(),
        })
    }

    /// Replaces a shipping option with `input` (orders that chose it keep their price).
    /// User errors: NOT_FOUND, REQUIRED, TOO_LONG, INVALID, OUT_OF_RANGE, PRECISION, TOO_MANY.
    /// Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn update_shipping_option(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The option's id.")] id: ID,
        #[graphql(desc = "The option as it should now read.")] input: ShippingOptionInput,
    ) -> Result<ShippingOptionPayload> {
        let rc = RequestContext::of(ctx);
        let Some((option, store)) = writable_option(rc, &id).await? else {
            return Ok(failed(option_not_found()));
        };
        let valid = match validate(&input, country_of(&store)?, &store.currency_code) {
            Ok(valid) => valid,
            Err(user_errors) => {
                return Ok(ShippingOptionPayload {
                    shipping_option: None,
                    user_errors,
                });
            }
        };
        let mut tx = rc.db.begin().await?;
        sqlx::query!(
            "UPDATE shipping_options SET kind = $2, name = $3, price = $4, price_per_kg = $5,
                 regions = $6, pickup_address = $7, pickup_hours = $8, min_days = $9,
                 max_days = $10, active = $11, updated_at = now()
             WHERE id = $1",
            option.id,
            input.kind.as_str(),
            valid.name,
            valid.price,
            valid.price_per_kg,
            &valid.regions,
            valid.pickup_address,
            valid.pickup_hours,
            input.min_days,
            input.estimated_days,
            input.is_active
        )
        .execute(&mut *tx)
        .await?;
        let option = by_id(&mut *tx, option.id).await?;
        tx.commit().await?;
        Ok(ShippingOptionPayload {
            shipping_option: option,
            user_errors: Vec::new(),
        })
    }

    /// Deletes a shipping option (orders that chose it keep their copy).
    /// User errors: NOT_FOUND.
    /// Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn delete_shipping_option(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The option's id.")] id: ID,
    ) -> Result<ShippingOptionPayload> {
        let rc = RequestContext::of(ctx);
        let Some((option, _)) = writable_option(rc, &id).await? else {
            return Ok(failed(option_not_found()));
        };
        sqlx::query!("DELETE FROM shipping_options WHERE id = $1", option.id)
            .execute(rc.db.executor())
            .await?;
        Ok(ShippingOptionPayload {
            shipping_option: Some(option),
            user_errors: Vec::new(),
        })
    }
}
