//! Store mutations: `createStore` (which makes a buyer a seller) and `updateStore`.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use super::db::query_stores;
use super::{GeoPointInput, Store};
use crate::catalogue::products::input::sanitize_description;
use crate::commerce::markets::{CountryCode, Market};
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::guards::{AdminOnly, SignedIn};
use crate::graphql::ids::{StoreId, UserPublicId};
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// `createStore`'s input.
#[derive(InputObject)]
pub struct CreateStoreInput {
    /// The store's name, 2 to 120 characters after trimming; its slug is made from it.
    pub name: String,
    /// What the store sells, at most 2,000 characters; HTML is reduced to a small set of
    /// formatting tags.
    pub description: Option<String>,
    /// The city the store is in, 1 to 80 characters after trimming.
    pub city: String,
    /// The region (province, department) the store is in, 1 to 80 characters after
    /// trimming. Required in practice: null or blank is `REQUIRED`.
    pub region: Option<String>,
    /// Where the store is, so buyers can find it by distance; null leaves the store out of
    /// searches by distance.
    pub location: Option<GeoPointInput>,
    /// The store's country: it fixes the store's market and currency (ARS, CLP, UYU, PYG
    /// or PEN), and neither changes later. Required (or the deprecated `countryCode`).
    pub country: Option<CountryCode>,
    /// The country as an ISO code (AR, CL, UY, PY or PE, case ignored). Required when
    /// `country` is absent; it used to default to AR.
    #[graphql(deprecation = "Use `country` (an enum). Since 2026-12-07.")]
    pub country_code: Option<String>,
}

/// `updateStore`'s input: absent fields keep their value.
#[derive(InputObject, Default)]
pub struct UpdateStoreInput {
    /// The new name, 2 to 120 characters after trimming (the slug stays).
    pub name: Option<String>,
    /// The new description, at most 2,000 characters; HTML is reduced to a small set of
    /// formatting tags. `null` empties it; leaving the field out keeps it.
    pub description: MaybeUndefined<String>,
    /// The new city, 1 to 80 characters after trimming.
    pub city: Option<String>,
    /// The new region, 1 to 80 characters after trimming. A store always has one, so
    /// `null`, like leaving the field out, keeps the current one.
    pub region: Option<String>,
    /// The new location. `null` removes it (the store leaves searches by distance);
    /// leaving the field out keeps it.
    pub location: MaybeUndefined<GeoPointInput>,
}

/// Result of the store mutations.
#[derive(SimpleObject, Default)]
pub struct StorePayload {
    /// The store as written; null when there are user errors, and always for
    /// `setStoreAllowance`.
    pub store: Option<Store>,
    /// Why nothing was written; empty on success.
    pub user_errors: Vec<UserError>,
    /// Pass it as `consistencyToken` to a listing to be sure it includes this write.
    pub consistency_token: Option<String>,
}

struct StoreFields {
    name: String,
    description: String,
    city: String,
    region: String,
    location: Option<(f64, f64)>,
}

fn validate(f: &StoreFields) -> Vec<UserError> {
    let mut errors = Vec::new();
    let mut check = |field: &str, value: &str, min: usize, max: usize| {
        let n = value.trim().chars().count();
        if n == 0 {
            errors.push(UserError::at(
                &["input", field],
                UserErrorCode::Required,
                crate::tr!("store-field-required", field = field),
            ));
        } else if n < min {
            errors.push(UserError::at(
                &["input", field],
                UserErrorCode::TooShort,
                crate::tr!("store-field-too-short", field = field),
            ));
        } else if n > max {
            errors.push(UserError::at(
                &["input", field],
                UserErrorCode::TooLong,
                crate::tr!("store-field-too-long", field = field, max = max),
            ));
        }
    };
    check("name", &f.name, 2, 120);
    check("city", &f.city, 1, 80);
    check("region", &f.region, 1, 80);
    if f.description.chars().count() > 2000 {
        errors.push(UserError::at(
            &["input", "description"],
            UserErrorCode::TooLong,
            crate::tr!("store-description-too-long"),
        ));
    }
    if let Some((lat, lon)) = f.location {
        if !(-90.0..=90.0).contains(&lat) {
            errors.push(UserError::at(
                &["input", "location", "lat"],
                UserErrorCode::OutOfRange,
                crate::tr!("store-latitude-out-of-range"),
            ));
        }
        if !(-180.0..=180.0).contains(&lon) {
            errors.push(UserError::at(
                &["input", "location", "lon"],
                UserErrorCode::OutOfRange,
                crate::tr!("store-longitude-out-of-range"),
            ));
        }
    }
    errors
}

