//! Hot rows kept between requests: products, stores, categories, users and each product's
//! newest reviews and uploaded images, the rows nearly every page reads and few requests
//! write. A hit costs a hash lookup and a clone instead of a statement, a pooled connection
//! and the dataloader's batching.
//!
//! - **Bounded in bytes**: one quick_cache cache weighed by each row's approximate heap
//!   size (`--row-cache-mib`, 0 turns it off), evicting the least useful rows (S3-FIFO, so
//!   a scan of cold rows does not push out the hot ones). quick_cache, as every cache here:
//!   a nested page reads about 140 rows, and moka's read path (a read-log channel and
//!   housekeeping on the reader's thread) took 9 % of that page's time; quick_cache's hit
//!   is a hash probe under a shard's read lock and one atomic bit, as Lance found for its
//!   hot caches.
//! - **Invalidated by the writes themselves**: statement triggers on the five tables
//!   (`migrations/20261205200000_row_cache_notify.sql`) send the changed ids on the channel
//!   `textisur_rows` at commit, to every server process; each forgets them as it hears them.
//!   PostgreSQL delivers notifications in commit order, so after a mutation the writing
//!   process waits for a marker it sent itself, named by its own id so that no other
//!   process's marker can stand in for it ([`RowCache::settle`]): by then it has heard
//!   the mutation's own changes, and the writer's next request reads them. Other processes
//!   forget within the notification's delivery time (milliseconds).
//! - **No stale fill**: a request that misses reads the row from PostgreSQL and offers it
//!   with a [`Ticket`] taken before the read. Every invalidation first bumps a generation;
//!   a fill whose generation moved meanwhile is withdrawn, so a row read before a write can
//!   never outlive that write's invalidation.
//! - **Standby reads**: a row read from a streaming standby may be older than an
//!   invalidation already heard (the standby had not replayed the write yet), and no later
//!   invalidation would withdraw it. Such a fill carries the standby's window (its lag
//!   bound plus two checks, [`crate::runtime::db::Db::standby_window`]): a row forgotten
//!   within that window is not kept, nor anything when its whole kind or everything was.
//!   Past the window the standby has replayed the write that caused the invalidation.
//! - **Off while deaf**: until `LISTEN` is in place, and after the listening connection is
//!   lost until a new one listens, nothing is served or kept; then everything kept before
//!   is forgotten.
//!
//! Metrics: `textisur_row_cache_lookups_total{kind, result="hit"|"miss"}`,
//! `textisur_row_cache_invalidations_total{kind}`, `textisur_row_cache_bytes` and
//! `textisur_row_cache_entries` (gauges, updated on fills), and
//! `textisur_row_cache_listener_lost_total`.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use metrics::Counter;
use sqlx::PgPool;
use tokio::sync::watch;
use uuid::Uuid;

/// The PostgreSQL channel the triggers notify.
pub const CHANNEL: &str = "textisur_rows";

/// Longest a mutation waits for its own invalidations to come back before the whole cache is
/// dropped instead.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(2);

/// Which table a row comes from; its discriminant indexes the per-kind metric handles,
/// which are built in [`Kind::ALL`]'s order (the declaration order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Product,
    Store,
    Category,
    User,
    /// A product's newest reviews (keyed by the product's id).
    Reviews,
    /// A product's uploaded images (keyed by the product's id).
    Images,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::Product,
        Kind::Store,
        Kind::Category,
        Kind::User,
        Kind::Reviews,
        Kind::Images,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Product => "product",
            Kind::Store => "store",
            Kind::Category => "category",
            Kind::User => "user",
            Kind::Reviews => "reviews",
            Kind::Images => "images",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// A row's key: its table and id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RowKey(Kind, i64);

/// A kept row of any [`Cached`] type, with its weight worked out once, when kept.
#[derive(Clone)]
pub struct Row {
    value: Arc<dyn Any + Send + Sync>,
    weight: u32,
}

/// A row type the cache keeps. Each feature implements it for its own rows, so this module
/// knows tables by name ([`Kind`]) and nothing of their columns.
pub trait Cached: Clone + Send + Sync + 'static {
    /// The table it comes from.
    const KIND: Kind;
    /// The row's id.
    type Id: Copy;
    /// The id's number, the table's primary key.
    fn number(id: Self::Id) -> i64;
    /// Approximate bytes the row holds beyond its struct: its strings' buffers and the like
    /// (see [`heap_of`]).
    fn heap_bytes(&self) -> usize;
}

