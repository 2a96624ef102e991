//! The address mutations: `addAddress`, `updateAddress`, `deleteAddress` and
//! `setDefaultAddress`.

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::{Address, AddressInput, MAX_ADDRESSES, of_user, owned, query_addresses, validate};
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::guards::SignedIn;
use crate::graphql::ids::{NodeKind, UserId, decode_row};
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// Result of the address mutations.
#[derive(SimpleObject, Default)]
pub struct AddressPayload {
    /// The address as written; null when there are user errors.
    pub address: Option<Address>,
    /// Every address of the caller after the change, default first.
    pub addresses: Vec<Address>,
    /// Why nothing was written; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of `deleteAddress`.
#[derive(SimpleObject, Default)]
pub struct DeleteAddressPayload {
    /// The id of the deleted address; null when there are user errors.
    pub deleted_address_id: Option<ID>,
    /// Every address of the caller after the change, default first.
    pub addresses: Vec<Address>,
    /// Why nothing was deleted; empty on success.
    pub user_errors: Vec<UserError>,
}

impl AddressPayload {
    /// Nothing written, for these reasons.
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            user_errors,
            ..Self::default()
        }
    }
}

impl DeleteAddressPayload {
    /// Nothing deleted, for these reasons.
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            user_errors,
            ..Self::default()
        }
    }
}

fn not_found() -> UserError {
    UserError::at(
        &["id"],
        UserErrorCode::NotFound,
        crate::tr!("address-not-found"),
    )
}

fn caller(rc: &RequestContext) -> ApiResult<UserId> {
    rc.viewer.user_id().ok_or(ApiError::Unauthenticated)
}

/// Locks the user row: a user's address changes run one at a time, so the count and the
/// single default hold.
async fn lock_user(conn: &mut sqlx::PgConnection, user: UserId) -> ApiResult<()> {
    sqlx::query_scalar!(
        r#"SELECT 1 AS "locked!" FROM users WHERE id = $1 FOR UPDATE"#,
        user.0
    )
    .fetch_optional(conn)
    .await?;
    Ok(())
}

/// The address mutations.
#[derive(Default)]
pub struct AddressMutations;

