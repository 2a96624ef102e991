//! SQL for stores.

use std::collections::HashMap;

use sqlx::{Postgres, QueryBuilder};

use super::{Store, StoreCursor, StoreListing};
use super::{StoreByOwnerLoader, StoreProductCountLoader};
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids::{StoreId, UserId};
use crate::graphql::loaders::BatchLoad;
use crate::runtime::db::Db;

/// Great-circle distance in km from the bound point ($lat, $lon pushed by the caller).
fn push_distance(qb: &mut QueryBuilder<Postgres>, lat: f64, lon: f64) {
    qb.push("(6371.0 * 2 * asin(sqrt(power(sin(radians(st.latitude - ");
    qb.push_bind(lat);
    qb.push(") / 2), 2) + cos(radians(");
    qb.push_bind(lat);
    qb.push(")) * cos(radians(st.latitude)) * power(sin(radians(st.longitude - ");
    qb.push_bind(lon);
    qb.push(") / 2), 2))))");
}

/// Fetches up to `limit` stores of a listing after `after`.
pub async fn list(
    db: &Db,
    listing: &StoreListing,
    after: Option<&StoreCursor>,
    limit: usize,
) -> ApiResult<Vec<Store>> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT * FROM ");
    push_matches(&mut qb, listing);
    let key = if listing.near.is_some() {
        "s.distance_km"
    } else {
        "s.name"
    };
    match (after, listing.near.is_some()) {
        (None, _) => {}
        (Some(StoreCursor::Distance(d, id)), true) => {
            qb.push(" AND (s.distance_km, s.id) > (")
                .push_bind(*d)
                .push(", ");
            qb.push_bind(id.0).push(")");
        }
        (Some(StoreCursor::Name(name, id)), false) => {
            qb.push(" AND (s.name, s.id) > (")
                .push_bind(name.clone())
                .push(", ");
            qb.push_bind(id.0).push(")");
        }
        _ => {
            return Err(ApiError::bad_input(crate::tr!("cursor-wrong-listing")));
        }
    }
    qb.push(" ORDER BY ")
        .push(key)
        .push(", s.id LIMIT ")
        .push_bind(limit as i64);
    Ok(qb
        .build_query_as::<Store>()
        .fetch_all(db.executor())
        .await?)
}

/// How many stores the listing matches, over every page.
pub async fn count(db: &Db, listing: &StoreListing) -> ApiResult<i64> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT count(*) FROM ");
    push_matches(&mut qb, listing);
    Ok(qb
        .build_query_scalar::<i64>()
        .fetch_one(db.executor())
        .await?)
}

/// `(stores with their distance_km) s WHERE <the listing's filters>`, open for more `AND`s.
fn push_matches(qb: &mut QueryBuilder<Postgres>, listing: &StoreListing) {
    qb.push("(SELECT st.*, ");
    match listing.near {
        Some((lat, lon)) => push_distance(qb, lat, lon),
        None => {
            qb.push("NULL::float8");
        }
    }
    qb.push(" AS distance_km FROM stores st");
    if listing.near.is_some() {
        qb.push(" WHERE st.latitude IS NOT NULL");
    } else {
        qb.push(" WHERE true");
    }
    if let Some(text) = &listing.text {
        let pattern = format!("%{}%", escape_like(text));
        qb.push(" AND (st.name ILIKE ").push_bind(pattern.clone());
        qb.push(" OR st.city ILIKE ").push_bind(pattern.clone());
        qb.push(" OR st.region ILIKE ").push_bind(pattern).push(")");
    }
    if let Some(market) = listing.market {
        qb.push(" AND st.country_code = ")
            .push_bind(market.country());
    }
    qb.push(") s WHERE true");
    if let Some(radius) = listing.radius_km {
        qb.push(" AND s.distance_km <= ").push_bind(radius);
    }
}