/// Bytes the buffers of these strings hold, with their headers: a helper for
/// [`Cached::heap_bytes`].
pub fn heap_of<'a>(strings: impl IntoIterator<Item = &'a String>) -> usize {
    strings.into_iter().map(|s| s.capacity() + 24).sum()
}

fn key<T: Cached>(id: T::Id) -> RowKey {
    RowKey(T::KIND, T::number(id))
}

/// Approximate bytes a row holds: its struct, its buffers and a little for the cache's own
/// entry.
fn weight<T: Cached>(row: &T) -> u32 {
    const ENTRY: usize = 96;
    u32::try_from(std::mem::size_of::<T>() + row.heap_bytes() + ENTRY).unwrap_or(u32::MAX)
}

/// Proof of the generation a miss was read under; see the module's "no stale fill".
#[derive(Clone, Copy, Debug)]
pub struct Ticket {
    generation: u64,
    /// Set for rows read from a standby: how far behind the primary it may be.
    standby_window: Option<Duration>,
}

impl Ticket {
    /// This ticket, for rows read from a standby that shows the primary as it was at most
    /// `window` ago: a row forgotten within the window is not kept (the standby may still
    /// show it as it was before), nor any row when its kind or everything was.
    pub fn from_standby(self, window: Duration) -> Self {
        Self {
            standby_window: Some(window),
            ..self
        }
    }
}

/// When rows were last forgotten, for fills from a standby.
#[derive(Default)]
struct Forgotten {
    rows: HashMap<RowKey, Instant>,
    kinds: [Option<Instant>; Kind::ALL.len()],
    everything: Option<Instant>,
}

/// Most forgotten rows remembered; past it they are replaced by "everything, now".
const FORGOTTEN_KEPT: usize = 100_000;

/// The shared row cache; clones share it. A cache built with [`RowCache::off`] keeps nothing.
#[derive(Clone, Default)]
pub struct RowCache {
    inner: Option<Arc<Inner>>,
}

/// Weighs a kept row by the weight it was kept with.
#[derive(Clone)]
struct RowWeighter;

impl quick_cache::Weighter<RowKey, Row> for RowWeighter {
    fn weight(&self, _key: &RowKey, row: &Row) -> u64 {
        u64::from(row.weight)
    }
}

/// Weighs a remembered slug by its length and the entry around it.
#[derive(Clone)]
struct SlugWeighter;

impl quick_cache::Weighter<(Kind, Arc<str>), i64> for SlugWeighter {
    fn weight(&self, (_, slug): &(Kind, Arc<str>), _: &i64) -> u64 {
        slug.len() as u64 + 64
    }
}

/// Bytes a kept row is expected to weigh, to size the cache's tables up front.
const TYPICAL_ROW_BYTES: u64 = 600;

struct Inner {
    rows: quick_cache::sync::Cache<RowKey, Row, RowWeighter>,
    /// Which row a slug named when last read. Never trusted alone: a kept row whose slug is
    /// no longer this one sends the lookup to PostgreSQL.
    slugs: quick_cache::sync::Cache<(Kind, Arc<str>), i64, SlugWeighter>,
    /// Bumped before every invalidation.
    generation: AtomicU64,
    /// When each row was last forgotten (see [`Ticket::from_standby`]).
    forgotten: Mutex<Forgotten>,
    /// Whether the listener is known to hear every change.
    live: AtomicBool,
    /// Names this cache's markers: another process's marker says nothing of what this one
    /// has heard.
    id: Uuid,
    /// The last of its own markers the listener heard (see [`RowCache::settle`]).
    heard: watch::Sender<u64>,
    next_marker: AtomicU64,
    hits: [Counter; Kind::ALL.len()],
    misses: [Counter; Kind::ALL.len()],
    invalidations: [Counter; Kind::ALL.len()],
}

