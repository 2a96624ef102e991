//! The API's side of search: which backend answers a listing, read-your-writes, and the
//! translation between GraphQL listings and the index's plain requests.
//!
//! Listings read the tantivy index (search first); PostgreSQL answers when the index is not
//! built yet, when `--search-backend postgres` says so (the benchmark's baseline), or when a
//! seller's own recent write has not reached the index within [`READ_YOUR_WRITES_WAIT`].
//!
//! Price bounds come from clients as decimals of any size: arithmetic on them saturates or
//! is checked, and the lint below keeps it so.
#![deny(clippy::arithmetic_side_effects)]

pub mod facets;
pub mod live_vocabulary;
pub mod suggest;
pub mod vocabulary;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use textisur_indexer::LiveIndex;
use textisur_search_index::{ProductQuery, SearchIndex, SortKey, SortOrder};

use crate::catalogue::products::{ProductListing, ProductSort};
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids::UserId;
use crate::runtime::db::{ConsistencyToken, Db};

/// Longest a search waits for the index to catch up with the caller's own write before
/// PostgreSQL answers instead.
pub const READ_YOUR_WRITES_WAIT: Duration = Duration::from_secs(1);

/// Which engine answers listings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SearchBackend {
    /// The embedded tantivy index (PostgreSQL while it is being built).
    #[default]
    Index,
    /// PostgreSQL full-text search (the benchmark's baseline).
    Postgres,
}

/// What every request needs to search: the live index and the recent writes of sellers.
#[derive(Clone)]
pub struct SearchState {
    pub backend: SearchBackend,
    pub live: Option<LiveIndex>,
    /// The vocabulary queries are analysed with (built-in files and admins' entries).
    pub vocabulary: live_vocabulary::LiveVocabulary,
    /// The exchange rates prices are compared across markets with.
    pub rates: crate::commerce::markets::LiveRates,
    recent: Arc<Mutex<HashMap<UserId, ConsistencyToken>>>,
}

impl std::fmt::Debug for SearchState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchState")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// Most sellers whose last write is remembered (the oldest half is forgotten past it).
const MAX_REMEMBERED_WRITERS: usize = 10_000;