/// A slug from the name with accents folded; taken slugs get `-2`, `-3`...
async fn free_slug(tx: &mut sqlx::PgConnection, name: &str) -> ApiResult<String> {
    let base = slug::slugify(name);
    let base = if base.is_empty() {
        "tienda".to_owned()
    } else {
        base
    };
    let taken = sqlx::query_scalar!(
        "SELECT slug FROM stores WHERE slug = $1 OR slug LIKE $1 || '-%'",
        &base
    )
    .fetch_all(&mut *tx)
    .await?;
    if !taken.contains(&base) {
        return Ok(base);
    }
    let next = (2..)
        .find(|n| !taken.contains(&format!("{base}-{n}")))
        .unwrap_or(2);
    Ok(format!("{base}-{next}"))
}

/// Store mutations.
#[derive(Default)]
pub struct StoreMutations;

#[Object]
impl StoreMutations {
    /// Opens a store for the caller, who becomes a seller. One store per seller unless an
    /// admin raised the allowance (`LIMIT_REACHED`); the caller's email address must be
    /// verified first (`EMAIL_NOT_VERIFIED`).
    /// User errors: INVALID, REQUIRED, TOO_SHORT, TOO_LONG, OUT_OF_RANGE, LIMIT_REACHED, EMAIL_NOT_VERIFIED.
    /// Restricted: signed in.
    #[graphql(guard = "SignedIn")]
    async fn create_store(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new store.")] input: CreateStoreInput,
    ) -> Result<StorePayload> {
        let rc = RequestContext::of(ctx);
        let owner = rc.viewer.user_id().ok_or(ApiError::Unauthenticated)?;
        // A store shows its owner's address to buyers: verified first.
        if let Some(error) = crate::accounts::self_service::unverified(rc, owner).await? {
            return Ok(StorePayload {
                store: None,
                user_errors: vec![error],
                consistency_token: None,
            });
        }
        let fields = StoreFields {
            name: input.name.trim().to_owned(),
            description: input.description.unwrap_or_default(),
            city: input.city.trim().to_owned(),
            region: input.region.unwrap_or_default().trim().to_owned(),
            location: input.location.map(|p| (p.lat, p.lon)),
        };
        let mut errors = validate(&fields);
        // A store's market is for good: no default country.
        let market = match (input.country, input.country_code.as_deref()) {
            (Some(country), _) => Some(country.market()),
            (None, Some(code)) => Market::of_country(code),
            (None, None) => {
                errors.push(UserError::at(
                    &["input", "country"],
                    UserErrorCode::Required,
                    crate::tr!("store-country-required"),
                ));
                None
            }
        };
        let country = market.map(|m| m.country().to_owned()).unwrap_or_default();
        let currency = market.map(|m| m.currency().as_str());
        if market.is_none() && input.country_code.is_some() && input.country.is_none() {
            errors.push(UserError::at(
                &["input", "countryCode"],
                UserErrorCode::Invalid,
                crate::tr!("store-country-invalid"),
            ));
        }
        if !errors.is_empty() {
            return Ok(StorePayload {
                store: None,
                user_errors: errors,
                consistency_token: None,
            });
        }
        let mut tx = rc.db.begin().await.map_err(ApiError::from)?;
        // The user row lock serialises concurrent createStore calls of one user.
        let held = sqlx::query!(
            r#"SELECT u.store_allowance,
                      (SELECT count(*) FROM stores WHERE owner_id = u.id) AS "owned!"
               FROM users u WHERE u.id = $1 FOR UPDATE"#,
            owner.0
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(ApiError::from)?;
        if held.owned >= i64::from(held.store_allowance) {
            let error = UserError::general(
                UserErrorCode::LimitReached,
                crate::tr!("store-limit-reached"),
            );
            return Ok(StorePayload {
                store: None,
                user_errors: vec![error],
                consistency_token: None,
            });
        }
        let slug = free_slug(&mut tx, &fields.name).await?;
        let store = query_stores!(
            "INSERT INTO stores (owner_id, slug, name, description, city, region, country_code,
                 currency_code, latitude, longitude)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING",
            "",
            owner.0,
            &slug,
            &fields.name,
            sanitize_description(&fields.description),
            &fields.city,
            &fields.region,
            &country,
            currency,
            fields.location.map(|l| l.0),
            fields.location.map(|l| l.1)
        )
        .fetch_one(&mut *tx)
        .await
        .map(Store::from)
        .map_err(ApiError::from)?;
        let promoted = sqlx::query!(
            "UPDATE users SET role = 'SELLER', updated_at = now() WHERE id = $1 AND role = 'BUYER'",
            owner.0
        )
        .execute(&mut *tx)
        .await
        .map_err(ApiError::from)?;
        if promoted.rows_affected() > 0 {
            crate::accounts::db::sessions_ended(&mut tx, owner, None).await?;
        }
        tx.commit().await.map_err(ApiError::from)?;
        // The new role counts from the seller's next request.
        rc.auth.sessions.forget_user(owner);
        Ok(StorePayload {
            store: Some(store),
            user_errors: Vec::new(),
            consistency_token: rc.after_write().await,
        })
    }