impl Inner {
    /// Forgets `ids` of `kind` (`None`: every row of that kind).
    fn forget(&self, kind: Kind, ids: Option<&[i64]>) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.invalidations[kind as usize].increment(1);
        {
            let now = Instant::now();
            let mut forgotten = self
                .forgotten
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match ids {
                Some(ids) if forgotten.rows.len() + ids.len() <= FORGOTTEN_KEPT => {
                    for &id in ids {
                        forgotten.rows.insert(RowKey(kind, id), now);
                    }
                }
                Some(_) => {
                    forgotten.rows.clear();
                    forgotten.everything = Some(now);
                }
                None => forgotten.kinds[kind as usize] = Some(now),
            }
        }
        match ids {
            Some(ids) => {
                for &id in ids {
                    self.rows.remove(&RowKey(kind, id));
                }
            }
            None => {
                // Forgetting everything is as correct as forgetting one kind, and rare (bulk
                // writes).
                self.rows.clear();
            }
        }
    }

    fn forget_everything(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        {
            let mut forgotten = self
                .forgotten
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            forgotten.rows.clear();
            forgotten.everything = Some(Instant::now());
        }
        self.rows.clear();
    }

    /// Applies one notification's payload; `false` when it does not parse.
    fn hear(&self, payload: &str) -> bool {
        let Some((head, rest)) = payload.split_once(' ') else {
            return false;
        };
        if head == "marker" {
            // Every process hears every marker; only this cache's own count.
            let Some((cache, marker)) = rest.split_once(' ') else {
                return false;
            };
            if cache != self.id.to_string() {
                return cache.parse::<Uuid>().is_ok() && marker.parse::<u64>().is_ok();
            }
            return match marker.parse::<u64>() {
                Ok(marker) => {
                    self.heard.send_if_modified(|heard| {
                        let newer = marker > *heard;
                        if newer {
                            *heard = marker;
                        }
                        newer
                    });
                    true
                }
                Err(_) => false,
            };
        }
        let Some(kind) = Kind::parse(head) else {
            return false;
        };
        if rest == "*" {
            self.forget(kind, None);
            return true;
        }
        let ids: Result<Vec<i64>, _> = rest.split(',').map(str::parse::<i64>).collect();
        match ids {
            Ok(ids) => {
                self.forget(kind, Some(&ids));
                true
            }
            Err(_) => false,
        }
    }
}

impl RowCache {
    /// A cache that keeps nothing (tests, tools, `--row-cache-mib 0`).
    pub fn off() -> Self {
        Self { inner: None }
    }

    /// A cache of at most `max_bytes`, serving nothing until [`RowCache::listen`] runs.
    pub fn new(max_bytes: u64) -> Self {
        if max_bytes == 0 {
            return Self::off();
        }
        let counter = |name: &'static str, kind: Kind, result: Option<&'static str>| match result {
            Some(result) => metrics::counter!(name, "kind" => kind.name(), "result" => result),
            None => metrics::counter!(name, "kind" => kind.name()),
        };
        let lookups = "textisur_row_cache_lookups_total";
        let row_bytes = max_bytes - max_bytes / 16;
        let rows = quick_cache::sync::Cache::with_weighter(
            usize::try_from(row_bytes / TYPICAL_ROW_BYTES).unwrap_or(usize::MAX),
            row_bytes,
            RowWeighter,
        );
        let slugs = quick_cache::sync::Cache::with_weighter(
            usize::try_from(max_bytes / 16 / 96).unwrap_or(usize::MAX),
            max_bytes / 16,
            SlugWeighter,
        );
        Self {
            inner: Some(Arc::new(Inner {
                rows,
                slugs,
                generation: AtomicU64::new(0),
                forgotten: Mutex::default(),
                live: AtomicBool::new(false),
                heard: watch::Sender::new(0),
                next_marker: AtomicU64::new(1),
                id: Uuid::new_v4(),
                hits: Kind::ALL.map(|k| counter(lookups, k, Some("hit"))),
                misses: Kind::ALL.map(|k| counter(lookups, k, Some("miss"))),
                invalidations: Kind::ALL
                    .map(|k| counter("textisur_row_cache_invalidations_total", k, None)),
            })),
        }
    }

    fn live(&self) -> Option<&Inner> {
        self.inner
            .as_deref()
            .filter(|inner| inner.live.load(Ordering::SeqCst))
    }