impl SearchState {
    /// Search through `live`, or PostgreSQL only when `None`.
    pub fn new(backend: SearchBackend, live: Option<LiveIndex>) -> Self {
        Self {
            backend,
            live,
            vocabulary: live_vocabulary::LiveVocabulary::default(),
            rates: crate::commerce::markets::LiveRates::default(),
            recent: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// PostgreSQL only (tools and tests that run no index).
    pub fn postgres_only() -> Self {
        Self::new(SearchBackend::Postgres, None)
    }

    /// Remembers that `user` wrote; their next requests through this process wait for it
    /// (searches for the index, hydration for a standby).
    pub fn remember_write(&self, user: UserId, token: ConsistencyToken) {
        if let Ok(mut recent) = self.recent.lock() {
            if recent.len() >= MAX_REMEMBERED_WRITERS {
                let mut tokens: Vec<u64> = recent.values().map(|t| t.xid).collect();
                tokens.sort_unstable();
                let median = tokens[tokens.len() / 2];
                recent.retain(|_, t| t.xid > median);
            }
            if let Some(token) = ConsistencyToken::latest(recent.get(&user).copied(), Some(token)) {
                recent.insert(user, token);
            }
        }
    }

    /// The last write `user` made through this process, if remembered.
    pub fn remembered(&self, user: UserId) -> Option<ConsistencyToken> {
        self.recent.lock().ok()?.get(&user).copied()
    }

    /// The index to answer from, after waiting (bounded) for the index to apply every
    /// transaction below `xid` (a consistency token's); `None` means PostgreSQL answers.
    pub async fn index_for(&self, xid: Option<u64>) -> Option<SearchIndex> {
        if self.backend == SearchBackend::Postgres {
            return None;
        }
        let live = self.live.as_ref()?;
        if let Some(bound) = xid
            && !live.wait_applied(bound, READ_YOUR_WRITES_WAIT).await
        {
            metrics::counter!("textisur_search_fallbacks_total", "reason" => "read_your_writes")
                .increment(1);
            return None;
        }
        Some(live.current()?.with_synonyms(self.vocabulary.current()))
    }
}

impl SearchState {
    /// After a successful write by `writer`: the token the payload returns, remembered for
    /// the writer so their own next request includes the write. A failure here must not
    /// turn a committed write into an error, so it is logged and the token left out.
    pub async fn after_write(&self, db: &Db, writer: Option<UserId>) -> Option<ConsistencyToken> {
        match consistency_token(db).await {
            Ok(token) => {
                if let Some(user) = writer {
                    self.remember_write(user, token);
                }
                Some(token)
            }
            Err(error) => {
                tracing::warn!(error = ?error, "could not take a consistency token");
                None
            }
        }
    }
}

/// A token that a later read can wait on (see [`ConsistencyToken`]): taken on the primary
/// after the writes it covers committed.
pub async fn consistency_token(db: &Db) -> ApiResult<ConsistencyToken> {
    let row = sqlx::query!(
        r#"SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS "xmax!",
                  pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::int8 AS "lsn!""#
    )
    .fetch_one(db.executor())
    .await?;
    let xid = row
        .xmax
        .parse()
        .map_err(|_| ApiError::Internal(format!("unexpected snapshot xmax {}", row.xmax)))?;
    Ok(ConsistencyToken {
        xid,
        lsn: Some(row.lsn.max(0) as u64),
    })
}

/// Parses a consistency token given by a client.
pub fn parse_token(token: Option<&str>) -> ApiResult<Option<ConsistencyToken>> {
    token
        .map(|t| {
            t.parse::<ConsistencyToken>()
                .map_err(|_| ApiError::bad_input(crate::tr!("search-consistency-token-invalid")))
        })
        .transpose()
}

/// The cursor of a page answered by the index: the sort it belongs to and the last key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndexCursor {
    pub sort: ProductSort,
    pub value: f64,
    pub id: u64,
}

impl IndexCursor {
    /// The index key, refusing a cursor of another sort order.
    pub fn key_for(&self, sort: ProductSort) -> ApiResult<SortKey> {
        if self.sort != sort {
            return Err(ApiError::bad_input(crate::tr!("cursor-wrong-sort")));
        }
        Ok(SortKey {
            value: self.value,
            id: self.id,
        })
    }
}

fn sort_order(sort: ProductSort) -> SortOrder {
    match sort {
        ProductSort::Relevance => SortOrder::Relevance,
        ProductSort::PriceAsc => SortOrder::PriceAsc,
        ProductSort::PriceDesc => SortOrder::PriceDesc,
        ProductSort::Newest => SortOrder::Newest,
        ProductSort::Popular => SortOrder::Popular,
        ProductSort::TopRated => SortOrder::TopRated,
    }
}

/// Cents of a price bound: a minimum rounds up, a maximum down. A bound beyond what cents
/// can count saturates on its own side: a huge minimum matches nothing, a huge maximum (or
/// a hugely negative minimum) bounds nothing.
fn cents(price: Decimal, round_up: bool) -> i64 {
    let scaled = price.saturating_mul(Decimal::ONE_HUNDRED);
    let rounded = if round_up {
        scaled.ceil()
    } else {
        scaled.floor()
    };
    rounded.to_i64().unwrap_or(if rounded.is_sign_negative() {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// Decimal amount of a number of cents.
pub fn amount(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// What a page of a listing asks of the index.
#[derive(Clone, Copy, Debug, Default)]
pub struct PageRequest {
    pub limit: usize,
    /// Count every match (the selection asks for `totalCount`).
    pub total: bool,
    pub facets: bool,
    pub highlights: bool,
    /// Look for a better spelling (the selection asks for `correctedQuery`).
    pub correct_spelling: bool,
}

/// The index request of a validated listing.
pub fn product_query(
    listing: &ProductListing,
    after: Option<SortKey>,
    page: PageRequest,
) -> ProductQuery {
    ProductQuery {
        text: listing.text.clone(),
        category_ids: listing.category_ids.iter().map(|c| c.0 as u64).collect(),
        store_ids: listing.store_ids.iter().map(|s| s.0 as u64).collect(),
        materials: listing.material_keys.clone(),
        colors: listing.color_keys.clone(),
        sizes: listing.size_keys.clone(),
        market: listing.market.map(|m| m.code()),
        conversion: listing.conversion,
        min_price_cents: listing.min_price.map(|p| cents(p, true)),
        max_price_cents: listing.max_price.map(|p| cents(p, false)),
        in_stock: listing.in_stock,
        min_rating: listing.min_rating.and_then(|r| r.to_f64()),
        sort: sort_order(listing.sort),
        after,
        limit: page.limit,
        facets: page.facets,
        count_total: page.total,
        highlights: page.highlights,
        correct_spelling: page.correct_spelling,
        only_ids: Vec::new(),
    }
}

/// Index work running at once: two per core. Unbounded, sixteen searches shared two cores
/// and each finished late (under the long-tail mix the category listings' p99 was 110 ms
/// instead of 22 ms); one per core left the cores idle while a search's caller ran its
/// GraphQL part (a fifth fewer requests per second). The rest wait their turn, first come
/// first served.
fn index_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        tokio::sync::Semaphore::new(cores.saturating_mul(2))
    })
}

/// Runs blocking index work off the async workers, in a `search.index` span, once one of
/// the [`index_permits`] is free.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> textisur_search_index::SearchResult<T> + Send + 'static,
) -> ApiResult<T> {
    // Created here, so it is a child of the caller's span, and closed when the work ends.
    let span = tracing::info_span!("search.index");
    let permit = index_permits()
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(format!("search permits closed: {e}")))?;
    let result = tokio::task::spawn_blocking(move || span.in_scope(work)).await;
    drop(permit);
    result
        .map_err(|e| ApiError::Internal(format!("search task failed: {e}")))?
        .map_err(|e| ApiError::Internal(format!("{e}")))
}

/// Runs index work right here, in a `search.index` span: for work the index says is quick
/// ([`SearchIndex::is_quick`]), a few microseconds, less than a hand-over to a blocking
/// thread.
pub fn quick<T>(work: impl FnOnce() -> textisur_search_index::SearchResult<T>) -> ApiResult<T> {
    tracing::info_span!("search.index")
        .in_scope(work)
        .map_err(|e| ApiError::Internal(format!("{e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_bounds_round_inwards() {
        assert_eq!(cents(Decimal::new(1999, 3), true), 200);
        assert_eq!(cents(Decimal::new(1999, 3), false), 199);
        assert_eq!(cents(Decimal::MAX, true), i64::MAX);
        assert_eq!(cents(Decimal::MAX, false), i64::MAX);
        assert_eq!(cents(Decimal::MIN, true), i64::MIN);
        assert_eq!(cents(Decimal::MIN, false), i64::MIN);
        assert_eq!(amount(12345).to_string(), "123.45");
    }
}