    /// Changes a store (its slug, country and currency stay).
    /// User errors: REQUIRED, TOO_SHORT, TOO_LONG, NOT_FOUND, OUT_OF_RANGE.
    /// Restricted: the store's seller and admins.
    #[graphql(guard = "SignedIn")]
    async fn update_store(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The store's global id.")] id: ID,
        #[graphql(desc = "The fields to change; absent ones keep their value.")]
        input: UpdateStoreInput,
    ) -> Result<StorePayload> {
        let rc = RequestContext::of(ctx);
        let not_found = || StorePayload {
            store: None,
            user_errors: vec![UserError::at(
                &["id"],
                UserErrorCode::NotFound,
                crate::tr!("store-not-found"),
            )],
            consistency_token: None,
        };
        let Ok(store_id) = StoreId::from_global(&id) else {
            return Ok(not_found());
        };
        let Some(current) = rc.loaders.by_id::<Store>().load_one(store_id).await? else {
            return Ok(not_found());
        };
        if !rc.viewer.is_self_or_admin(current.owner_id) {
            return Err(ApiError::Forbidden(crate::tr!("store-change-forbidden")).into());
        }
        let current = current.into_row();
        let fields = StoreFields {
            name: input
                .name
                .map(|n| n.trim().to_owned())
                .unwrap_or(current.name),
            description: match input.description {
                MaybeUndefined::Undefined => current.description,
                MaybeUndefined::Null => String::new(),
                MaybeUndefined::Value(description) => description,
            },
            city: input
                .city
                .map(|c| c.trim().to_owned())
                .unwrap_or(current.city),
            region: input
                .region
                .map(|r| r.trim().to_owned())
                .or(current.region)
                .unwrap_or_default(),
            location: match input.location {
                MaybeUndefined::Undefined => current.latitude.zip(current.longitude),
                MaybeUndefined::Null => None,
                MaybeUndefined::Value(p) => Some((p.lat, p.lon)),
            },
        };
        let errors = validate(&fields);
        if !errors.is_empty() {
            return Ok(StorePayload {
                store: None,
                user_errors: errors,
                consistency_token: None,
            });
        }
        let store = query_stores!(
            "UPDATE stores SET name = $2, description = $3, city = $4, region = $5, latitude = $6,
                 longitude = $7, updated_at = now()
             WHERE id = $1 RETURNING",
            "",
            store_id.0,
            &fields.name,
            sanitize_description(&fields.description),
            &fields.city,
            &fields.region,
            fields.location.map(|l| l.0),
            fields.location.map(|l| l.1)
        )
        .fetch_optional(rc.db.executor())
        .await
        .map_err(ApiError::from)?
        .map(Store::from);
        Ok(StorePayload {
            store,
            user_errors: Vec::new(),
            consistency_token: rc.after_write().await,
        })
    }

    /// Sets how many stores a user may open (1 unless changed); stores already open stay
    /// open.
    /// User errors: NOT_FOUND, OUT_OF_RANGE.
    /// Restricted: admins.
    #[graphql(guard = "AdminOnly")]
    async fn set_store_allowance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's global id.")] user_id: ID,
        #[graphql(desc = "How many stores the user may run in all: 0 to 100.")] stores: i32,
    ) -> Result<StorePayload> {
        let rc = RequestContext::of(ctx);
        let user = UserPublicId::from_global(&user_id)?;
        if !(0..=100).contains(&stores) {
            let error = UserError::at(
                &["stores"],
                UserErrorCode::OutOfRange,
                crate::tr!("store-allowance-out-of-range"),
            );
            return Ok(StorePayload {
                store: None,
                user_errors: vec![error],
                consistency_token: None,
            });
        }
        let updated = sqlx::query!(
            "UPDATE users SET store_allowance = $2 WHERE public_id = $1",
            user.0,
            stores
        )
        .execute(rc.db.executor())
        .await
        .map_err(ApiError::from)?;
        let user_errors = if updated.rows_affected() == 0 {
            vec![UserError::at(
                &["userId"],
                UserErrorCode::NotFound,
                crate::tr!("store-allowance-user-not-found"),
            )]
        } else {
            Vec::new()
        };
        Ok(StorePayload {
            store: None,
            user_errors,
            consistency_token: None,
        })
    }
}
