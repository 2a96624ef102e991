//! Stores' shipping options: pickup at the store, local delivery to some regions, and a
//! national courier (a flat price, plus a price per kilogram when the seller sets one),
//! all priced in the store's currency. Sellers keep them; buyers see the ones that reach
//! an address of theirs, and checkout charges the one chosen ([`quote`]).
#![deny(clippy::arithmetic_side_effects)]

pub mod graphql;

use async_graphql::{Enum, ID, Object, Result};
use rust_decimal::Decimal;

use crate::catalogue::products::Money;
use crate::commerce::addresses::Address;
use crate::commerce::money::round_amount;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids::{NodeKind, StoreId, encode};
use crate::runtime::db::Db;

/// Most options one store keeps.
pub const MAX_OPTIONS: i64 = 20;

/// How a parcel reaches the buyer.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShippingKind {
    /// The buyer picks the order up at the store (no address needed, no price).
    Pickup,
    /// The store delivers to the regions it lists.
    LocalDelivery,
    /// A courier delivers anywhere in the country (or in the regions listed).
    Courier,
}

impl ShippingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pickup => "PICKUP",
            Self::LocalDelivery => "LOCAL_DELIVERY",
            Self::Courier => "COURIER",
        }
    }

    pub fn parse(kind: &str) -> Option<Self> {
        match kind {
            "PICKUP" => Some(Self::Pickup),
            "LOCAL_DELIVERY" => Some(Self::LocalDelivery),
            "COURIER" => Some(Self::Courier),
            _ => None,
        }
    }
}

/// A shipping option as stored, with its store's country and currency.
#[derive(Clone, Debug)]
pub struct ShippingOption {
    pub id: i64,
    pub store_id: StoreId,
    pub kind: String,
    pub name: String,
    pub price: Decimal,
    pub price_per_kg: Option<Decimal>,
    pub regions: Vec<String>,
    pub pickup_address: Option<String>,
    pub pickup_hours: Option<String>,
    pub min_days: i32,
    pub max_days: i32,
    pub active: bool,
    pub country_code: String,
    pub currency_code: String,
}

impl ShippingOption {
    pub fn shipping_kind(&self) -> Option<ShippingKind> {
        ShippingKind::parse(&self.kind)
    }

    /// Whether the option delivers to `address` (pickup reaches everyone: nothing is
    /// delivered).
    pub fn reaches(&self, address: Option<&Address>) -> bool {
        match (self.shipping_kind(), address) {
            (Some(ShippingKind::Pickup), _) => true,
            (_, None) | (None, _) => false,
            (Some(_), Some(address)) => {
                address.country_code.trim() == self.country_code.trim()
                    && (self.regions.is_empty() || self.regions.contains(&address.region))
            }
        }
    }
}

/// The price of `option` for an order weighing `grams`, rounded by the currency's rules;
/// `None` when it overflows (never for real prices and weights).
pub fn quote(option: &ShippingOption, grams: Decimal) -> Option<Decimal> {
    let by_weight = match option.price_per_kg {
        Some(per_kg) => grams
            .checked_div(Decimal::ONE_THOUSAND)?
            .checked_mul(per_kg)?,
        None => Decimal::ZERO,
    };
    Some(round_amount(
        option.price.checked_add(by_weight)?,
        &option.currency_code,
    ))
}

/// A compile-checked statement that returns [`ShippingOption`]s, `o` naming the options
/// and `s` their store: the SQL before the column list, the SQL after it, then arguments.
macro_rules! query_options {
    ($head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            ShippingOption,
            $head
                + r#" o.id, o.store_id AS "store_id: StoreId", o.kind, o.name, o.price,
                      o.price_per_kg, o.regions, o.pickup_address, o.pickup_hours, o.min_days,
                      o.max_days, o.active, s.country_code AS "country_code!",
                      s.currency_code AS "currency_code!" "#
                + $tail
            $(, $arg)*
        )
    };
}

/// The active options of `store`, oldest first.
pub async fn of_store(db: &Db, store: StoreId) -> ApiResult<Vec<ShippingOption>> {
    Ok(query_options!(
        "SELECT",
        "FROM shipping_options o JOIN stores s ON s.id = o.store_id
         WHERE o.store_id = $1 AND o.active ORDER BY o.id",
        store.0
    )
    .fetch_all(db.executor())
    .await?)
}