    /// The kept row with this id, counted as a hit or a miss.
    pub fn get<T: Cached>(&self, id: T::Id) -> Option<T> {
        let inner = self.live()?;
        let key = key::<T>(id);
        let slot = T::KIND as usize;
        let kept = inner.rows.get(&key);
        match kept.as_ref().and_then(|row| row.value.downcast_ref::<T>()) {
            Some(row) => {
                inner.hits[slot].increment(1);
                Some(row.clone())
            }
            None => {
                inner.misses[slot].increment(1);
                None
            }
        }
    }

    /// The kept row whose slug is `slug`, if the slug was seen before and the kept row still
    /// carries it (`slug_of` reads a row's slug).
    pub fn by_slug<T: Cached>(&self, slug: &str, slug_of: fn(&T) -> &str) -> Option<T> {
        let inner = self.live()?;
        let number = inner.slugs.get(&(T::KIND, Arc::from(slug)))?;
        let kept = inner.rows.get(&RowKey(T::KIND, number));
        let row = kept
            .as_ref()
            .and_then(|row| row.value.downcast_ref::<T>())
            .filter(|row| slug_of(row) == slug);
        match row {
            Some(row) => {
                inner.hits[T::KIND as usize].increment(1);
                Some(row.clone())
            }
            None => {
                inner.misses[T::KIND as usize].increment(1);
                None
            }
        }
    }

    /// Keeps `row`, read under `ticket`, and remembers that `slug` names it.
    pub fn fill_by_slug<T: Cached>(&self, ticket: Ticket, slug: &str, id: T::Id, row: &T) {
        let Some(inner) = self.live() else { return };
        inner
            .slugs
            .insert((T::KIND, Arc::from(slug)), T::number(id));
        self.fill(ticket, [(id, row.clone())]);
    }

    /// Take before reading rows to offer with [`RowCache::fill`]; `None` when nothing is kept.
    pub fn ticket(&self) -> Option<Ticket> {
        let inner = self.live()?;
        Some(Ticket {
            generation: inner.generation.load(Ordering::SeqCst),
            standby_window: None,
        })
    }

    /// Keeps rows read under `ticket`, unless an invalidation happened since it was taken.
    pub fn fill<T: Cached>(&self, ticket: Ticket, rows: impl IntoIterator<Item = (T::Id, T)>) {
        let Some(inner) = self.live() else { return };
        if inner.generation.load(Ordering::SeqCst) != ticket.generation {
            return;
        }
        let mut rows: Vec<(T::Id, T)> = rows.into_iter().collect();
        if let Some(window) = ticket.standby_window {
            let now = Instant::now();
            let recent =
                |at: &Option<Instant>| at.is_some_and(|at| now.duration_since(at) < window);
            let forgotten = inner
                .forgotten
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if recent(&forgotten.everything) || recent(&forgotten.kinds[T::KIND as usize]) {
                return;
            }
            rows.retain(|(id, _)| !recent(&forgotten.rows.get(&key::<T>(*id)).copied()));
        }
        let mut kept = Vec::new();
        for (id, row) in rows {
            let key = key::<T>(id);
            let weight = weight(&row);
            inner.rows.insert(
                key,
                Row {
                    value: Arc::new(row),
                    weight,
                },
            );
            kept.push(key);
        }
        // An invalidation may have bumped the generation between the check and the inserts,
        // and already run: withdraw what was just kept.
        if inner.generation.load(Ordering::SeqCst) != ticket.generation {
            for key in &kept {
                inner.rows.remove(key);
            }
        }
        metrics::gauge!("textisur_row_cache_bytes").set(inner.rows.weight() as f64);
        metrics::gauge!("textisur_row_cache_entries").set(inner.rows.len() as f64);
    }