#[Object]
impl AddressMutations {
    /// Adds a delivery address. The first one becomes the default, as does any added with
    /// `makeDefault`.
    /// User errors: REQUIRED, TOO_LONG, INVALID, LIMIT_REACHED.
    /// Restricted: signed-in users.
    #[graphql(guard = "SignedIn")]
    async fn add_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address.")] input: AddressInput,
        #[graphql(default, desc = "Make it the default address.")] make_default: bool,
    ) -> Result<AddressPayload> {
        let rc = RequestContext::of(ctx);
        let user = caller(rc)?;
        let valid = match validate(&input) {
            Ok(valid) => valid,
            Err(user_errors) => {
                return Ok(AddressPayload::refused(user_errors));
            }
        };
        let mut tx = rc.db.begin().await?;
        lock_user(&mut tx, user).await?;
        let count = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM addresses WHERE user_id = $1"#,
            user.0
        )
        .fetch_one(&mut *tx)
        .await?;
        if count >= MAX_ADDRESSES {
            tx.rollback().await?;
            return Ok(AddressPayload::refused(vec![UserError::general(
                UserErrorCode::LimitReached,
                crate::tr!("address-limit-reached", max = MAX_ADDRESSES),
            )]));
        }
        let default = make_default || count == 0;
        if default {
            sqlx::query!(
                "UPDATE addresses SET is_default = false WHERE user_id = $1 AND is_default",
                user.0
            )
            .execute(&mut *tx)
            .await?;
        }
        let address = query_addresses!(
            "INSERT INTO addresses (user_id, country_code, recipient, phone, region, city,
                 postal_code, street, number, apartment, notes, is_default)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING",
            "",
            user.0,
            valid.country.as_str(),
            valid.recipient,
            valid.phone,
            valid.region,
            valid.city,
            valid.postal_code,
            valid.street,
            valid.number,
            valid.apartment,
            valid.notes,
            default
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(AddressPayload {
            address: Some(address),
            addresses: of_user(&rc.db, user).await?,
            user_errors: Vec::new(),
        })
    }

    /// Replaces an address with `input` (orders already sent to it keep their copy).
    /// User errors: NOT_FOUND, REQUIRED, TOO_LONG, INVALID.
    /// Restricted: signed-in users, for their own addresses.
    #[graphql(guard = "SignedIn")]
    async fn update_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address's id.")] id: ID,
        #[graphql(desc = "The address as it should now read.")] input: AddressInput,
    ) -> Result<AddressPayload> {
        let rc = RequestContext::of(ctx);
        let user = caller(rc)?;
        let Some(row) = decode_row(&id, NodeKind::Address) else {
            return Ok(AddressPayload::refused(vec![not_found()]));
        };
        let valid = match validate(&input) {
            Ok(valid) => valid,
            Err(user_errors) => {
                return Ok(AddressPayload::refused(user_errors));
            }
        };
        let address = query_addresses!(
            "UPDATE addresses SET country_code = $3, recipient = $4, phone = $5, region = $6,
                 city = $7, postal_code = $8, street = $9, number = $10, apartment = $11,
                 notes = $12, updated_at = now()
             WHERE id = $1 AND user_id = $2 RETURNING",
            "",
            row,
            user.0,
            valid.country.as_str(),
            valid.recipient,
            valid.phone,
            valid.region,
            valid.city,
            valid.postal_code,
            valid.street,
            valid.number,
            valid.apartment,
            valid.notes
        )
        .fetch_optional(rc.db.executor())
        .await?;
        let Some(address) = address else {
            return Ok(AddressPayload::refused(vec![not_found()]));
        };
        Ok(AddressPayload {
            address: Some(address),
            addresses: of_user(&rc.db, user).await?,
            user_errors: Vec::new(),
        })
    }

    /// Deletes an address; if it was the default, the oldest one left becomes the default.
    /// Orders sent to it keep their copy.
    /// User errors: NOT_FOUND.
    /// Restricted: signed-in users, for their own addresses.
    #[graphql(guard = "SignedIn")]
    async fn delete_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address's id.")] id: ID,
    ) -> Result<DeleteAddressPayload> {
        let rc = RequestContext::of(ctx);
        let user = caller(rc)?;
        let Some(row) = decode_row(&id, NodeKind::Address) else {
            return Ok(DeleteAddressPayload::refused(vec![not_found()]));
        };
        let mut tx = rc.db.begin().await?;
        lock_user(&mut tx, user).await?;
        let deleted = sqlx::query_scalar!(
            "DELETE FROM addresses WHERE id = $1 AND user_id = $2 RETURNING is_default",
            row,
            user.0
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(was_default) = deleted else {
            tx.rollback().await?;
            return Ok(DeleteAddressPayload::refused(vec![not_found()]));
        };
        if was_default {
            sqlx::query!(
                "UPDATE addresses SET is_default = true
                 WHERE id = (SELECT min(id) FROM addresses WHERE user_id = $1)",
                user.0
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(DeleteAddressPayload {
            deleted_address_id: Some(id),
            addresses: of_user(&rc.db, user).await?,
            user_errors: Vec::new(),
        })
    }

    /// Makes an address the default one.
    /// User errors: NOT_FOUND.
    /// Restricted: signed-in users, for their own addresses.
    #[graphql(guard = "SignedIn")]
    async fn set_default_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address's id.")] id: ID,
    ) -> Result<AddressPayload> {
        let rc = RequestContext::of(ctx);
        let user = caller(rc)?;
        let Some(row) = decode_row(&id, NodeKind::Address) else {
            return Ok(AddressPayload::refused(vec![not_found()]));
        };
        let mut tx = rc.db.begin().await?;
        lock_user(&mut tx, user).await?;
        if owned(&mut *tx, user, row).await?.is_none() {
            tx.rollback().await?;
            return Ok(AddressPayload::refused(vec![not_found()]));
        }
        // Two statements: the one-default index is checked row by row.
        sqlx::query!(
            "UPDATE addresses SET is_default = false WHERE user_id = $1 AND is_default AND id <> $2",
            user.0,
            row
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!("UPDATE addresses SET is_default = true WHERE id = $1", row)
            .execute(&mut *tx)
            .await?;
        let address = owned(&mut *tx, user, row).await?;
        tx.commit().await?;
        Ok(AddressPayload {
            address,
            addresses: of_user(&rc.db, user).await?,
            user_errors: Vec::new(),
        })
    }
}
