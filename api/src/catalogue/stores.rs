//! Stores: rows, geography and the loaders keyed by owner and by store.

pub mod db;
pub mod graphql;
pub mod mutations;

use async_graphql::{InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::graphql::ids::{StoreId, UserId};
use crate::runtime::db::Db;

/// A store row; `distance_km` is set when the store was found by distance.
/// Shared like [`crate::catalogue::products::Product`]: cloning is one reference count.
#[derive(Clone, Debug)]
pub struct Store(std::sync::Arc<StoreRow>);

crate::runtime::db::shared_row!(Store, StoreRow);

impl crate::runtime::row_cache::Cached for Store {
    const KIND: crate::runtime::row_cache::Kind = crate::runtime::row_cache::Kind::Store;
    type Id = StoreId;
    fn number(id: StoreId) -> i64 {
        id.0
    }
    fn heap_bytes(&self) -> usize {
        std::mem::size_of::<StoreRow>()
            + crate::runtime::row_cache::heap_of([
                &self.slug,
                &self.name,
                &self.description,
                &self.city,
                &self.country_code,
                &self.currency_code,
            ])
            + self.region.as_ref().map_or(0, String::capacity)
    }
}

/// The columns of a store.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoreRow {
    pub id: StoreId,
    pub owner_id: UserId,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub city: String,
    pub region: Option<String>,
    pub country_code: String,
    pub currency_code: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub rating: Option<Decimal>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[sqlx(default)]
    pub distance_km: Option<f64>,
}

/// A point on Earth.
#[derive(Clone, Copy, Debug, SimpleObject)]
pub struct GeoPoint {
    /// Latitude in degrees, -90 to 90 (south is negative).
    pub lat: f64,
    /// Longitude in degrees, -180 to 180 (west is negative).
    pub lon: f64,
}

/// A point on Earth, as an argument.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct GeoPointInput {
    /// Latitude in degrees, -90 to 90 (south is negative).
    pub lat: f64,
    /// Longitude in degrees, -180 to 180 (west is negative).
    pub lon: f64,
}

/// A validated store listing request.
#[derive(Clone, Debug, Default)]
pub struct StoreListing {
    pub text: Option<String>,
    /// Only the stores of this market.
    pub market: Option<crate::commerce::markets::Market>,
    pub near: Option<(f64, f64)>,
    pub radius_km: Option<f64>,
}

/// Keyset position in a store listing: by name, or by distance when searching `near`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StoreCursor {
    Name(String, StoreId),
    Distance(f64, StoreId),
    /// Text relevance, when the index answered a text search.
    Relevance(f64, StoreId),
}

/// Loads the (first) store each user owns.
pub struct StoreByOwnerLoader {
    db: Db,
}

/// Counts each store's active products.
pub struct StoreProductCountLoader {
    db: Db,
}
