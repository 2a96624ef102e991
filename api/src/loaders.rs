//! Per-request dataloaders: every nested relation resolves through one of these, so a page
//! of N parents costs one statement per relation, not N.
//!
//! Built on the `dataloader` crate, chosen over async-graphql's built-in loader by measuring
//! both on the nested page query (see the foundation issue's note): async-graphql's loader
//! waits on an async-io timer (1 ms by default) for each batch, which added a millisecond per
//! nesting level and split batches under load; this one yields to the runtime a few times
//! instead. A fresh [`Loaders`] is built for each request, so caches never outlive it.
//!
//! Rows kept between requests ([`RowCache`]: products, stores, categories, users) are looked
//! up there first; a hit skips the batch entirely, and a miss's row is kept for the next
//! request.

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use dataloader::BatchFn;
use dataloader::cached::Loader;

use crate::categories::{Category, CategoryChildrenLoader};
use crate::conversations::{Conversation, Message, MessageCountLoader, MessagePageLoader};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::orders::Order;
use crate::orders::db::{OrderHistoryLoader, OrderLinesLoader};
use crate::products::Product;
use crate::reviews::{Review, ReviewPageLoader};
use crate::row_cache::{RowCache, Ticket};
use crate::stores::{Store, StoreByOwnerLoader, StoreProductCountLoader};
use crate::users::{User, UserByPublicIdLoader};

/// One batched lookup: many keys, one statement.
pub trait BatchLoad: Send + Sync + 'static {
    /// What is looked up.
    type Key: Clone + Eq + Hash + std::fmt::Debug + Send + Sync + 'static;
    /// What a key finds.
    type Value: Clone + Send + Sync + 'static;
    /// The loader's name in metrics.
    const NAME: &'static str;

    /// Loads the values of these keys; keys with no value are simply absent.
    fn load(
        &self,
        keys: &[Self::Key],
    ) -> impl Future<Output = ApiResult<HashMap<Self::Key, Self::Value>>> + Send;

    /// The value of `key` if it is known without loading (kept between requests).
    fn cached(&self, _key: &Self::Key) -> Option<Self::Value> {
        None
    }
}

type Loaded<V> = Result<Option<V>, ApiError>;

/// Adapts a [`BatchLoad`] to the `dataloader` crate, which wants a value for every key.
struct Adapter<B>(Arc<B>);

impl<B: BatchLoad> BatchFn<B::Key, Loaded<B::Value>> for Adapter<B> {
    async fn load(&mut self, keys: &[B::Key]) -> HashMap<B::Key, Loaded<B::Value>> {
        metrics::histogram!("textisur_dataloader_batch_size", "loader" => B::NAME)
            .record(keys.len() as f64);
        // The batch runs inside whichever resolver asked first, so its span nests under that
        // request's span; its statement's span nests under it.
        let span = tracing::info_span!("dataloader.batch", loader = B::NAME, keys = keys.len());
        let started = std::time::Instant::now();
        let loaded = tracing::Instrument::instrument(self.0.load(keys), span).await;
        metrics::histogram!("textisur_dataloader_batch_duration_seconds", "loader" => B::NAME)
            .record(started.elapsed().as_secs_f64());
        match loaded {
            Ok(mut found) => {
                let mut loaded: HashMap<_, _> = keys
                    .iter()
                    .map(|k| (k.clone(), Ok(found.remove(k))))
                    .collect();
                // Rows found beyond the keys asked (a category's ancestors) are kept too.
                loaded.extend(found.into_iter().map(|(k, v)| (k, Ok(Some(v)))));
                loaded
            }
            Err(e) => keys.iter().map(|k| (k.clone(), Err(e.clone()))).collect(),
        }
    }
}

/// A caching, batching loader for one request.
pub struct Batcher<B: BatchLoad> {
    inner: Loader<B::Key, Loaded<B::Value>, Adapter<B>>,
    batch: Arc<B>,
}

impl<B: BatchLoad> Clone for Batcher<B> {
    /// A handle on the same cache.
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            batch: self.batch.clone(),
        }
    }
}

impl<B: BatchLoad> Batcher<B> {
    /// Forgets every cached value.
    pub async fn clear_all(&self) {
        self.inner.clear_all().await;
    }

    /// Most keys in one statement.
    const MAX_BATCH: usize = 500;

    fn new(batch: B) -> Self {
        let batch = Arc::new(batch);
        Self {
            inner: Loader::new(Adapter(batch.clone())).with_max_batch_size(Self::MAX_BATCH),
            batch,
        }
    }

    /// The value of one key, batched with every other key requested meanwhile.
    pub async fn load_one(&self, key: B::Key) -> ApiResult<Option<B::Value>> {
        if let Some(value) = self.batch.cached(&key) {
            return Ok(Some(value));
        }
        match self.inner.try_load(key).await {
            Ok(loaded) => loaded,
            // The adapter answers every key, so this means a bug, not a client mistake.
            Err(e) => Err(ApiError::Internal(format!("dataloader lost a key: {e}"))),
        }
    }

    /// Puts an already fetched value in the cache, so a later `load_one` costs nothing.
    pub async fn feed_one(&self, key: B::Key, value: B::Value) {
        self.inner.prime(key, Ok(Some(value))).await;
    }
}