/// Escapes `%`, `_` and `\` so user text matches literally inside a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A compile-checked statement that returns [`StoreRow`](super::StoreRow)s: the SQL before
/// the column list, the SQL after it, then the arguments. The one place a written-out
/// statement lists a store's columns (listings built at run time select `*`).
macro_rules! query_stores {
    ($head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            $crate::catalogue::stores::StoreRow,
            $head
                + r#" id AS "id: crate::graphql::ids::StoreId",
                    owner_id AS "owner_id: crate::graphql::ids::UserId",
                    slug, name, description, city, region, country_code, currency_code,
                    latitude, longitude, rating, created_at, updated_at,
                    NULL::float8 AS distance_km "#
                + $tail
            $(, $arg)*
        )
    };
}
pub(crate) use query_stores;

/// Loads stores by id.
pub async fn by_ids(db: &Db, ids: &[StoreId]) -> ApiResult<Vec<Store>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let rows = query_stores!("SELECT", "FROM stores WHERE id = ANY($1)", &ids)
        .fetch_all(db.executor())
        .await?;
    Ok(rows.into_iter().map(Store::from).collect())
}

/// Loads one store by slug.
pub async fn by_slug(db: &Db, slug: &str) -> ApiResult<Option<Store>> {
    let row = query_stores!("SELECT", "FROM stores WHERE slug = $1", slug)
        .fetch_optional(db.executor())
        .await?;
    Ok(row.map(Store::from))
}

/// Loads the oldest store of each owner.
pub async fn by_owners(db: &Db, owners: &[UserId]) -> ApiResult<Vec<Store>> {
    let owners: Vec<i64> = owners.iter().map(|id| id.0).collect();
    let rows = query_stores!(
        "SELECT DISTINCT ON (owner_id)",
        "FROM stores WHERE owner_id = ANY($1) ORDER BY owner_id, id",
        &owners
    )
    .fetch_all(db.executor())
    .await?;
    Ok(rows.into_iter().map(Store::from).collect())
}

/// Counts active products per store.
pub async fn active_product_counts(
    db: &Db,
    stores: &[StoreId],
) -> ApiResult<HashMap<StoreId, i64>> {
    let ids: Vec<i64> = stores.iter().map(|id| id.0).collect();
    let rows = sqlx::query!(
        r#"SELECT store_id AS "store_id: StoreId", count(*) AS "count!" FROM products
         WHERE store_id = ANY($1) AND status = 'ACTIVE' GROUP BY store_id"#,
        &ids
    )
    .fetch_all(db.executor())
    .await?;
    Ok(rows.into_iter().map(|r| (r.store_id, r.count)).collect())
}

impl crate::graphql::loaders::LoadById for Store {
    const FROM_STANDBY: bool = true;
    const NAME: &'static str = "store";
    type Id = StoreId;

    fn id(&self) -> StoreId {
        self.id
    }

    crate::graphql::loaders::kept_between_requests!();

    async fn load(db: &Db, ids: &[StoreId]) -> ApiResult<Vec<Self>> {
        by_ids(db, ids).await
    }
}

impl BatchLoad for StoreByOwnerLoader {
    const NAME: &'static str = "store_by_owner";

    fn build(db: &Db) -> Self {
        Self { db: db.clone() }
    }
    type Key = UserId;
    type Value = Store;

    async fn load(&self, owners: &[UserId]) -> ApiResult<HashMap<UserId, Store>> {
        let stores = by_owners(&self.db, owners).await?;
        Ok(stores.into_iter().map(|s| (s.owner_id, s)).collect())
    }
}

impl BatchLoad for StoreProductCountLoader {
    const NAME: &'static str = "store_product_count";

    fn build(db: &Db) -> Self {
        Self { db: db.clone() }
    }
    type Key = StoreId;
    type Value = i64;

    async fn load(&self, stores: &[StoreId]) -> ApiResult<HashMap<StoreId, i64>> {
        let counts = active_product_counts(&self.db, stores).await?;
        Ok(stores
            .iter()
            .map(|s| (*s, counts.get(s).copied().unwrap_or(0)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_escaping() {
        assert_eq!(super::escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