    /// Listens on [`CHANNEL`] and serves once `LISTEN` is in place; runs until the process
    /// ends. Returns at once for a cache that is off.
    pub async fn listen(&self, pool: &PgPool) -> sqlx::Result<Option<tokio::task::JoinHandle<()>>> {
        let Some(inner) = self.inner.clone() else {
            return Ok(None);
        };
        let mut listener = listener(pool).await?;
        inner.live.store(true, Ordering::SeqCst);
        let pool = pool.clone();
        Ok(Some(tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => {
                        if !inner.hear(notification.payload()) {
                            tracing::warn!(
                                payload = notification.payload(),
                                "row cache: ignoring a notification that does not parse"
                            );
                        }
                    }
                    // The connection was lost: what was sent meanwhile is lost too. A new
                    // listener hears everything committed once its `LISTEN` is in place, and
                    // what was kept before then is forgotten.
                    Ok(None) | Err(_) => {
                        inner.live.store(false, Ordering::SeqCst);
                        inner.forget_everything();
                        metrics::counter!("textisur_row_cache_listener_lost_total").increment(1);
                        tracing::warn!("row cache: listener lost; serving from PostgreSQL");
                        listener = loop {
                            match listener_again(&pool).await {
                                Some(listener) => break listener,
                                None => tokio::time::sleep(Duration::from_secs(1)).await,
                            }
                        };
                        inner.forget_everything();
                        inner.live.store(true, Ordering::SeqCst);
                        tracing::info!("row cache: listening again");
                    }
                }
            }
        })))
    }

    /// Waits until this process has heard every change committed before the call: sends a
    /// marker through PostgreSQL and waits to hear it back. Called after every mutation, so
    /// the writer's next request never reads a row it just changed from the cache. On any
    /// failure the whole cache is dropped instead.
    pub async fn settle(&self, pool: &PgPool) {
        let Some(inner) = self.live() else { return };
        let marker = inner.next_marker.fetch_add(1, Ordering::SeqCst);
        let mut heard = inner.heard.subscribe();
        let sent = sqlx::query!(
            "SELECT pg_notify($1, $2)",
            CHANNEL,
            format!("marker {} {marker}", inner.id)
        )
        .fetch_one(pool)
        .await;
        let waited = match sent {
            Ok(_) => tokio::time::timeout(SETTLE_TIMEOUT, heard.wait_for(|h| *h >= marker))
                .await
                .is_ok_and(|r| r.is_ok()),
            Err(_) => false,
        };
        if !waited {
            tracing::warn!("row cache: a mutation's changes were not heard back; forgetting all");
            inner.forget_everything();
        }
    }
}