/// A row type that can be loaded in batches by its id.
pub trait LoadById: Clone + Send + Sync + 'static {
    /// The row's name in metrics.
    const NAME: &'static str;
    /// The typed id.
    type Id: Copy + Eq + Hash + std::fmt::Debug + Send + Sync + 'static;

    /// This row's id.
    fn id(&self) -> Self::Id;

    /// Loads the rows with these ids (any order; missing ids are absent).
    fn load(db: &Db, ids: &[Self::Id]) -> impl Future<Output = ApiResult<Vec<Self>>> + Send;

    /// The row with this id from the rows kept between requests, for the types kept there.
    fn kept(_rows: &RowCache, _id: Self::Id) -> Option<Self> {
        None
    }

    /// Offers rows loaded under `ticket` for keeping, for the types kept there.
    fn keep(_rows: &RowCache, _ticket: Ticket, _loaded: &[Self]) {}
}

/// The [`LoadById`] methods of a type the [`RowCache`] keeps.
macro_rules! kept_between_requests {
    () => {
        fn kept(rows: &$crate::row_cache::RowCache, id: Self::Id) -> Option<Self> {
            rows.get::<Self>(id)
        }

        fn keep(
            rows: &$crate::row_cache::RowCache,
            ticket: $crate::row_cache::Ticket,
            loaded: &[Self],
        ) {
            rows.fill(ticket, loaded.iter().map(|row| (row.id, row.clone())));
        }
    };
}
pub(crate) use kept_between_requests;

/// Batches lookups by id of any [`LoadById`] type.
pub struct ByIdLoader<T> {
    db: Db,
    row: PhantomData<fn() -> T>,
}

impl<T: LoadById> BatchLoad for ByIdLoader<T> {
    type Key = T::Id;
    type Value = T;
    const NAME: &'static str = T::NAME;

    async fn load(&self, keys: &[T::Id]) -> ApiResult<HashMap<T::Id, T>> {
        // Taken before the read: a write invalidated meanwhile voids the offer.
        let ticket = self.db.rows().ticket();
        let rows = T::load(&self.db, keys).await?;
        if let Some(ticket) = ticket {
            T::keep(self.db.rows(), ticket, &rows);
        }
        Ok(rows.into_iter().map(|row| (row.id(), row)).collect())
    }

    fn cached(&self, key: &T::Id) -> Option<T> {
        T::kept(self.db.rows(), *key)
    }
}

/// Shorthand for a by-id loader.
pub type ById<T> = Batcher<ByIdLoader<T>>;

/// All dataloaders of one request (clones share the caches).
#[derive(Clone)]
pub struct Loaders {
    pub products: ById<Product>,
    pub stores: ById<Store>,
    pub categories: ById<Category>,
    pub users: ById<User>,
    pub users_by_public_id: Batcher<UserByPublicIdLoader>,
    pub reviews: ById<Review>,
    pub review_pages: Batcher<ReviewPageLoader>,
    pub store_by_owner: Batcher<StoreByOwnerLoader>,
    pub category_children: Batcher<CategoryChildrenLoader>,
    pub store_product_counts: Batcher<StoreProductCountLoader>,
    pub conversations: ById<Conversation>,
    pub messages: ById<Message>,
    pub message_pages: Batcher<MessagePageLoader>,
    pub message_counts: Batcher<MessageCountLoader>,
    pub orders: ById<Order>,
    pub order_lines: Batcher<OrderLinesLoader>,
    pub order_history: Batcher<OrderHistoryLoader>,
}

impl Loaders {
    /// Forgets what changes while a subscription lives (orders, their histories,
    /// conversations and messages, products), so each event resolves fresh rows. Every other
    /// loader caches what does not change under a subscription's feet in ways it shows.
    pub async fn forget_changing(&self) {
        self.orders.clear_all().await;
        self.order_history.clear_all().await;
        self.conversations.clear_all().await;
        self.messages.clear_all().await;
        self.message_pages.clear_all().await;
        self.message_counts.clear_all().await;
        self.products.clear_all().await;
    }

    /// Builds the loaders of one request.
    pub fn new(db: &Db) -> Self {
        fn by_id<T: LoadById>(db: &Db) -> ById<T> {
            Batcher::new(ByIdLoader {
                db: db.clone(),
                row: PhantomData,
            })
        }
        Self {
            products: by_id(db),
            stores: by_id(db),
            categories: by_id(db),
            users: by_id(db),
            users_by_public_id: Batcher::new(UserByPublicIdLoader(db.clone())),
            reviews: by_id(db),
            review_pages: Batcher::new(ReviewPageLoader::new(db.clone())),
            store_by_owner: Batcher::new(StoreByOwnerLoader::new(db.clone())),
            category_children: Batcher::new(CategoryChildrenLoader::new(db.clone())),
            store_product_counts: Batcher::new(StoreProductCountLoader::new(db.clone())),
            conversations: by_id(db),
            messages: by_id(db),
            message_pages: Batcher::new(MessagePageLoader::new(db.clone())),
            message_counts: Batcher::new(MessageCountLoader::new(db.clone())),
            orders: by_id(db),
            order_lines: Batcher::new(OrderLinesLoader(db.clone())),
            order_history: Batcher::new(OrderHistoryLoader(db.clone())),
        }
    }
}
