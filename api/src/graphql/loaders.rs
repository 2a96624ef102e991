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

use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxHashMap;

use dataloader::BatchFn;
use dataloader::cached::Loader;

use crate::graphql::error::{ApiError, ApiResult};
use crate::runtime::db::{Db, Served};
use crate::runtime::row_cache::{RowCache, Ticket};

/// One batched lookup: many keys, one statement.
pub trait BatchLoad: Send + Sync + 'static {
    /// What is looked up.
    type Key: Clone + Eq + Hash + std::fmt::Debug + Send + Sync + 'static;
    /// What a key finds.
    type Value: Clone + Send + Sync + 'static;
    /// The loader's name in metrics.
    const NAME: &'static str;
    /// Whether what it loads changes while a subscription lives, in ways an event shows:
    /// such a loader is forgotten between a subscription's events
    /// ([`Loaders::forget_changing`]).
    const CHANGING: bool = false;

    /// The loader of one request.
    fn build(db: &Db) -> Self;

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
    /// Most keys in one statement.
    const MAX_BATCH: usize = 500;

    fn new(batch: B) -> Self {
        let batch = Arc::new(batch);
        Self {
            inner: Loader::new(Adapter(batch.clone())).with_max_batch_size(Self::MAX_BATCH),
            batch,
        }
    }

    /// The value of one key, batched with every other key requested meanwhile. The future
    /// holds its own handle on the cache, so it may outlive this `Batcher`.
    pub fn load_one(
        &self,
        key: B::Key,
    ) -> impl Future<Output = ApiResult<Option<B::Value>>> + Send + use<B> {
        let kept = self.batch.cached(&key);
        let inner = kept.is_none().then(|| self.inner.clone());
        async move {
            let Some(inner) = inner else {
                return Ok(kept);
            };
            match inner.try_load(key).await {
                Ok(loaded) => loaded,
                // The adapter answers every key, so this means a bug, not a client mistake.
                Err(e) => Err(ApiError::Internal(format!("dataloader lost a key: {e}"))),
            }
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
    /// See [`BatchLoad::CHANGING`].
    const CHANGING: bool = false;
    /// Whether a query may hydrate it from a standby ([`Db::read`]): catalogue rows, not
    /// private or fast-changing ones.
    const FROM_STANDBY: bool = false;
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
        fn kept(rows: &$crate::runtime::row_cache::RowCache, id: Self::Id) -> Option<Self> {
            rows.get::<Self>(id)
        }

        fn keep(
            rows: &$crate::runtime::row_cache::RowCache,
            ticket: $crate::runtime::row_cache::Ticket,
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
    const CHANGING: bool = T::CHANGING;

    fn build(db: &Db) -> Self {
        Self {
            db: db.clone(),
            row: PhantomData,
        }
    }

    async fn load(&self, keys: &[T::Id]) -> ApiResult<HashMap<T::Id, T>> {
        // Taken before the read: a write invalidated meanwhile voids the offer.
        let ticket = self.db.rows().ticket();
        let (mut rows, served) = if T::FROM_STANDBY {
            self.db
                .read(|db| async move { T::load(&db, keys).await })
                .await?
        } else {
            (T::load(&self.db, keys).await?, Served::Primary)
        };
        if served == Served::Standby && rows.len() < keys.len() {
            // Written a moment ago and not replayed there yet, or not there at all: the
            // primary knows.
            let found: HashSet<T::Id> = rows.iter().map(T::id).collect();
            let missing: Vec<T::Id> = keys
                .iter()
                .filter(|k| !found.contains(k))
                .copied()
                .collect();
            metrics::counter!("textisur_db_standby_fallbacks_total", "reason" => "missing")
                .increment(1);
            rows.extend(T::load(&self.db.primary(), &missing).await?);
        }
        // What a standby answered may be older than an invalidation already heard: the
        // ticket says so, and the cache keeps only rows left alone for the standby's window.
        let ticket = self.db.keep_ticket(ticket, served);
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

/// The dataloaders of one request, each built on first use (clones share them). Features
/// own their loaders; this registry knows them only by type, so it imports none of them.
#[derive(Clone)]
pub struct Loaders {
    db: Db,
    built: Arc<Mutex<FxHashMap<TypeId, Built>>>,
}

/// A loader built for a request.
struct Built {
    loader: Box<dyn Any + Send + Sync>,
    changing: bool,
}

impl Loaders {
    /// The loaders of one request: none built yet.
    pub fn new(db: &Db) -> Self {
        Self {
            db: db.clone(),
            built: Arc::default(),
        }
    }

    /// This request's `B` loader, built on first use.
    pub fn get<B: BatchLoad>(&self) -> Batcher<B> {
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = built.entry(TypeId::of::<B>()).or_insert_with(|| Built {
            loader: Box::new(Batcher::new(B::build(&self.db))),
            changing: B::CHANGING,
        });
        match slot.loader.downcast_ref::<Batcher<B>>() {
            Some(loader) => loader.clone(),
            // The slot of `B`'s type id holds a `Batcher<B>`: never reached.
            None => Batcher::new(B::build(&self.db)),
        }
    }

    /// This request's loader of `T` rows by id.
    pub fn by_id<T: LoadById>(&self) -> ById<T> {
        self.get::<ByIdLoader<T>>()
    }

    /// Forgets the loaders of what changes while a subscription lives (see
    /// [`BatchLoad::CHANGING`]: orders, their histories, conversations and messages,
    /// products), so each event resolves fresh rows. Every other loader keeps caching what
    /// does not change under a subscription's feet in ways it shows.
    pub fn forget_changing(&self) {
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        built.retain(|_, loader| !loader.changing);
    }
}