/// The option `id`, whatever its store, read in `conn` (checkout's transaction).
pub async fn by_id<'e>(
    conn: impl sqlx::PgExecutor<'e>,
    id: i64,
) -> ApiResult<Option<ShippingOption>> {
    Ok(query_options!(
        "SELECT",
        "FROM shipping_options o JOIN stores s ON s.id = o.store_id WHERE o.id = $1",
        id
    )
    .fetch_optional(conn)
    .await?)
}

/// A way a store delivers, priced in its currency.
#[Object]
impl ShippingOption {
    /// The option's id, for checkout's `delivery` and the seller's changes.
    async fn id(&self) -> ID {
        encode(NodeKind::ShippingOption, self.id)
    }

    /// Pickup, local delivery or courier.
    async fn kind(&self) -> Result<ShippingKind> {
        self.shipping_kind()
            .ok_or_else(|| ApiError::Internal(format!("shipping option {} kind", self.id)).into())
    }

    /// What buyers see ("Envío en el día por CABA", "Correo Argentino a domicilio").
    async fn name(&self) -> &str {
        &self.name
    }

    /// The price of the option; a courier with `pricePerKg` adds that per kilogram of the
    /// order. Zero for pickup.
    async fn price(&self) -> Money {
        Money::in_currency(self.price, &self.currency_code)
    }

    /// What a courier adds per kilogram of the order (by the products' `weightGrams`);
    /// null when the price is flat.
    async fn price_per_kg(&self) -> Option<Money> {
        self.price_per_kg
            .map(|amount| Money::in_currency(amount, &self.currency_code))
    }

    /// The regions delivered to, by their official names; empty for a courier that
    /// reaches the whole country, and for pickup.
    async fn regions(&self) -> &[String] {
        &self.regions
    }

    /// Where to pick the order up (pickup only).
    async fn pickup_address(&self) -> Option<&str> {
        self.pickup_address.as_deref()
    }

    /// When the pickup point is open (pickup only).
    async fn pickup_hours(&self) -> Option<&str> {
        self.pickup_hours.as_deref()
    }

    /// Working days until delivery (or until the order is ready to pick up), at most.
    async fn estimated_days(&self) -> i32 {
        self.max_days
    }

    /// Working days until delivery, at least.
    async fn min_days(&self) -> i32 {
        self.min_days
    }

    /// Whether buyers are offered the option.
    async fn is_active(&self) -> bool {
        self.active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(
        kind: &str,
        price: Decimal,
        per_kg: Option<Decimal>,
        currency: &str,
    ) -> ShippingOption {
        ShippingOption {
            id: 1,
            store_id: StoreId(1),
            kind: kind.to_owned(),
            name: "Envío".to_owned(),
            price,
            price_per_kg: per_kg,
            regions: vec!["Córdoba".to_owned()],
            pickup_address: None,
            pickup_hours: None,
            min_days: 1,
            max_days: 3,
            active: true,
            country_code: "AR".to_owned(),
            currency_code: currency.to_owned(),
        }
    }

    #[test]
    fn a_courier_charges_by_weight_rounded_by_the_currency() {
        let flat = option("COURIER", Decimal::new(2_500, 0), None, "CLP");
        assert_eq!(
            quote(&flat, Decimal::new(7_300, 0)),
            Some(Decimal::new(2_500, 0))
        );
        // 2,500 + 1.25 kg × 1,001 = 3,751.25 -> 3,751 in pesos chilenos.
        let by_weight = option(
            "COURIER",
            Decimal::new(2_500, 0),
            Some(Decimal::new(1_001, 0)),
            "CLP",
        );
        assert_eq!(
            quote(&by_weight, Decimal::new(1_250, 0)),
            Some(Decimal::new(3_751, 0))
        );
        // 1,000.00 + 0.5 kg × 12.33 = 1,006.165 -> 1,006.17 in pesos argentinos (half up).
        let ars = option(
            "COURIER",
            Decimal::new(100_000, 2),
            Some(Decimal::new(1_233, 2)),
            "ARS",
        );
        assert_eq!(
            quote(&ars, Decimal::new(500, 0)),
            Some(Decimal::new(100_617, 2))
        );
    }
}
