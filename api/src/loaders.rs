//! Per-request dataloaders: every nested relation resolves through one of these, so a page
//! of N parents costs one statement per relation, not N.
//!
//! A fresh [`Loaders`] is built for each request; its caches never outlive the request, so
//! no authorization decision or write can be served stale from them.

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};

use crate::categories::{Category, CategoryChildrenLoader};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::products::Product;
use crate::reviews::{Review, ReviewPageLoader};
use crate::stores::{Store, StoreByOwnerLoader, StoreProductCountLoader};
use crate::users::User;

/// A row type that can be loaded in batches by its id.
pub trait LoadById: Clone + Send + Sync + 'static {
    /// The typed id.
    type Id: Copy + Eq + Hash + Send + Sync + 'static;

    /// This row's id.
    fn id(&self) -> Self::Id;

    /// Loads the rows with these ids (any order; missing ids are absent).
    fn load(db: &Db, ids: &[Self::Id]) -> impl Future<Output = ApiResult<Vec<Self>>> + Send;
}

/// Batches lookups by id of any [`LoadById`] type.
pub struct ByIdLoader<T> {
    db: Db,
    row: PhantomData<fn() -> T>,
}

impl<T: LoadById> Loader<T::Id> for ByIdLoader<T> {
    type Value = T;
    type Error = ApiError;

    async fn load(&self, keys: &[T::Id]) -> Result<HashMap<T::Id, T>, ApiError> {
        let rows = T::load(&self.db, keys).await?;
        Ok(rows.into_iter().map(|row| (row.id(), row)).collect())
    }
}

/// Shorthand for a cached by-id dataloader.
pub type ById<T> = DataLoader<ByIdLoader<T>, HashMapCache>;

/// All dataloaders of one request.
pub struct Loaders {
    pub products: ById<Product>,
    pub stores: ById<Store>,
    pub categories: ById<Category>,
    pub users: ById<crate::users::User>,
    pub reviews: ById<Review>,
    pub review_pages: DataLoader<ReviewPageLoader>,
    pub store_by_owner: DataLoader<StoreByOwnerLoader, HashMapCache>,
    pub category_children: DataLoader<CategoryChildrenLoader, HashMapCache>,
    pub store_product_counts: DataLoader<StoreProductCountLoader, HashMapCache>,
}

impl Loaders {
    /// Builds the loaders of one request.
    pub fn new(db: &Db) -> Self {
        fn by_id<T: LoadById>(db: &Db) -> ById<T> {
            cached(ByIdLoader { db: db.clone(), row: PhantomData })
        }
        fn cached<L: Send + Sync + 'static>(loader: L) -> DataLoader<L, HashMapCache> {
            DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
        }
        Self {
            products: by_id(db),
            stores: by_id(db),
            categories: by_id(db),
            users: by_id::<User>(db),
            reviews: by_id(db),
            review_pages: DataLoader::new(ReviewPageLoader::new(db.clone()), tokio::spawn),
            store_by_owner: cached(StoreByOwnerLoader::new(db.clone())),
            category_children: cached(CategoryChildrenLoader::new(db.clone())),
            store_product_counts: cached(StoreProductCountLoader::new(db.clone())),
        }
    }
}
