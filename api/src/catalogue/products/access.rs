//! Who may change a product: the store's seller or an admin. Shared by the product and the
//! image mutations.

use async_graphql::ID;

use super::Product;
use crate::catalogue::stores::Store;
use crate::graphql::context::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids::{ProductId, StoreId};

/// The store, after checking that the caller runs it (or is an admin).
pub(crate) async fn writable_store(
    rc: &RequestContext,
    store: StoreId,
) -> ApiResult<Option<Store>> {
    let Some(store) = rc.loaders.by_id::<Store>().load_one(store).await? else {
        return Ok(None);
    };
    if rc.viewer.is_self_or_admin(store.owner_id) {
        Ok(Some(store))
    } else {
        Err(ApiError::Forbidden(crate::tr!("product-change-forbidden")))
    }
}

/// The product with this id, after checking that the caller may change it; `None` when
/// there is no such product.
pub(crate) async fn writable_product(rc: &RequestContext, id: &ID) -> ApiResult<Option<Product>> {
    let Ok(product_id) = ProductId::from_global(id) else {
        return Ok(None);
    };
    let Some(product) = rc.loaders.by_id::<Product>().load_one(product_id).await? else {
        return Ok(None);
    };
    writable_store(rc, product.store_id).await?;
    Ok(Some(product))
}