/// A listener on [`CHANNEL`] whose `LISTEN` is in place.
async fn listener(pool: &PgPool) -> sqlx::Result<sqlx::postgres::PgListener> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// [`listener`], logging a failure.
async fn listener_again(pool: &PgPool) -> Option<sqlx::postgres::PgListener> {
    match listener(pool).await {
        Ok(listener) => Some(listener),
        Err(error) => {
            tracing::warn!(%error, "row cache: cannot listen yet; retrying");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of the test's own, kept as categories are.
    #[derive(Clone, Debug)]
    struct Category {
        id: CategoryId,
        slug: String,
        name: String,
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    struct CategoryId(i64);

    impl Cached for Category {
        const KIND: Kind = Kind::Category;
        type Id = CategoryId;
        fn number(id: CategoryId) -> i64 {
            id.0
        }
        fn heap_bytes(&self) -> usize {
            heap_of([&self.slug, &self.name])
        }
    }

    fn category(id: i64, name: &str) -> Category {
        Category {
            id: CategoryId(id),
            slug: name.to_lowercase(),
            name: name.to_owned(),
        }
    }

    fn live_cache() -> RowCache {
        let cache = RowCache::new(1 << 20);
        if let Some(inner) = &cache.inner {
            inner.live.store(true, Ordering::SeqCst);
        }
        cache
    }

    fn hear(cache: &RowCache, payload: &str) -> bool {
        cache.inner.as_ref().expect("on").hear(payload)
    }

    #[test]
    fn a_fill_read_before_an_invalidation_is_not_kept() {
        let cache = live_cache();
        let ticket = cache.ticket().expect("live");
        // The row is read (old version), then a write's invalidation arrives, then the fill.
        assert!(hear(&cache, "category 1"));
        cache.fill(ticket, [(CategoryId(1), category(1, "Old"))]);
        assert!(cache.get::<Category>(CategoryId(1)).is_none());

        let ticket = cache.ticket().expect("live");
        cache.fill(ticket, [(CategoryId(1), category(1, "New"))]);
        let kept = cache.get::<Category>(CategoryId(1)).expect("kept");
        assert_eq!(kept.name, "New");
    }

    /// Ten times more rows than fit: the cache keeps some, and never more bytes than its
    /// budget (less the slugs' sixteenth).
    #[test]
    fn the_rows_kept_stay_within_their_byte_budget() {
        let cache = live_cache();
        let inner = cache.inner.as_ref().expect("on");
        let budget = (1u64 << 20) - (1 << 20) / 16;
        let row_weight = u64::from(weight(&category(1, &"x".repeat(500))));
        let rows = 10 * budget / row_weight;
        for id in 0..rows as i64 {
            let ticket = cache.ticket().expect("live");
            cache.fill(ticket, [(CategoryId(id), category(id, &"x".repeat(500)))]);
            assert!(
                inner.rows.weight() <= budget,
                "{} > {budget}",
                inner.rows.weight()
            );
        }
        assert!(!inner.rows.is_empty());
        assert!(
            (inner.rows.len() as u64) < rows / 5,
            "{} of {rows} kept",
            inner.rows.len()
        );
    }

    #[test]
    fn notifications_forget_the_named_rows_or_every_row_of_a_kind() {
        let cache = live_cache();
        let ticket = cache.ticket().expect("live");
        cache.fill(
            ticket,
            (1..=3).map(|id| (CategoryId(id), category(id, "Telas"))),
        );
        assert!(hear(&cache, "category 1,3"));
        assert!(cache.get::<Category>(CategoryId(1)).is_none());
        assert!(cache.get::<Category>(CategoryId(2)).is_some());
        assert!(cache.get::<Category>(CategoryId(3)).is_none());
        assert!(hear(&cache, "category *"));
        assert!(cache.get::<Category>(CategoryId(2)).is_none());
        // Another kind's ids are another kind's.
        let ticket = cache.ticket().expect("live");
        cache.fill(ticket, [(CategoryId(5), category(5, "Lanas"))]);
        assert!(hear(&cache, "product 5"));
        assert!(cache.get::<Category>(CategoryId(5)).is_some());
    }

    #[test]
    fn only_its_own_markers_tell_a_cache_what_it_has_heard() {
        let cache = live_cache();
        let inner = cache.inner.as_ref().expect("on");
        // Another process's marker, however high, says nothing of this one's.
        assert!(hear(&cache, &format!("marker {} 99", Uuid::new_v4())));
        assert_eq!(*inner.heard.borrow(), 0);
        assert!(hear(&cache, &format!("marker {} 3", inner.id)));
        assert_eq!(*inner.heard.borrow(), 3);
        assert!(!hear(&cache, "marker 3"));
        assert!(!hear(&cache, &format!("marker {} x", inner.id)));
    }

    #[test]
    fn kinds_are_listed_in_declaration_order() {
        for (i, kind) in Kind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, i, "{kind:?}");
        }
    }

    #[test]
    fn garbage_is_refused_and_changes_nothing() {
        let cache = live_cache();
        let ticket = cache.ticket().expect("live");
        cache.fill(ticket, [(CategoryId(1), category(1, "Telas"))]);
        for payload in ["", "category", "category x", "table 1", "category 1,,2"] {
            assert!(!hear(&cache, payload), "{payload:?}");
        }
        assert!(cache.get::<Category>(CategoryId(1)).is_some());
    }

    #[test]
    fn a_slug_finds_a_kept_row_only_while_the_row_still_carries_it() {
        let cache = live_cache();
        let slug_of: fn(&Category) -> &str = |c| c.slug.as_str();
        let ticket = cache.ticket().expect("live");
        let lino = category(7, "Lino");
        cache.fill_by_slug(ticket, "lino", lino.id, &lino);
        assert_eq!(
            cache.by_slug::<Category>("lino", slug_of).map(|c| c.id),
            Some(CategoryId(7))
        );
        // The row is renamed to another slug: the old slug no longer finds it.
        assert!(hear(&cache, "category 7"));
        let ticket = cache.ticket().expect("live");
        cache.fill(ticket, [(CategoryId(7), category(7, "Lienzo"))]);
        assert!(cache.by_slug::<Category>("lino", slug_of).is_none());
        assert!(cache.by_slug::<Category>("otro", slug_of).is_none());
    }

    #[test]
    fn nothing_is_served_or_kept_while_deaf_or_off() {
        let deaf = RowCache::new(1 << 20);
        assert!(deaf.ticket().is_none());
        assert!(deaf.get::<Category>(CategoryId(1)).is_none());
        let off = RowCache::off();
        assert!(off.ticket().is_none());
    }
}
